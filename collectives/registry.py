"""Registries that map algorithm names to code, one per implementation (simulator, MPI) and one
for the reference costs.

An unknown name fails with the list of the valid ones, like SimGrid's collective selector. An
algorithm registers itself when its module is imported, and :func:`import_modules` imports every
module of a package, so a new module needs no list.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Callable, Iterable
from importlib import import_module
from typing import Generic, TypeVar

from collectives.catalogue import COLLECTIVES, check_collective
from collectives.errors import UnknownAlgorithmError

Impl = TypeVar("Impl")


class Registry(Generic[Impl]):
    """Algorithm name -> implementation, per collective, for one side (``kind``)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._table: dict[str, dict[str, Impl]] = {name: {} for name in COLLECTIVES}

    def register(self, collective: str, name: str) -> Callable[[Impl], Impl]:
        """Decorator: register the decorated function as ``collective``'s algorithm ``name``."""
        check_collective(collective)

        def decorate(impl: Impl) -> Impl:
            if name in self._table[collective]:
                raise ValueError(f"{self.kind} {collective} algorithm {name!r} registered twice")
            self._table[collective][name] = impl
            return impl

        return decorate

    def get(self, collective: str, name: str) -> Impl:
        """The implementation of ``name``; an unknown name lists the valid ones."""
        check_collective(collective)
        try:
            return self._table[collective][name]
        except KeyError:
            valid = ", ".join(self.names(collective))
            raise UnknownAlgorithmError(
                f"expected one of the {self.kind} {collective} algorithms ({valid}), got {name!r}"
            ) from None

    def names(self, collective: str) -> list[str]:
        """The algorithm names registered for ``collective``, in registration order."""
        check_collective(collective)
        return list(self._table[collective])


def import_modules(package: str, path: Iterable[str]) -> None:
    """Import every module of ``package`` (whose ``__path__`` is ``path``), in name order, so
    the algorithms they hold register themselves."""
    for module in pkgutil.iter_modules(path):
        import_module(f"{package}.{module.name}")
