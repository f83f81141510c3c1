"""Arguments and printing shared by the commands."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from collectives.catalogue import COLLECTIVES, REDUCING
from collectives.errors import InvalidInputError
from collectives.ops import OP_NAMES


def add_call_arguments(parser: argparse.ArgumentParser) -> None:
    """COLLECTIVE --algorithm --count --dtype --root --op --json."""
    parser.add_argument("collective", choices=COLLECTIVES, metavar="COLLECTIVE",
                        help=f"one of {', '.join(COLLECTIVES)}")
    parser.add_argument("--algorithm", "-a", required=True,
                        help="algorithm name (an unknown name lists the valid ones)")
    parser.add_argument("--count", "-c", type=int, default=1024,
                        help="elements per rank buffer (per block for scatter, gather, "
                             "all-gather, reduce-scatter and all-to-all)")
    parser.add_argument("--dtype", "-d", default="float32", help="numpy dtype name")
    parser.add_argument("--root", "-r", type=int, default=0, help="root rank")
    parser.add_argument("--op", "-o", default="sum", choices=OP_NAMES, help="reduction op")
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


def format_bytes(value: float) -> str:
    """``1536`` -> ``1.5 KiB``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_matrix(matrix: np.ndarray) -> str:
    """An N×N byte matrix as aligned rows, ``from\\to`` in the corner."""
    n = len(matrix)
    width = max(6, *(len(str(int(v))) for v in matrix.reshape(-1))) if n else 6
    header = "from\\to " + " ".join(f"{j:>{width}}" for j in range(n))
    rows = [f"{i:>7} " + " ".join(f"{int(v):>{width}}" for v in row)
            for i, row in enumerate(matrix)]
    return "\n".join([header, *rows])
