"""Megatron-style tensor parallelism over the library's all-reduce, simulated or under MPI.

The layers are written per rank and talk to a :class:`Group` (``group.allreduce(x, label=...)``)
through the operators f and g. :func:`run_simulated` runs N ranks' code in one process on the
simulated world (:mod:`collectives.sim.world`);
:class:`~collectives.tensor_parallel.mpi_backend.MpiGroup` (imported from its own module, which
imports mpi4py's MPI) runs it one rank per process. Importing this
package never starts MPI.

    >>> def program(group):
    ...     mlp = ParallelMLP.from_full(params, group)
    ...     z, cache = mlp.forward(group, x)
    ...     return mlp.backward(group, cache, dz)
    >>> results = run_simulated(4, program)
"""

from collectives.tensor_parallel.attention import ParallelAttention, shard_attention_params
from collectives.tensor_parallel.gelu import gelu, gelu_derivative
from collectives.tensor_parallel.group import AllReduceRecord, CommunicatorGroup, Group
from collectives.tensor_parallel.linear import ColumnParallelLinear, RowParallelLinear
from collectives.tensor_parallel.mlp import ParallelMLP, shard_mlp_params
from collectives.tensor_parallel.operators import f_backward, f_forward, g_backward, g_forward
from collectives.tensor_parallel.reference import (
    attention_backward,
    attention_forward,
    init_attention_params,
    init_mlp_params,
    mlp_backward,
    mlp_forward,
)
from collectives.tensor_parallel.sim_backend import SimGroup, SimWorld, run_simulated
from collectives.tensor_parallel.volume import (
    block_volume_elements,
    decoder_parameters,
    decoder_parameters_per_rank,
    ring_allreduce_bytes,
    ring_formula_bytes,
)

__all__ = [
    "AllReduceRecord", "ColumnParallelLinear", "CommunicatorGroup", "Group", "ParallelAttention",
    "ParallelMLP", "RowParallelLinear", "SimGroup", "SimWorld", "attention_backward",
    "attention_forward", "block_volume_elements", "decoder_parameters",
    "decoder_parameters_per_rank", "f_backward", "f_forward", "g_backward", "g_forward", "gelu",
    "gelu_derivative", "init_attention_params", "init_mlp_params", "mlp_backward", "mlp_forward",
    "ring_allreduce_bytes", "ring_formula_bytes", "run_simulated", "shard_attention_params",
    "shard_mlp_params",
]
