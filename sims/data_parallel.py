"""Data-parallel SGD of a small numpy MLP: each rank's gradient on its shard, one all-reduce.

    python sims/data_parallel.py                          # 8 simulated ranks in one process
    mpiexec -n 4 python -m mpi4py sims/data_parallel.py   # 4 MPI processes: the same losses

Model: 16 inputs -> 32 tanh -> 1, float64, fit by least squares to a fixed random teacher. Every
step takes the next 64 samples of a 512-sample data set; rank r of N takes rows r·64/N onwards
of them, computes its loss and gradients, and one ring all-reduce sums every rank's gradients and
loss (578 float64 numbers) so every rank takes the same SGD step. The losses do not depend on N
(the sums differ only in rounding), and equal plain SGD on the whole batch in one process.

The per-rank program is the same in both worlds. On simulated ranks (the default, detected by
the absence of an MPI launcher; ``--mpi`` forces MPI) each rank's forward and backward pass
advances its clock by its floating-point operations at 1 GFLOP/s, the last rank being a
straggler at 1.25 times that; the all-reduce takes its flow time on a fully connected network
(1 µs, 10 GB/s links), so every step prints the loss, the slowest rank's computing, the others'
wait for it and the all-reduce. Under MPI the clock calls do nothing, and rank 0 prints the
losses; so it does on the ranks of ``python -m collectives run -n 8 sims/data_parallel.py``,
which then prints the world's summary.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import numpy as np

from collectives.sim.network import fully_connected
from collectives.sim.timing import format_seconds
from collectives.sim.world import WorldResult, run_world
from collectives.world import communicator, in_simulated_world, launched_by_mpiexec

INPUTS, HIDDEN, SAMPLES, BATCH, STEPS = 16, 32, 512, 64, 20
LEARNING_RATE = 0.2
FLOPS = 1e9  #: the simulated ranks' floating-point operations per second
STRAGGLER = 1.25  #: the last rank computes this much slower


@dataclass
class Params:
    """The MLP's weights: hidden = tanh(x·w1 + b1), prediction = hidden·w2 + b2."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    def flat(self) -> list[np.ndarray]:
        """The arrays in the order the gradient buffer holds them."""
        return [self.w1, self.b1, self.w2, self.b2]


def make_data(seed: int = 0) -> tuple[Params, np.ndarray, np.ndarray]:
    """The initial parameters and the data set (x, y), the same on every rank."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((SAMPLES, INPUTS))
    teacher = rng.standard_normal((INPUTS, 4)) / np.sqrt(INPUTS)
    y = np.tanh(x @ teacher) @ rng.standard_normal(4) + 0.05 * rng.standard_normal(SAMPLES)
    params = Params(rng.standard_normal((INPUTS, HIDDEN)) / np.sqrt(INPUTS), np.zeros(HIDDEN),
                    rng.standard_normal(HIDDEN) / np.sqrt(HIDDEN), np.zeros(1))
    return params, x, y


def loss_and_gradients(params: Params, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Σ ½(prediction − y)² over the rows of ``x`` and its gradients, packed as one buffer:
    [dw1, db1, dw2, db2, loss]."""
    hidden = np.tanh(x @ params.w1 + params.b1)
    error = hidden @ params.w2 + params.b2 - y
    d_hidden = np.outer(error, params.w2) * (1 - hidden**2)
    parts = [x.T @ d_hidden, d_hidden.sum(axis=0), hidden.T @ error, [error.sum()],
             [0.5 * error @ error]]
    return np.concatenate([np.ravel(part) for part in parts])


def flops(rows: int) -> int:
    """Floating-point operations of one forward and backward pass over ``rows`` samples."""
    return 6 * rows * (INPUTS * HIDDEN + HIDDEN)


def sgd_step(params: Params, summed: np.ndarray) -> float:
    """Apply the mean gradient in ``summed`` (a whole batch's sums); the batch's mean loss."""
    mean = summed / BATCH
    offset = 0
    for array in params.flat():
        array -= LEARNING_RATE * mean[offset:offset + array.size].reshape(array.shape)
        offset += array.size
    return float(mean[-1])


def train(comm) -> list[float]:
    """One rank's training; the loss of every step (the same on every rank)."""
    if BATCH % comm.size:
        raise SystemExit(f"expected a number of ranks that divides {BATCH}, got {comm.size}")
    params, x, y = make_data()
    rows = BATCH // comm.size
    slower = STRAGGLER if comm.rank == comm.size - 1 and comm.size > 1 else 1.0
    losses = []
    for step in range(STEPS):
        first = (step * BATCH) % SAMPLES + comm.rank * rows
        with comm.phase(f"step {step}"):
            local = loss_and_gradients(params, x[first:first + rows], y[first:first + rows])
            comm.compute(flops(rows) / FLOPS * slower, "forward and backward")
            summed = comm.allreduce(local, algorithm="ring")
        losses.append(sgd_step(params, summed))
    return losses


def serial_losses() -> list[float]:
    """Plain SGD on the whole batch in one process."""
    params, x, y = make_data()
    losses = []
    for step in range(STEPS):
        first = (step * BATCH) % SAMPLES
        losses.append(sgd_step(params, loss_and_gradients(params, x[first:first + BATCH],
                                                          y[first:first + BATCH])))
    return losses


def format_step(step: int, loss: float) -> str:
    """The part of a step's line both worlds print."""
    return f"step {step:>2}  loss {loss:.6f}"


def report(world: WorldResult) -> str:
    """The simulated run: a line per step, then the totals."""
    losses = world.results[0]
    lines = [f"run: simulated world, {world.ranks} ranks in one process",
             f"network: {world.network.describe() if world.network else 'none'}",
             f"{'':22}{'slowest rank computes':>24}{'rank 0 waits':>14}{'all-reduce':>12}"]
    for step, (loss, call) in enumerate(zip(losses, world.calls, strict=True)):
        waited = call.start - call.arrivals
        computing = max(sum(seconds for _, seconds, label in rank_computations
                            if label.startswith(f"step {step}/"))
                        for rank_computations in world.computations)
        lines.append(f"{format_step(step, loss)}{format_seconds(computing):>24}"
                     f"{format_seconds(float(waited[0])):>14}"
                     f"{format_seconds(call.duration):>12}")
    call = world.calls[0]
    lines += [f"all-reduce: {call.algorithm}, {call.nbytes} bytes per rank, {call.steps} steps, "
              f"{call.bytes_sent} bytes sent per call",
              f"every rank holds the same losses: "
              f"{all(result == losses for result in world.results)}",
              f"same losses as SGD on the whole batch in one process (to 1e-12): "
              f"{np.allclose(losses, serial_losses(), rtol=1e-12, atol=0)}",
              "", world.summary()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Train on simulated ranks, or on this MPI job's ranks, and print the losses."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ranks", "-n", type=int, default=8,
                        help="simulated ranks (under MPI: the job's size)")
    parser.add_argument("--mpi", action="store_true", help="run over MPI even with one rank")
    args = parser.parse_args(argv)
    if args.mpi or launched_by_mpiexec() or in_simulated_world():
        comm = communicator()  # this MPI process's, or (python -m collectives run) this rank's
        losses = train(comm)
        if comm.rank == 0:
            run = (f"python -m collectives run, {comm.size} simulated ranks"
                   if in_simulated_world() else
                   f"mpiexec, {comm.size} process{'es' if comm.size > 1 else ''}")
            print(f"run: {run}")
            print("\n".join(format_step(step, loss) for step, loss in enumerate(losses)))
        return 0
    world = run_world(train, args.ranks, network=fully_connected(args.ranks))
    sys.stdout.write(report(world))
    return 0


if __name__ == "__main__":
    sys.exit(main())
