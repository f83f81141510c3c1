"""``python -m collectives sim``: the JSON record, the readable summary beside the reference's
figures, and errors that exit non-zero with a one-line message."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from collectives.catalogue import CATALOGUE
from collectives.cli import main

JSON_KEYS = {"collective", "algorithm", "ranks", "count", "dtype", "steps", "bytes_sent",
             "bytes_received", "total_bytes", "traffic", "verified"}


def _json(capsys, *argv: str) -> dict:
    assert main(["sim", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_from_a_real_process():
    """``python -m collectives sim allreduce -a ring -n 4 -c 8 -d int32 --json`` prints one
    JSON object with every key and the ring's figures, and exits 0."""
    done = subprocess.run([sys.executable, "-m", "collectives", "sim", "allreduce", "-a", "ring",
                           "-n", "4", "-c", "8", "-d", "int32", "--json"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert set(summary) >= JSON_KEYS
    assert (summary["collective"], summary["algorithm"], summary["ranks"], summary["count"],
            summary["dtype"]) == ("allreduce", "ring", 4, 8, "int32")
    assert summary["steps"] == 6 and summary["total_bytes"] == 192
    assert summary["bytes_sent"] == summary["bytes_received"] == [48] * 4
    assert summary["traffic"][0] == [0, 48, 0, 0] and summary["verified"] is True


def test_json_carries_the_reference(capsys):
    """The JSON has the reference's steps and bytes per rank next to the measured ones."""
    summary = _json(capsys, "broadcast", "-a", "binomial", "-n", "5", "-c", "10",
                    "-d", "float64", "-r", "2")
    assert summary["reference"] == {"steps": 3, "bytes_sent": summary["bytes_sent"]}
    assert summary["bytes_sent"][2] == 3 * 80 and summary["root"] == 2


def test_many_ranks_switch_to_count_only(capsys):
    """Above 64 ranks the run moves no data: verified is null, the bytes are still there."""
    summary = _json(capsys, "allgather", "-a", "ring", "-n", "100", "-c", "3", "-d", "int8")
    assert summary["verified"] is None
    assert summary["total_bytes"] == 100 * 99 * 3


def test_provenance_flag(capsys):
    """--provenance checks where every element came from and says so."""
    summary = _json(capsys, "alltoall", "-a", "pairwise", "-n", "3", "-c", "2", "--provenance")
    assert summary["provenance_checked"] is True and summary["verified"] is True


def test_provenance_above_the_data_rank_limit(capsys):
    """--provenance at N = 65, above the ranks where the default turns count-only, still moves
    data and checks provenance rather than silently doing neither."""
    summary = _json(capsys, "allreduce", "-a", "ring", "-n", "65", "-c", "2", "--provenance")
    assert summary["provenance_checked"] is True and summary["verified"] is True


def test_a_trace_into_a_missing_folder_is_refused_before_the_run(capsys, tmp_path):
    """--trace into a folder that does not exist exits 2 with one line, not a traceback."""
    path = tmp_path / "no" / "such" / "run.json"
    assert main(["sim", "allreduce", "-a", "ring", "-n", "4", "--trace", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == (f"error: expected --trace FILE in an existing folder, got "
                                    f"{path} (no folder {path.parent})")
    assert captured.out == ""


def test_the_readable_summary_shows_the_reference(capsys):
    """The summary names the call, shows steps, bytes per rank, busiest rank and total next to
    the reference's figures, the traffic matrix, and that numpy agrees."""
    assert main(["sim", "allreduce", "-a", "ring", "-n", "4", "-c", "8", "-d", "int32"]) == 0
    out = capsys.readouterr().out
    assert "allreduce / ring: N=4, count=8 int32, op=sum" in out
    assert "steps: 6 (reference 6)" in out
    assert out.count("48  (reference 48)") == 4
    assert "busiest rank: 48 bytes (reference 48)" in out
    assert "total: 192 bytes = 192 B (reference 192)" in out
    assert "from\\to" in out
    assert "result equals numpy's answer: yes" in out


def test_the_summary_shows_the_root_of_rooted_collectives(capsys):
    """A rooted collective's summary names the root."""
    assert main(["sim", "gather", "-a", "linear", "-n", "3", "-c", "2", "-r", "1"]) == 0
    assert "gather / linear: N=3, count=2 float32, root=1" in capsys.readouterr().out


def test_an_unknown_algorithm_exits_non_zero_listing_the_valid_ones():
    """An unknown algorithm exits 2 with one line naming the valid algorithms."""
    done = subprocess.run([sys.executable, "-m", "collectives", "sim", "allreduce",
                           "-a", "bogus", "-n", "4"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    names = ", ".join(CATALOGUE["allreduce"])
    assert names.startswith("ring, tree")
    assert done.stderr.strip() == (f"error: expected one of the allreduce algorithms "
                                   f"({names}), got 'bogus'")
    assert done.stdout == ""


@pytest.mark.parametrize(("argv", "message"), [
    (["allreduce", "-a", "ring", "-n", "4", "-o", "band", "-d", "float32"],
     "error: op 'band' expected an integer dtype, got float32"),
    (["reduce", "-a", "binomial", "-n", "4", "-r", "4"],
     "error: expected a root in 0..3, got 4"),
    (["allreduce", "-a", "ring", "-n", "0"],
     "error: expected inputs for at least 1 rank, got an empty sequence"),
    (["allreduce", "-a", "ring", "-n", "4", "-c", "-2"],
     "error: expected a count (block shape) >= 0, got (-2,)"),
    (["allreduce", "-a", "ring", "-n", "4", "-d", "float128x"],
     "error: expected a numpy dtype name, got 'float128x'"),
], ids=["op-dtype", "root", "ranks", "count", "dtype"])
def test_bad_calls_exit_2_with_one_line(capsys, argv, message):
    """Bad calls exit 2 with a one-line 'error: expected ..., got ...' and no traceback."""
    assert main(["sim", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == message


def test_an_unknown_collective_is_an_argparse_error(capsys):
    """A collective that does not exist is refused by the parser, which lists the valid ones."""
    with pytest.raises(SystemExit) as caught:
        main(["sim", "bcast", "-a", "binomial", "-n", "4"])
    assert caught.value.code == 2
    assert "invalid choice: 'bcast'" in capsys.readouterr().err


def test_hierarchical_on_a_hierarchical_topology_takes_its_nodes(capsys):
    """``sim allreduce -a hierarchical --topology hierarchical --group-size 4 -n 16``: the
    network's nodes of 4, 2(G - 1) + 2(M - 1) = 12 steps, beside the reference in those nodes."""
    summary = _json(capsys, "allreduce", "-a", "hierarchical", "-n", "16", "-c", "1000",
                    "--topology", "hierarchical", "--group-size", "4")
    assert summary["steps"] == summary["reference"]["steps"] == 12
    assert summary["bytes_sent"] == summary["reference"]["bytes_sent"]
    assert summary["verified"] is True
