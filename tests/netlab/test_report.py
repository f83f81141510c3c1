"""The lab's table and pictures, drawn from rows as netlab predict and study write them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collectives.cli import main
from collectives.netlab.model import error_summary
from collectives.plots.netlab import draw_lab_pictures


def _predict_rows(scale: float) -> list[dict]:
    return [{"collective": "allreduce", "algorithm": algorithm, "size": size,
             "measured": seconds * scale, "predicted": seconds}
            for algorithm, seconds in (("ring", 0.5), ("tree", 1.0))
            for size in (1 << 16, 1 << 20, 1 << 22)]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text(json.dumps({"rows": rows}))
    return path


def test_error_summary_is_the_geometric_mean_from_1_mib():
    """Cells of 1.1x and 0.9x from 1 MiB give a 10% geometric mean; smaller cells do not count."""
    rows = [{"size": 1 << 20, "measured": 1.1, "predicted": 1.0},
            {"size": 1 << 22, "measured": 0.9, "predicted": 1.0},
            {"size": 1 << 10, "measured": 5.0, "predicted": 1.0}]
    summary = error_summary(rows)
    assert (summary.geomean, summary.largest, summary.cells) == (pytest.approx(0.1),
                                                                 pytest.approx(0.1), 2)


def test_table_has_one_figure_per_lab_in_each_cell(tmp_path, capsys):
    """netlab table: a row per algorithm, a column per size, 'switch / ring' in each cell."""
    switch = _write(tmp_path / "predict_switch.json", _predict_rows(1.1))
    ring = _write(tmp_path / "predict_ring.json", _predict_rows(0.95))
    assert main(["netlab", "table", str(switch), str(ring)]) == 0
    out = capsys.readouterr().out
    assert "| collective | algorithm | 64K | 1M | 4M |" in out
    assert "| allreduce | `ring` | 1.10 / 0.95 | 1.10 / 0.95 | 1.10 / 0.95 |" in out
    assert "- switch: from 1 MiB, geometric mean of |measured/simulated − 1| 10.0% (arithmetic " \
           "mean 10.0%), largest 10.0%, 0 of 4 cells off by more than 25%; 2 cells below 1 MiB" \
           in out


def test_the_lab_pictures_are_drawn_from_its_json(tmp_path):
    """plots --netlab draws the scaling, ring-against-tree and predictions pictures."""
    folder = tmp_path / "netlab"
    folder.mkdir()
    _write(folder / "predict_switch.json", _predict_rows(1.05))
    scaling = [{"collective": "allreduce", "algorithm": "ring", "size": 1 << 22, "ranks": n,
                "slow": slow, "bandwidth": 12.5e6, "efficiency": 0.95, "alpha": 1e-5,
                "measured": 0.5 * (4 if slow else 1), "predicted": 0.5 * (4 if slow else 1)}
               for n in (2, 3, 4) for slow in (None, 12.5e6 / 4)]
    _write(folder / "ring_scaling.json", scaling)
    versus = [{**row, "ranks": 4} for row in _predict_rows(1.0)]
    _write(folder / "ring_vs_tree.json", versus)
    out = tmp_path / "pictures"
    drawn = draw_lab_pictures(folder, out)
    assert sorted(path.name for path in drawn) == [
        "netlab_predictions.png", "netlab_ring_scaling.png", "netlab_ring_vs_tree.png"]
    for path in drawn:
        assert path.stat().st_size > 10_000, path
