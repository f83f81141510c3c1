"""``python -m collectives sim``: simulate one collective and print steps and bytes."""

from __future__ import annotations

import argparse
import json

import numpy as np

from collectives.catalogue import algorithm_info
from collectives.cli.common import add_call_arguments, format_bytes, format_matrix, op_for
from collectives.costs import reference_cost
from collectives.ops import resolve_op
from collectives.sim import SimResult, Simulation
from collectives.spec import Problem, example_inputs

HELP = "simulate a collective on N virtual ranks and count every byte"

# Above this many ranks the simulation moves no data (count-only) unless --data is given.
DATA_RANK_LIMIT = 64


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``sim``."""
    add_call_arguments(parser)
    parser.add_argument("--ranks", "-n", type=int, required=True, help="number of ranks N")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--count-only", action="store_true",
                      help="move no data, only count steps and bytes (default above "
                           f"{DATA_RANK_LIMIT} ranks)")
    mode.add_argument("--provenance", action="store_true",
                      help="track where every element came from and check the postcondition")


def simulate_call(args: argparse.Namespace) -> SimResult:
    """Run the simulation the arguments describe."""
    op = op_for(args.collective, args.op) or "sum"
    algorithm_info(args.collective, args.algorithm)
    if args.count_only or args.ranks > DATA_RANK_LIMIT:
        return Simulation.count_only(args.collective, ranks=args.ranks, count=args.count,
                                     dtype=args.dtype, algorithm=args.algorithm, op=op,
                                     root=args.root).run()
    inputs = example_inputs(args.collective, args.ranks, args.count, args.dtype, root=args.root)
    return Simulation(args.collective, inputs, algorithm=args.algorithm, op=op, root=args.root,
                      provenance=args.provenance).run()


def reference_for(result: SimResult) -> Problem:
    """The Problem the result solved, for looking up the reference cost."""
    op = resolve_op(result.op) if result.op else None
    return Problem(result.collective, result.ranks, (result.count,), np.dtype(result.dtype),
                   result.root, op)


def run(args: argparse.Namespace) -> int:
    """Print a summary (or JSON) of the simulated run beside the reference's figures."""
    result = simulate_call(args)
    reference = reference_cost(reference_for(result), result.algorithm)
    if args.json:
        summary = result.to_dict()
        summary["reference"] = {"steps": reference.steps,
                                "bytes_sent": reference.bytes_sent.tolist()}
        print(json.dumps(summary))
        return 0 if result.verified is not False else 1
    n = result.ranks
    print(f"{result.collective} / {result.algorithm}: N={n}, count={result.count} "
          f"{result.dtype}" + (f", op={result.op}" if result.op else "")
          + (f", root={result.root}" if result.collective in ("broadcast", "scatter", "gather",
                                                                "reduce") else ""))
    print(f"steps: {result.num_steps} (reference {reference.steps})")
    print("bytes sent per rank:")
    for rank in range(min(n, 16)):
        print(f"  rank {rank:>3}: {int(result.bytes_sent[rank]):>12}  "
              f"(reference {int(reference.bytes_sent[rank])})")
    if n > 16:
        print(f"  ... {n - 16} more ranks")
    print(f"busiest rank: {int(result.bytes_sent.max())} bytes (reference {reference.busiest})")
    print(f"total: {result.total_bytes} bytes = {format_bytes(result.total_bytes)} "
          f"(reference {reference.total})")
    if n <= 16:
        print("traffic (bytes from row rank to column rank):")
        print(format_matrix(result.traffic))
    if result.verified is not None:
        print("result equals numpy's answer: " + ("yes" if result.verified else "NO"))
    if result.provenance_checked:
        print("provenance: every output element came from exactly the inputs it should")
    return 0 if result.verified is not False else 1
