"""The calibrated cost model: the file, the fit, the predictions, and the commands under mpiexec."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from collectives.calibration import (
    Calibration,
    calibration_path,
    fastest_algorithm,
    fit_line,
    load_calibration,
    save_calibration,
)
from collectives.costs import reference_time
from collectives.errors import InvalidInputError
from collectives.launcher import mpiexec_command
from collectives.ops import resolve_op
from collectives.spec import Problem

ROOT = Path(__file__).resolve().parent.parent
MODEL = Calibration(alpha=2.0 ** -20, beta=2.0 ** -33, gamma=2.0 ** -35)


def _problem(ranks: int, count: int) -> Problem:
    return Problem("allreduce", ranks, (count,), np.dtype("float32"), 0, resolve_op("sum"))


@pytest.mark.parametrize("algorithm", ["ring", "tree"])
@pytest.mark.parametrize("ranks", [2, 4, 8])
def test_prediction_is_the_reference_time_on_the_model(algorithm, ranks):
    """The model is fully connected with uniform links, so the simulator's prediction is the
    reference table's alpha-beta-gamma time."""
    problem = _problem(ranks, 1 << 16)
    assert MODEL.predict(problem, algorithm) == pytest.approx(
        reference_time(problem, algorithm, MODEL.alpha, MODEL.beta, MODEL.gamma), rel=1e-12)


def test_overhead_adds_to_every_prediction_alike():
    """The per-call overhead is added to the simulated steps' time, the same for every
    algorithm, so it never changes which one the model finds fastest."""
    costly_calls = Calibration(alpha=MODEL.alpha, beta=MODEL.beta, gamma=MODEL.gamma,
                               overhead=5e-5)
    problem = _problem(4, 1 << 10)
    for algorithm in ("ring", "tree", "recursive_doubling"):
        assert costly_calls.predict(problem, algorithm) == pytest.approx(
            MODEL.predict(problem, algorithm) + 5e-5, rel=1e-12)
        assert costly_calls.network_seconds(problem, algorithm) == MODEL.predict(problem,
                                                                                  algorithm)
    for nbytes in (1 << 10, 1 << 24):
        candidates = ["ring", "tree", "recursive_doubling"]
        assert fastest_algorithm(costly_calls, "allreduce", nbytes, 4, candidates) == \
            fastest_algorithm(MODEL, "allreduce", nbytes, 4, candidates)


def test_file_without_overhead_reads_as_zero(tmp_path):
    """A calibration saved before the overhead was measured loads with overhead 0."""
    path = tmp_path / "cal.json"
    path.write_text('{"alpha": 1e-6, "beta": 1e-10, "gamma": 0}')
    assert load_calibration(path) == Calibration(alpha=1e-6, beta=1e-10, gamma=0.0)


def test_save_then_load_round_trips(tmp_path):
    """What save_calibration writes, load_calibration reads back unchanged."""
    path = save_calibration(MODEL, tmp_path / "sub" / "cal.json")
    assert path == tmp_path / "sub" / "cal.json"
    assert load_calibration(path) == MODEL


def test_default_path_follows_the_cache_variables(tmp_path, monkeypatch):
    """COLLECTIVES_CACHE_DIR wins, then XDG_CACHE_HOME, then ~/.cache."""
    monkeypatch.delenv("COLLECTIVES_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert calibration_path() == tmp_path / "xdg" / "collectives" / "calibration.json"
    monkeypatch.setenv("COLLECTIVES_CACHE_DIR", str(tmp_path / "mine"))
    assert calibration_path() == tmp_path / "mine" / "calibration.json"


def test_missing_file_is_none(tmp_path):
    """No file means no calibration, not an error."""
    assert load_calibration(tmp_path / "absent.json") is None


@pytest.mark.parametrize("text, match", [
    ("not json", "expected JSON"),
    ('{"alpha": 1e-6, "beta": 1e-10}', "expected an object with keys alpha, beta, gamma"),
    ('{"alpha": 1e-6, "beta": 1e-10, "gamma": 0, "extra": 1}', "got \\['alpha'"),
    ('{"alpha": -1, "beta": 1e-10, "gamma": 0}', "expected alpha a finite number >= 0"),
    ('{"alpha": 1e-6, "beta": 0, "gamma": 0}', "expected beta > 0"),
    ('{"alpha": 1e-6, "beta": 1e-10, "gamma": 0, "overhead": -1}',
     "expected overhead a finite number >= 0"),
])
def test_malformed_file_says_what_is_wrong(tmp_path, text, match):
    """A malformed calibration file names the file and what was expected."""
    path = tmp_path / "cal.json"
    path.write_text(text)
    with pytest.raises(InvalidInputError, match=match):
        load_calibration(path)


def test_fit_line_recovers_intercept_and_slope():
    """A line through exact points is found again."""
    sizes = np.array([0, 1 << 10, 1 << 16, 1 << 22], dtype=float)
    alpha, beta = fit_line(sizes, 3e-6 + 1e-10 * sizes)
    assert alpha == pytest.approx(3e-6, rel=1e-6)
    assert beta == pytest.approx(1e-10, rel=1e-6)


def test_fit_line_needs_two_sizes():
    """One size cannot give a line."""
    with pytest.raises(InvalidInputError, match="at least two different sizes"):
        fit_line(np.array([4.0, 4.0]), np.array([1.0, 1.0]))


def _run(command: list[str], cache: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PMI_", "OMPI_", "_PYTEST_MPI"))}
    env["COLLECTIVES_CACHE_DIR"] = str(cache)
    return subprocess.run([*mpiexec_command(2), sys.executable, "-m", "mpi4py", "-m",
                           "collectives", *command], capture_output=True, text=True,
                          timeout=180, check=False, cwd=ROOT, env=env)


def test_calibrate_then_predict_under_mpiexec(tmp_path):
    """calibrate saves positive figures in the cache folder and prints where; predict then
    gives, for every algorithm and size, a positive predicted and measured time."""
    calibrated = _run(["calibrate"], tmp_path)
    assert calibrated.returncode == 0, calibrated.stderr
    assert f"saved to {tmp_path / 'calibration.json'}" in calibrated.stdout
    calibration = load_calibration(tmp_path / "calibration.json")
    assert calibration is not None and calibration.alpha > 0 and calibration.beta > 0
    assert calibration.overhead > 0, "a library call costs more than its one step"
    assert "overhead = " in calibrated.stdout
    predicted = _run(["predict", "allreduce", "-a", "ring,tree", "-b", "1K", "-e", "4K", "-f", "2",
                      "-n", "2", "-w", "1", "--json"], tmp_path)
    assert predicted.returncode == 0, predicted.stderr
    rows = json.loads(predicted.stdout)
    assert [(r["size"], r["algorithm"]) for r in rows] == [
        (1024, "ring"), (1024, "tree"), (2048, "ring"), (2048, "tree"), (4096, "ring"),
        (4096, "tree")]
    assert all(r["predicted"] > calibration.overhead and r["measured"] > 0 for r in rows)


def test_predict_without_calibration_says_how_to_make_one(tmp_path):
    """predict with no calibration file fails and names the calibrate command."""
    done = _run(["predict", "allreduce", "-e", "1K"], tmp_path)
    assert done.returncode != 0
    assert "run mpiexec -n 2 python -m mpi4py -m collectives calibrate first" in done.stderr


def test_fastest_algorithm_follows_the_model():
    """On a slow-latency model recursive doubling (lg N steps) wins small all-reduces; on a
    slow-bandwidth model ring or Rabenseifner (2K(N-1)/N bytes) wins large ones."""
    candidates = ["ring", "tree", "recursive_doubling", "rabenseifner"]
    latency_bound = Calibration(alpha=1e-3, beta=1e-12, gamma=0.0)
    bandwidth_bound = Calibration(alpha=1e-9, beta=1e-9, gamma=1e-10)
    assert fastest_algorithm(latency_bound, "allreduce", 4096, 8, candidates,
                             resolve_op("sum")) == "recursive_doubling"
    assert fastest_algorithm(bandwidth_bound, "allreduce", 64 << 20, 8, candidates,
                             resolve_op("sum")) in ("ring", "rabenseifner")


def test_fastest_algorithm_needs_candidates():
    """An empty candidate list is an error, not a silent pick."""
    with pytest.raises(InvalidInputError, match="expected at least one allreduce algorithm"):
        fastest_algorithm(MODEL, "allreduce", 1024, 4, [])
