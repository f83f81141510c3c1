"""The simulator's algorithms, one module each; importing this package registers them all."""

from collectives.sim.algorithms import (  # noqa: F401
    binomial_broadcast,
    binomial_gather,
    binomial_reduce,
    binomial_reduce_scatter,
    binomial_scatter,
    linear_gather,
    linear_scatter,
    pairwise_alltoall,
    rabenseifner_allreduce,
    rabenseifner_reduce,
    recursive_doubling_allgather,
    recursive_doubling_allreduce,
    recursive_halving_reduce_scatter,
    ring_allgather,
    ring_allreduce,
    ring_reduce_scatter,
    tree_allreduce,
)
