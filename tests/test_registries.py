"""The catalogue and the registries keyed by it name the same algorithms, so forgetting a piece of
a new algorithm fails here, saying which piece."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from collectives.catalogue import CATALOGUE, COLLECTIVES
from collectives.costs import COSTS, reference_cost
from collectives.errors import UnknownAlgorithmError
from collectives.mpi.registry import BUILTIN, MPI_ALGORITHMS
from collectives.sim import SIM_ALGORITHMS
from collectives.spec import Problem

README = Path(__file__).resolve().parent.parent / "README.md"

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


def _readme_algorithms() -> set[tuple[str, str]]:
    """(collective, algorithm) of every row of the README's table of algorithms (a row may name
    several collectives and several algorithms)."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| collective | algorithm | steps |"):].split("\n\n")[0]
    pairs = set()
    for row in table.splitlines()[2:]:
        collectives, algorithms = row.split("|")[1:3]
        for collective in collectives.split(","):
            pairs |= {(collective.strip(), name) for name in re.findall(r"`(\w+)`", algorithms)}
    return pairs


def test_the_readme_table_lists_every_catalogued_algorithm():
    """The README's table of algorithms has a row for each algorithm of the catalogue, and no
    other."""
    listed = {(c, a) for c in COLLECTIVES for a in CATALOGUE[c]}
    in_readme = _readme_algorithms()
    assert not listed - in_readme, f"README.md's table lacks {sorted(listed - in_readme)}"
    assert not in_readme - listed, f"README.md's table names {sorted(in_readme - listed)}, " \
        "which the catalogue does not list"


def test_an_unknown_algorithm_has_no_cost_and_the_error_lists_the_known():
    """Asking the cost of an algorithm nobody registered names the ones there are."""
    problem = Problem("allgather", 4, (3,), "float32")
    with pytest.raises(UnknownAlgorithmError, match="ring, bruck, recursive_doubling"):
        reference_cost(problem, "butterfly")
