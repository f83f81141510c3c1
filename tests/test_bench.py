"""The benchmark's pieces without MPI: sizes, bandwidth math, the check, the copy ceiling's
arithmetic, memory tracking, the table, CSV and JSON, and the busbw plot."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest

from collectives.bench.bandwidth import algbw, bus_factor, busbw
from collectives.bench.check import count_wrong, expected_for, poison
from collectives.bench.copyprobe import CopyBandwidth
from collectives.bench.memory import MemoryWatch
from collectives.bench.report import CSV_FIELDS, Table, read_csv, write_csv, write_json
from collectives.bench.runner import BenchConfig, Row, Timing
from collectives.bench.sizes import (
    count_for_size,
    counts_for_sweep,
    format_size,
    parse_size,
    size_of_count,
    size_sweep,
)
from collectives.catalogue import COLLECTIVES, REDUCING
from collectives.cli import main
from collectives.cli.bench import dtype_of, refused_algorithms
from collectives.errors import InvalidInputError, UnsupportedError
from collectives.ops import resolve_op
from collectives.plots.busbw import busbw_curves, plot_busbw
from collectives.spec import Problem, example_inputs, expected_outputs

# ---- sizes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "nbytes"), [
    ("8", 8), ("4K", 4096), ("4k", 4096), ("64M", 64 * 2**20), ("1G", 2**30), ("4KiB", 4096),
    ("2kb", 2048), (" 16M ", 16 * 2**20), ("0", 0), (5, 5),
])
def test_parse_size_reads_binary_suffixes(text, nbytes):
    """Sizes take K, M, G (powers of 1024), any case, with an optional B or iB."""
    assert parse_size(text) == nbytes


@pytest.mark.parametrize("text", ["x", "4Q", "-1", "", "1.5M", "M"])
def test_parse_size_refuses_what_is_not_a_size(text):
    """A malformed size names the forms it expected."""
    with pytest.raises(InvalidInputError, match=r"expected a size like 8, 4K, 64M or 1G, got"):
        parse_size(text)


@pytest.mark.parametrize(("nbytes", "text"), [(4096, "4K"), (1000, "1000"), (3 * 2**20, "3M"),
                                              (0, "0")])
def test_format_size_is_the_shortest_exact_spelling(nbytes, text):
    """format_size inverts parse_size."""
    assert format_size(nbytes) == text
    assert parse_size(text) == nbytes


@pytest.mark.parametrize(("low", "high", "factor", "sizes"), [
    (8, 64, 2, [8, 16, 32, 64]),
    (4096, 2**26, 16, [4096, 2**16, 2**20, 2**24]),
    (100, 100, 2, [100]),
    (0, 4, 2, [0, 1, 2, 4]),
    (10, 40, 1.5, [10, 15, 22, 33]),
])
def test_size_sweep_multiplies_up_to_the_maximum(low, high, factor, sizes):
    """The sweep starts at -b, multiplies by -f and stops at -e inclusive."""
    assert size_sweep(low, high, factor) == sizes


@pytest.mark.parametrize(("low", "high", "factor", "message"), [
    (64, 8, 2, "expected 0 <= min bytes <= max bytes, got 64 and 8"),
    (8, 64, 1, "expected a step factor > 1, got 1"),
])
def test_size_sweep_refuses_an_empty_or_endless_sweep(low, high, factor, message):
    """A reversed range or a factor that never grows is an error."""
    with pytest.raises(InvalidInputError, match=message):
        size_sweep(low, high, factor)


@pytest.mark.parametrize(("collective", "count"), [
    ("allreduce", 1024), ("broadcast", 1024), ("reduce", 1024),
    ("allgather", 256), ("reduce_scatter", 256), ("alltoall", 256), ("gather", 256),
    ("scatter", 256),
])
def test_count_per_block_follows_the_size_convention(collective, count):
    """4 KiB of float32 at N = 4: 1024 elements per buffer, or 4 blocks of 256."""
    assert count_for_size(collective, 4096, "float32", 4) == count
    assert size_of_count(collective, count, "float32", 4) == 4096


def test_sizes_round_down_to_whole_blocks_and_repeat_once():
    """At N = 3, float32 all-gather sizes round down to 12-byte multiples; equal counts merge."""
    assert counts_for_sweep("allgather", [1, 8, 12, 16, 24, 4096], "float32", 3) == \
        [0, 1, 2, 341]
    assert size_of_count("allgather", 341, "float32", 3) == 4092


# ---- bandwidth ---------------------------------------------------------------------------------

BUS_FACTOR_AT_4 = {"allreduce": 1.5, "reduce_scatter": 0.75, "allgather": 0.75,
                   "alltoall": 0.75, "gather": 0.75, "scatter": 0.75, "broadcast": 1.0,
                   "reduce": 1.0}


@pytest.mark.parametrize("collective", COLLECTIVES)
def test_bus_factor_is_nccl_tests_at_four_ranks(collective):
    """2(N-1)/N for all-reduce, (N-1)/N for the block collectives, 1 for broadcast and reduce."""
    assert bus_factor(collective, 4) == pytest.approx(BUS_FACTOR_AT_4[collective])


@pytest.mark.parametrize(("collective", "ranks", "factor"), [
    ("allreduce", 1, 0.0), ("allreduce", 2, 1.0), ("allreduce", 8, 1.75),
    ("allgather", 2, 0.5), ("alltoall", 5, 0.8), ("broadcast", 7, 1.0),
])
def test_bus_factor_depends_on_n(collective, ranks, factor):
    """The factor at other N, including N = 1 where an all-reduce moves nothing."""
    assert bus_factor(collective, ranks) == pytest.approx(factor)


def test_algbw_and_busbw_are_gb_per_second():
    """1 GB in 0.5 s is 2 GB/s; all-reduce at N = 4 reports 1.5 times that as busbw."""
    assert algbw(10**9, 0.5) == pytest.approx(2.0)
    assert busbw("allreduce", 4, 10**9, 0.5) == pytest.approx(3.0)
    assert busbw("allgather", 3, 3 * 10**6, 1e-3) == pytest.approx(2.0)


def test_bandwidth_refuses_a_zero_time():
    """A time of zero or less is an error, not an infinite bandwidth."""
    with pytest.raises(InvalidInputError, match="expected a positive time, got 0"):
        algbw(8, 0)


def test_bandwidth_refuses_zero_ranks():
    """The bus factor needs at least one rank."""
    with pytest.raises(InvalidInputError, match="expected at least 1 rank, got 0"):
        bus_factor("allreduce", 0)


# ---- check -------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["int64", "float32"])
@pytest.mark.parametrize("collective", COLLECTIVES)
def test_expected_for_is_spec_expected_outputs(collective, dtype):
    """Each rank's answer, built one input at a time, equals spec.expected_outputs'."""
    ranks, count, root = 3, 5, 1
    op = resolve_op("sum") if collective in REDUCING else None
    problem = Problem(collective, ranks, (count,), np.dtype(dtype), root, op)
    inputs = example_inputs(collective, ranks, count, dtype, root=root, seed=4)
    want = expected_outputs(problem, inputs)
    for rank in range(ranks):
        got = expected_for(problem, rank, seed=4)
        if want[rank] is None:
            assert got is None
        else:
            assert got is not None and got.dtype == want[rank].dtype
            np.testing.assert_array_equal(got, want[rank])


def test_count_wrong_counts_exact_integer_differences():
    """Integers must match exactly: two changed elements are two wrong."""
    expected = np.arange(10, dtype=np.int32) * 7 - 3
    actual = expected.copy()
    actual[[2, 7]] += 1
    assert count_wrong(actual, expected, 4) == 2


def test_count_wrong_lets_floats_round():
    """Floats within N combinations' rounding pass; a real difference is counted."""
    expected = np.linspace(-3, 5, 50, dtype=np.float32)
    actual = expected * np.float32(1 + 4e-7)
    assert count_wrong(actual, expected, 4) == 0
    actual[[0, 9, 49]] += 0.5
    assert count_wrong(actual, expected, 4) == 3


@pytest.mark.parametrize(("actual", "expected", "wrong"), [
    (None, None, 0),
    (None, np.zeros(4), 4),
    (np.zeros(3), None, 3),
    (np.zeros(5), np.zeros(4), 5),
    (np.arange(6.0).reshape(2, 3), np.arange(6.0), 0),
])
def test_count_wrong_on_missing_or_misshapen_results(actual, expected, wrong):
    """A missing or extra result, or a different size, counts every element; same elements in
    another shape count none."""
    assert count_wrong(actual, expected, 2) == wrong


@pytest.mark.parametrize(("dtype", "value"), [("float32", np.nan), ("int16", 32767),
                                              ("uint8", 255)])
def test_poison_fills_with_a_value_no_result_has(dtype, value):
    """Outputs are poisoned before the run: NaN for floats, the largest integer otherwise."""
    buffer = np.zeros(6, dtype=dtype)
    poison(buffer)
    np.testing.assert_array_equal(buffer, np.full(6, value, dtype=dtype))


# ---- copy ceiling and memory -------------------------------------------------------------------


def test_copy_bandwidth_per_rank_aggregate_and_fraction():
    """2 GB copied by each of 4 ranks in 0.5 s: 4 GB/s per rank, 16 aggregate; 1 GB/s is 25%."""
    copy = CopyBandwidth(nbytes=2 * 10**9, ranks=4, seconds=0.5)
    assert copy.per_rank_gbs == pytest.approx(4.0)
    assert copy.aggregate_gbs == pytest.approx(16.0)
    assert copy.fraction(1.0) == pytest.approx(0.25)
    assert copy.to_dict()["aggregate_gbs"] == pytest.approx(16.0)


def test_memory_watch_sees_a_temporary_numpy_array():
    """An 8 MiB array made and freed inside the stretch shows as at least 8 MiB of scratch; the
    tracing the watch started ends with it (it would slow everything after)."""
    assert not tracemalloc.is_tracing()
    with MemoryWatch() as watch:
        watch.start()
        scratch = np.ones(2**20, dtype=np.float64)
        del scratch
        peak = watch.stop()
        assert tracemalloc.is_tracing()
    assert not tracemalloc.is_tracing()
    assert 8 * 2**20 <= peak.scratch < 9 * 2**20
    assert peak.rss_peak > 0


# ---- table, CSV, JSON --------------------------------------------------------------------------


def _rows() -> list[Row]:
    """Two sizes of an all-reduce by two algorithms; the 'tree' row has one wrong element."""
    rows = []
    for size in (4096, 65536):
        for algorithm, seconds in (("ring", 2e-5), ("tree", 4e-5)):
            t = seconds * size / 4096
            half = Timing(t, algbw(size, t), busbw("allreduce", 4, size, t),
                          1 if (algorithm, size) == ("tree", 65536) else 0)
            rows.append(Row("allreduce", algorithm, 4, size, size // 4, "float32", "sum", None,
                            half, half))
    return rows


def _gather_row() -> Row:
    """A gather row: rooted, no op, no in-place form."""
    half = Timing(1e-4, algbw(1200, 1e-4), busbw("gather", 3, 1200, 1e-4), None)
    return Row("gather", "linear", 3, 1200, 100, "float32", None, 2, half, None)


def test_table_has_nccl_tests_columns_and_footer():
    """Header names and units, one line per row, the #wrong total and an average per algorithm."""
    copy = CopyBandwidth(10**9, 4, 0.5)
    table = Table(["ring", "tree"], copy)
    header = table.header()
    assert "out-of-place" in header[0] and "in-place" in header[0]
    assert header[1].split() == ["#", "size", "count", "type", "redop", "root", "algorithm",
                                 *["time", "algbw", "busbw", "%copy", "#wrong"] * 2]
    assert header[2].split() == ["#", "(B)", "(elements)", *["(us)", "(GB/s)", "(GB/s)"] * 2]
    lines = [table.row(row) for row in _rows()]
    first = lines[0].split()
    assert first[:6] == ["4096", "1024", "float32", "sum", "-1", "ring"]
    assert float(first[6]) == pytest.approx(20.0)  # us
    assert float(first[8]) == pytest.approx(busbw("allreduce", 4, 4096, 2e-5), abs=1e-3)
    assert float(first[9]) == pytest.approx(100 * busbw("allreduce", 4, 4096, 2e-5) / 2,
                                            abs=0.05)
    footer = table.footer()
    assert footer[0] == "# Wrong elements      : 2 FAILED"
    averages = {line.split()[6]: float(line.split()[5]) for line in footer[1:]}
    assert set(averages) == {"ring", "tree"}
    assert averages["ring"] == pytest.approx(busbw("allreduce", 4, 4096, 2e-5), rel=1e-3)
    assert all(line.startswith("# Avg bus bandwidth    : ") for line in footer[1:])


def test_table_prints_na_where_a_collective_has_no_in_place_form():
    """Gather: redop none, root given, five N/A cells in place; unchecked #wrong is N/A."""
    table = Table(["linear"])
    cells = table.row(_gather_row()).split()
    assert cells[3:6] == ["none", "2", "linear"]
    assert cells[9:] == ["N/A", "N/A"] + ["N/A"] * 5
    assert table.footer()[0].startswith("# Avg bus bandwidth    : ")


def test_csv_round_trip_keeps_numbers_and_blanks(tmp_path):
    """write_csv then read_csv gives the rows back; N/A cells read as None."""
    path = tmp_path / "rows.csv"
    copy = CopyBandwidth(10**9, 4, 0.5)
    write_csv(path, [*_rows(), _gather_row()], copy)
    records = read_csv(path)
    assert list(records[0]) == list(CSV_FIELDS)
    assert len(records) == 5
    assert records[3]["oop_wrong"] == 1 and records[3]["size_bytes"] == 65536
    assert records[0]["oop_time_us"] == pytest.approx(20.0)
    assert records[0]["copy_per_rank_gbs"] == pytest.approx(2.0)
    assert records[4]["ip_busbw_gbs"] is None and records[4]["root"] == 2
    assert records[0]["root"] == -1 and records[4]["redop"] == "none"


def test_json_holds_settings_copy_and_rows(tmp_path):
    """The JSON document carries the settings, the copy probe and the same rows."""
    path = tmp_path / "rows.json"
    write_json(path, _rows(), CopyBandwidth(10**9, 4, 0.5), {"iters": 3})
    document = json.loads(path.read_text())
    assert document["settings"] == {"iters": 3}
    assert document["copy"]["per_rank_gbs"] == pytest.approx(2.0)
    assert [r["algorithm"] for r in document["rows"]] == ["ring", "tree", "ring", "tree"]


# ---- plot --------------------------------------------------------------------------------------


def test_busbw_curves_are_one_line_per_algorithm(tmp_path):
    """The numbers behind the plot: per algorithm, sizes ascending and their out-of-place busbw."""
    path = tmp_path / "rows.csv"
    rows = _rows()
    write_csv(path, rows[::-1], CopyBandwidth(10**9, 4, 0.5))
    data = busbw_curves(read_csv(path))
    curves = {curve.label: curve for curve in data.curves}
    assert set(curves) == {"ring", "tree"}
    assert curves["ring"].sizes == (4096, 65536)
    assert curves["ring"].busbw == pytest.approx([rows[0].out_of_place.busbw,
                                                  rows[2].out_of_place.busbw])
    assert data.copy_per_rank_gbs == pytest.approx(2.0)
    assert "allreduce" in data.title and "N = 4" in data.title


def test_plot_busbw_writes_a_png(tmp_path):
    """plot_busbw draws a PNG file and returns the same numbers as busbw_curves."""
    csv_path, png_path = tmp_path / "rows.csv", tmp_path / "busbw.png"
    write_csv(csv_path, _rows())
    data = plot_busbw(csv_path, png_path)
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert data == busbw_curves(read_csv(csv_path))
    assert data.copy_per_rank_gbs is None


def test_bench_plot_command_runs_without_mpi(tmp_path, capsys):
    """``bench --plot CSV`` writes the PNG beside the CSV and prints the curves' numbers."""
    csv_path = tmp_path / "rows.csv"
    write_csv(csv_path, _rows())
    assert main(["bench", "--plot", str(csv_path)]) == 0
    assert (tmp_path / "rows.png").exists()
    out = capsys.readouterr().out
    assert "ring: busbw GB/s by size (B) {4096: " in out


def test_plot_of_a_missing_csv_is_refused(tmp_path, capsys):
    """``bench --plot missing.csv`` exits 2 with one line naming the file, not a traceback."""
    path = tmp_path / "missing.csv"
    assert main(["bench", "--plot", str(path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: expected --plot a CSV the benchmark wrote (--csv FILE), got {path} (no such "
        "file)")


def test_plot_into_a_missing_folder_is_refused(tmp_path, capsys):
    """--png into a folder that does not exist exits 2 with one line, before drawing."""
    csv_path, png = tmp_path / "rows.csv", tmp_path / "no" / "busbw.png"
    write_csv(csv_path, _rows())
    assert main(["bench", "--plot", str(csv_path), "--png", str(png)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: expected --png FILE in an existing folder, got {png} (no folder {png.parent})")


def test_plot_refuses_an_empty_csv(tmp_path):
    """A CSV with a header and no rows is an error, not an empty picture."""
    path = tmp_path / "empty.csv"
    write_csv(path, [])
    with pytest.raises(InvalidInputError, match="expected benchmark rows in the CSV, got none"):
        busbw_curves(read_csv(path))


# ---- command line ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "dtype"), [("float", "float32"), ("half", "float16"),
                                             ("double", "float64"), ("int", "int32"),
                                             ("float32", "float32"), ("uint16", "uint16")])
def test_datatype_takes_nccl_tests_and_numpy_names(name, dtype):
    """-d float is float32 as in nccl-tests; numpy names work too."""
    assert dtype_of(name) == np.dtype(dtype)


def test_datatype_takes_a_byte_order():
    """-d '>f4' is big-endian float32, a numpy name."""
    assert dtype_of(">f4") == np.dtype(">f4") and not dtype_of(">f4").isnative


@pytest.mark.parametrize("name", ["bfloat16", "f8e4m3", "f8e5m2"])
def test_datatype_refuses_nccl_tests_names_numpy_lacks(name):
    """nccl-tests' types numpy has no dtype for are refused by name."""
    with pytest.raises(InvalidInputError, match=f"expected a type numpy has, got nccl-tests' "
                                                f"'{name}', which numpy lacks"):
        dtype_of(name)


def test_refused_algorithms_names_each_with_its_reason():
    """At N = 3, recursive doubling all-gather (a power of two) is refused with the catalogue's
    reason and a name with a check of its own with that check's; the others, auto among them,
    run."""
    problem = Problem("allgather", 3, (8,), np.dtype(">f4"))

    def no_byte_swap(p: Problem) -> None:
        if not p.dtype.isnative:
            raise UnsupportedError(f"expected a native dtype, got {p.dtype}")

    refusals = refused_algorithms(problem, ["ring", "recursive_doubling", "auto", "mpi"],
                                  {"mpi": no_byte_swap})
    assert list(refusals) == ["recursive_doubling", "mpi"]
    assert "expected a power-of-two number of ranks, got 3" in refusals["recursive_doubling"]
    assert refusals["mpi"] == "expected a native dtype, got >f4"


def test_datatype_refuses_an_unknown_name():
    """An unknown type name lists what it expected."""
    with pytest.raises(InvalidInputError, match="expected a numpy dtype name or one of"):
        dtype_of("quaternion")


def test_bench_without_collective_or_plot_is_an_error(capsys):
    """bench needs a COLLECTIVE unless it plots; the CLI says so in one line."""
    assert main(["bench"]) == 2
    assert "expected a COLLECTIVE to benchmark (or --plot CSV), got none" in \
        capsys.readouterr().err


@pytest.mark.parametrize(("collective", "check", "elements"), [
    ("allreduce", True, 5 * 4096),  # input, in-place copy, result, numpy's answer, work
    ("allreduce", False, 4 * 4096),
    ("allgather", True, 1024 + 2 * 4096 + 4096),  # input block, results of 4 blocks, work
    ("alltoall", True, 2 * 4096 + 2 * 4096 + 8192),  # work holds input and output halves
])
def test_bytes_per_rank_estimates_the_largest_size(collective, check, elements):
    """The estimate a too-large sweep is refused by: the largest size's (16 KiB, float32, N = 4)
    buffers on one rank."""
    config = BenchConfig(collective, ("ring",), (64, 16384), np.dtype("float32"), check=check)
    assert config.bytes_per_rank(4) == 4 * elements
