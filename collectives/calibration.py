"""The cost model fitted to this machine: alpha, beta and gamma, kept in the user's cache folder.

``mpiexec -n 2 python -m mpi4py -m collectives calibrate`` measures them
(:mod:`collectives.mpi.calibrate`) and saves them here as a small JSON file; the path is printed.
With a calibration, the simulator predicts how long any algorithm takes on this machine: the
model network is fully connected, every link with the measured alpha and bandwidth 1/beta, every
rank reducing at gamma seconds per byte; a call then costs the simulated time of its steps plus a
fixed ``overhead`` per call (the library's Python setup and the skew of leaving the barrier the
measurement starts from), which shifts every algorithm's prediction alike and so never changes
which one is fastest. Importing this module never starts MPI.

Where the file lives: ``$COLLECTIVES_CACHE_DIR/calibration.json`` if that variable is set, else
``$XDG_CACHE_HOME/collectives/calibration.json``, else ``~/.cache/collectives/calibration.json``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from collectives.catalogue import collective_info
from collectives.errors import InvalidInputError
from collectives.ops import Op
from collectives.spec import Problem

if TYPE_CHECKING:  # the simulator is loaded only when a prediction is made
    from collectives.sim.network import Network

CALIBRATION_FILE = "calibration.json"


@dataclass(frozen=True)
class Calibration:
    """Alpha (s per message step), beta (s per byte), gamma (s per byte reduced), the fixed cost
    of one library call (s), and where they were measured."""

    alpha: float
    beta: float
    gamma: float
    overhead: float = 0.0  #: s per call beyond its steps (Python setup, leaving the barrier)
    measured_on: str = ""  #: host, MPI library and ranks of the measurement
    measured_at: str = ""  #: ISO date and time

    def __post_init__(self) -> None:
        for name in ("alpha", "beta", "gamma", "overhead"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and np.isfinite(value) and value >= 0):
                raise InvalidInputError(f"calibration expected {name} a finite number >= 0, "
                                        f"got {value!r}")
        if self.beta == 0:
            raise InvalidInputError("calibration expected beta > 0 (a finite bandwidth), got 0")

    @property
    def bandwidth(self) -> float:
        """Bytes per second of one link: 1/beta."""
        return 1.0 / self.beta

    def network(self, ranks: int) -> Network:
        """The model of this machine for ``ranks`` ranks: fully connected, uniform links."""
        from collectives.sim.network import fully_connected

        return fully_connected(ranks, alpha=self.alpha, bandwidth=self.bandwidth,
                               gamma=self.gamma)

    def predict(self, problem: Problem, algorithm: str) -> float:
        """Seconds ``algorithm`` is predicted to take on ``problem`` on this machine: the
        simulator's time on :meth:`network` plus the per-call ``overhead``."""
        return self.overhead + self.network_seconds(problem, algorithm)

    def network_seconds(self, problem: Problem, algorithm: str) -> float:
        """Seconds the simulator predicts for ``algorithm``'s steps alone (no call overhead)."""
        return _predicted_seconds(self, problem, algorithm)


@lru_cache(maxsize=4096)
def _predicted_seconds(calibration: Calibration, problem: Problem, algorithm: str) -> float:
    from collectives.sim.engine import Simulation

    run = Simulation.count_only(problem.collective, ranks=problem.ranks, count=problem.count,
                                dtype=problem.dtype, algorithm=algorithm,
                                op=problem.op or "sum", root=problem.root,
                                network=calibration.network(problem.ranks),
                                keep_transfers=False).run()
    assert run.time is not None
    return run.time


def cache_dir() -> Path:
    """The folder the calibration is kept in (see the module docstring)."""
    if "COLLECTIVES_CACHE_DIR" in os.environ:
        return Path(os.environ["COLLECTIVES_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "collectives"


def calibration_path() -> Path:
    """Where :func:`save_calibration` writes and :func:`load_calibration` reads by default."""
    return cache_dir() / CALIBRATION_FILE


def save_calibration(calibration: Calibration, path: str | Path | None = None) -> Path:
    """Write ``calibration`` as JSON (creating the folder); return the path written."""
    target = Path(path) if path is not None else calibration_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(asdict(calibration), indent=2) + "\n")
    return target


def load_calibration(path: str | Path | None = None) -> Calibration | None:
    """The saved calibration, or None when there is none; a malformed file is an error."""
    source = Path(path) if path is not None else calibration_path()
    if not source.is_file():
        return None
    try:
        data = json.loads(source.read_text())
    except json.JSONDecodeError as error:
        raise InvalidInputError(f"{source}: expected JSON, got {error}") from None
    expected = {"alpha", "beta", "gamma", "overhead", "measured_on", "measured_at"}
    if not isinstance(data, dict) or not {"alpha", "beta", "gamma"} <= data.keys() \
            or not data.keys() <= expected:
        got = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise InvalidInputError(f"{source}: expected an object with keys alpha, beta, gamma "
                                f"(and overhead, measured_on, measured_at), got {got}")
    return Calibration(**data)


def fit_line(sizes: np.ndarray, seconds: np.ndarray) -> tuple[float, float]:
    """Intercept and slope of ``seconds ≈ intercept + slope · sizes``, each clipped at 0.

    Fitted in relative terms (each point weighted by 1/seconds) so the small sizes set the
    intercept and the large ones the slope.
    """
    sizes, seconds = np.asarray(sizes, dtype=float), np.asarray(seconds, dtype=float)
    if len(sizes) < 2 or len(set(sizes.tolist())) < 2:
        raise InvalidInputError(f"expected at least two different sizes to fit, got {sizes}")
    slope, intercept = np.polyfit(sizes, seconds, 1, w=1.0 / np.maximum(seconds, 1e-12))
    return max(float(intercept), 0.0), max(float(slope), 0.0)


@lru_cache(maxsize=8)
def _loaded(path: str) -> Calibration | None:
    return load_calibration(path)


def current_calibration() -> Calibration | None:
    """The calibration at :func:`calibration_path`, read once per process (a calibration made
    while a program runs is seen by the next one)."""
    return _loaded(str(calibration_path()))


def fastest_algorithm(calibration: Calibration, collective: str, nbytes: int, ranks: int,
                      candidates: Sequence[str], op: Op | None = None) -> str:
    """The candidate the simulator predicts fastest for ``collective`` on ``ranks`` ranks with a
    message of ``nbytes`` bytes (the reference's K) on the calibrated model; ties go to the
    earlier candidate. The prediction depends on bytes, not on the dtype, so it is made on bytes.
    """
    if not candidates:
        raise InvalidInputError(f"expected at least one {collective} algorithm to choose from, "
                                "got none")
    blocks = collective_info(collective).blocks(ranks)
    problem = Problem(collective, ranks, (nbytes // blocks,), np.dtype(np.uint8), 0, op)
    times = [calibration.predict(problem, name) for name in candidates]
    return candidates[int(np.argmin(times))]
