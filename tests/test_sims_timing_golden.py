"""The timing scripts in sims/ print exactly their golden output (regenerate one, after checking
the change is meant, with ``python sims/NAME.py > sims/NAME.out``)."""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest

SIMS = Path(__file__).resolve().parent.parent / "sims"

SCRIPTS = ["slowest_link", "ring_vs_tree"]


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_prints_its_golden_output(name):
    """``python sims/NAME.py`` exits 0, writes nothing to stderr (no progress bar when not on a
    terminal), and prints NAME.out exactly."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
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


def test_slowest_link_output_says_every_time_equals_the_formula():
    """Every row of the slowest-link table marks all three simulated times '=' (equal to the
    formula), none '!'."""
    rows = [line for line in (SIMS / "slowest_link.out").read_text(encoding="utf-8").splitlines()
            if line[:4].strip().isdigit()]
    assert len(rows) == 11
    assert all(row.count(" = ") == 3 and "!" not in row for row in rows)
