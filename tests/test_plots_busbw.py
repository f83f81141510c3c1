"""``python -m collectives plots --busbw CSV`` adds the benchmark's busbw picture to the gallery,
drawn from a CSV the bench command wrote (the README's is plots/bench/allreduce_n2.csv)."""

from __future__ import annotations

from pathlib import Path

from collectives.bench.report import read_csv
from collectives.cli import main
from collectives.plots.busbw import busbw_curves

CSV = Path(__file__).resolve().parents[1] / "plots" / "bench" / "allreduce_n2.csv"


def test_busbw_flag_writes_busbw_png_from_the_csv(tmp_path, capsys):
    """busbw.png is written beside the gallery, and the line printed for it names its CSV and
    the curves it holds (one per algorithm of the committed run)."""
    assert main(["plots", "--out", str(tmp_path), "--max-ranks-bytes", "4",
                 "--max-ranks-time", "4", "--busbw", str(CSV)]) == 0
    picture = tmp_path / "busbw.png"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert f"{picture}: allreduce busbw, N = 2, float32 (from {CSV})" in out
    labels = [curve.label for curve in busbw_curves(read_csv(CSV)).curves]
    assert labels == ["ring", "recursive_doubling", "auto", "mpi"]
