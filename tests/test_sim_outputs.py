"""Every simulated algorithm gives numpy's answer, on every rank, for every dtype, op, root, N
and shape; with provenance on, every output element came from exactly the inputs it should."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sim_cases import (
    ALGORITHMS,
    OP_KINDS,
    OP_UFUNCS,
    RANKS,
    case_id,
    cases,
    input_shape,
    labelled_inputs,
    numpy_answer,
    runs_at,
)

from collectives.catalogue import REDUCING, ROOTED
from collectives.sim import Simulation, simulate
from collectives.spec import Problem

DTYPES = ["int8", "uint8", "int32", "int64", "float16", "float32", "float64", "complex64", "bool"]


def _assert_outputs_equal(got, want):
    """Same None-ness, shape, dtype and values (exactly) on every rank."""
    assert len(got) == len(want)
    for rank, (g, w) in enumerate(zip(got, want, strict=True)):
        if w is None:
            assert g is None, f"rank {rank} expected no result, got {g!r}"
            continue
        assert g is not None, f"rank {rank} expected a result, got None"
        assert g.shape == w.shape and g.dtype == w.dtype, f"rank {rank}"
        np.testing.assert_array_equal(g, w, err_msg=f"rank {rank}")


# Provenance keeps N × work × N × input counters; beyond this many, a case checks data only.
PROVENANCE_CELLS = 12_000_000


def _provenance_cells(collective: str, ranks: int, count: int) -> int:
    problem = Problem(collective, ranks, (count,), np.dtype("int64"))
    return ranks * problem.work_size * ranks * problem.input_count


@pytest.mark.parametrize("case", cases(), ids=case_id)
def test_every_case_gives_numpys_answer_and_its_provenance_holds(case):
    """Every algorithm, N, count and root: outputs equal numpy's answer exactly, the result says
    verified, and the provenance postcondition holds."""
    collective, algorithm, n, count, root = case
    inputs = labelled_inputs(collective, n, (count,), root)
    small = _provenance_cells(collective, n, count) <= PROVENANCE_CELLS
    result = simulate(collective, inputs, algorithm=algorithm, root=root, provenance=small)
    _assert_outputs_equal(result.outputs, numpy_answer(collective, inputs, root, np.add))
    assert result.verified is True
    assert result.provenance_checked is small


def test_provenance_covers_every_algorithm_and_n():
    """The cases above check provenance for every algorithm and every N, with a count above N."""
    checked = {(c, a, n) for c, a, n, count, _ in cases()
               if count > n and _provenance_cells(c, n, count) <= PROVENANCE_CELLS}
    assert checked == {(c, a, n) for c, a in ALGORITHMS for n in RANKS if runs_at(c, a, n)}


# -- hypothesis: dtypes, ops, shapes ------------------------------------------------------------

def _elements(dtype: np.dtype, op: str) -> st.SearchStrategy:
    """Values for which every order of combining gives the same bits: any integer (they wrap
    exactly), and for floats small dyadic numbers whose sums and products are exact."""
    if dtype.kind in "iub":
        return hnp.from_dtype(dtype)
    if op == "prod":
        parts = st.sampled_from([-1.0, 0.0, 1.0]) if dtype.kind == "c" else \
            st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])
    elif op == "sum":
        parts = st.integers(-16, 16).map(lambda i: i / 4)
    else:  # max, min
        parts = st.floats(-1e3, 1e3, width=16)
    if dtype.kind == "c":
        return st.builds(complex, parts, parts)
    return parts


@st.composite
def _calls(draw, collective: str, algorithm: str):
    """A random call: N (one the algorithm takes), root, dtype, an op valid for it, a block
    shape, and inputs."""
    n = draw(st.sampled_from([n for n in range(1, 10) if runs_at(collective, algorithm, n)]))
    root = draw(st.integers(0, n - 1)) if collective in ROOTED else 0
    if collective in REDUCING:
        dtype = np.dtype(draw(st.sampled_from(DTYPES)))
        op = draw(st.sampled_from([o for o, kinds in OP_KINDS.items() if dtype.kind in kinds]))
    else:
        dtype, op = np.dtype(draw(st.sampled_from(DTYPES))), None
    block = draw(st.one_of(st.just(()),
                           hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5)))
    shape = input_shape(collective, n, block)
    elements = _elements(dtype, op or "copy")
    inputs = [draw(hnp.arrays(dtype, shape, elements=elements))
              if collective not in ("broadcast", "scatter") or rank == root else None
              for rank in range(n)]
    return inputs, root, op


@pytest.mark.parametrize(("collective", "algorithm"), ALGORITHMS)
@given(data=st.data())
def test_random_calls_give_numpys_answer(collective, algorithm, data):
    """Random N, root, dtype, op valid for it, multi-dimensional blocks and values: the outputs
    equal numpy's answer exactly; provenance holds where the call is small."""
    inputs, root, op = data.draw(_calls(collective, algorithm))
    small = sum(x.size for x in inputs if x is not None) <= 400
    result = simulate(collective, inputs, algorithm=algorithm, root=root, op=op or "sum",
                      provenance=small)
    _assert_outputs_equal(result.outputs,
                          numpy_answer(collective, inputs, root, OP_UFUNCS.get(op or "")))
    assert result.verified is True


def test_int8_sum_wraps_like_c():
    """int8 sum of 4 × 100 is -112 on every rank, as C's wrapping arithmetic gives."""
    inputs = [np.full(5, 100, dtype=np.int8) for _ in range(4)]
    for algorithm in ("ring", "tree"):
        result = simulate("allreduce", inputs, algorithm=algorithm)
        assert all(out.dtype == np.int8 and out.tolist() == [-112] * 5 for out in result.outputs)


def test_uint8_prod_and_bxor_are_exact():
    """uint8 prod wraps modulo 256 and bxor is exact, whatever the order of combining."""
    inputs = [np.array([r + 2, 255 - r, 16 * r], dtype=np.uint8) for r in range(5)]
    prod = simulate("allreduce", inputs, algorithm="ring", op="prod").outputs[0]
    bxor = simulate("allreduce", inputs, algorithm="ring", op="bxor").outputs[0]
    assert prod.tolist() == [2 * 3 * 4 * 5 * 6 % 256, 255 * 254 * 253 * 252 * 251 % 256, 0]
    assert bxor.tolist() == [2 ^ 3 ^ 4 ^ 5 ^ 6, 255 ^ 254 ^ 253 ^ 252 ^ 251,
                             0 ^ 16 ^ 32 ^ 48 ^ 64]


@pytest.mark.parametrize("algorithm", ["ring", "tree"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "complex64"])
@pytest.mark.parametrize("ranks", [2, 3, 5, 8, 13])
def test_float_allreduce_is_bitwise_identical_on_every_rank(algorithm, dtype, ranks):
    """Float all-reduce: every rank holds the very same bits, and they are close to numpy's
    sum (the order of additions differs, the result across ranks must not)."""
    rng = np.random.default_rng(ranks)
    inputs = [(rng.standard_normal(37) * 10.0 ** rng.integers(-3, 3, 37)).astype(dtype)
              for _ in range(ranks)]
    result = simulate("allreduce", inputs, algorithm=algorithm)
    first = result.outputs[0].tobytes()
    assert all(out.tobytes() == first for out in result.outputs)
    assert result.verified is True
    exact = np.sum(np.stack(inputs).astype(np.complex128), axis=0)
    scale = np.abs(np.stack(inputs)).sum(axis=0)
    tolerance = ranks * float(np.finfo(dtype).eps) * scale
    assert np.all(np.abs(result.outputs[0] - exact) <= tolerance)


@pytest.mark.parametrize(("collective", "algorithm"), ALGORITHMS)
def test_outputs_keep_the_block_shape(collective, algorithm):
    """A (2, 3) block comes back as (2, 3), or as (N, 2, 3) where N blocks are gathered."""
    n, block = 3 if runs_at(collective, algorithm, 3) else 4, (2, 3)
    inputs = labelled_inputs(collective, n, block, root=1)
    result = simulate(collective, inputs, algorithm=algorithm, root=1)
    stacked = collective in ("gather", "allgather", "alltoall")
    shapes = {out.shape for out in result.outputs if out is not None}
    assert shapes == {(n, *block) if stacked else block}


def test_a_finished_simulation_reports_the_call():
    """The result names the collective, algorithm, N, count per block, dtype, root and op."""
    inputs = labelled_inputs("reduce", 5, (2, 3), dtype="int16")
    result = Simulation("reduce", inputs, algorithm="binomial", op="max", root=4).run()
    assert (result.collective, result.algorithm, result.ranks, result.count, result.dtype,
            result.root, result.op) == ("reduce", "binomial", 5, 6, np.dtype("int16"), 4, "max")
    assert result.outputs[4].tolist() == inputs[4].tolist()
    assert result.outputs[:4] == [None] * 4
