"""A call's plan: its problem and what is made for it once per call signature (the algorithm
that runs, checked against the problem; its transport; the fields the ranks agree on), so a
loop of small calls pays for none of it again."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mpi4py import MPI

from collectives.catalogue import CATALOGUE, algorithm_info, check_supported
from collectives.mpi.agreement import Terms, terms_of
from collectives.mpi.algorithms.builtin import check_builtin
from collectives.mpi.auto import AUTO, choose
from collectives.mpi.call import wants_result, wants_source
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


def algorithm_for(problem: Problem, algorithm: str | None) -> str:
    """The algorithm to run (``auto``'s choice, or the one named), checked against the problem
    before any message is sent."""
    collective = problem.collective
    if algorithm is None or algorithm == AUTO:
        name = choose(collective, problem.nbytes, problem.ranks, problem.op)
    else:
        name = algorithm
    MPI_ALGORITHMS.get(collective, name)  # an unknown name lists the valid ones
    if name in CATALOGUE[collective]:
        check_supported(algorithm_info(collective, name), problem.op, problem.ranks,
                        problem.segments)
    elif name == BUILTIN:
        check_builtin(problem)
    return name


def make_plan(problem: Problem, algorithm: str | None, comm: MPI.Intracomm,
              counter: TrafficCounter, *, patient: bool, deadline: float) -> Plan:
    """The plan of a call of ``problem`` asking for ``algorithm`` on ``comm``."""
    name = algorithm_for(problem, algorithm)
    run = MPI_ALGORITHMS.get(problem.collective, name)
    terms = terms_of(problem, name)
    signature = CallSignature(  # as errors name the call
        problem.collective, name if problem.segments == 1 else f"{name}/S{problem.segments}",
        problem.dtype, problem.count, terms.root, terms.op)
    transport = Transport(comm, signature, counter, patient=patient, deadline=deadline)
    return Plan(problem, name, run, transport, terms, terms.fields(), wants_source(run),
                wants_result(run))
