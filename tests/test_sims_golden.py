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

# Every script with its golden output beside it as NAME.out.
SCRIPTS = sorted(path.stem for path in SIMS.glob("*.out"))


def _launcher_free_env() -> dict[str, str]:
    """This environment without the variables an MPI launcher sets (a script would take itself
    for an MPI rank), with UTF-8 output."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PMI_", "OMPI_", "_PYTEST_MPI"))}
    return {**env, "PYTHONIOENCODING": "utf-8", "COLUMNS": "100"}


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_prints_its_golden_output(name):
    """``python sims/NAME.py`` exits 0, writes nothing to stderr (no progress bar off a
    terminal), and prints NAME.out exactly."""
    env = _launcher_free_env()
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


def test_every_script_has_its_golden_file():
    """Each script in sims/ has a golden output, and each golden output its script."""
    scripts = sorted(path.stem for path in SIMS.glob("*.py"))
    assert scripts == SCRIPTS


def test_slowest_link_output_says_every_time_equals_the_formula():
    """Every row of the slowest-link table marks all three simulated times '=' (equal to the
    formula), none '!'."""
    rows = [line for line in (SIMS / "slowest_link.out").read_text(encoding="utf-8").splitlines()
            if line[:4].strip().isdigit()]
    assert len(rows) == 11
    assert all(row.count(" = ") == 3 and "!" not in row for row in rows)
