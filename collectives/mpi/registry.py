"""The MPI side's algorithm registry: name -> per-rank function of a :class:`Call`.

Names are those of :mod:`collectives.catalogue`, plus ``mpi`` for every collective: MPI's own
built-in collective on the same buffers.
"""

from __future__ import annotations

from collections.abc import Callable

from collectives.mpi.call import Call
from collectives.registry import Registry

Algorithm = Callable[[Call], None]

MPI_ALGORITHMS: Registry[Algorithm] = Registry("MPI")
register = MPI_ALGORITHMS.register

# The name under which every collective runs MPI's built-in collective.
BUILTIN = "mpi"
