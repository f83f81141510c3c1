"""Command line: ``python -m collectives COMMAND ...``.

Each command lives in its own module with ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``; a module imports mpi4py's MPI only inside ``run``, so ``sim`` and ``plots``
never start MPI.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from collectives.errors import CollectivesError

COMMANDS: dict[str, str] = {
    "demo": "collectives.cli.demo",
    "sim": "collectives.cli.sim",
    "traffic": "collectives.cli.traffic",
    "plots": "collectives.cli.plots",
    "animate": "collectives.cli.animate",
    "bench": "collectives.cli.bench",
    "calibrate": "collectives.cli.calibrate",
    "predict": "collectives.cli.predict",
    "netlab": "collectives.cli.netlab",
    "run": "collectives.cli.run",
}


def _available() -> dict[str, object]:
    modules = {}
    for name, module_name in COMMANDS.items():
        try:
            modules[name] = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
    return modules


def build_parser() -> argparse.ArgumentParser:
    """The parser with one subcommand per available command module."""
    parser = argparse.ArgumentParser(prog="python -m collectives", description=__doc__.split(
        "\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in _available().items():
        sub = commands.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the command; a CollectivesError (or a MemoryError) becomes a
    one-line message."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except CollectivesError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except MemoryError:  # the last resort: what can be estimated is refused before it starts
        print("error: expected the command to fit in memory, got a MemoryError; use fewer "
              "ranks or smaller sizes", file=sys.stderr)
        return 2
