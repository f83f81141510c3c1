"""The code base stays ruff-clean, and its modules and functions stay short."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "collectives"

MODULE_LINES = 450  #: the most lines a module of collectives/ has (the aim is ~400)
FUNCTION_LINES = 60  #: the most lines a function has, def to last line (the aim is ~50)

# Modules allowed past MODULE_LINES, each with why; an entry no longer needed fails the test.
LONG_MODULES: dict[str, str] = {
}
# Functions allowed past FUNCTION_LINES ("path::qualified name"), each with the comment in the
# function that says why; an entry no longer needed fails the test.
LONG_FUNCTIONS: dict[str, str] = {}


def test_ruff_clean():
    """ruff finds nothing in the package, the tests and the scripts."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    completed = subprocess.run([ruff, "check", "collectives", "tests", "sims"], cwd=ROOT,
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def _function_lengths(source: str) -> dict[str, int]:
    """Lines of every function and method in ``source`` (nested ones too), from its ``def`` to
    its last line, by qualified name (``Class.method``, ``outer.inner``)."""
    lengths: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    lengths[name] = child.end_lineno - child.lineno + 1
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return lengths


def _modules() -> dict[str, str]:
    return {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(PACKAGE.rglob("*.py"))}


def test_modules_stay_short():
    """Every module of collectives/ has at most MODULE_LINES lines, but the few allowed."""
    lines = {name: len(text.splitlines()) for name, text in _modules().items()}
    too_long = {name: count for name, count in lines.items()
                if count > MODULE_LINES and name not in LONG_MODULES}
    assert too_long == {}, f"expected modules of at most {MODULE_LINES} lines, got {too_long}"
    stale = {name: lines.get(name) for name in LONG_MODULES
             if lines.get(name, 0) <= MODULE_LINES}
    assert stale == {}, f"expected every allowed long module still long, got {stale}: drop them"


def test_functions_stay_short():
    """Every function of collectives/ has at most FUNCTION_LINES lines, but the few allowed."""
    lengths = {f"{module}::{name}": count for module, text in _modules().items()
               for name, count in _function_lengths(text).items()}
    too_long = {name: count for name, count in lengths.items()
                if count > FUNCTION_LINES and name not in LONG_FUNCTIONS}
    assert too_long == {}, (f"expected functions of at most {FUNCTION_LINES} lines (or a "
                            f"comment saying why and an entry in LONG_FUNCTIONS), got {too_long}")
    stale = {name: lengths.get(name) for name in LONG_FUNCTIONS
             if lengths.get(name, 0) <= FUNCTION_LINES}
    assert stale == {}, f"expected every allowed long function still long, got {stale}: drop them"


def test_function_lengths_count_from_def_to_the_last_line():
    """The measure sees methods and nested functions by qualified name, each from ``def`` to
    its last line (so a long function would be caught)."""
    source = ("class A:\n    def f(self):\n        x = 1\n        return x\n\n\n"
              "def g():\n    def h():\n        pass\n" + "    y = 2\n" * 70 + "    return h\n")
    assert _function_lengths(source) == {"A.f": 3, "g": 74, "g.h": 2}


# MPI calls that block until peers act: inside a call every wait polls with the deadline instead
BLOCKING_MPI = frozenset({"Wait", "Waitall", "Waitany", "Waitsome", "Recv", "Send", "Ssend",
                          "Sendrecv", "Sendrecv_replace", "Probe", "Mprobe", "Barrier", "Bcast",
                          "Reduce", "Allreduce", "Gather", "Allgather", "Scatter", "Alltoall",
                          "Reduce_scatter", "Reduce_scatter_block"})
# Modules of collectives/mpi allowed a blocking call, each with why
BLOCKING_ALLOWED = {
    "nodes.py": "one Allgather when a Communicator is made, as comm.Dup() there blocks too",
    "calibrate.py": "the calibration tool's own timing, not a call of the Communicator",
}


def test_no_wait_of_the_mpi_side_blocks_for_ever():
    """No module of collectives/mpi (its algorithms included) calls a blocking MPI wait, send,
    receive or collective, outside the listed ones: each wait of a call polls under the
    deadline, so a rank that left the call cannot leave another waiting for ever."""
    found = []
    for path in sorted((PACKAGE / "mpi").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in BLOCKING_MPI and path.name not in BLOCKING_ALLOWED:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.func.attr}")
    assert found == []
