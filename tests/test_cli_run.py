"""``python -m collectives run``: a per-rank script on N simulated ranks in one process, each
rank in its own namespace with its own communicator; the world's summary, JSON and trace after
it; a rank's failure or exit code is the command's."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from collectives.cli import main

pytestmark = pytest.mark.timeout(120)

SCRIPT = """
import sys
import numpy as np
from collectives.world import communicator

comm = communicator()
counter = globals().setdefault("counter", 0) + 1  # one namespace per rank
comm.compute(1e-3 * (comm.rank + 1))
total = comm.allreduce(np.arange(4) * comm.rank, algorithm="ring")
if comm.rank == 0:
    print("total", total.tolist(), "argv", sys.argv[1:], "counter", counter)
"""


def _script(tmp_path, text=SCRIPT):
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(text))
    return path


def test_runs_the_script_on_every_rank_and_prints_the_summary(tmp_path, capsys):
    """Four ranks sum their ranks' arrays; rank 0 prints it and its arguments; the summary
    follows, with rank 3 the last to arrive (it computed 4 ms)."""
    assert main(["run", "-n", "4", "--topology", "ring", str(_script(tmp_path)), "a", "-b"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "total [0, 6, 12, 18] argv ['a', '-b'] counter 1"
    assert out[1].startswith("world: 4 simulated ranks on ring of 4 ranks")
    assert out[2] == "collective calls: 1 (allreduce/ring x1); 192 bytes sent"
    assert out[-1].split()[:5] == ["3", "4.000", "ms", "0.000", "ns"]


def test_json_and_trace_files(tmp_path, capsys):
    """--json writes the world's record, --trace its Chrome trace; --quiet prints nothing
    after the script."""
    record, trace = tmp_path / "world.json", tmp_path / "trace.json"
    assert main(["run", "-n", "2", "--quiet", "--json", str(record), "--trace", str(trace),
                 str(_script(tmp_path))]) == 0
    assert capsys.readouterr().out.splitlines() == ["total [0, 1, 2, 3] argv [] counter 1"]
    data = json.loads(record.read_text())
    assert data["ranks"] == 2 and data["calls"][0]["algorithm"] == "ring"
    assert data["compute"] == [1e-3, 2e-3]
    events = json.loads(trace.read_text())["traceEvents"]
    assert {e["cat"] for e in events if e["ph"] == "X"} == {"compute", "wait", "collective",
                                                             "call"}


def test_a_rank_exit_code_is_the_commands(tmp_path):
    """A rank's sys.exit(3) ends the world with exit code 3; sys.exit(0) on every rank is a
    normal end."""
    failing = _script(tmp_path, "import sys\nfrom collectives.world import communicator\n"
                                "comm = communicator()\nsys.exit(3 if comm.rank == 1 else 0)\n")
    assert main(["run", "-n", "2", "--quiet", str(failing)]) == 3
    done = _script(tmp_path, "import sys\nsys.exit(0)\n")
    assert main(["run", "-n", "2", "--quiet", str(done)]) == 0


def test_a_rank_error_is_a_one_line_message_or_a_traceback(tmp_path):
    """A mismatch between ranks exits 2 with the MismatchError's message; any other exception
    surfaces with its traceback (from a real process)."""
    mismatch = _script(tmp_path, "import numpy as np\nfrom collectives.world import "
                                 "communicator\ncomm = communicator()\n"
                                 "comm.allreduce(np.ones(comm.rank + 1))\n")
    done = subprocess.run([sys.executable, "-m", "collectives", "run", "-n", "2",
                           str(mismatch)], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("error: expected every rank to make the same call (call 0), "
                                  "got different count")
    crash = _script(tmp_path, "raise ZeroDivisionError('rank broke')\n")
    done = subprocess.run([sys.executable, "-m", "collectives", "run", "-n", "2", str(crash)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and "ZeroDivisionError: rank broke" in done.stderr


def test_a_missing_script_is_refused(tmp_path, capsys):
    """A script that is not there is a one-line error."""
    assert main(["run", "-n", "2", str(tmp_path / "nope.py")]) == 2
    assert "expected a script file, got" in capsys.readouterr().err
