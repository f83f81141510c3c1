"""The README's table of a lab comparison: measured ÷ simulated per algorithm and size, one
figure per lab in each cell, and the summary the goal is stated in."""

from __future__ import annotations

import json
from pathlib import Path

from collectives.bench.sizes import format_size
from collectives.netlab.model import error_summary


def _rows(path: Path) -> list[dict]:
    return json.loads(Path(path).read_text())["rows"]


def markdown_table(labs: dict[str, Path]) -> str:
    """Rows (collective, algorithm), columns sizes, cells ``a / b / c`` (one ratio per lab, in
    the order given), then each lab's geometric mean and largest error from 1 MiB."""
    tables = {lab: _rows(path) for lab, path in labs.items()}
    ratios: dict[tuple[str, str], dict[int, dict[str, float]]] = {}
    for lab, rows in tables.items():
        for row in rows:
            cell = ratios.setdefault((row["collective"], row["algorithm"]), {})
            cell.setdefault(row["size"], {})[lab] = row["measured"] / row["predicted"]
    sizes = sorted({size for cells in ratios.values() for size in cells})
    lines = [f"| collective | algorithm | {' | '.join(format_size(s) for s in sizes)} |",
             "|---|---|" + "---|" * len(sizes)]
    for (collective, algorithm), cells in ratios.items():
        figures = [" / ".join(f"{cells.get(size, {}).get(lab, float('nan')):.2f}"
                              for lab in tables) for size in sizes]
        lines.append(f"| {collective} | `{algorithm}` | {' | '.join(figures)} |")
    lines.append("")
    for lab, rows in tables.items():
        geomean, worst, count = error_summary(rows)
        large = [abs(row["measured"] / row["predicted"] - 1) for row in rows
                 if row["size"] >= 1 << 20]
        over = sum(1 for error in large if error > 0.25)
        small = sum(1 for row in rows if row["size"] < 1 << 20)
        lines.append(f"- {lab}: from 1 MiB, geometric mean of |measured/simulated − 1| "
                     f"{geomean:.1%} (arithmetic mean {sum(large) / max(len(large), 1):.1%}), "
                     f"largest {worst:.1%}, {over} of {count} cells off by more than 25%; "
                     f"{small} cells below 1 MiB")
    return "\n".join(lines)
