"""Tensor-parallel MLP and attention blocks on the simulator: the unsplit reference against
finite differences, the split blocks against the reference, and the bytes every all-reduce moves
against the ring formula."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from gradients import numeric_gradient

from collectives.costs import reference_cost
from collectives.errors import InvalidInputError, MismatchError
from collectives.ops import resolve_op
from collectives.sim import SIM_ALGORITHMS
from collectives.spec import Problem
from collectives.tensor_parallel import (
    ParallelAttention,
    ParallelMLP,
    attention_backward,
    attention_forward,
    decoder_parameters,
    decoder_parameters_per_rank,
    gelu,
    gelu_derivative,
    init_attention_params,
    init_mlp_params,
    mlp_backward,
    mlp_forward,
    ring_allreduce_bytes,
    ring_formula_bytes,
    run_simulated,
    shard_attention_params,
    shard_mlp_params,
)
from collectives.tensor_parallel.sim_backend import SimWorld
from collectives.tensor_parallel.volume import block_volume_elements, layer_parameters

ITEMSIZE = 8


def _data(batch: int, seq: int, hidden: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    shape = (batch, seq, hidden)
    return (init_mlp_params(hidden, rng), init_attention_params(hidden, rng),
            rng.standard_normal(shape), rng.standard_normal(shape))


def _assert_close(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.shape == want.shape, what
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-12 * np.abs(want).max(),
                               err_msg=what)


# -- the unsplit reference --------------------------------------------------------------------

def test_gelu_derivative_matches_finite_differences():
    """gelu_derivative is the derivative of the tanh-form gelu."""
    x = np.linspace(-6.0, 6.0, 241)
    eps = 1e-6
    numeric = (gelu(x + eps) - gelu(x - eps)) / (2 * eps)
    np.testing.assert_allclose(gelu_derivative(x), numeric, atol=1e-8)


def test_gelu_is_close_to_the_erf_form():
    """The tanh form stays within 1e-3 of x·Φ(x), the form it approximates."""
    x = np.linspace(-6.0, 6.0, 241)
    exact = np.array([0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0))) for v in x])
    assert np.abs(gelu(x) - exact).max() < 1e-3


def test_reference_mlp_gradients_match_finite_differences():
    """The unsplit MLP's dX and every parameter gradient equal central differences."""
    params, _, x, weights = _data(batch=1, seq=3, hidden=4)

    def loss() -> float:
        return float((mlp_forward(params, x)[0] * weights).sum())

    _, cache = mlp_forward(params, x)
    dx, grads = mlp_backward(params, cache, weights)
    np.testing.assert_allclose(dx, numeric_gradient(loss, x), rtol=1e-6, atol=1e-8)
    for name, value in params.items():
        np.testing.assert_allclose(grads[name], numeric_gradient(loss, value), rtol=1e-6,
                                   atol=1e-8, err_msg=name)


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_reference_attention_gradients_match_finite_differences(causal):
    """The unsplit attention's dX and every parameter gradient equal central differences."""
    _, params, x, weights = _data(batch=2, seq=3, hidden=4)

    def loss() -> float:
        return float((attention_forward(params, x, 2, causal=causal)[0] * weights).sum())

    _, cache = attention_forward(params, x, 2, causal=causal)
    dx, grads = attention_backward(params, cache, weights)
    np.testing.assert_allclose(dx, numeric_gradient(loss, x), rtol=1e-6, atol=1e-8)
    for name, value in params.items():
        np.testing.assert_allclose(grads[name], numeric_gradient(loss, value), rtol=1e-6,
                                   atol=1e-8, err_msg=name)


def test_causal_attention_ignores_later_positions():
    """With the causal mask, changing the last position leaves the earlier outputs alone."""
    _, params, x, _ = _data(batch=1, seq=4, hidden=8)
    before = attention_forward(params, x, 2, causal=True)[0]
    x[:, -1] += 1.0
    after = attention_forward(params, x, 2, causal=True)[0]
    np.testing.assert_array_equal(before[:, :-1], after[:, :-1])
    assert not np.allclose(before[:, -1], after[:, -1])


# -- the split blocks against the reference ---------------------------------------------------

# h = 48 and 12 heads: 4h and the head count divide by 1, 2, 3 and 4.
BATCH, SEQ, HIDDEN, HEADS = 2, 5, 48, 12


@pytest.mark.parametrize("ranks", [1, 2, 3, 4])
def test_parallel_mlp_equals_the_unsplit_mlp(ranks):
    """Z, dX and every rank's gradients of A_r, a_r, B_r, b equal the unsplit MLP's."""
    params, _, x, dz = _data(BATCH, SEQ, HIDDEN)
    z_ref, cache = mlp_forward(params, x)
    dx_ref, grads_ref = mlp_backward(params, cache, dz)

    def program(group):
        mlp = ParallelMLP.from_full(params, group)
        z, rank_cache = mlp.forward(group, x)
        return z, *mlp.backward(group, rank_cache, dz)

    for rank, (z, dx, grads) in enumerate(run_simulated(ranks, program)):
        _assert_close(z, z_ref, f"rank {rank} Z")
        _assert_close(dx, dx_ref, f"rank {rank} dX")
        want = shard_mlp_params(grads_ref, ranks, rank)
        assert grads.keys() == want.keys()
        for name in want:
            _assert_close(grads[name], want[name], f"rank {rank} d{name}")


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("ranks", [1, 2, 3, 4])
def test_parallel_attention_equals_the_unsplit_attention(ranks, causal):
    """The output, dX and every rank's gradients of its QKV and W_O shards equal the unsplit
    attention's."""
    _, params, x, d_out = _data(BATCH, SEQ, HIDDEN)
    out_ref, cache = attention_forward(params, x, HEADS, causal=causal)
    dx_ref, grads_ref = attention_backward(params, cache, d_out)

    def program(group):
        attention = ParallelAttention.from_full(params, HEADS, group, causal=causal)
        out, rank_cache = attention.forward(group, x)
        return out, *attention.backward(group, rank_cache, d_out)

    for rank, (out, dx, grads) in enumerate(run_simulated(ranks, program)):
        _assert_close(out, out_ref, f"rank {rank} output")
        _assert_close(dx, dx_ref, f"rank {rank} dX")
        want = shard_attention_params(grads_ref, HEADS, ranks, rank)
        assert grads.keys() == want.keys()
        for name in want:
            _assert_close(grads[name], want[name], f"rank {rank} d{name}")


def test_attention_shards_hold_whole_heads():
    """Rank r's fused QKV shard is the columns of heads r·H/N .. (r+1)·H/N of W_Q, W_K and
    W_V."""
    _, params, _, _ = _data(1, 1, 12)
    shard = shard_attention_params(params, heads=6, size=3, rank=1)
    w_q, w_k, w_v = np.split(params["qkv.weight"], 3, axis=1)
    columns = slice(4, 8)  # heads 2 and 3, of width 2
    np.testing.assert_array_equal(
        shard["qkv.weight"], np.concatenate([w_q[:, columns], w_k[:, columns],
                                             w_v[:, columns]], axis=1))
    np.testing.assert_array_equal(shard["proj.weight"], params["proj.weight"][columns])


def test_every_rank_holds_identical_outputs():
    """After g's all-reduce every rank holds the same Z, bit for bit."""
    params, _, x, _ = _data(BATCH, SEQ, HIDDEN)
    outputs = run_simulated(4, lambda group: ParallelMLP.from_full(params, group)
                            .forward(group, x)[0])
    for z in outputs[1:]:
        np.testing.assert_array_equal(z, outputs[0])


def test_mlp_refuses_ranks_that_do_not_divide_4h():
    """h = 64 cannot split over 3 ranks: 4h = 256 is not divisible by 3."""
    params, _, _, _ = _data(1, 1, 64)
    with pytest.raises(InvalidInputError,
                       match=r"hidden size 4h divisible by the 3 .* got 256"):
        run_simulated(3, lambda group: ParallelMLP.from_full(params, group))


def test_attention_refuses_ranks_that_do_not_divide_the_heads():
    """4 heads cannot split over 3 ranks, each rank owning whole heads."""
    _, params, _, _ = _data(1, 1, 64)
    with pytest.raises(InvalidInputError,
                       match=r"head count divisible by the 3 .*whole heads.*got 4"):
        run_simulated(3, lambda group: ParallelAttention.from_full(params, 4, group))


def test_attention_refuses_heads_that_do_not_divide_h():
    """10 heads cannot cut h = 64 into whole heads."""
    _, params, x, _ = _data(1, 2, 64)
    with pytest.raises(InvalidInputError, match="divides the hidden size 64, got 10"):
        attention_forward(params, x, 10)


# -- bytes moved ------------------------------------------------------------------------------

def _block_records(ranks: int, hidden: int, heads: int, batch: int, seq: int,
                   algorithm: str = "ring"):
    """Every rank's all-reduce records after one training step of both blocks."""
    mlp_params, attention_params, x, dz = _data(batch, seq, hidden)

    def program(group):
        for block in (ParallelMLP.from_full(mlp_params, group),
                      ParallelAttention.from_full(attention_params, heads, group)):
            _, cache = block.forward(group, x)
            block.backward(group, cache, dz)
        return group.records

    return run_simulated(ranks, program, algorithm=algorithm)


@pytest.mark.parametrize("ranks", [1, 2, 4])
def test_ring_bytes_per_allreduce_equal_the_formula(ranks):
    """b = 2, s = 16, h = 64: each rank sends exactly 2(N−1)/N·bsh·8 bytes per all-reduce,
    one all-reduce per block forward (g) and one backward (f)."""
    batch, seq, hidden = 2, 16, 64
    bsh = batch * seq * hidden
    per_allreduce = 2 * (ranks - 1) * bsh * ITEMSIZE // ranks
    assert per_allreduce == ring_formula_bytes(bsh, ranks, ITEMSIZE)
    for records in _block_records(ranks, hidden, 4, batch, seq):
        assert [r.label for r in records] == ["mlp.g.forward", "mlp.f.backward",
                                              "attention.g.forward", "attention.f.backward"]
        assert all(r.shape == (batch, seq, hidden) for r in records)
        assert [r.bytes_sent for r in records] == [per_allreduce] * 4


@pytest.mark.parametrize("ranks", [1, 2, 4])
def test_block_volume_against_2bsh_and_4bsh(ranks):
    """Per rank and block: inference moves (N−1)/N of 2bsh elements, training (N−1)/N of 4bsh."""
    batch, seq, hidden = 2, 16, 64
    records = _block_records(ranks, hidden, 4, batch, seq)[0]
    for block in ("mlp", "attention"):
        forward = sum(r.bytes_sent for r in records if r.label == f"{block}.g.forward")
        both = sum(r.bytes_sent for r in records if r.label.startswith(f"{block}."))
        for sent, mode in ((forward, "inference"), (both, "training")):
            textbook = block_volume_elements(batch, seq, hidden, mode) * ITEMSIZE
            assert sent * ranks == textbook * (ranks - 1)


def test_ring_bytes_with_uneven_chunks():
    """h = 6 on 4 ranks (bsh = 18, not divisible by 4): rank r sends 2K − c(r+1) − c(r+2), and
    the ranks together 2(N−1)K, per all-reduce."""
    params, _, x, dz = _data(1, 3, 6)

    def program(group):
        mlp = ParallelMLP.from_full(params, group)
        _, cache = mlp.forward(group, x)
        mlp.backward(group, cache, dz)
        return [r.bytes_sent for r in group.records]

    sent = np.array(run_simulated(4, program))  # [rank, call]
    nbytes = 18 * ITEMSIZE
    chunks = np.array([5, 5, 4, 4])
    ranks = np.arange(4)
    expected = 2 * nbytes - (chunks[(ranks + 1) % 4] + chunks[(ranks + 2) % 4]) * ITEMSIZE
    np.testing.assert_array_equal(expected, [216, 224, 216, 208])
    for call in range(2):
        np.testing.assert_array_equal(sent[:, call], expected)
        np.testing.assert_array_equal(sent[:, call], ring_allreduce_bytes(18, 4, ITEMSIZE))
        assert sent[:, call].sum() == 2 * 3 * nbytes


@pytest.mark.parametrize("algorithm", SIM_ALGORITHMS.names("allreduce"))
def test_any_allreduce_algorithm_gives_the_same_blocks(algorithm):
    """Every registered all-reduce algorithm gives the unsplit MLP's Z, and each rank sends
    what the reference cost table says for it."""
    params, _, x, _ = _data(BATCH, SEQ, HIDDEN)
    z_ref = mlp_forward(params, x)[0]

    def program(group):
        z, _ = ParallelMLP.from_full(params, group).forward(group, x)
        return z, group.records[0].bytes_sent

    results = run_simulated(4, program, algorithm=algorithm)
    problem = Problem("allreduce", 4, (BATCH * SEQ * HIDDEN,), np.dtype("float64"),
                      op=resolve_op("sum"))
    expected = reference_cost(problem, algorithm).bytes_sent
    for rank, (z, sent) in enumerate(results):
        _assert_close(z, z_ref, f"rank {rank} Z")
        assert sent == expected[rank]


# -- the lockstep runner ----------------------------------------------------------------------

def test_ranks_that_disagree_on_the_call_fail():
    """Rank 1 calling a different all-reduce than the others is a MismatchError naming both."""
    def program(group):
        label = "other" if group.rank == 1 else "same"
        return group.allreduce(np.ones(3), label=label)

    with pytest.raises(MismatchError, match=r"rank 0: 'same', rank 1: 'other'"):
        run_simulated(3, program)


def test_a_rank_that_stops_early_fails_instead_of_hanging():
    """A rank that finishes while the others all-reduce is reported, not waited for."""
    def program(group):
        if group.rank:
            group.allreduce(np.ones(3), label="late")

    with pytest.raises(MismatchError, match="program finished"):
        run_simulated(2, program)


def test_an_error_on_one_rank_reaches_the_caller():
    """An exception raised by one rank's program is raised by run()."""
    def program(group):
        if group.rank == 2:
            raise RuntimeError("rank 2 broke")
        group.allreduce(np.ones(3), label="x")

    with pytest.raises(RuntimeError, match="rank 2 broke"):
        run_simulated(4, program)


def test_a_world_runs_twice():
    """A SimWorld can run a second program after the first, with fresh logs."""
    world = SimWorld(2)
    world.run(lambda group: group.allreduce(np.arange(4.0), label="first"))
    sums = world.run(lambda group: group.allreduce(np.arange(4.0) * (group.rank + 1),
                                                   label="second"))
    np.testing.assert_array_equal(sums[0], np.arange(4.0) * 3)


# -- parameters -------------------------------------------------------------------------------

def test_layer_parameters_add_up_to_12h2_plus_13h():
    """Attention, MLP and layer norms of the built blocks give 12h² + 13h per layer."""
    hidden = 64
    mlp_params, attention_params, _, _ = _data(1, 1, hidden)
    built = layer_parameters(hidden)
    assert sum(p.size for p in attention_params.values()) == built["attention"]
    assert sum(p.size for p in mlp_params.values()) == built["mlp"]
    assert sum(built.values()) == 12 * hidden**2 + 13 * hidden
    assert decoder_parameters(3, hidden, 100) == 3 * (12 * hidden**2 + 13 * hidden) + 100 * hidden


@pytest.mark.parametrize("ranks", [1, 2, 4])
def test_parameters_per_rank_are_the_shards(ranks):
    """A rank's shards plus its layer norms (4h) and embedding rows (Vh/N) give
    n(12h²/N + 7h/N + 6h) + Vh/N, and N ranks hold the unsplit count plus (N − 1)·6h copies."""
    hidden, heads, vocab = 64, 4, 256
    mlp_params, attention_params, _, _ = _data(1, 1, hidden)
    for rank in range(ranks):
        held = sum(p.size for p in shard_mlp_params(mlp_params, ranks, rank).values())
        held += sum(p.size for p in shard_attention_params(attention_params, heads, ranks,
                                                           rank).values())
        held += 4 * hidden + vocab * hidden // ranks
        assert held == decoder_parameters_per_rank(1, hidden, vocab, ranks)
    per_rank = decoder_parameters_per_rank(1, hidden, vocab, ranks)
    assert ranks * per_rank == decoder_parameters(1, hidden, vocab) + (ranks - 1) * 6 * hidden


def test_importing_the_package_does_not_start_mpi():
    """collectives.tensor_parallel imports without mpi4py.MPI."""
    code = ("import sys, collectives.tensor_parallel, collectives.tensor_parallel.report\n"
            "assert 'mpi4py.MPI' not in sys.modules, 'mpi4py.MPI was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the plot ---------------------------------------------------------------------------------

def test_block_volume_plot_numbers_equal_the_ring_formula(tmp_path):
    """The plot writes a PNG and its measured bytes per block equal 2(N−1)/N·bsh·8 (inference)
    and twice that (training), below 2bsh·8 and 4bsh·8; the sequence-parallel blocks send the
    same forward and 5(N−1)/N·bsh·8 per training step (the saved slice gathered again)."""
    from collectives.tensor_parallel.plot import plot_block_volume

    path = tmp_path / "volume.png"
    volume = plot_block_volume(path, ranks=(1, 2, 4, 8))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bsh = 2 * 16 * 64
    assert volume.textbook == {"inference": 2 * bsh * ITEMSIZE, "training": 4 * bsh * ITEMSIZE}
    for block in ("mlp", "attention"):
        assert volume.measured[f"{block} inference"] == [0, 16384, 24576, 28672]
        assert volume.measured[f"{block} training"] == [2 * v for v in [0, 16384, 24576, 28672]]
        assert volume.sequence[f"{block} inference"] == [0, 16384, 24576, 28672]
        assert volume.sequence[f"{block} training"] == [5 * v // 2
                                                        for v in [0, 16384, 24576, 28672]]
    assert volume.sequence_formula == [0.0, 40960.0, 61440.0, 71680.0]
    assert volume.formula["inference"] == [0.0, 16384.0, 24576.0, 28672.0]
