"""``python -m collectives run``: run a per-rank script on N simulated ranks in one process.

    python -m collectives run --ranks 8 script.py [ARGS...]
    python -m collectives run --ranks 16 --topology ring --trace run.json script.py

Every rank runs the script, top to bottom and with ``__name__ == "__main__"``, in its own thread
and its own module namespace, as each MPI process runs it under
``mpiexec -n 8 python -m mpi4py script.py``; :func:`collectives.world.communicator` gives each
rank its simulated communicator. The collectives are timed on the network the flags describe
(fully connected with the simulator's figures by default). After the script, the world's
summary is printed (calls, bytes, time, each rank's computing, waiting and communicating);
``--json`` and ``--trace`` write the whole record and a Chrome trace.

A rank's ``sys.exit(0)`` (or ``sys.exit()``) ends that rank normally; another exit code ends the
world and is this command's exit code.
"""

from __future__ import annotations

import argparse
import builtins
import json
import sys
from pathlib import Path
from typing import Any

from collectives.cli.common import (
    add_network_arguments,
    input_file,
    network_from_args,
    output_file,
)
from collectives.sim.world import TIME_MODELS, World, WorldCommunicator

HELP = ("run a per-rank script (the same file mpiexec runs) on N simulated ranks in one process, "
        "with a simulated clock")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``run``."""
    parser.add_argument("--ranks", "-n", type=int, required=True, help="number of ranks N")
    parser.add_argument("--time-model", default="flow", choices=TIME_MODELS,
                        help="time of a collective: flow (links shared by what crosses them at "
                             "once; default), dataflow, or step (sum of step times)")
    parser.add_argument("--json", metavar="FILE", help="write the world's record as JSON")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="print nothing after the script")
    net = add_network_arguments(parser)
    net.add_argument("--trace", metavar="FILE",
                     help="write every rank's computing, waiting and collectives as a Chrome "
                          "trace (open in Perfetto or chrome://tracing)")
    parser.add_argument("script", help="the per-rank Python script")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments")


class _RankExit(Exception):
    """A rank's ``sys.exit`` with a failing code, carried out of the world."""

    def __init__(self, code: Any) -> None:
        super().__init__(f"a rank exited with {code!r}")
        self.code = code


def run_script(path: Path, world: World, argv: list[str]) -> Any:
    """Run the script at ``path`` on every rank of ``world`` with ``sys.argv = argv``; the
    world's result."""
    code = compile(path.read_text(encoding="utf-8"), str(path), "exec")

    def program(comm: WorldCommunicator) -> None:
        namespace = {"__name__": "__main__", "__file__": str(path), "__builtins__": builtins,
                     "__spec__": None, "__package__": None}
        try:
            exec(code, namespace)
        except SystemExit as done:
            if done.code not in (None, 0):
                raise _RankExit(done.code) from None

    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = argv
    sys.path.insert(0, str(path.resolve().parent))
    try:
        return world.run(program)
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path


def run(args: argparse.Namespace) -> int:
    """Run the script and print the world's summary."""
    script = input_file(args.script, "a script", "file")
    json_path = output_file(args.json, "--json") if args.json else None
    trace_path = output_file(args.trace, "--trace") if args.trace else None
    network = network_from_args(args, args.topology or "fully_connected")
    world = World(args.ranks, network=network, time_model=args.time_model)
    try:
        result = run_script(script, world, [str(script), *args.args])
    except _RankExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    sys.stdout.flush()
    if not args.quiet:
        print(result.summary())
    if json_path is not None:
        json_path.write_text(json.dumps(result.to_dict()))
    if trace_path is not None:
        result.write_chrome_trace(trace_path)
    return 0
