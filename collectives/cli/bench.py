"""``python -m collectives bench``: an nccl-tests style benchmark of the MPI collectives.

Run under MPI, every algorithm side by side with MPI's built-in one::

    mpiexec -n 4 python -m mpi4py -m collectives bench allreduce -b 4K -e 64M -f 4 -a ring,mpi

and draw busbw against size from its CSV (no MPI)::

    python -m collectives bench --plot rows.csv --png busbw.png
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from collectives.catalogue import CATALOGUE, COLLECTIVES, check_supported
from collectives.cli.common import format_bytes, input_file, output_file
from collectives.errors import InvalidInputError, UnsupportedError
from collectives.ops import OP_NAMES
from collectives.spec import Problem

if TYPE_CHECKING:
    from collectives.bench.copyprobe import CopyBandwidth
    from collectives.bench.report import Table
    from collectives.bench.runner import BenchConfig, MemoryLog, Row

HELP = "nccl-tests style benchmark (algbw, busbw, #wrong) of the MPI collectives, under mpiexec"

# nccl-tests' datatype names; anything else is taken as a numpy dtype name.
NCCL_DTYPES: dict[str, str] = {
    "half": "float16", "float": "float32", "double": "float64",
    "int": "int32", "int8": "int8", "uint8": "uint8", "int32": "int32", "uint32": "uint32",
    "int64": "int64", "uint64": "uint64", "char": "int8",
}
# nccl-tests' datatype names that numpy has no dtype for.
NCCL_ONLY_DTYPES = ("bfloat16", "f8e4m3", "f8e5m2")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``bench`` (nccl-tests' flags, plus -a, --csv, --json, --memory, --plot)."""
    parser.add_argument("collective", nargs="?", choices=COLLECTIVES, metavar="COLLECTIVE",
                        help=f"one of {', '.join(COLLECTIVES)} (not needed with --plot)")
    parser.add_argument("-a", "--algorithms", default=None, metavar="ALG[,ALG...]",
                        help="algorithms to run side by side, 'mpi' being MPI's built-in and "
                             "'auto' the one a call naming none runs (default: every one "
                             "registered for the collective)")
    parser.add_argument("-b", "--minbytes", default="32M", metavar="SIZE",
                        help="smallest size, bytes with optional K/M/G suffix (default 32M)")
    parser.add_argument("-e", "--maxbytes", default="32M", metavar="SIZE",
                        help="largest size (default 32M)")
    parser.add_argument("-f", "--stepfactor", type=float, default=2.0,
                        help="multiply the size by this between rows (default 2)")
    parser.add_argument("-n", "--iters", type=int, default=20, help="timed iterations (20)")
    parser.add_argument("-w", "--warmup_iters", "--warmup-iters", type=int, default=5,
                        dest="warmup_iters", help="untimed warm-up iterations (5)")
    parser.add_argument("-c", "--check", type=int, choices=(0, 1), default=1,
                        help="1: count elements that differ from numpy's answer (default 1)")
    parser.add_argument("-o", "--op", default="sum", choices=OP_NAMES,
                        help="reduction op of reducing collectives (default sum)")
    parser.add_argument("-d", "--datatype", default="float32",
                        help="numpy dtype, or an nccl-tests name (float, half, double, int...)")
    parser.add_argument("-r", "--root", type=int, default=0, help="root rank (default 0)")
    parser.add_argument("--csv", metavar="FILE", help="write the rows as CSV (rank 0)")
    parser.add_argument("--json", metavar="FILE", help="write the rows as JSON (rank 0)")
    parser.add_argument("--memory", action="store_true",
                        help="report each rank's peak numpy scratch and RSS growth per row "
                             "and over the run (timings then include tracing overhead)")
    parser.add_argument("--copy-bytes", default="128M", metavar="SIZE",
                        help="buffer each rank copies to measure the copy bandwidth "
                             "(default 128M; 0 skips the probe)")
    parser.add_argument("--copy-iters", type=int, default=10,
                        help="timed copies of the copy probe (default 10)")
    parser.add_argument("--plot", metavar="CSV",
                        help="do not benchmark: plot busbw against size from a CSV it wrote")
    parser.add_argument("--png", metavar="FILE",
                        help="where --plot writes its picture (default: the CSV's name, .png)")


def dtype_of(name: str) -> np.dtype:
    """The numpy dtype of a numpy or nccl-tests type name."""
    if name.lower() in NCCL_ONLY_DTYPES:
        raise InvalidInputError(f"expected a type numpy has, got nccl-tests' {name!r}, which "
                                f"numpy lacks; use one of {', '.join(NCCL_DTYPES)} or a numpy "
                                "dtype name")
    try:
        return np.dtype(NCCL_DTYPES.get(name.lower(), name))
    except TypeError:
        raise InvalidInputError(f"expected a numpy dtype name or one of "
                                f"{', '.join(NCCL_DTYPES)}, got {name!r}") from None


def plot_command(csv_path: str, png_path: str | None) -> int:
    """Draw the busbw plot of a CSV and print the numbers behind it."""
    from collectives.plots.busbw import plot_busbw

    input_file(csv_path, "--plot", "a CSV the benchmark wrote (--csv FILE)")
    png = png_path or str(Path(csv_path).with_suffix(".png"))
    output_file(png, "--png")
    data = plot_busbw(csv_path, png)
    print(f"{data.title}: wrote {png}")
    for curve in data.curves:
        points = ", ".join(f"{size}: {value:.3f}" for size, value in
                           zip(curve.sizes, curve.busbw, strict=True))
        print(f"  {curve.label}: busbw GB/s by size (B) {{{points}}}")
    if data.copy_per_rank_gbs is not None:
        print(f"  copy bandwidth per rank: {data.copy_per_rank_gbs:.3f} GB/s")
    return 0


def refused_algorithms(problem: Problem, algorithms: list[str],
                       checks: Mapping[str, Callable[[Problem], None]]) -> dict[str, str]:
    """The algorithms of ``algorithms`` that cannot run ``problem``, each with the reason:
    the catalogue's demands (an op out of rank order, N not a power of two), or for a name in
    ``checks`` (MPI's built-in) its own check (a dtype MPI has no datatype or reduction for)."""
    refusals = {}
    for name in algorithms:
        try:
            if name in checks:
                checks[name](problem)
            elif name in CATALOGUE[problem.collective]:
                check_supported(CATALOGUE[problem.collective][name], problem.op, problem.ranks)
        except UnsupportedError as error:
            refusals[name] = str(error)
    return refusals


def _check_memory(comm: Any, args: argparse.Namespace, sweep_bytes: int,
                  copy_bytes: int) -> None:
    """Refuse, on every rank and before any buffer is made, a sweep (or copy probe) whose
    buffers cannot fit in the memory of a node."""
    from mpi4py import MPI

    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    here = node.Get_size()
    node.Free()
    per_rank, flag = max((sweep_bytes, f"-e {args.maxbytes}"),
                         (2 * copy_bytes, f"--copy-bytes {args.copy_bytes}"))
    have = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    if comm.allreduce(here * per_rank > have, op=MPI.LOR):
        raise InvalidInputError(
            f"expected sizes whose buffers fit in a node's memory ({format_bytes(have)} here), "
            f"got {flag}: about {format_bytes(per_rank)} per rank x {here} ranks on this node "
            f"= {format_bytes(here * per_rank)}"
        )


def _settings(args: argparse.Namespace, algorithms: list[str], ranks: int) -> dict[str, Any]:
    return {"collective": args.collective, "ranks": ranks, "algorithms": algorithms,
            "minbytes": args.minbytes, "maxbytes": args.maxbytes,
            "stepfactor": args.stepfactor, "iters": args.iters,
            "warmup_iters": args.warmup_iters, "check": args.check, "op": args.op,
            "datatype": str(dtype_of(args.datatype)), "root": args.root,
            "timing": "slowest rank per iteration (barrier before each), median of iterations"}


def _say(rank: int, lines: list[str] | str) -> None:
    if rank != 0:
        return
    print("\n".join([lines] if isinstance(lines, str) else lines))
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    """Benchmark on MPI.COMM_WORLD and print the table on rank 0; or, with --plot, plot."""
    if args.plot:
        return plot_command(args.plot, args.png)
    if args.collective is None:
        raise InvalidInputError("expected a COLLECTIVE to benchmark (or --plot CSV), got none")
    from mpi4py import MPI

    from collectives.bench import report
    from collectives.bench.sizes import parse_size

    comm = MPI.COMM_WORLD
    rank, ranks = comm.Get_rank(), comm.Get_size()
    config, refusals = _config(args, ranks)
    copy_bytes = parse_size(args.copy_bytes)
    _check_memory(comm, args, config.bytes_per_rank(ranks), copy_bytes)
    _say(rank, _header(args, config, ranks, refusals))
    rows, table, copy = _sweep(comm, args, config, copy_bytes)
    algorithms = list(config.algorithms)
    if rank == 0:
        if args.csv:
            report.write_csv(args.csv, rows, copy)
        if args.json:
            report.write_json(args.json, rows, copy, _settings(args, algorithms, ranks))
    return 0 if table.wrong == 0 else 1


def _config(args: argparse.Namespace, ranks: int) -> tuple[BenchConfig, dict[str, str]]:
    """The sweep ``args`` ask for, less the algorithms that cannot run it here (returned with
    their reasons); raises when none can, or for an unknown name, a bad root or op."""
    from collectives.bench.runner import BenchConfig
    from collectives.bench.sizes import parse_size, size_sweep
    from collectives.mpi.algorithms.builtin import check_builtin
    from collectives.mpi.auto import AUTO
    from collectives.mpi.registry import BUILTIN, MPI_ALGORITHMS

    if args.algorithms:
        algorithms = [a.strip() for a in args.algorithms.split(",") if a.strip()]
    else:  # every registered algorithm
        algorithms = list(MPI_ALGORITHMS.names(args.collective))
    for name in algorithms:
        if name != AUTO:  # auto: the algorithm a call naming none runs (chosen per size)
            MPI_ALGORITHMS.get(args.collective, name)  # an unknown name lists the valid ones
    low, high = parse_size(args.minbytes), parse_size(args.maxbytes)
    config = BenchConfig(args.collective, tuple(algorithms),
                         tuple(size_sweep(low, high, args.stepfactor)), dtype_of(args.datatype),
                         args.op, args.root, args.iters, args.warmup_iters, bool(args.check),
                         args.memory)
    config.problem(ranks, 0)  # a bad root or an op the dtype cannot take fails here
    refusals = refused_algorithms(config.problem(ranks, 1), algorithms,
                                  {BUILTIN: check_builtin})
    if refusals:  # each is skipped, named with its reason; the others run
        algorithms = [name for name in algorithms if name not in refusals]
        if not algorithms:
            raise UnsupportedError(
                f"expected an algorithm that can run {args.collective} on {ranks} ranks with "
                f"{config.dtype}, got none: " + "; ".join(refusals.values()))
        config = dataclasses.replace(config, algorithms=tuple(algorithms))
    return config, refusals


def _header(args: argparse.Namespace, config: BenchConfig, ranks: int,
            refusals: dict[str, str]) -> list[str]:
    """The lines above the table: the call, the algorithms run and skipped, sizes, timing."""
    from collectives.bench.sizes import format_size, parse_size

    low, high = parse_size(args.minbytes), parse_size(args.maxbytes)
    skipped = list(refusals)
    return [
        f"# collectives bench: {args.collective}, N = {ranks}, {config.dtype}, "
        f"algorithms {', '.join(config.algorithms)}"
        + (f" (skipped, cannot run here: {', '.join(skipped)})" if skipped else ""),
        *(f"# skipped {name}: {reason}" for name, reason in refusals.items()),
        f"# sizes {format_size(low)}B..{format_size(high)}B x{args.stepfactor:g}, "
        f"{args.iters} iterations after {args.warmup_iters} warm-up, check {args.check}",
        "# time: the slowest rank's, each iteration started at a barrier; median of iterations",
    ]


def _sweep(comm: Any, args: argparse.Namespace, config: BenchConfig,
           copy_bytes: int) -> tuple[list[Row], Table, CopyBandwidth | None]:
    """Run the sweep and the copy probe, printing the table on rank 0 as rows come (at the end
    with --memory); (rows, table, copy bandwidth or None)."""
    from collectives.bench import report
    from collectives.bench.copyprobe import measure_copy_bandwidth
    from collectives.bench.runner import MemoryLog, run_sweep
    from collectives.mpi import Communicator

    rank, algorithms = comm.Get_rank(), list(config.algorithms)
    # With --memory the probe runs after the sweep, so its buffers cannot hide RSS growth.
    copy = measure_copy_bandwidth(comm, copy_bytes, args.copy_iters) \
        if copy_bytes and not args.memory else None
    memory_log = MemoryLog() if args.memory else None
    rows: list[Row] = []
    table = report.Table(algorithms, copy, memory=args.memory)
    if not args.memory:
        _say(rank, ([*report.copy_lines(copy)] if copy else []) + ["#", *table.header()])
    for row in run_sweep(comm, Communicator(comm), config, memory_log):
        rows.append(row)
        line = table.row(row)
        if not args.memory:
            _say(rank, line)
    if args.memory:
        copy = measure_copy_bandwidth(comm, copy_bytes, args.copy_iters) if copy_bytes else None
        table = report.Table(algorithms, copy, memory=True)
        lines = [table.row(row) for row in rows]
        _say(rank, ([*report.copy_lines(copy)] if copy else []) + ["#", *table.header(), *lines])
    _say(rank, table.footer())
    if memory_log is not None:
        _say_memory(comm, memory_log)
    return rows, table, copy


def _say_memory(comm: Any, memory_log: MemoryLog) -> None:
    """Every rank's RSS growth and peak numpy scratch, printed by rank 0."""
    logs = comm.gather((memory_log.start_rss, memory_log.rss_growth,
                        memory_log.peak_scratch), root=0)
    if comm.Get_rank() == 0:
        for r, (start, growth, scratch) in enumerate(logs):
            _say(0, f"# rank {r}: peak RSS {growth / 2**20:.1f} MiB above the "
                    f"{start / 2**20:.1f} MiB at the start; peak numpy scratch "
                    f"{scratch / 2**20:.1f} MiB beyond the buffers")
