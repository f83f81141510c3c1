"""Pictures: each writes its PNG and returns the numbers behind it; the tests check those
numbers, not pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from collectives.bench.report import read_csv
from collectives.cli import main
from collectives.cli.progress import progress, progress_enabled
from collectives.costs import reference_time
from collectives.errors import CollectivesError, InvalidInputError
from collectives.plots import (
    bytes_scaling,
    link_bars,
    phases_of,
    step_timeline,
    time_scaling,
    traffic_heatmap,
)
from collectives.plots.busbw import busbw_curves
from collectives.plots.gallery import CAPTIONS
from collectives.sim import Simulation
from collectives.sim.network import ring
from collectives.sim.sweep import timed_run
from collectives.spec import Problem

PNG = b"\x89PNG\r\n\x1a\n"
#: the README's benchmark run (bench writes it; ``plots --busbw`` draws it)
BUSBW_CSV = Path(__file__).resolve().parents[1] / "plots" / "bench" / "allreduce_n2.csv"


GIF = b"GIF89a"


def _is_png(path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == PNG


def _is_picture(path) -> bool:
    """A PNG, or a GIF where the name says so."""
    if path.suffix == ".gif":
        return path.is_file() and path.read_bytes()[:6] == GIF
    return _is_png(path)


def test_traffic_heatmap_shows_each_run_s_matrix(tmp_path):
    """Two panels, ring and tree, whose matrices are the runs' traffic matrices."""
    runs = [Simulation.count_only("allreduce", ranks=4, count=40, algorithm=name).run()
            for name in ("ring", "tree")]
    picture = traffic_heatmap(runs, tmp_path / "heat.png")
    assert _is_png(picture.path)
    assert picture.titles == ["ring allreduce, N=4", "tree allreduce, N=4"]
    np.testing.assert_array_equal(picture.matrices[0], np.roll(np.eye(4), 1, axis=1) * 2 * 3
                                  * 40)
    np.testing.assert_array_equal(picture.matrices[1], runs[1].traffic)


def test_link_bars_show_bytes_per_link(tmp_path):
    """One bar per link that carried bytes: the run's link_bytes and busy times."""
    result = timed_run("allreduce", "tree", ring(6), 100)
    picture = link_bars(result, tmp_path / "links.png")
    assert _is_png(picture.path)
    assert dict(zip(picture.links[0], picture.nbytes[0].tolist(), strict=True)) == \
        result.link_bytes
    np.testing.assert_array_equal(picture.busy[0], result.links.busy)


def test_link_bars_need_a_network(tmp_path):
    """A run without a network has no links to draw."""
    plain = Simulation.count_only("allreduce", ranks=4, count=8, algorithm="ring").run()
    with pytest.raises(CollectivesError, match="expected runs on a network"):
        link_bars(plain, tmp_path / "links.png")


def test_ring_allreduce_timeline_shows_both_phases(tmp_path):
    """Ring all-reduce on a 4-ring with a slow link: two phases of N-1 steps each, one bar per
    chunk sent on each link, every bar as long as its message and coloured by its chunk."""
    network = ring(4).with_link(2, 3, bandwidth=ring(4).bandwidth / 4)
    result = timed_run("allreduce", "ring", network, 400)
    picture = step_timeline(result, tmp_path / "timeline.png")
    assert _is_png(picture.path)
    assert [(p.name, p.first_step, p.last_step) for p in picture.phases] == [
        ("reduce-scatter", 0, 2), ("all-gather", 3, 5)]
    assert picture.phases[0].start == 0.0
    assert picture.phases[0].end == pytest.approx(picture.phases[1].start)
    assert picture.phases[1].end == pytest.approx(result.time)
    assert picture.rows == ["0->1", "1->2", "2->3", "3->0"]
    assert len(picture.bars) == 6 * 4
    for bar in picture.bars:
        timing = result.steps[bar.step].timing
        assert bar.duration == pytest.approx(float(timing.time[bar.src]))
        shift = 0 if bar.step < 3 else 1
        assert bar.chunk == (bar.src - bar.step % 3 + shift) % 4
        assert picture.rows[bar.row] == f"{bar.src}->{bar.dst}"
    slow = [bar for bar in picture.bars if bar.row == 2]
    assert min(b.duration for b in slow) > max(b.duration for b in picture.bars if b.row != 2)


def test_timeline_rows_per_rank(tmp_path):
    """With rows per rank, each bar sits on its sending rank's row."""
    result = timed_run("allreduce", "tree", ring(5), 10)
    picture = step_timeline(result, tmp_path / "tree.png", rows="rank")
    assert picture.rows == [f"rank {r}" for r in range(5)]
    assert all(bar.row == bar.src for bar in picture.bars)
    assert [p.name for p in picture.phases] == ["reduce", "broadcast"]
    assert len(picture.bars) == sum(r.messages for r in result.steps)


def test_timeline_splits_a_shared_link_s_row(tmp_path):
    """Pairwise all-to-all on a 5-ring: at step 1 (two hops) every link carries two messages,
    drawn as two levels of its row."""
    result = timed_run("alltoall", "pairwise", ring(5), 4)
    picture = step_timeline(result, tmp_path / "a2a.png")
    levels = {(bar.row, bar.step): bar.levels for bar in picture.bars}
    assert {levels[key] for key in levels if key[1] in (0, 3)} == {1}
    assert {levels[key] for key in levels if key[1] in (1, 2)} == {2}


def test_timeline_rows_must_be_link_or_rank(tmp_path):
    """Any other row kind is refused."""
    result = timed_run("allreduce", "ring", ring(3), 3)
    with pytest.raises(InvalidInputError, match="expected rows 'link' or 'rank', got 'node'"):
        step_timeline(result, tmp_path / "x.png", rows="node")


def test_phases_group_consecutive_labels():
    """Labels lose their step number; consecutive equal names form one phase."""
    phases = phases_of(["reduce 0", "reduce 1", "to root", "broadcast 0"], [0, 1, 3, 4],
                       [1, 2, 1, 2])
    assert [(p.name, p.first_step, p.last_step, p.start, p.end) for p in phases] == [
        ("reduce", 0, 1, 0, 3), ("to root", 2, 2, 3, 4), ("broadcast", 3, 3, 4, 6)]


def test_bytes_scaling_numbers(tmp_path):
    """Ring: every rank sends 2(N-1)K/N; tree: the root sends lg N·K and the mean is
    2(N-1)K/N; the limit is 2K."""
    picture = bytes_scaling([2, 4, 8, 16], tmp_path / "bytes.png", count=64)
    k = 64 * 4
    assert _is_png(picture.path) and picture.nbytes == k and picture.limit == 2 * k
    ns = picture.ranks
    np.testing.assert_array_equal(ns, [2, 4, 8, 16])
    np.testing.assert_array_equal(picture.ring_busiest, 2 * (ns - 1) * k // ns)
    np.testing.assert_array_equal(picture.bound, 2 * (ns - 1) * k / ns)
    np.testing.assert_array_equal(picture.tree_busiest, [1 * k, 2 * k, 3 * k, 4 * k])
    np.testing.assert_allclose(picture.tree_mean, picture.bound)


def test_time_scaling_numbers(tmp_path):
    """Ring on uniform links equals its formula; on the slow ring it equals the formula with
    the slow bandwidth and stays under 2K/B_slow + its latency; tree on uniform links equals
    the tree formula."""
    alpha, bandwidth, slow, gamma = 2.0 ** -20, 2.0 ** 30, 2.0 ** 27, 2.0 ** -36
    picture = time_scaling([1, 2, 4, 8], tmp_path / "time.png", count=256, alpha=alpha,
                           bandwidth=bandwidth, slow_bandwidth=slow, gamma=gamma)
    assert _is_png(picture.path)
    np.testing.assert_array_equal(picture.ranks, [2, 4, 8])
    assert set(picture.curves) == {"ring, uniform links", "tree, uniform links",
                                   "ring, one slow link", "tree, one slow link"}
    np.testing.assert_allclose(picture.curves["ring, uniform links"],
                               picture.ring_formula_uniform, rtol=1e-12)
    np.testing.assert_allclose(picture.curves["ring, one slow link"], picture.ring_formula_slow,
                               rtol=1e-12)
    tree = [reference_time(Problem("allreduce", int(n), (256,), np.dtype("float32")), "tree",
                           alpha, 1 / bandwidth, gamma) for n in picture.ranks]
    np.testing.assert_allclose(picture.curves["tree, uniform links"], tree, rtol=1e-12)
    assert picture.limit_slow == 2 * 1024 / slow
    assert np.all(picture.curves["tree, one slow link"] > picture.curves["ring, one slow link"])


def test_progress_bar_is_off_under_tests():
    """Under pytest the bar is off, and the sweep still yields every item."""
    assert not progress_enabled()
    assert list(progress(range(3), desc="x")) == [0, 1, 2]


def test_plots_command_writes_every_picture(tmp_path, capsys):
    """``python -m collectives plots --out DIR`` writes every picture of the gallery (PNG, and
    GIF for the animations) and prints a line per picture saying what it shows; with
    ``--busbw CSV`` also busbw.png, its line naming its CSV and the curves it holds (one per
    algorithm of the committed run; one gallery run for both, as it takes seconds)."""
    assert main(["plots", "--out", str(tmp_path), "--max-ranks-bytes", "8",
                 "--max-ranks-time", "4", "--busbw", str(BUSBW_CSV)]) == 0
    out = capsys.readouterr().out
    for name, caption in CAPTIONS.items():
        assert _is_picture(tmp_path / name), name
        assert f"{tmp_path / name}: {caption}" in out
    picture = tmp_path / "busbw.png"
    assert picture.read_bytes()[:8] == PNG
    assert f"{picture}: allreduce busbw, N = 2, float32 (from {BUSBW_CSV})" in out
    labels = [curve.label for curve in busbw_curves(read_csv(BUSBW_CSV)).curves]
    assert labels == ["ring", "recursive_doubling", "auto", "mpi"]
