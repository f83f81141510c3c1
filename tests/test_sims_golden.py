"""The sims/ scripts print exactly their golden output (regenerate one, after checking the
change is meant, with ``python sims/NAME.py > sims/NAME.out``)."""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest

SIMS = Path(__file__).resolve().parent.parent / "sims"

# Scripts compared here; each has its golden output beside it as NAME.out.
SCRIPTS = ["ring_allreduce"]


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_prints_its_golden_output(name):
    """``python sims/NAME.py`` exits 0, writes nothing to stderr, and prints NAME.out exactly."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "100"}
    done = subprocess.run([sys.executable, str(SIMS / f"{name}.py")], capture_output=True,
                          text=True, encoding="utf-8", timeout=120, check=False,
                          cwd=SIMS.parent, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    golden = (SIMS / f"{name}.out").read_text(encoding="utf-8")
    if done.stdout != golden:
        diff = "".join(difflib.unified_diff(golden.splitlines(keepends=True),
                                            done.stdout.splitlines(keepends=True),
                                            f"sims/{name}.out", f"python sims/{name}.py"))
        pytest.fail(f"output differs from the golden file:\n{diff}")


def test_every_golden_file_has_its_script():
    """Each golden file listed here sits beside a script of the same name."""
    for name in SCRIPTS:
        assert (SIMS / f"{name}.py").is_file() and (SIMS / f"{name}.out").is_file()
