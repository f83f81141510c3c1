"""The catalogue and the registries keyed by it name the same algorithms, so forgetting a piece of
a new algorithm fails here, saying which piece."""

from __future__ import annotations

import pytest

from collectives.catalogue import CATALOGUE, COLLECTIVES
from collectives.costs import COSTS, reference_cost
from collectives.errors import UnknownAlgorithmError
from collectives.spec import Problem


def _difference(listed: list[str], registered: list[str], where: str) -> list[str]:
    """Lines naming what the catalogue lists and ``where`` lacks, and the reverse."""
    lines = [f"{name!r} is in the catalogue but has no {where}"
             for name in listed if name not in registered]
    lines += [f"{name!r} has a {where} but is not in the catalogue"
              for name in registered if name not in listed]
    return lines


@pytest.mark.parametrize("collective", COLLECTIVES)
def test_every_catalogued_algorithm_has_a_reference_cost(collective):
    """The cost registry holds exactly the catalogue's algorithms of each collective."""
    problems = _difference(list(CATALOGUE[collective]), COSTS.names(collective),
                           f"@cost in collectives/costs/{collective}.py")
    assert not problems, f"{collective}: " + "; ".join(problems)


def test_an_unknown_algorithm_has_no_cost_and_the_error_lists_the_known():
    """Asking the cost of an algorithm nobody registered names the ones there are."""
    problem = Problem("allgather", 4, (3,), "float32")
    with pytest.raises(UnknownAlgorithmError, match="ring, bruck, recursive_doubling"):
        reference_cost(problem, "swing")
