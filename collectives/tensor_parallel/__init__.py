"""Megatron-style tensor parallelism over the library's all-reduce, simulated or under MPI, and
sequence parallelism (its all-reduces as reduce-scatters and all-gathers along the sequence).

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

:class:`ParallelTransformerLayer` is a whole layer (layer norms, dropouts, residuals around the
two blocks), tensor parallel or, with ``sequence=True``, tensor + sequence parallel;
:mod:`~collectives.tensor_parallel.memory` counts what its forward pass keeps for backward.
"""

from collectives.tensor_parallel.attention import ParallelAttention, shard_attention_params
from collectives.tensor_parallel.gelu import gelu, gelu_derivative
from collectives.tensor_parallel.group import AllReduceRecord, CommunicatorGroup, Group
from collectives.tensor_parallel.layer import ParallelTransformerLayer, sequence_slice
from collectives.tensor_parallel.layer_reference import (
    init_layer_params,
    layer_backward,
    layer_forward,
)
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
    "ParallelMLP", "ParallelTransformerLayer", "RowParallelLinear", "SimGroup", "SimWorld",
    "attention_backward", "attention_forward", "block_volume_elements", "decoder_parameters",
    "decoder_parameters_per_rank", "f_backward", "f_forward", "g_backward", "g_forward", "gelu",
    "gelu_derivative", "init_attention_params", "init_layer_params", "init_mlp_params",
    "layer_backward", "layer_forward", "mlp_backward", "mlp_forward", "ring_allreduce_bytes",
    "ring_formula_bytes", "run_simulated", "sequence_slice", "shard_attention_params",
    "shard_mlp_params",
]
