"""collectives: the collective operations of distributed training, for real and simulated.

``collectives.mpi`` runs them over mpi4py point-to-point messages; ``collectives.sim`` runs the
same algorithms step by step on virtual ranks and counts every byte. Importing this package (or
``collectives.sim``) does not start MPI; only ``collectives.mpi`` does.
"""

from collectives.catalogue import CATALOGUE, COLLECTIVES
from collectives.errors import (
    CollectivesError,
    DeadlineError,
    InvalidInputError,
    MismatchError,
    ProvenanceError,
    ScheduleError,
    UnknownAlgorithmError,
    UnsupportedError,
)
from collectives.ops import OP_NAMES, Op, resolve_op
from collectives.partition import chunk_counts, chunk_offsets, chunk_slice

__version__ = "0.1.0"

__all__ = [
    "CATALOGUE", "COLLECTIVES", "OP_NAMES", "CollectivesError", "DeadlineError",
    "InvalidInputError", "MismatchError", "Op", "ProvenanceError", "ScheduleError",
    "UnknownAlgorithmError", "UnsupportedError", "chunk_counts", "chunk_offsets", "chunk_slice",
    "resolve_op",
]
