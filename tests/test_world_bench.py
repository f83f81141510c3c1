"""The world's overhead benchmark prints its figures: calls per second at N = 8, and a program
of many calls at a larger N in seconds."""

from __future__ import annotations

import pytest

from collectives.bench.world import main, measure

pytestmark = pytest.mark.timeout(300)


def test_measure_times_a_program_of_calls():
    """400 all-reduces of 4 KiB at N = 8 (auto: recursive doubling) run at over 200 calls/s
    even on a loaded test machine (the benchmark's own bar is 2,000)."""
    overhead = measure(8, 400)
    assert overhead.algorithm == "recursive_doubling"
    assert overhead.calls_per_second > 200, overhead.describe()


def test_main_prints_one_line_per_case(capsys):
    """``python -m collectives.bench.world -n 64 -c 100`` prints the case's line."""
    assert main(["-n", "64", "-c", "100", "-a", "ring"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("N =  64, 4096 B float32 all-reduce (ring): 100 calls in ")
    assert line.endswith(" calls/s")
