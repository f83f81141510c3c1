"""Pictures of simulated runs, drawn with matplotlib's Agg renderer (no display needed).

Each function writes one picture (a PNG; a GIF for :func:`animate`) and returns the numbers
behind it (a small dataclass), so tests check the numbers rather than pixels:

- :func:`traffic_heatmap`: bytes from each rank to each rank;
- :func:`link_bars`: bytes each link carried;
- :func:`step_timeline`: one row per link or rank, one bar per transfer coloured by chunk,
  phases labelled;
- :func:`bytes_scaling`: bytes per rank against N, ring and tree all-reduce, beside
  2(N-1)K/N and its limit 2K;
- :func:`time_scaling`: time against N, ring and tree all-reduce, on uniform links and on a ring
  with one slow link;
- :func:`animate`: a run step by step as a GIF (the links each step uses, whose inputs each
  chunk holds, bytes sent against the formula), from
  :func:`collectives.sim.frames.record_frames`;
- :func:`~collectives.plots.block_volume.plot_block_volume`: tensor-parallel bytes per block
  against N, measured beside the formulas;
- :func:`make_gallery`: all of them, the pictures of the README (``python -m collectives plots``);
- :func:`~collectives.plots.busbw.plot_busbw`: the benchmark's busbw against size, from the CSV
  it wrote (``python -m collectives plots --busbw CSV`` or ``bench --plot CSV``).
"""

from collectives.plots.animation import AnimationPicture, animate
from collectives.plots.gallery import make_gallery
from collectives.plots.scaling import (
    BytesScalingPicture,
    TimeScalingPicture,
    bytes_scaling,
    time_scaling,
)
from collectives.plots.timeline import Bar, Phase, TimelinePicture, phases_of, step_timeline
from collectives.plots.traffic import LinkBarsPicture, TrafficPicture, link_bars, traffic_heatmap

__all__ = [
    "AnimationPicture", "Bar", "BytesScalingPicture", "LinkBarsPicture", "Phase",
    "TimeScalingPicture", "TimelinePicture", "TrafficPicture", "animate", "bytes_scaling",
    "link_bars", "make_gallery", "phases_of", "step_timeline", "time_scaling", "traffic_heatmap",
]
