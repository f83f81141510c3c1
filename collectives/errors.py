"""The one exception hierarchy of the package.

Every message says what was expected and what came, in the form ``expected X, got Y``.
"""

from __future__ import annotations


class CollectivesError(Exception):
    """Base class of every error this package raises on purpose."""


class InvalidInputError(CollectivesError, ValueError):
    """A buffer, shape, dtype, root, rank count or op that the collective cannot take."""


class UnknownAlgorithmError(InvalidInputError):
    """An algorithm name that is not registered for the collective; the message lists valid ones."""


class UnsupportedError(InvalidInputError):
    """An algorithm asked to do what it cannot (a non-commutative op, N not a power of two)."""


class ScheduleError(CollectivesError):
    """A simulator schedule that breaks the step model or reaches outside a buffer."""


class ProvenanceError(CollectivesError):
    """A collective's postcondition failed: an element came from the wrong inputs."""


class MismatchError(CollectivesError):
    """Ranks disagree on a collective call (collective, root, algorithm, op, count, dtype or
    segments)."""


class DeadlineError(CollectivesError, TimeoutError):
    """A wait outlived the communicator's deadline: a peer left the call or never made it."""
