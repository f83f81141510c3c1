"""Time and peak memory of the simulator's command at large N, one fresh process per run.

    python benchmarks/sim_scale.py           # ring all-reduce, count-only, N = 4,096..16,384
    python benchmarks/sim_scale.py -n 1024 2048 -- alltoall -a bruck

Each run is ``python -m collectives sim ... --count-only`` in its own process; the time is
the process's wall-clock time and the memory its peak resident set (``os.wait4``'s ``ru_maxrss``),
imports included. ``--tree DIR`` runs another checkout's code (to compare before and after).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(tree: Path, ranks: int, call: list[str]) -> tuple[float, int, str | None]:
    """(seconds, peak RSS in bytes, the printed summary or None when the run failed) of one
    run."""
    command = [sys.executable, "-m", "collectives", "sim", *call, "--ranks", str(ranks),
               "--count-only"]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=tree)
        _, status, usage = os.wait4(process.pid, 0)  # the child's own peak, not the largest
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode:
            print(err.read().decode().strip(), file=sys.stderr)
            return seconds, usage.ru_maxrss * 1024, None
        return seconds, usage.ru_maxrss * 1024, out.read().decode()


def _figure(summary: str, label: str) -> str:
    """The first word after ``label`` in the command's summary (``steps: 8190 (...)``)."""
    line = next(line for line in summary.splitlines() if line.startswith(label))
    return line[len(label):].split()[0]


def main() -> int:
    """Print one row per N: steps, bytes, seconds and peak RSS."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--ranks", type=int, nargs="+", default=[4096, 8192, 16384])
    parser.add_argument("--tree", type=Path, default=ROOT,
                        help="the checkout whose code runs (default: this one)")
    parser.add_argument("call", nargs="*", default=["allreduce", "-a", "ring"],
                        help="the sim command's call (default: allreduce -a ring)")
    args = parser.parse_args()
    print(f"# python -m collectives sim {' '.join(args.call)} --ranks N --count-only "
          f"({args.tree})")
    print(f"# {'N':>7} {'steps':>7} {'total bytes':>14} {'seconds':>8} {'peak RSS (MiB)':>15}")
    for ranks in args.ranks:
        seconds, peak, summary = measure(args.tree, ranks, args.call)
        steps = _figure(summary, "steps:") if summary else "failed"
        total = _figure(summary, "total:") if summary else "-"
        print(f"  {ranks:>7} {steps:>7} {total:>14} {seconds:>8.1f} {peak / 2**20:>15.0f}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
