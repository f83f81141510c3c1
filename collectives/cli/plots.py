"""``python -m collectives plots``: draw the README's pictures into a folder (default plots/)."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = ("draw the pictures (traffic, link bytes, step timelines, scaling) as PNG files and "
        "ring and tree all-reduce animated as GIFs")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``plots``."""
    parser.add_argument("--out", "-o", default="plots", type=Path,
                        help="folder to write the pictures into (default plots/)")
    parser.add_argument("--max-ranks-bytes", type=int, default=1024, metavar="N",
                        help="largest N of the bytes-per-rank sweep (powers of two from 2)")
    parser.add_argument("--max-ranks-time", type=int, default=256, metavar="N",
                        help="largest N of the time sweep (powers of two from 2)")
    parser.add_argument("--busbw", metavar="CSV", type=Path,
                        help="also draw busbw.png: busbw against size from a CSV that "
                             "'python -m collectives bench --csv' wrote")
    parser.add_argument("--netlab", metavar="FOLDER", type=Path,
                        help="also draw the lab's pictures from the JSON files 'python -m "
                             "collectives netlab study/predict' wrote into FOLDER")


def run(args: argparse.Namespace) -> int:
    """Write every picture and say what each shows."""
    from collectives.plots.gallery import CAPTIONS, make_gallery

    pictures = make_gallery(args.out, max_ranks_bytes=args.max_ranks_bytes,
                            max_ranks_time=args.max_ranks_time)
    for name, picture in pictures.items():
        print(f"{picture.path}: {CAPTIONS[name]}")
    if args.busbw is not None:
        from collectives.plots.busbw import plot_busbw

        path = args.out / "busbw.png"
        data = plot_busbw(args.busbw, path)
        print(f"{path}: {data.title} (from {args.busbw}), one line per algorithm, the copy "
              "bandwidth dashed")
    if args.netlab is not None:
        from collectives.plots.netlab import draw_lab_pictures

        for path, caption in draw_lab_pictures(args.netlab, args.out).items():
            print(f"{path}: {caption}")
    return 0
