"""Sequence parallelism on the simulated world: the whole transformer layer (tensor parallel,
tensor + sequence parallel) against the unsplit layer, the bytes every call and block sends
against the ring formulas, and the activation bytes each rank keeps against Korthikanti et al.'s
formulas."""

from __future__ import annotations

import numpy as np
import pytest
from gradients import numeric_gradient
from hypothesis import given
from hypothesis import strategies as st

from collectives.errors import InvalidInputError
from collectives.tensor_parallel import run_simulated
from collectives.tensor_parallel.layer import (
    ParallelTransformerLayer,
    sequence_slice,
    shard_layer_params,
)
from collectives.tensor_parallel.layer_reference import (
    init_layer_params,
    layer_backward,
    layer_forward,
    layer_mask_shapes,
)
from collectives.tensor_parallel.layer_step import (
    VARIANT_OPTIONS,
    LayerConfig,
    layer_step,
    make_layer_data,
)
from collectives.tensor_parallel.memory import (
    TERMS,
    VARIANTS,
    paper_formula,
    stored_bytes,
    term_formula,
)
from collectives.tensor_parallel.norm import dropout_masks
from collectives.tensor_parallel.volume import HALF_CALLS_PER_BLOCK, ring_collective_bytes

ITEMSIZE = 8


def test_reference_layer_gradients_match_finite_differences():
    """The unsplit layer's dx and every parameter gradient (layer norms, dropouts, residuals
    included) equal central differences of Σ y ⊙ dy."""
    b, s, h, heads, keep = 1, 4, 8, 2, 0.75
    rng = np.random.default_rng(5)
    params = init_layer_params(h, rng)
    x, dy = rng.standard_normal((b, s, h)), rng.standard_normal((b, s, h))
    masks = dropout_masks(layer_mask_shapes(b, s, h, heads), keep, 9)
    assert not all(m.all() for m in masks.values())  # some elements really are dropped

    def loss() -> float:
        return float((layer_forward(params, x, masks, heads, causal=True,
                                    keep_prob=keep)[0] * dy).sum())

    _, cache = layer_forward(params, x, masks, heads, causal=True, keep_prob=keep)
    dx, grads = layer_backward(params, cache, dy)
    np.testing.assert_allclose(dx, numeric_gradient(loss, x), rtol=1e-6, atol=1e-8)
    for name, grad in grads.items():
        np.testing.assert_allclose(grad, numeric_gradient(loss, params[name]), rtol=1e-6,
                                   atol=1e-8, err_msg=name)


def _run_layer(config: LayerConfig, ranks: int, variant: str):
    """Each rank's (y, dx, grads, records, stored bytes) for one step of ``variant``."""
    data = make_layer_data(config)
    options = VARIANT_OPTIONS[variant]

    def program(group):
        layer = ParallelTransformerLayer.from_full(data.params, config.heads, group,
                                                   causal=config.causal,
                                                   keep_prob=config.keep_prob, **options)
        mine = (lambda a: sequence_slice(a, ranks, group.rank)) if options["sequence"] \
            else (lambda a: a)
        y, cache = layer.forward(group, mine(data.x), data.masks)
        dx, grads = layer.backward(group, cache, mine(data.d_out))
        return y, dx, grads, list(group.records), stored_bytes(cache)

    return data, run_simulated(ranks, program)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("ranks", [1, 2, 4])
def test_parallel_layer_equals_the_unsplit_layer(ranks, variant):
    """On t = 1, 2, 4 ranks, every variant's y and dx (whole, or the rank's positions) and
    every shard's gradients equal the unsplit layer's to float64 rounding."""
    config = LayerConfig(batch=2, seq=8, hidden=32, heads=4, keep_prob=0.8, seed=3)
    data, results = _run_layer(config, ranks, variant)
    y, cache = layer_forward(data.params, data.x, data.masks, config.heads, causal=True,
                             keep_prob=config.keep_prob)
    dx, grads = layer_backward(data.params, cache, data.d_out)
    sequence = VARIANT_OPTIONS[variant]["sequence"]
    for rank, (got_y, got_dx, got_grads, _, _) in enumerate(results):
        def mine(a: np.ndarray, rank: int = rank) -> np.ndarray:
            return sequence_slice(a, ranks, rank) if sequence else a

        np.testing.assert_allclose(got_y, mine(y), rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(got_dx, mine(dx), rtol=1e-11, atol=1e-12)
        want = shard_layer_params(grads, config.heads, ranks, rank)
        assert sorted(got_grads) == sorted(want)
        for name in want:
            np.testing.assert_allclose(got_grads[name], want[name], rtol=1e-10,
                                       atol=1e-12 * np.abs(want[name]).max(), err_msg=name)


@given(ranks=st.sampled_from([1, 2, 4]), batch=st.integers(1, 2), per_rank=st.integers(1, 3),
       heads_per_rank=st.integers(1, 2), width=st.sampled_from([2, 4]),
       keep=st.sampled_from([0.5, 0.9, 1.0]), causal=st.booleans(), seed=st.integers(0, 99))
def test_layer_step_matches_and_keeps_the_formula_bytes(ranks, batch, per_rank, heads_per_rank,
                                                        width, keep, causal, seed):
    """For any shape t divides, every variant equals the unsplit layer, and what each rank's
    forward pass keeps is, in the paper's bytes, sbh(10 + 24/t + 5as/ht),
    (sbh/t)(34 + 5as/h), or the latter + 4sbh(t − 1)/t, term by term."""
    heads = heads_per_rank * ranks
    config = LayerConfig(batch=batch, seq=per_rank * ranks, hidden=heads * width, heads=heads,
                         causal=causal, keep_prob=keep, seed=seed)
    sizes = dict(batch=batch, seq=config.seq, hidden=config.hidden, heads=heads, ranks=ranks)
    for report in run_simulated(ranks, lambda group: layer_step(group, config)):
        for variant, result in report.variants.items():
            assert result.matches, (variant, result.worst_error)
            assert result.stored == paper_formula(variant, **sizes)
            assert result.terms == {t.name: term_formula(t, variant, **sizes) for t in TERMS}


def test_the_memory_formulas_at_t_1_2_4():
    """The paper's formulas for b = 2, s = 16, h = 64, a = 4 (sbh = 2048, 5as²b = 10240):
    34sbh + 5as²b = 79872 bytes at t = 1 for all; tensor parallel 10sbh + (24sbh + 5as²b)/t,
    sequence parallel all of it over t, plus 4sbh(t − 1)/t with the inputs kept."""
    sizes = dict(batch=2, seq=16, hidden=64, heads=4)
    assert [paper_formula("tensor", **sizes, ranks=t) for t in (1, 2, 4)] == \
        [79872, 20480 + 59392 // 2, 20480 + 59392 // 4]
    assert [paper_formula("sequence", **sizes, ranks=t) for t in (1, 2, 4)] == \
        [79872, 39936, 19968]
    assert [paper_formula("sequence, inputs kept", **sizes, ranks=t) for t in (1, 2, 4)] == \
        [79872, 39936 + 4096, 19968 + 6144]


@pytest.mark.parametrize("ranks", [1, 2, 4])
def test_bytes_per_call_and_per_block_equal_the_ring_formulas(ranks):
    """Every reduce-scatter and all-gather sends (t−1)/t·K per rank and every all-reduce
    2(t−1)/t·K (the reference cost of the ring); per block, inference sends 2(t−1)/t·K in every
    variant, training 4(t−1)/t·K under tensor parallelism and with the inputs kept, 5(t−1)/t·K
    when the saved slice is gathered again."""
    config = LayerConfig(batch=2, seq=8, hidden=32, heads=4)
    count = config.batch * config.seq * config.hidden
    k = count * ITEMSIZE
    for variant in VARIANTS:
        _, results = _run_layer(config, ranks, variant)
        for rank, (_, _, _, records, _) in enumerate(results):
            for record in records:
                if record.label == "norms.grads":
                    assert record.shape == (4 * config.hidden,)
                    continue
                assert record.shape == (config.batch, config.seq, config.hidden)
                want = ring_collective_bytes(record.collective, count, ranks, ITEMSIZE)[rank]
                assert record.bytes_sent == want
                halves = 2 if record.collective == "allreduce" else 1
                assert record.bytes_sent == halves * (ranks - 1) * k // ranks
            for block in ("mlp", "attention"):
                calls = [r for r in records if r.label.startswith(f"{block}.")]
                forward = sum(r.bytes_sent for r in calls if r.label.endswith(".forward"))
                both = sum(r.bytes_sent for r in calls)
                halves = HALF_CALLS_PER_BLOCK[variant]
                assert forward == halves["inference"] * (ranks - 1) * k // ranks
                assert both == halves["training"] * (ranks - 1) * k // ranks


def test_sequence_variants_send_the_tensor_variants_bytes():
    """Per block, forward, the sequence variants send exactly what tensor parallelism does; in
    training too when the gathered inputs are kept, and one all-gather more when re-gathered."""
    config = LayerConfig(batch=2, seq=8, hidden=32, heads=4)
    reports = run_simulated(4, lambda group: layer_step(group, config))
    for report in reports:
        sent = {v: {(r.label.split(".")[0], r.label.endswith(".forward")): 0
                    for r in report.variants[v].records} for v in VARIANTS}
        for variant in VARIANTS:
            for r in report.variants[variant].records:
                sent[variant][(r.label.split(".")[0], r.label.endswith(".forward"))] += \
                    r.bytes_sent
        for block in ("mlp", "attention"):
            tensor = sent["tensor"][(block, True)]
            assert sent["sequence"][(block, True)] == tensor
            assert sent["sequence, inputs kept"][(block, True)] == tensor
            assert sent["sequence, inputs kept"][(block, False)] == sent["tensor"][(block, False)]
            assert sent["sequence"][(block, False)] == sent["tensor"][(block, False)] + tensor // 2


def test_a_sequence_length_t_does_not_divide_is_refused():
    """s = 6 on 4 ranks: the layer step, the slicing and the layer's forward pass say the
    sequence length must be divisible by t, before any message."""
    with pytest.raises(InvalidInputError,
                       match=r"expected a sequence length divisible by t = 4 .*, got 6"):
        run_simulated(4, lambda group: layer_step(group, LayerConfig(seq=6)))
    data = make_layer_data(LayerConfig(batch=1, seq=6, hidden=16, heads=4))

    def program(group):
        layer = ParallelTransformerLayer.from_full(data.params, 4, group, sequence=True)
        with pytest.raises(InvalidInputError, match="sequence length divisible by t = 4"):
            layer.forward(group, data.x[:, :2], data.masks)
        with pytest.raises(InvalidInputError, match="sequence length divisible by t = 4"):
            sequence_slice(data.x, 4, group.rank)
        return group.records

    assert run_simulated(4, program) == [[]] * 4


def test_the_layer_refuses_an_input_that_is_not_its_positions():
    """Given the whole x where it needs its s/t positions (or the reverse), the layer says
    which shape it expected, before any message."""
    data = make_layer_data(LayerConfig(batch=1, seq=8, hidden=16, heads=4))

    def program(group):
        layer = ParallelTransformerLayer.from_full(data.params, 4, group, sequence=True)
        with pytest.raises(InvalidInputError, match=r"expected x of shape \[b, 2, h\].*"
                                                    r"got \[1, 8, 16\]"):
            layer.forward(group, data.x, data.masks)
        layer = ParallelTransformerLayer.from_full(data.params, 4, group)
        with pytest.raises(InvalidInputError, match=r"expected x of shape \[b, 8, h\]"):
            layer.forward(group, data.x[:, :2], data.masks)
        return group.records

    assert run_simulated(4, program) == [[]] * 4


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_group_reduce_scatter_and_allgather_along_an_axis(axis):
    """reduce_scatter gives rank r the r-th part along ``axis`` of the sum; allgather of those
    parts gives the sum back, on every rank."""
    rng = np.random.default_rng(axis + 7)
    inputs = [rng.standard_normal((4, 8, 12)) for _ in range(4)]
    total = sum(inputs)

    def program(group):
        part = group.reduce_scatter(inputs[group.rank], axis=axis, label="rs")
        return part, group.allgather(part, axis=axis, label="ag")

    for rank, (part, whole) in enumerate(run_simulated(4, program)):
        np.testing.assert_allclose(part, np.split(total, 4, axis=axis)[rank], rtol=1e-13)
        np.testing.assert_allclose(whole, total, rtol=1e-13)


def test_group_refuses_an_axis_the_ranks_do_not_divide():
    """A reduce-scatter along an axis of length 6 on 4 ranks is refused with the length."""
    def program(group):
        with pytest.raises(InvalidInputError, match="divisible by the 4 ranks, got 6"):
            group.reduce_scatter(np.zeros((2, 6)), axis=1, label="rs")
        return True

    assert run_simulated(4, program) == [True] * 4
