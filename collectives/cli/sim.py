"""``python -m collectives sim``: simulate one collective and print steps and bytes.

With ``--topology`` (or any network flag) the run is also timed on that network
(:mod:`collectives.sim.timing` defines the step time) and the time is printed beside the
reference table's alpha-beta-gamma formula; ``--trace FILE`` writes it as a Chrome trace.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from collectives.catalogue import CATALOGUE, algorithm_info, collective_info
from collectives.cli.common import (
    add_call_arguments,
    add_network_arguments,
    format_bytes,
    format_matrix,
    network_flags_given,
    network_from_args,
    op_for,
    output_file,
)
from collectives.cli.progress import run_steps
from collectives.costs import reference_cost, reference_time
from collectives.errors import InvalidInputError
from collectives.ops import resolve_op
from collectives.sim import SimResult, Simulation
from collectives.sim.defaults import keeps_transfers
from collectives.sim.memory import check_run
from collectives.sim.network import Network
from collectives.sim.timing import format_seconds
from collectives.sim.trace import write_chrome_trace
from collectives.spec import Problem, example_inputs

HELP = "simulate a collective on N virtual ranks and count every byte"

# Above this many ranks the simulation moves no data (count-only) unless --provenance is given.
DATA_RANK_LIMIT = 64


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``sim``."""
    add_call_arguments(parser)
    parser.add_argument("--ranks", "-n", type=int, required=True, help="number of ranks N")
    pipelining = ", ".join(f"{info.collective} {info.name}" for algorithms in CATALOGUE.values()
                           for info in algorithms.values() if info.pipelines)
    parser.add_argument("--segments", "-S", type=int, default=1, metavar="S",
                        help=f"cut the data into S segments (algorithms that pipeline: "
                             f"{pipelining}); default 1")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--count-only", action="store_true",
                      help="move no data, only count steps and bytes (default above "
                           f"{DATA_RANK_LIMIT} ranks, unless --provenance)")
    mode.add_argument("--provenance", action="store_true",
                      help="track where every element came from and check the postcondition")
    net = add_network_arguments(parser)
    net.add_argument("--trace", metavar="FILE",
                     help="write the timed run as a Chrome trace (open in Perfetto or "
                          "chrome://tracing)")


def network_for(args: argparse.Namespace) -> Network | None:
    """The network the flags describe, or None when no network flag (nor ``--trace``) was
    given."""
    if args.trace is None and not network_flags_given(args):
        return None
    return network_from_args(args, args.topology or "fully_connected")


def simulate_call(args: argparse.Namespace) -> SimResult:
    """Run the simulation the arguments describe, behind a progress bar when it is long; one
    that cannot fit in memory is refused before anything is made."""
    op = op_for(args.collective, args.op) or "sum"
    algorithm_info(args.collective, args.algorithm)
    network = network_for(args)
    keep = True if args.trace else None
    count_only = args.count_only or (args.ranks > DATA_RANK_LIMIT and not args.provenance)
    if count_only:
        simulation = Simulation.count_only(
            args.collective, ranks=args.ranks, count=args.count, dtype=args.dtype,
            algorithm=args.algorithm, op=op, root=args.root, network=network,
            keep_transfers=keep, segments=args.segments)
    else:
        named_op = op_for(args.collective, args.op)
        try:
            problem: Problem | None = Problem(
                args.collective, args.ranks, (args.count,), args.dtype, args.root,
                resolve_op(named_op) if named_op else None, args.segments)
        except InvalidInputError:  # a wrong call: the run below says what is wrong, as ever
            problem = None
        if problem is not None:
            check_run(problem, args.algorithm, data=True, provenance=args.provenance,
                      keep_transfers=keeps_transfers(args.ranks, keep))
        inputs = example_inputs(args.collective, args.ranks, args.count, args.dtype,
                                root=args.root)
        simulation = Simulation(args.collective, inputs, algorithm=args.algorithm, op=op,
                                root=args.root, provenance=args.provenance, network=network,
                                keep_transfers=keep, segments=args.segments)
    return run_steps(simulation, desc=f"{args.collective} {args.algorithm} N={args.ranks}",
                     total=simulation.expected_steps)


def reference_for(result: SimResult) -> Problem:
    """The Problem the result solved, for looking up the reference cost."""
    op = resolve_op(result.op) if result.op else None
    return Problem(result.collective, result.ranks, (result.count,), np.dtype(result.dtype),
                   result.root, op, result.segments, result.group_size)


def nominal_reference_time(result: SimResult) -> float | None:
    """The reference formula's time with the network's nominal figures (alpha, 1/bandwidth,
    gamma); None without a network."""
    if result.links is None:
        return None
    network = result.links.network
    return reference_time(reference_for(result), result.algorithm, network.alpha,
                          1 / network.bandwidth, network.gamma_default)


def print_timing(result: SimResult) -> None:
    """The network, the time beside the reference formula, the slowest step, the links."""
    assert result.links is not None and result.step_times is not None and result.time is not None
    network = result.links.network
    print(f"network: {network.describe()}")
    reference = nominal_reference_time(result)
    formula = "" if reference is None else (
        f" (reference formula {format_seconds(reference)} = alpha-beta-gamma with alpha "
        f"{network.alpha:g} s, beta 1/{network.bandwidth:g} s/B, gamma "
        f"{network.gamma_default:g} s/B)")
    print(f"time: {format_seconds(result.time)}{formula}")
    if len(result.step_times):
        slowest = int(result.step_times.argmax())
        print(f"slowest step: {format_seconds(float(result.step_times[slowest]))} (step "
              f"{slowest}, {result.steps[slowest].label or 'unlabelled'}); fastest "
              f"{format_seconds(float(result.step_times.min()))}")
    busiest = result.links.busiest()
    if busiest is not None:
        name, nbytes, busy = busiest
        share = f" ({100 * busy / result.time:.1f}% of the run)" if result.time else ""
        print(f"busiest link: {name} carried {nbytes} bytes = {format_bytes(nbytes)}, busy "
              f"{format_seconds(busy)}{share}")
    links = result.links
    if 0 < len(links.link_ids) <= 32:
        print("bytes per link:")
        for name, nbytes, busy in zip(links.names, links.nbytes.tolist(), links.busy.tolist(),
                                      strict=True):
            print(f"  {name:>12}: {nbytes:>12}  busy {format_seconds(busy)}")


def run(args: argparse.Namespace) -> int:
    """Print a summary (or JSON) of the simulated run beside the reference's figures."""
    if args.trace:
        output_file(args.trace, "--trace")
    result = simulate_call(args)
    reference = reference_cost(reference_for(result), result.algorithm)
    if args.trace:
        trace = write_chrome_trace(result, args.trace)
        print(f"trace: {len(trace['traceEvents'])} events written to {args.trace}",
              file=sys.stderr)
    if args.json:
        summary = result.to_dict()
        summary["reference"] = {"steps": reference.steps,
                                "bytes_sent": reference.bytes_sent.tolist()}
        if result.links is not None:
            summary["reference"]["time"] = nominal_reference_time(result)
        print(json.dumps(summary))
        return 0 if result.verified is not False else 1
    n = result.ranks
    print(f"{result.collective} / {result.algorithm}: N={n}, count={result.count} "
          f"{result.dtype}" + (f", op={result.op}" if result.op else "")
          + (f", root={result.root}" if collective_info(result.collective).rooted else "")
          + (f", segments={result.segments}" if result.segments > 1 else ""))
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
    if result.links is not None:
        print_timing(result)
    return 0 if result.verified is not False else 1
