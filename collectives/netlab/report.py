"""The README's table of a lab comparison: measured ÷ simulated per algorithm and size, one
figure per lab in each cell, and the summary the goal is stated in."""

from __future__ import annotations

import json
from pathlib import Path

from collectives.bench.sizes import format_size
from collectives.netlab.model import error_summary


def load_rows(path: Path) -> list[dict]:
    """The rows a ``netlab predict --json`` or ``netlab study`` file holds."""
    return json.loads(Path(path).read_text())["rows"]


def markdown_table(labs: dict[str, Path]) -> str:
    """Rows (collective, algorithm), columns sizes, cells ``a / b / c`` (one ratio per lab, in
    the order given), then each lab's geometric mean and largest error from 1 MiB."""
    tables = {lab: load_rows(path) for lab, path in labs.items()}
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
        summary = error_summary(rows)
        small = sum(1 for row in rows if row["size"] < 1 << 20)
        lines.append(f"- {lab}: from 1 MiB, geometric mean of |measured/simulated − 1| "
                     f"{summary.geomean:.1%} (arithmetic mean {summary.mean:.1%}), largest "
                     f"{summary.largest:.1%}, {summary.over_quarter} of {summary.cells} cells "
                     f"off by more than 25%; {small} cells below 1 MiB")
    return "\n".join(lines)
