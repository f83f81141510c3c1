"""Arguments and printing shared by the commands."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from collectives.catalogue import COLLECTIVES, REDUCING
from collectives.errors import InvalidInputError
from collectives.ops import OP_NAMES
from collectives.sim.memory import format_bytes as format_bytes  # the commands' too
from collectives.sim.network import (
    DEFAULT_ALPHA,
    DEFAULT_BANDWIDTH,
    DEFAULT_GAMMA,
    DEFAULT_GROUP_SIZE,
    DEFAULT_INTER_ALPHA,
    DEFAULT_INTER_BANDWIDTH,
    TOPOLOGIES,
    Network,
    build_network,
    with_link_overrides,
)


def add_call_arguments(parser: argparse.ArgumentParser, *, count_default: int = 1024,
                       json_flag: bool = True) -> None:
    """COLLECTIVE --algorithm --count --dtype --root --op, and --json unless ``json_flag`` is
    False."""
    parser.add_argument("collective", choices=COLLECTIVES, metavar="COLLECTIVE",
                        help=f"one of {', '.join(COLLECTIVES)}")
    parser.add_argument("--algorithm", "-a", required=True,
                        help="algorithm name (an unknown name lists the valid ones)")
    parser.add_argument("--count", "-c", type=int, default=count_default,
                        help="elements per rank buffer (per block for scatter, gather, "
                             f"all-gather, reduce-scatter and all-to-all); default "
                             f"{count_default}")
    parser.add_argument("--dtype", "-d", default="float32", help="numpy dtype name")
    parser.add_argument("--root", "-r", type=int, default=0, help="root rank")
    parser.add_argument("--op", "-o", default="sum", choices=OP_NAMES, help="reduction op")
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print one JSON object")


def op_for(collective: str, op: str) -> str | None:
    """The op name for reducing collectives, None for the others."""
    return op if collective in REDUCING else None


def output_file(path: str, flag: str) -> Path:
    """``path`` for a file the command will write, refused up front when its folder is not
    there (before any work whose result would be lost)."""
    folder = Path(path).parent
    if not folder.is_dir():
        raise InvalidInputError(
            f"expected {flag} FILE in an existing folder, got {path} (no folder {folder})"
        )
    return Path(path)


def input_file(path: str, flag: str, what: str) -> Path:
    """``path`` for a file the command will read, refused when it is not there."""
    if not Path(path).is_file():
        raise InvalidInputError(f"expected {flag} {what}, got {path} (no such file)")
    return Path(path)


def format_matrix(matrix: np.ndarray) -> str:
    """An N×N byte matrix as aligned rows, ``from\\to`` in the corner."""
    n = len(matrix)
    width = max(6, *(len(str(int(v))) for v in matrix.reshape(-1))) if n else 6
    header = "from\\to " + " ".join(f"{j:>{width}}" for j in range(n))
    rows = [f"{i:>7} " + " ".join(f"{int(v):>{width}}" for v in row)
            for i, row in enumerate(matrix)]
    return "\n".join([header, *rows])


def add_network_arguments(parser: argparse.ArgumentParser, *, topology_default: str =
                          "fully_connected", bandwidth_default: float = DEFAULT_BANDWIDTH,
                          inter_bandwidth_default: float = DEFAULT_INTER_BANDWIDTH
                          ) -> argparse._ArgumentGroup:
    """--topology --alpha --bandwidth --gamma --slow-link --group-size --inter-alpha
    --inter-bandwidth, in a group of their own (returned, for more flags)."""
    net = parser.add_argument_group(
        "network", "time the run on a network; any of these flags turns timing on")
    net.add_argument("--topology", "-t", metavar="TOPOLOGY",
                     help=f"{', '.join(TOPOLOGIES)} or a JSON file (format in "
                          f"collectives/sim/network/files.py); default {topology_default}")
    net.add_argument("--alpha", type=float, metavar="SECONDS",
                     help=f"latency of every link (inside a node, for hierarchical; default "
                          f"{DEFAULT_ALPHA:g})")
    net.add_argument("--bandwidth", type=float, metavar="BYTES_PER_S",
                     help=f"bandwidth of every link (inside a node, for hierarchical; default "
                          f"{bandwidth_default:g})")
    net.add_argument("--gamma", type=float, metavar="SECONDS_PER_BYTE",
                     help=f"reduction cost of every rank (default {DEFAULT_GAMMA:g})")
    net.add_argument("--slow-link", action="append", default=[], metavar="A-B:BW[:ALPHA]",
                     help="give the links A->B and B->A their own bandwidth (and latency), e.g. "
                          "2-3:1e9 or 3-switch:1e9:5e-6; repeatable")
    net.add_argument("--group-size", type=int, metavar="G",
                     help=f"hierarchical: ranks per node (default {DEFAULT_GROUP_SIZE})")
    net.add_argument("--inter-alpha", type=float, metavar="SECONDS",
                     help=f"hierarchical: latency of the links to the switch between nodes "
                          f"(default {DEFAULT_INTER_ALPHA:g})")
    net.add_argument("--inter-bandwidth", type=float, metavar="BYTES_PER_S",
                     help=f"hierarchical: bandwidth of the links to the switch between nodes "
                          f"(default {inter_bandwidth_default:g})")
    return net


_FIGURES = ("alpha", "bandwidth", "gamma", "group_size", "inter_alpha", "inter_bandwidth")
_HIERARCHICAL_ONLY = ("group_size", "inter_alpha", "inter_bandwidth")


def network_flags_given(args: argparse.Namespace) -> bool:
    """Whether any flag of :func:`add_network_arguments` was given."""
    return (args.topology is not None or args.slow_link
            or any(getattr(args, name) is not None for name in _FIGURES))


def network_from_args(args: argparse.Namespace, topology: str,
                      defaults: dict[str, float] | None = None) -> Network:
    """The network of ``topology`` on ``args.ranks`` ranks with the flags' figures (else
    ``defaults``, else the simulator's), and every ``--slow-link``."""
    given = {name: getattr(args, name) for name in _FIGURES if getattr(args, name) is not None}
    flag = next(iter(given), None)
    if topology not in TOPOLOGIES and flag is not None:
        raise InvalidInputError(f"expected the figures of a topology file inside the file, got "
                                f"--{flag.replace('_', '-')} with --topology {topology}")
    misplaced = next((name for name in _HIERARCHICAL_ONLY if name in given), None)
    if topology != "hierarchical" and misplaced:
        raise InvalidInputError(f"expected --{misplaced.replace('_', '-')} only with --topology "
                                f"hierarchical, got --topology {topology}")
    if topology in TOPOLOGIES:
        given = {**{key: value for key, value in (defaults or {}).items()
                    if topology == "hierarchical" or key not in _HIERARCHICAL_ONLY}, **given}
    network = build_network(topology, args.ranks, **given)
    return with_link_overrides(network, args.slow_link)
