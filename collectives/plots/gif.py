"""Figures written as one animated GIF with Pillow (which matplotlib brings).

Every frame is rendered by Agg at the figure's own dpi and must have the same size. The frames
share one palette of at most :data:`COLOURS` colours, taken from all of them at once, so a colour
never shifts between frames; Pillow stores each frame after the first as the box that changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from collectives.errors import InvalidInputError

COLOURS = 64


def render(figure: Figure) -> Image.Image:
    """``figure`` as an RGB image."""
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3])


def write_gif(figures: Sequence[Figure], path: str | Path,
              durations: Sequence[int]) -> tuple[int, int]:
    """Write ``figures`` to ``path`` as a looping GIF, frame i shown ``durations[i]``
    milliseconds; return the frames' (width, height) in pixels."""
    if not figures or len(durations) != len(figures):
        raise InvalidInputError(f"expected one duration per frame and at least one frame, got "
                                f"{len(durations)} durations for {len(figures)} frames")
    images = [render(figure) for figure in figures]
    sizes = {image.size for image in images}
    if len(sizes) != 1:
        raise InvalidInputError(f"expected frames of one size, got {sorted(sizes)}")
    width, height = images[0].size
    every = Image.new("RGB", (width, height * len(images)))
    for index, image in enumerate(images):
        every.paste(image, (0, height * index))
    palette = every.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT,
                             dither=Image.Dither.NONE)
    frames = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in images]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frames[0].save(path, format="GIF", save_all=True, append_images=frames[1:],
                   duration=list(durations), loop=0, optimize=False)
    return width, height
