"""A replayed schedule gives the engine's bits: every collective and algorithm at sizes where
each step takes each of the three compiled forms (row slices, element indices, ranges)."""

from __future__ import annotations

import numpy as np
import pytest
from world_cases import FIRST, PAIRS, runs_at, same_bits

from collectives.catalogue import CATALOGUE, REDUCING
from collectives.sim import Simulation
from collectives.sim.replay import LONG, Replay
from collectives.spec import example_inputs


def _engine_and_replay(collective, algorithm, ranks, count, dtype="float64", op="sum", root=0,
                       seed=0):
    """The engine's outputs and the replay's, on inputs of ``seed`` (the replay compiled
    from a run on other inputs, seed + 1)."""
    compile_from = example_inputs(collective, ranks, count, dtype, root=root, seed=seed + 1)
    run = Simulation(collective, compile_from, algorithm=algorithm, op=op, root=root,
                     keep_transfers=True)
    replay = Replay(run.problem, [record.transfers for record in run.run().steps])
    inputs = example_inputs(collective, ranks, count, dtype, root=root, seed=seed)
    engine = Simulation(collective, inputs, algorithm=algorithm, op=op, root=root)
    outputs = engine.run().outputs
    p = engine.problem
    buffers = replay.run([None if x is None else x.reshape(-1) for x in inputs],
                         engine.problem.op)
    replayed = [None if (span := p.output_span(rank)) is None
                else buffers[rank, span[0]:span[1]].reshape(p.output_shape(rank))
                for rank in range(ranks)]
    return outputs, replayed, replay


@pytest.mark.parametrize("count", [0, 1, 7, 3 * LONG + 5])
@pytest.mark.parametrize("ranks", [1, 3, 4, 6])
@pytest.mark.parametrize(("collective", "algorithm"), PAIRS)
def test_replay_gives_the_engines_bits(collective, algorithm, ranks, count):
    """Every rank's output of the replay equals the engine's, bit for bit."""
    if not runs_at(collective, algorithm, ranks):
        pytest.skip("needs a power-of-two N")
    root = ranks - 1
    engine, replayed, _ = _engine_and_replay(collective, algorithm, ranks, count, root=root)
    assert all(same_bits(a, b) for a, b in zip(engine, replayed, strict=True))


@pytest.mark.parametrize(("collective", "algorithm"),
                         [(c, a) for c, a in PAIRS if c in REDUCING
                          and CATALOGUE[c][a].keeps_rank_order])
def test_replay_keeps_the_operand_order_of_non_commutative_ops(collective, algorithm):
    """A non-commutative op (the left operand wins) replays with the engine's order."""
    engine, replayed, _ = _engine_and_replay(collective, algorithm, 5, 11, dtype="int32",
                                             op=FIRST)
    assert all(same_bits(a, b) for a, b in zip(engine, replayed, strict=True))


def test_each_compiled_form_is_used():
    """Short ring steps are element indices, recursive doubling's whole-buffer exchanges row
    slices, and long ring chunks ranges."""
    def forms(algorithm, count):
        replay = _engine_and_replay("allreduce", algorithm, 4, count)[2]
        return {type(group).__name__ for step in replay._steps for group in step}

    assert forms("ring", 40) == {"_Indexed"}
    assert forms("recursive_doubling", 40) == {"_Aligned"}
    assert forms("ring", 4 * (LONG + 1)) == {"_Ranges"}


def test_replay_of_a_float_sum_is_not_numpys_order():
    """The replay sums in the algorithm's order, not rank order: ring's result differs from a
    left-to-right sum in the last bits for these inputs (the test can tell orders apart)."""
    engine, replayed, _ = _engine_and_replay("allreduce", "ring", 5, 64, seed=3)
    inputs = example_inputs("allreduce", 5, 64, "float64", seed=3)
    left_to_right = inputs[0].copy()
    for x in inputs[1:]:
        left_to_right += x
    assert same_bits(replayed[0], engine[0])
    assert not np.array_equal(replayed[0], left_to_right)
