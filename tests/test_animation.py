"""Animations: the frames hold the simulator's state at the start and after every step, and the
GIF has one frame for each, all of one size; the tests check the frames, not pixels."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from collectives.cli import main
from collectives.errors import InvalidInputError
from collectives.plots.animation import DPI, LAST_MS, STEP_MS, animate, check_ranks, frame_size
from collectives.plots.gif import write_gif
from collectives.sim import Simulation
from collectives.sim.frames import chunk_parts, record_frames
from collectives.sim.network import fully_connected, ring
from collectives.spec import Problem, example_inputs


def _ring_allreduce(ranks: int = 4, count: int = 8):
    """Ring all-reduce of int32 on fully connected links."""
    inputs = example_inputs("allreduce", ranks, count, "int32")
    return record_frames("allreduce", inputs, algorithm="ring", network=fully_connected(ranks))


def _gif_frames(path) -> list[tuple[tuple[int, int], int]]:
    """(size, duration) of every frame of the GIF at ``path``."""
    with Image.open(path) as image:
        assert image.format == "GIF"
        frames = []
        for index in range(image.n_frames):
            image.seek(index)
            frames.append((image.size, image.info["duration"]))
    return frames


def test_ring_frames_start_with_own_inputs_and_end_with_everyone_s():
    """Frame 0 is the start: no link used, nothing sent, chunk c of rank r holding only rank r's
    input; the last frame has every chunk holding every input and the run's bytes, which are
    the formula's 2(N-1)K/N."""
    run = _ring_allreduce()
    assert len(run.frames) == run.result.num_steps + 1 == 7
    start, end = run.frames[0], run.frames[-1]
    assert (start.index, start.label, start.links) == (0, "start", ())
    assert start.bytes_sent.tolist() == [0, 0, 0, 0] and not start.written.any()
    np.testing.assert_array_equal(start.holdings, np.eye(4)[:, None, :].repeat(4, axis=1))
    np.testing.assert_array_equal(end.holdings, np.ones((4, 4, 4)))
    assert end.bytes_sent.tolist() == run.result.bytes_sent.tolist() == [48] * 4
    assert run.formula.tolist() == [2 * 3 * 32 // 4] * 4


def test_ring_frames_follow_each_step():
    """Step s of the ring's reduce-scatter: link r -> r+1 carries chunk r - s (8 bytes), rank
    r+1 writes that chunk, which then holds the inputs of ranks r - s .. r+1; every rank has
    sent 8(s+1) bytes."""
    run = _ring_allreduce()
    for s in range(3):
        frame = run.frames[s + 1]
        assert frame.index == s + 1 and frame.label == f"reduce-scatter {s}"
        assert [(c.source, c.target, c.nbytes, c.chunks) for c in frame.links] == [
            (r, (r + 1) % 4, 8, ((r - s) % 4,)) for r in range(4)]
        assert frame.bytes_sent.tolist() == [8 * (s + 1)] * 4
        for r in range(4):
            chunk, receiver = (r - s) % 4, (r + 1) % 4
            assert frame.written[receiver].tolist() == [c == chunk for c in range(4)]
            held = {(receiver - k) % 4 for k in range(s + 2)}
            assert frame.holdings[receiver, chunk].tolist() == [float(i in held)
                                                                for i in range(4)]
    assert [frame.label for frame in run.frames[4:]] == [f"all-gather {s}" for s in range(3)]


def test_a_message_two_hops_away_shows_on_both_links():
    """Tree all-reduce on a ring of 4: in its second step rank 2's whole buffer (64 bytes) goes
    to rank 0 over 2 -> 3 and 3 -> 0, with no chunk label; rank 0 then holds every input."""
    inputs = example_inputs("allreduce", 4, 16, "float32")
    run = record_frames("allreduce", inputs, algorithm="tree", network=ring(4))
    frame = run.frames[2]
    assert frame.label == "reduce 1"
    assert [(c.source, c.target, c.nbytes, c.chunks) for c in frame.links] == [
        (2, 3, 64, (-1,)), (3, 0, 64, (-1,))]
    assert run.links_used == sorted(ring(4).link_id(u, v) for u, v in
                                    ((1, 0), (3, 2), (2, 3), (3, 0), (0, 1), (1, 2)))
    np.testing.assert_array_equal(frame.holdings[0], np.ones((4, 4)))
    assert frame.written[0].all() and not frame.written[1:].any()
    assert [f.bytes_sent.tolist() for f in run.frames[1:]] == [
        [0, 64, 0, 64], [0, 64, 64, 64], [64, 64, 64, 64], [128, 64, 128, 64]]
    assert run.formula.tolist() == [128, 64, 128, 64]


def test_holdings_are_the_share_of_a_chunk_s_elements():
    """Rabenseifner all-reduce on 3 ranks cuts 6 elements in halves while the frames cut them in
    thirds: a chunk can be half summed. Every frame's holdings equal, for each chunk, the share of
    its elements whose contributors (stepped on a second simulation) include each rank."""
    inputs = example_inputs("allreduce", 3, 6, "int64")
    run = record_frames("allreduce", inputs, algorithm="rabenseifner",
                        network=fully_connected(3))
    sim = Simulation("allreduce", inputs, algorithm="rabenseifner", provenance=True)
    halves = 0
    for frame in run.frames:
        if frame.index:
            sim.step()
        for rank in range(3):
            went_in = [[i in held for i in range(3)] for held in sim.contributors(rank)]
            shares = np.array(went_in, dtype=float).reshape(3, 2, 3).mean(axis=1)
            np.testing.assert_array_equal(frame.holdings[rank], shares)
        halves += int(np.count_nonzero(frame.holdings == 0.5))
    assert halves > 0


@pytest.mark.parametrize(("collective", "count", "parts"), [
    ("allreduce", 8, 4), ("broadcast", 2, 4), ("allgather", 3, 4), ("reduce_scatter", 3, 4),
    ("alltoall", 3, 8)])
def test_a_chunk_is_a_block_or_an_nth_of_one_buffer(collective, count, parts):
    """One-buffer collectives are cut in N chunks, block collectives in their blocks (2N for
    all-to-all's send and receive halves)."""
    assert chunk_parts(Problem(collective, 4, (count,), np.dtype("int32"))) == parts


def test_the_gif_has_the_start_and_one_frame_per_step_all_of_one_size(tmp_path):
    """Ring all-reduce on 2 ranks: 3 frames of the size frame_size gives at DPI, each shown
    STEP_MS, the last LAST_MS."""
    run = _ring_allreduce(ranks=2, count=4)
    picture = animate(run, tmp_path / "ring.gif")
    width, height = frame_size(2)
    assert picture.size == (round(width * DPI), round(height * DPI))
    assert _gif_frames(picture.path) == [(picture.size, STEP_MS)] * 2 + [(picture.size, LAST_MS)]


def test_more_ranks_than_a_frame_shows_are_refused():
    """Above 16 ranks the frames would not be readable."""
    check_ranks(16)
    with pytest.raises(InvalidInputError, match="expected at most 16 ranks to animate, got 17"):
        check_ranks(17)


def test_write_gif_refuses_frames_of_different_sizes(tmp_path):
    """Every frame must be as large as the first, and have its duration."""
    small, large = Figure(figsize=(2, 2), dpi=50), Figure(figsize=(3, 2), dpi=50)
    with pytest.raises(InvalidInputError, match=r"expected frames of one size, got \[\(100, "
                                                r"100\), \(150, 100\)\]"):
        write_gif([small, large], tmp_path / "x.gif", [100, 100])
    with pytest.raises(InvalidInputError, match="expected one duration per frame"):
        write_gif([small], tmp_path / "x.gif", [100, 100])


def test_animate_command_writes_the_gif(tmp_path, capsys):
    """``python -m collectives animate allreduce -a tree -n 4 --topology ring --out F.gif``:
    5 frames (tree all-reduce takes 4 steps at N = 4), the bytes beside the formula."""
    path = tmp_path / "tree.gif"
    assert main(["animate", "allreduce", "-a", "tree", "-n", "4", "--topology", "ring",
                 "--out", str(path)]) == 0
    out = capsys.readouterr().out
    assert len(_gif_frames(path)) == 5
    assert f"{path}: 5 frames (the start and 4 steps)" in out
    assert "network: ring of 4 ranks" in out
    assert "bytes sent per rank: [128, 64, 128, 64] (formula [128, 64, 128, 64])" in out


def test_animate_command_refuses_another_file_type(tmp_path, capsys):
    """--out must name a .gif file."""
    assert main(["animate", "allreduce", "-a", "ring", "-n", "4", "--out",
                 str(tmp_path / "x.png")]) == 2
    assert "expected --out FILE.gif, got" in capsys.readouterr().err
