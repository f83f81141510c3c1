"""The simulator at scale: traffic kept for the pairs that talk, the N×N matrix only on request,
memory estimated and a run that cannot fit refused before it starts, a bar for long runs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from collectives.catalogue import CATALOGUE, runnable_algorithms
from collectives.cli import main
from collectives.cli.progress import run_steps
from collectives.errors import InvalidInputError
from collectives.ops import resolve_op
from collectives.sim import Simulation, memory, pairs
from collectives.sim import result as sim_result
from collectives.sim.pairs import PairTraffic
from collectives.spec import Problem

GIB = 2**30


@pytest.fixture
def small_machine(monkeypatch):
    """A machine with 1 GiB of memory available, whatever this one has."""
    monkeypatch.setattr(memory, "available_memory", lambda: GIB)


def test_pairs_add_up_like_a_matrix(monkeypatch):
    """Random steps, with repeated pairs inside a step and across steps, and merges forced
    every few entries, give the matrix that adding into a dense one gives."""
    monkeypatch.setattr(pairs, "_MIN_PENDING", 5)
    rng = np.random.default_rng(7)
    n = 9
    traffic, dense = PairTraffic(n), np.zeros((n, n), dtype=np.int64)
    for _ in range(60):
        size = int(rng.integers(0, 12))
        src, dst = rng.integers(0, n, size), rng.integers(0, n, size)
        nbytes = rng.integers(0, 1000, size)
        traffic.add(src, dst, nbytes)
        np.add.at(dense, (src, dst), nbytes)
        for _ in range(int(rng.integers(0, 3))):  # the same pairs again: added in place
            traffic.add(src, dst, nbytes)
            np.add.at(dense, (src, dst), nbytes)
    np.testing.assert_array_equal(traffic.dense(), dense)
    np.testing.assert_array_equal(traffic.sent(), dense.sum(axis=1))
    np.testing.assert_array_equal(traffic.received(), dense.sum(axis=0))
    assert traffic.between(3, 4) == dense[3, 4]


def test_pairs_list_only_pairs_that_carried_bytes():
    """Pairs are listed by src, then dst, and a pair that only ever carried 0 bytes is not."""
    traffic = PairTraffic(4)
    traffic.add(np.array([3, 0, 1]), np.array([0, 2, 2]), np.array([5, 0, 7]))
    src, dst, nbytes = traffic.pairs()
    assert (src.tolist(), dst.tolist(), nbytes.tolist()) == ([1, 3], [2, 0], [7, 5])
    assert len(traffic) == 2 and traffic.between(0, 2) == 0


def test_ring_keeps_one_pair_per_rank():
    """Ring all-reduce on 1000 ranks keeps 1000 pairs, 16 bytes each, not a 1000 x 1000
    matrix, and its sparse accessors read them."""
    n = 1000
    result = Simulation.count_only("allreduce", ranks=n, count=4 * n, dtype="int32",
                                   algorithm="ring").run()
    assert len(result.pairs) == n and result.pairs.memory == 16 * n
    src, dst, nbytes = result.traffic_pairs()
    np.testing.assert_array_equal(dst, (src + 1) % n)
    np.testing.assert_array_equal(nbytes, np.full(n, 2 * (n - 1) * 16))
    assert result.bytes_between(n - 1, 0) == 2 * (n - 1) * 16
    assert result.bytes_between(0, n - 1) == 0


@pytest.mark.parametrize(("collective", "algorithm"),
                         [(c, a) for c, names in CATALOGUE.items() for a in names])
def test_traffic_pairs_are_the_matrix(collective, algorithm):
    """For every algorithm, the pairs hold exactly the nonzero cells of the matrix, and the
    per-rank bytes are its row and column sums."""
    result = Simulation.count_only(collective, ranks=8, count=11, algorithm=algorithm).run()
    matrix = result.traffic
    src, dst, nbytes = result.traffic_pairs()
    assert [src.tolist(), dst.tolist()] == [a.tolist() for a in np.nonzero(matrix)]
    np.testing.assert_array_equal(nbytes, matrix[src, dst])
    np.testing.assert_array_equal(matrix.sum(axis=1), result.bytes_sent)
    np.testing.assert_array_equal(matrix.sum(axis=0), result.bytes_received)


def test_the_matrix_is_refused_when_it_cannot_fit(small_machine):
    """On 1 GiB, the 16,384 x 16,384 matrix of a run (2 GiB) is refused with its size and the
    sparse accessors named; they still answer."""
    result = Simulation.count_only("broadcast", ranks=16384, count=4,
                                   algorithm="binomial").run()
    with pytest.raises(InvalidInputError, match=r"expected the N x N traffic matrix to fit in "
                       r"the 1\.0 GiB of memory available, got an estimate of 2\.0 GiB "
                       r"\(16384 x 16384 int64 cells\); use traffic_pairs\(\)"):
        _ = result.traffic
    assert len(result.traffic_pairs()[0]) == 16383


def test_json_gives_pairs_above_the_matrix_limit(monkeypatch):
    """Above JSON_MATRIX_RANKS ranks the JSON record holds [src, dst, bytes] triples of the
    pairs that talked instead of the matrix."""
    monkeypatch.setattr(sim_result, "JSON_MATRIX_RANKS", 4)
    result = Simulation.count_only("allreduce", ranks=5, count=10, dtype="int32",
                                   algorithm="ring").run()
    summary = result.to_dict()
    assert "traffic" not in summary
    assert summary["traffic_pairs"] == [[r, (r + 1) % 5, 8 * 8] for r in range(5)]


def _runnable(ranks: list[int]) -> list[tuple[str, str, int]]:
    """(collective, algorithm, N) for every algorithm and N it runs on with a sum."""
    return [(collective, algorithm, n) for collective, names in CATALOGUE.items()
            for algorithm in names for n in ranks
            if runnable_algorithms(collective, [algorithm], resolve_op("sum"), n)[0]]


@pytest.mark.parametrize(("collective", "algorithm", "ranks"),
                         _runnable([1, 2, 3, 5, 8, 9, 16, 17, 32, 33]))
def test_algorithms_stay_within_the_memory_bounds(collective, algorithm, ranks):
    """No step holds more transfers, and no more pairs talk, than memory's bounds say; Bruck
    all-to-all's steps and pairwise exchanges' pairs reach theirs."""
    info = CATALOGUE[collective][algorithm]
    result = Simulation.count_only(collective, ranks=ranks, count=2 * ranks + 1,
                                   algorithm=algorithm, keep_transfers=True,
                                   segments=3 if info.pipelines else 1).run()
    widest = max((len(record.transfers) for record in result.steps), default=0)
    assert widest <= memory.transfers_per_step(collective, algorithm, ranks)
    assert len(result.pairs) <= memory.talking_pairs(collective, algorithm, ranks)
    if (collective, algorithm) == ("alltoall", "bruck") and ranks > 3:
        assert widest > 2 * ranks
    if algorithm == "pairwise":
        assert len(result.pairs) == ranks * (ranks - 1)


def test_estimate_names_each_part():
    """A data run's estimate: the buffers, one step, the pairs, the records and, when kept,
    every step's transfers, from the formulas in memory's docstring."""
    problem = Problem("allreduce", 4, (10,), np.dtype("float64"))
    footprint = memory.estimate(problem, "ring", data=True, keep_transfers=True, steps=6)
    assert footprint.parts == {
        "data": 4 * 8 * (2 * 10 + 3 * 10),
        "step": memory.STEP_BYTES_PER_TRANSFER * 8,
        "pairs": memory.PAIR_BYTES * 4 * (2 + 2),
        "records": memory.RECORD_BYTES * 6,
        "kept steps": memory.KEPT_BYTES_PER_TRANSFER * 8 * 6,
    }
    assert footprint.total == sum(footprint.parts.values())
    assert footprint.describe() == ("kept steps 9.4 KiB + step 2.5 KiB + records 2.3 KiB + "
                                    "data 1.6 KiB + pairs 1.0 KiB")


def test_count_only_ring_at_100_000_ranks_is_accepted_up_front(small_machine):
    """Count-only ring all-reduce on 100,000 ranks (the N x N matrix alone was 74.5 GiB)
    fits in 1 GiB by the estimate and starts."""
    n = 100_000
    problem = Problem("allreduce", n, (1024,), np.dtype("float32"))
    assert memory.estimate(problem, "ring", data=False, steps=2 * (n - 1)).total < GIB
    simulation = Simulation.count_only("allreduce", ranks=n, count=1024, algorithm="ring")
    assert simulation.step().messages == n


@pytest.mark.parametrize(("call", "message"), [
    (dict(collective="alltoall", algorithm="pairwise", ranks=100_000),
     r"count-only run of alltoall 'pairwise' on 100000 ranks to fit in the 1\.0 GiB of memory "
     r"available, got an estimate of 596\.1 GiB \(pairs 596\.0 GiB \+ step"),
    (dict(collective="alltoall", algorithm="bruck", ranks=16384),
     r"got an estimate of 80\.0 GiB \(step 80\.0 GiB"),
    (dict(collective="allreduce", algorithm="ring", ranks=20_000, keep_transfers=True),
     r"\(kept steps 298\.0 GiB .*; use fewer ranks or elements, or keep_transfers=False"),
])
def test_a_run_that_cannot_fit_is_refused_up_front(small_machine, call, message):
    """Count-only runs whose pairs, steps or kept steps cannot fit are refused before they
    start, with the estimate and its largest part."""
    with pytest.raises(InvalidInputError, match=message):
        Simulation.count_only(count=8, **call)


def test_a_data_run_that_cannot_fit_is_refused_before_its_inputs(small_machine, capsys):
    """``sim`` with 2 GiB of inputs on 1 GiB exits 2 with one line that gives the estimate and
    suggests count-only mode, before making any input."""
    assert main(["sim", "allreduce", "-a", "ring", "-n", "16", "-c", str(2**25)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "got an estimate of 10.0 GiB (data 10.0 GiB" in err
    assert err.rstrip().endswith("use fewer ranks or elements, or count-only mode")


def test_the_cli_refuses_what_cannot_fit_in_one_line(small_machine, capsys):
    """``sim alltoall -a pairwise -n 100000`` exits 2 with the estimate, no traceback."""
    assert main(["sim", "alltoall", "-a", "pairwise", "-n", "100000"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: expected a count-only run of alltoall 'pairwise' on 100000 "
                          "ranks to fit") and "Traceback" not in err


def test_a_memory_error_ends_the_command_in_one_line(monkeypatch, capsys):
    """A MemoryError the estimate did not foresee ends the command with exit 2 and one line."""
    def exhausted(args):
        raise MemoryError
    monkeypatch.setattr("collectives.cli.sim.simulate_call", exhausted)
    assert main(["sim", "allreduce", "-a", "ring", "-n", "4"]) == 2
    assert capsys.readouterr().err == ("error: expected the command to fit in memory, got a "
                                       "MemoryError; use fewer ranks or smaller sizes\n")


def test_a_simulation_knows_the_steps_to_expect():
    """The reference's step count, for the bar's total: 2(N - 1) for ring all-reduce, none for
    a custom schedule."""
    assert Simulation.count_only("allreduce", ranks=5, count=5,
                                 algorithm="ring").expected_steps == 8
    custom = Simulation.count_only("allreduce", ranks=5, count=5, algorithm="mine",
                                   schedule=lambda problem: iter(()))
    assert custom.expected_steps is None


def test_run_steps_gives_the_run_result():
    """run_steps (the command's run behind a bar) gives what run() gives."""
    def simulation() -> Simulation:
        return Simulation.count_only("allgather", ranks=7, count=3, algorithm="bruck")

    stepped, ran = run_steps(simulation(), desc="x", total=3), simulation().run()
    assert stepped.num_steps == ran.num_steps == math.ceil(math.log2(7))
    np.testing.assert_array_equal(stepped.traffic, ran.traffic)
    np.testing.assert_array_equal(stepped.bytes_sent, ran.bytes_sent)
