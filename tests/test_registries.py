"""The catalogue and the registries keyed by it name the same algorithms, so forgetting a piece of
a new algorithm fails here, saying which piece."""

from __future__ import annotations

import pytest

from collectives.catalogue import CATALOGUE, COLLECTIVES
from collectives.costs import COSTS, reference_cost
from collectives.errors import UnknownAlgorithmError
from collectives.mpi.registry import BUILTIN, MPI_ALGORITHMS
from collectives.sim import SIM_ALGORITHMS
from collectives.spec import Problem

# What each registry is, and where a name it lacks is added.
REGISTRIES = {
    "simulator": (lambda c: SIM_ALGORITHMS.names(c),
                  "@register schedule in collectives/sim/algorithms/"),
    "MPI": (lambda c: [name for name in MPI_ALGORITHMS.names(c) if name != BUILTIN],
            "@register function in collectives/mpi/algorithms/"),
    "cost": (lambda c: COSTS.names(c), "@cost function in collectives/costs/{collective}.py"),
}


def _difference(listed: list[str], registered: list[str], where: str) -> list[str]:
    """Lines naming what the catalogue lists and ``where`` lacks, and the reverse."""
    lines = [f"{name!r} is in the catalogue but has no {where}"
             for name in listed if name not in registered]
    lines += [f"{name!r} has a {where} but is not in the catalogue"
              for name in registered if name not in listed]
    return lines


@pytest.mark.parametrize("registry", REGISTRIES)
@pytest.mark.parametrize("collective", COLLECTIVES)
def test_every_catalogued_algorithm_is_registered(collective, registry):
    """The simulator's registry, the MPI registry less ``mpi`` and the cost registry each hold
    exactly the catalogue's algorithms of each collective."""
    names, where = REGISTRIES[registry]
    problems = _difference(list(CATALOGUE[collective]), names(collective),
                           where.format(collective=collective))
    assert not problems, f"{collective}: " + "; ".join(problems)


def test_an_unknown_algorithm_has_no_cost_and_the_error_lists_the_known():
    """Asking the cost of an algorithm nobody registered names the ones there are."""
    problem = Problem("allgather", 4, (3,), "float32")
    with pytest.raises(UnknownAlgorithmError, match="ring, bruck, recursive_doubling"):
        reference_cost(problem, "swing")
