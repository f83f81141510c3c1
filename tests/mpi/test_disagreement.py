"""Ranks that disagree on a call, and one rank's bad input, in their own ``mpiexec`` jobs with a
timeout (``scripts/disagree.py``): every rank raises the same error naming what differs or who
refused, nothing hangs, and the communicator takes the next call."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from collectives.launcher import mpiexec_command

SCRIPT = Path(__file__).parent / "scripts" / "disagree.py"
TIMEOUT = 150  # seconds for a whole job; every case's waits end after 20 s (its deadline)
SIZES = (2, 3)

_SAME_CALL = r"MismatchError: \w+ expected every rank to make the same call, got "
EXPECTED: dict[str, str] = {
    "collective": _SAME_CALL + r"different collectives: 'allreduce' on rank 0, 'broadcast' on "
                               r"ranks? 1(, 2)?$",
    "broadcast-root": _SAME_CALL + r"different roots: 0 on rank 0, 1 on rank 1(, 2 on rank 2)?$",
    "broadcast-root-16MiB": _SAME_CALL + r"different roots: 0 on rank 0, 1 on rank 1",
    "reduce-root": _SAME_CALL + r"different roots: 0 on rank 0, 1 on rank 1",
    "gather-root": _SAME_CALL + r"different roots: 0 on rank 0, 1 on rank 1",
    "scatter-root": _SAME_CALL + r"different roots: 0 on rank 0, 1 on rank 1",
    "algorithm-ring-mpi": _SAME_CALL + r"different algorithms: 'ring' on rank 0, 'mpi' on "
                                       r"ranks? 1",
    "algorithm-auto-mpi-16MiB": _SAME_CALL + r"different algorithms: 'ring' on rank 0, 'mpi' on "
                                             r"ranks? 1",
    "op-max-prod": _SAME_CALL + r"different ops: 'max' on rank 0, 'prod' on ranks? 1",
    "op-sum-user": _SAME_CALL + r"different ops: 'sum' on rank 0, 'user' on ranks? 1",
    "op-max-band": _SAME_CALL + r"different ops: 'max' on rank 0, 'band' on ranks? 1",
    "op-mpi-max-sum": _SAME_CALL + r"different ops: 'max' on rank 0, 'sum' on ranks? 1",
    "collective-traffic": _SAME_CALL + r"different collectives: 'allreduce' on rank 0, "
                                       r"'traffic_matrix' on ranks? 1(, 2)?$",
    "collective-mpi": _SAME_CALL + r"different collectives: 'allreduce' on rank 0, 'broadcast' "
                                   r"on ranks? 1(, 2)?$",
    "count-mpi": _SAME_CALL + r"different counts: 8 on ranks? 0(, 1)?, 9 on rank [12]$",
    "count": _SAME_CALL + r"different counts: 100 on ranks? 0(, 1)?, 101 on rank [12]$",
    "dtype": _SAME_CALL + r"different dtypes: float32 on rank 0, int32 on ranks? 1",
    "byte-order": _SAME_CALL + r"different dtypes: float32 on rank 0, >f4 on ranks? 1",
    "segments": _SAME_CALL + r"different segments: 2 on rank 0, 4 on ranks? 1",
    "segments-double-tree": _SAME_CALL + r"different segments: 2 on rank 0, 3 on rank 1",
    "group-size": _SAME_CALL + r"different group sizes: 1 on rank 0, [23] on ranks? 1(, 2)?$",
    "count-patient": _SAME_CALL + r"different counts: 4 on rank 0, 5 on rank 1",
    "structured-dtype": _SAME_CALL + r"different dtypes: \[\('a', '<i4'\), \('b', '<f8'\)\] on "
                                     r"rank 0, \[\('b', '<i4'\), \('a', '<f8'\)\] on ranks? 1",
    "bad-op": r"InvalidInputError: allreduce refused by rank [12]: expected an op named one of "
              r".*got 'avg'$",
    "bad-root": r"InvalidInputError: broadcast refused by rank [12]: broadcast expected a root in "
                r"0\.\.[12], got [23]$",
    "bad-algorithm": r"UnknownAlgorithmError: allreduce refused by rank [12]: expected one of "
                     r"the MPI allreduce algorithms \(.*\), got 'nope'$",
    "bad-out": r"InvalidInputError: allreduce refused by rank [12]: allreduce expected out of "
               r"shape \(8,\), got \(7,\)$",
    "bad-scatter-input": r"InvalidInputError: scatter refused by rank 0: scatter expected an "
                         r"input of shape \([23], \.\.\.\) holding one block per rank",
    "bad-segments": r"UnsupportedError: allreduce refused by rank [12]: .*segments",
    "scatter-none-bad-algorithm": r"UnknownAlgorithmError: scatter refused by rank [12]: "
                                  r"expected one of the MPI scatter algorithms",
    "broadcast-none-bad-algorithm": r"UnknownAlgorithmError: broadcast refused by rank [12]: "
                                    r"expected one of the MPI broadcast algorithms",
}
# What rank r returns where the call works (a non-root scatter with x=None takes the root's block,
# a non-root broadcast with buf=None the root's buffer).
RETURNED: dict[str, str] = {
    "scatter-none": r"returned int16 \(2, 3\) \[{0}, {1}, {2}, {3}, {4}, {5}\]$",
    "scatter-none-named-algorithm": r"returned float64 \(3,\) \[{6}\.0, {7}\.0, {8}\.0\]$",
    "scatter-none-structured": r"returned \[\('a', '<i4'\), \('b', '<f8'\)\] \(2,\) ",
    "broadcast-none": r"returned int16 \(2, 3\) \[0, 1, 2, 3, 4, 5\]$",
    "broadcast-none-last-root": r"returned float64 \(3,\) \[0\.0, 1\.0, 2\.0\]$",
}


@pytest.fixture(scope="module", params=SIZES, ids=[f"N{n}" for n in SIZES])
def job(request: pytest.FixtureRequest) -> tuple[int, str]:
    """Every case at N ranks in one job: N and what the ranks printed (a job that outlives its
    timeout is killed, and what it printed until then is kept)."""
    ranks = request.param
    command = [*mpiexec_command(ranks), sys.executable, "-m", "mpi4py", str(SCRIPT)]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT,
                                   check=False)
        output = completed.stdout + completed.stderr
    except subprocess.TimeoutExpired as expired:
        output = _text(expired.stdout) + _text(expired.stderr) + "\nJOB TIMED OUT"
    return ranks, output


def _text(data: bytes | str | None) -> str:
    return data.decode() if isinstance(data, bytes) else data or ""


def _lines(output: str, case: str, rank: int) -> tuple[str, str]:
    """What ``rank`` printed for ``case``: the call's outcome and the next call's."""
    # a line ends at a newline or where another rank's line starts (should the launcher
    # interleave them)
    found = dict(re.findall(rf"CASE {re.escape(case)} RANK {rank} (next )?(.*?)"
                            r"(?=CASE \S+ RANK \d+ |$)", output, re.MULTILINE)[::-1])
    return found.get("", "(nothing printed)"), found.get("next ", "(nothing printed)")


@pytest.mark.parametrize("case", list(EXPECTED))
def test_every_rank_raises_the_same_error(job: tuple[int, str], case: str) -> None:
    """Every rank raises the error naming what differs (or which rank refused and why), and the
    same communicator's next call works."""
    ranks, output = job
    outcomes = [_lines(output, case, rank) for rank in range(ranks)]
    for rank, (outcome, following) in enumerate(outcomes):
        assert re.search(EXPECTED[case], outcome), f"rank {rank}: {outcome}\n{output[-3000:]}"
        assert following == "ok", f"rank {rank}: {following}"
    # the same words on every rank (after the collective, which is this rank's own)
    assert len({outcome.split(" expected ", 1)[-1] for outcome, _ in outcomes}) == 1, outcomes


@pytest.mark.parametrize("case", list(RETURNED))
def test_a_non_root_call_without_a_buffer_takes_it_from_the_root(job: tuple[int, str],
                                                                  case: str) -> None:
    """scatter(None) and broadcast(None) off the root, without out=, return the root's block or
    buffer."""
    ranks, output = job
    for rank in range(ranks):
        outcome, following = _lines(output, case, rank)
        expected = RETURNED[case].format(*range(6 * rank, 6 * rank + 6),
                                         *range(3 * rank, 3 * rank + 3))
        assert re.search(expected, outcome), f"rank {rank}: {outcome}\n{output[-3000:]}"
        assert following == "ok", f"rank {rank}: {following}"


def _deadline_job(ranks: int, scenario: str) -> str:
    command = [*mpiexec_command(ranks), sys.executable, "-m", "mpi4py",
               str(SCRIPT.with_name("deadline.py")), scenario]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=60,
                               check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def test_ranks_left_waiting_by_one_that_left_raise_at_the_deadline() -> None:
    """Rank 1 leaves a ring all-reduce midway (its error caught): the others raise DeadlineError
    naming the call and the peer they waited for, within a few deadlines, and do not hang."""
    output = _deadline_job(3, "leave")
    assert re.search(r"RANK 1 .* raised RuntimeError: rank 1 gives up", output), output
    for rank in (0, 2):
        line = re.search(rf"RANK {rank} after ([\d.]+) s (.*?)(?=RANK \d after |$)", output,
                         re.MULTILINE)
        assert line is not None, output
        assert re.match(r"raised DeadlineError: allreduce/ring float64 x30 op user expected a "
                        r"message from rank [12] within 2 s, got none", line[2]), output
        assert float(line[1]) < 10, output


@pytest.mark.parametrize("ranks", [3, 4])
def test_the_buffers_of_a_call_left_midway_outlive_it(ranks: int) -> None:
    """Rank 1 leaves a double binary tree all-reduce of a temporary 32 MiB array midway, with
    sends a peer reads later and receives still posted: every other rank raises DeadlineError
    naming the call, never an MPI error from reading memory that was freed."""
    output = _deadline_job(ranks, "leave-tree")
    assert re.search(r"RANK 1 .* raised RuntimeError: rank 1 gives up", output), output
    for rank in (0, *range(2, ranks)):
        assert re.search(rf"RANK {rank} after [\d.]+ s raised DeadlineError: "
                         r"allreduce/double_binary_tree float64 x4194304 op user expected a "
                         r"message from rank \d within 2 s", output), output


def test_a_rank_that_comes_late_meets_deadline_errors() -> None:
    """Rank 1 calls 4 s after rank 0 (deadline 2 s): rank 0 raises DeadlineError waiting for
    every rank to start the call, rank 1 waiting for rank 0's message."""
    output = _deadline_job(2, "late")
    assert re.search(r"RANK 0 .* raised DeadlineError: allreduce/recursive_doubling float64 x30 "
                     r"op sum expected every rank to start the call within 2 s", output), output
    assert re.search(r"RANK 1 .* raised DeadlineError: allreduce/recursive_doubling float64 x30 "
                     r"op sum expected a message from rank 0 within 2 s", output), output


def test_a_rank_that_asks_for_the_traffic_late_meets_a_deadline_error() -> None:
    """Rank 1 asks for the traffic matrix 4 s after rank 0 (deadline 2 s): rank 0 raises
    DeadlineError waiting for every rank to start the call, rank 1 (whose round of agreement
    meets the one rank 0 left) waiting for rank 0's row; neither waits for ever."""
    output = _deadline_job(2, "late-traffic")
    assert re.search(r"RANK 0 after 2\.\d s raised DeadlineError: traffic_matrix expected every "
                     r"rank to start the call within 2 s", output), output
    assert re.search(r"RANK 1 .* raised DeadlineError: traffic_matrix expected every rank's row "
                     r"within 2 s", output), output
