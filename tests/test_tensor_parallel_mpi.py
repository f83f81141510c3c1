"""The tensor-parallel blocks under MPI (3 ranks, an N that needs h = 48 and 12 heads): the same
answers as the unsplit blocks and the same bytes as the simulator."""

from __future__ import annotations

import pytest

from collectives.errors import InvalidInputError
from collectives.tensor_parallel import ParallelAttention, ParallelMLP, run_simulated
from collectives.tensor_parallel.step import ModelConfig, make_data, training_step

CONFIG = ModelConfig(batch=2, seq=5, hidden=48, heads=12, causal=True)


@pytest.mark.parallel(3)
def test_blocks_over_mpi_match_the_simulator_and_refuse_split_heads():
    """On 3 MPI ranks both blocks equal the unsplit ones (output, dX, every shard's gradients),
    and every all-reduce's label, shape and bytes sent equal the simulated run's, which are
    2(N−1)/N·bsh·8 = 10240 bytes; an N that splits no whole heads is refused by both blocks
    before any message (one launch for both)."""
    from mpi4py import MPI

    from collectives.tensor_parallel.mpi_backend import MpiGroup

    group = MpiGroup(MPI.COMM_WORLD)
    report = training_step(group, CONFIG)
    assert report.blocks["mlp"].matches, report.blocks["mlp"].worst_error
    assert report.blocks["attention"].matches, report.blocks["attention"].worst_error
    simulated = run_simulated(3, lambda sim_group: training_step(sim_group, CONFIG))
    assert report.records == simulated[group.rank].records
    assert [r.bytes_sent for r in report.records] == [2 * 2 * 2 * 5 * 48 * 8 // 3] * 4

    # h = 64 with 4 heads on 3 ranks: both blocks say what N must divide, on every rank,
    # before any message is sent (a fresh group, so nothing is recorded).
    group = MpiGroup(MPI.COMM_WORLD)
    data = make_data(ModelConfig(hidden=64, heads=4))
    with pytest.raises(InvalidInputError, match="hidden size 4h divisible by the 3"):
        ParallelMLP.from_full(data.mlp, group)
    with pytest.raises(InvalidInputError, match="head count divisible by the 3"):
        ParallelAttention.from_full(data.attention, 4, group)
    assert group.records == []


@pytest.mark.parallel(2)
def test_layer_over_mpi_matches_the_simulator_in_every_variant():
    """On 2 MPI ranks the whole layer, tensor parallel and tensor + sequence parallel, equals
    the unsplit layer; every call's label, collective, shape and bytes, and the activation bytes
    each rank keeps, equal the simulated run's; the bytes are (t−1)/t·K per reduce-scatter or
    all-gather and the memory the paper's formulas; a sequence length 2 does not divide is
    refused before any message."""
    from mpi4py import MPI

    from collectives.tensor_parallel.layer_step import LayerConfig, layer_step
    from collectives.tensor_parallel.memory import paper_formula
    from collectives.tensor_parallel.mpi_backend import MpiGroup

    config = LayerConfig(batch=2, seq=6, hidden=24, heads=6, keep_prob=0.8)
    group = MpiGroup(MPI.COMM_WORLD)
    report = layer_step(group, config)
    simulated = run_simulated(2, lambda sim_group: layer_step(sim_group, config))[group.rank]
    k = 2 * 6 * 24 * 8
    for variant, result in report.variants.items():
        assert result.matches, (variant, result.worst_error)
        assert result.records == simulated.variants[variant].records
        assert result.stored == simulated.variants[variant].stored == paper_formula(
            variant, batch=2, seq=6, hidden=24, heads=6, ranks=2)
        for record in result.records:
            if record.collective != "allreduce":
                assert record.bytes_sent == k // 2  # (t−1)/t·K at t = 2

    group = MpiGroup(MPI.COMM_WORLD)
    with pytest.raises(InvalidInputError, match="sequence length divisible by t = 2"):
        layer_step(group, LayerConfig(seq=5))
    assert group.records == []
