"""A call's plan: its problem and what is made for it once per call signature (the algorithm
that runs, checked against the problem; its transport; the fields the ranks agree on), so a
loop of small calls pays for none of it again."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from mpi4py import MPI

from collectives.catalogue import CATALOGUE, algorithm_info, check_supported
from collectives.errors import UnsupportedError
from collectives.mpi.agreement import Terms, terms_of
from collectives.mpi.algorithms.builtin import check_builtin
from collectives.mpi.auto import AUTO, choose
from collectives.mpi.call import wants_result, wants_source
from collectives.mpi.nodes import Nodes
from collectives.mpi.registry import BUILTIN, MPI_ALGORITHMS, Algorithm
from collectives.mpi.transport import CallSignature, TrafficCounter, Transport
from collectives.spec import Problem


@dataclass(frozen=True)
class Plan:
    """One call signature's problem, the algorithm that runs it, its transport and the fields
    the ranks agree on."""

    problem: Problem
    name: str
    run: Algorithm
    transport: Transport
    terms: Terms
    fields: np.ndarray  #: :meth:`collectives.mpi.agreement.Terms.fields`
    reads_source: bool  #: the algorithm reads the input where the caller left it
    works_in_result: bool  #: the algorithm works in the caller's result array alone


def algorithm_for(problem: Problem, algorithm: str | None, nodes: Nodes | None = None) -> str:
    """The algorithm to run (``auto``'s choice, or the one named), checked against the problem
    (and, for one that works in nodes without ``group_size``, against the ``nodes`` found)
    before any message is sent."""
    collective = problem.collective
    if algorithm is None or algorithm == AUTO:
        name = choose(collective, problem.nbytes, problem.ranks, problem.op, problem.group_size)
    else:
        name = algorithm
    MPI_ALGORITHMS.get(collective, name)  # an unknown name lists the valid ones
    if name in CATALOGUE[collective]:
        info = algorithm_info(collective, name)
        check_supported(info, problem.op, problem.ranks, problem.segments, problem.group_size)
        if info.needs_equal_nodes and problem.group_size is None and nodes is not None:
            raise UnsupportedError(
                f"{collective} algorithm {name!r} works in nodes of equal size of consecutive "
                f"ranks, so it expected such nodes from Split_type(COMM_TYPE_SHARED), got "
                f"{nodes.why_not()}; pass group_size=G for nodes of G consecutive ranks, or "
                "use algorithm 'ring', the flat ring"
            )
    elif name == BUILTIN:
        check_builtin(problem)
    return name


def with_nodes(problem: Problem, nodes: Nodes | None) -> Problem:
    """``problem`` with the group size of the ``nodes`` found where the call gave none and the
    collective has an algorithm that works in nodes (left None when they are not nodes of equal
    size of consecutive ranks)."""
    if problem.group_size is not None or nodes is None or nodes.group_size is None \
            or not any(info.needs_equal_nodes for info in CATALOGUE[problem.collective].values()):
        return problem
    return replace(problem, group_size=nodes.group_size)


def make_plan(problem: Problem, algorithm: str | None, comm: MPI.Intracomm,
              counter: TrafficCounter, *, patient: bool, deadline: float,
              nodes: Nodes | None = None) -> Plan:
    """The plan of a call of ``problem`` asking for ``algorithm`` on ``comm`` whose ranks sit
    in ``nodes`` (as found by :func:`collectives.mpi.nodes.survey`)."""
    problem = with_nodes(problem, nodes)
    name = algorithm_for(problem, algorithm, nodes)
    run = MPI_ALGORITHMS.get(problem.collective, name)
    terms = terms_of(problem, name)
    signature = CallSignature(  # as errors name the call
        problem.collective, name if problem.segments == 1 else f"{name}/S{problem.segments}",
        problem.dtype, problem.count, terms.root, terms.op)
    transport = Transport(comm, signature, counter, patient=patient, deadline=deadline)
    return Plan(problem, name, run, transport, terms, terms.fields(), wants_source(run),
                wants_result(run))
