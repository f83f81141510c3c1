"""``python -m collectives animate``: draw every step of a simulated collective into a GIF.

The run is simulated in provenance mode on the network the flags describe (fully connected by
default); :mod:`collectives.sim.frames` reads each step from the simulator and
:mod:`collectives.plots.animation` draws it.
"""

from __future__ import annotations

import argparse

from collectives.catalogue import algorithm_info
from collectives.cli.common import (
    add_call_arguments,
    add_network_arguments,
    format_bytes,
    network_from_args,
    op_for,
    output_file,
)
from collectives.errors import InvalidInputError
from collectives.sim.frames import DEFAULT_COUNT, record_frames
from collectives.spec import example_inputs

HELP = ("draw each step of a simulated collective as a GIF: links used, whose inputs each chunk "
        "holds, bytes sent against the formula")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``animate``."""
    add_call_arguments(parser, count_default=DEFAULT_COUNT, json_flag=False)
    parser.add_argument("--ranks", "-n", type=int, required=True, help="number of ranks N")
    parser.add_argument("--out", required=True, metavar="FILE.gif", help="the GIF to write")
    add_network_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Simulate, draw a frame for the start and one per step, write the GIF, say what it
    holds."""
    from collectives.plots.animation import animate, check_ranks  # matplotlib: only here

    if not args.out.lower().endswith(".gif"):
        raise InvalidInputError(f"expected --out FILE.gif, got {args.out}")
    path = output_file(args.out, "--out")
    algorithm_info(args.collective, args.algorithm)
    check_ranks(args.ranks)
    network = network_from_args(args, args.topology or "fully_connected")
    inputs = example_inputs(args.collective, args.ranks, args.count, args.dtype, root=args.root)
    frames = record_frames(args.collective, inputs, algorithm=args.algorithm, network=network,
                           op=op_for(args.collective, args.op) or "sum", root=args.root)
    picture = animate(frames, path)
    result = frames.result
    width, height = picture.size
    print(f"{path}: {len(frames.frames)} frames (the start and {result.num_steps} steps), "
          f"{width}x{height} pixels, {format_bytes(path.stat().st_size)}")
    print(f"network: {network.describe()}")
    print(f"bytes sent per rank: {result.bytes_sent.tolist()} (formula "
          f"{frames.formula.tolist()})")
    print("result equals numpy's answer: " + ("yes" if result.verified else "NO")
          + "; provenance: every output element came from exactly the inputs it should")
    return 0 if result.verified else 1
