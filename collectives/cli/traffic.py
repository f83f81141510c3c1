"""``mpiexec -n N python -m mpi4py -m collectives traffic``: run one collective for real, check
it, and print the bytes each rank sent to each peer beside the simulator's count."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

from collectives.catalogue import ROOTED, algorithm_info
from collectives.cli.common import add_call_arguments, format_matrix, op_for
from collectives.errors import CollectivesError, UnsupportedError
from collectives.spec import Problem, as_dtype, example_inputs, expected_outputs, results_match

HELP = ("run a collective over MPI on every rank (under mpiexec) and compare its traffic matrix "
        "with the simulator's")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``traffic``: the call, as for ``sim``, but N is mpiexec's."""
    add_call_arguments(parser)


def _call(comm: Any, args: argparse.Namespace, problem: Problem, x: np.ndarray | None,
          algorithm: str) -> np.ndarray | None:
    """Make the call on this rank (non-roots of broadcast and scatter bring a buffer)."""
    kwargs: dict[str, Any] = {"algorithm": algorithm}
    if args.collective in ROOTED:
        kwargs["root"] = args.root
    if problem.op is not None:
        kwargs["op"] = args.op
    if args.collective == "broadcast":
        buffer = x.copy() if x is not None else np.zeros(problem.block_shape, problem.dtype)
        return comm.broadcast(buffer, **kwargs)
    if args.collective == "scatter" and x is None:
        return comm.scatter(None, out=np.empty(problem.block_shape, problem.dtype), **kwargs)
    return getattr(comm, args.collective)(x, **kwargs)


def _side_by_side(left: str, right: str, gap: str = "    ") -> str:
    left_lines, right_lines = left.splitlines(), right.splitlines()
    width = max(len(line) for line in left_lines)
    return "\n".join(f"{a:<{width}}{gap}{b}" for a, b in zip(left_lines, right_lines,
                                                             strict=True))


def run(args: argparse.Namespace) -> int:
    """Run the call on every rank; rank 0 prints the report. Exit 1 unless the traffic equals
    the simulator's and the result equals numpy's and MPI's built-in collective's."""
    from mpi4py import MPI

    from collectives.mpi import Communicator
    from collectives.ops import resolve_op
    from collectives.sim import Simulation

    world = MPI.COMM_WORLD
    comm = Communicator(world)
    n, rank = comm.size, comm.rank
    try:
        algorithm_info(args.collective, args.algorithm)  # the simulator knows only these
        op = op_for(args.collective, args.op)
        problem = Problem(args.collective, n, (args.count,), as_dtype(args.dtype), args.root,
                          resolve_op(op) if op else None)
        simulated = Simulation.count_only(args.collective, ranks=n, count=args.count,
                                          dtype=args.dtype, algorithm=args.algorithm,
                                          op=op or "sum", root=args.root).run().traffic
    except CollectivesError as error:
        if rank == 0:
            print(f"error: {error}", file=sys.stderr)
        return 2
    inputs = example_inputs(args.collective, n, args.count, args.dtype, root=args.root)
    expected = expected_outputs(problem, inputs)[rank]
    with comm.record_traffic():
        result = _call(comm, args, problem, inputs[rank], args.algorithm)
    measured = comm.traffic_matrix()
    correct = bool(world.allreduce(results_match(result, expected, n), op=MPI.LAND))
    try:
        builtin = _call(comm, args, problem, inputs[rank], "mpi")
        mpi_equal: bool | None = bool(world.allreduce(results_match(result, builtin, n),
                                                      op=MPI.LAND))
    except UnsupportedError:  # a dtype MPI cannot reduce (every rank refuses alike)
        mpi_equal = None
    equal = bool(np.array_equal(measured, simulated))
    if rank == 0:
        _report(args, n, measured, simulated, equal, correct, mpi_equal)
    return 0 if equal and correct and mpi_equal is not False else 1


def _report(args: argparse.Namespace, n: int, measured: np.ndarray, simulated: np.ndarray,
            equal: bool, correct: bool, mpi_equal: bool | None) -> None:
    op = op_for(args.collective, args.op)
    if args.json:
        print(json.dumps({
            "collective": args.collective, "algorithm": args.algorithm, "ranks": n,
            "count": args.count, "dtype": args.dtype,
            "root": args.root if args.collective in ROOTED else None, "op": op,
            "measured": measured.tolist(), "simulated": simulated.tolist(),
            "equal": equal, "correct": correct, "mpi_equal": mpi_equal,
        }))
        return
    print(f"{args.collective} / {args.algorithm}: N={n}, count={args.count} {args.dtype}"
          + (f", op={op}" if op else "")
          + (f", root={args.root}" if args.collective in ROOTED else ""))
    print("bytes from row rank to column rank, measured over MPI (left) and simulated (right):")
    print(_side_by_side(format_matrix(measured), format_matrix(simulated)))
    print(f"total: {int(measured.sum())} bytes measured, {int(simulated.sum())} simulated")
    print("traffic equals the simulator's: " + ("yes" if equal else "NO"))
    print("result equals numpy's answer: " + ("yes" if correct else "NO"))
    verdict = {True: "yes", False: "NO", None: "not compared (MPI cannot take this dtype)"}
    print(f"result equals MPI's built-in collective: {verdict[mpi_equal]}")
