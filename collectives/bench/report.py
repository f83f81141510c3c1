"""The benchmark's output: an nccl-tests table, and the same rows as CSV or JSON.

Table columns, as ``all_reduce_perf`` prints them plus the algorithm and the copy ceiling::

    size (B)  count (elements)  type  redop  root  algorithm
      then out of place:  time (us)  algbw (GB/s)  busbw (GB/s)  %copy  #wrong
      then in place:      the same

``redop`` is ``none`` and ``root`` is -1 where the collective has none; ``%copy`` is busbw as a
percentage of the per-rank copy bandwidth (:mod:`collectives.bench.copyprobe`); ``#wrong`` is
``N/A`` without ``-c 1``, and a collective without an in-place form prints ``N/A`` in all its
in-place columns. With ``--memory`` two columns follow: the largest numpy scratch and RSS
growth of any rank during that row (bytes). The table ends with one
``# Avg bus bandwidth : X`` line per algorithm (the mean busbw of all its out-of-place and
in-place runs, as nccl-tests averages).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from collectives.bench.copyprobe import CopyBandwidth
from collectives.bench.runner import Row, Timing
from collectives.bench.sizes import format_size

NA = "N/A"

CSV_FIELDS: tuple[str, ...] = (
    "collective", "ranks", "algorithm", "size_bytes", "count", "type", "redop", "root",
    "oop_time_us", "oop_algbw_gbs", "oop_busbw_gbs", "oop_copy_fraction", "oop_wrong",
    "ip_time_us", "ip_algbw_gbs", "ip_busbw_gbs", "ip_copy_fraction", "ip_wrong",
    "copy_per_rank_gbs", "scratch_bytes", "rss_growth_bytes",
)

_HALF_WIDTHS = (10, 8, 8, 6, 7)  # time, algbw, busbw, %copy, #wrong


def _fraction(copy: CopyBandwidth | None, timing: Timing) -> float | None:
    return copy.fraction(timing.busbw) if copy is not None else None


def row_record(row: Row, copy: CopyBandwidth | None = None) -> dict[str, Any]:
    """One row as flat JSON-ready values (None where a value does not apply)."""
    record: dict[str, Any] = {
        "collective": row.collective, "ranks": row.ranks, "algorithm": row.algorithm,
        "size_bytes": row.size, "count": row.count, "type": row.dtype,
        "redop": row.op if row.op is not None else "none",
        "root": row.root if row.root is not None else -1,
    }
    for prefix, timing in (("oop", row.out_of_place), ("ip", row.in_place)):
        record[f"{prefix}_time_us"] = timing.seconds * 1e6 if timing else None
        record[f"{prefix}_algbw_gbs"] = timing.algbw if timing else None
        record[f"{prefix}_busbw_gbs"] = timing.busbw if timing else None
        record[f"{prefix}_copy_fraction"] = _fraction(copy, timing) if timing else None
        record[f"{prefix}_wrong"] = timing.wrong if timing else None
    record["copy_per_rank_gbs"] = copy.per_rank_gbs if copy is not None else None
    record["scratch_bytes"] = row.memory.scratch if row.memory else None
    record["rss_growth_bytes"] = row.memory.rss if row.memory else None
    return record


def write_csv(path: str | Path, rows: Iterable[Row], copy: CopyBandwidth | None = None) -> None:
    """The rows as CSV with :data:`CSV_FIELDS` as header; empty cells where N/A."""
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for row in rows:
            record = row_record(row, copy)
            writer.writerow({k: "" if v is None else v for k, v in record.items()})


def read_csv(path: str | Path) -> list[dict[str, Any]]:
    """Rows written by :func:`write_csv`, numbers as numbers, empty cells as None."""
    records = []
    with open(path, newline="") as handle:
        for raw in csv.DictReader(handle):
            record: dict[str, Any] = {}
            for key, text in raw.items():
                record[key] = _number(text) if key not in ("collective", "algorithm", "type",
                                                           "redop") else text
            records.append(record)
    return records


def _number(text: str | None) -> int | float | None:
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)


def write_json(path: str | Path, rows: Iterable[Row], copy: CopyBandwidth | None = None,
               settings: dict[str, Any] | None = None) -> None:
    """``{"settings": ..., "copy": ..., "rows": [...]}`` with the rows as in the CSV."""
    document = {"settings": settings or {},
                "copy": copy.to_dict() if copy is not None else None,
                "rows": [row_record(row, copy) for row in rows]}
    Path(path).write_text(json.dumps(document, indent=1) + "\n")


def _half_cells(timing: Timing | None, copy: CopyBandwidth | None) -> list[str]:
    if timing is None:
        return [NA] * 5
    fraction = _fraction(copy, timing)
    return [f"{timing.seconds * 1e6:.2f}", f"{timing.algbw:.3f}", f"{timing.busbw:.3f}",
            NA if fraction is None else f"{100 * fraction:.1f}",
            NA if timing.wrong is None else str(timing.wrong)]


def _line(cells: Sequence[str], widths: Sequence[int], first: str = " ") -> str:
    return first + "".join(f"{cell:>{width}}" for cell, width in zip(cells, widths, strict=True))


class Table:
    """Prints the header once, then rows as they come, then the footer."""

    def __init__(self, algorithms: Sequence[str], copy: CopyBandwidth | None = None,
                 memory: bool = False) -> None:
        self.copy = copy
        self.memory = memory
        self._widths = [12, 12, 9, 7, 6, max(11, 2 + max(len(a) for a in algorithms)),
                        *_HALF_WIDTHS, *_HALF_WIDTHS] + ([13, 13] if memory else [])
        self._busbw: dict[str, list[float]] = {a: [] for a in algorithms}
        self._wrong = 0
        self._checked = False

    def header(self) -> list[str]:
        """The three header lines (group, names, units)."""
        lead = sum(self._widths[:6])
        half = sum(_HALF_WIDTHS)
        group = "#" + " " * (lead - 1) + f"{'out-of-place':>{half}}{'in-place':>{half}}"
        if self.memory:
            group += f"{'peak growth, largest rank':>26}"
        names = ["size", "count", "type", "redop", "root", "algorithm",
                 *("time", "algbw", "busbw", "%copy", "#wrong") * 2]
        units = ["(B)", "(elements)", "", "", "", "",
                 *("(us)", "(GB/s)", "(GB/s)", "", "") * 2]
        if self.memory:
            names += ["scratch", "RSS"]
            units += ["(B)", "(B)"]
        return [group, _line(names, self._widths, "#"), _line(units, self._widths, "#")]

    def row(self, row: Row) -> str:
        """One row's line; remembers its busbw and #wrong for the footer."""
        for timing in row.halves:
            self._busbw.setdefault(row.algorithm, []).append(timing.busbw)
            if timing.wrong is not None:
                self._checked = True
                self._wrong += timing.wrong
        cells = [str(row.size), str(row.count), row.dtype,
                 row.op if row.op is not None else "none",
                 str(row.root if row.root is not None else -1), row.algorithm,
                 *_half_cells(row.out_of_place, self.copy), *_half_cells(row.in_place, self.copy)]
        if self.memory:
            cells += [str(row.memory.scratch), str(row.memory.rss)] if row.memory else [NA, NA]
        return _line(cells, self._widths)

    def footer(self) -> list[str]:
        """``# Wrong elements`` (when checked) and one ``# Avg bus bandwidth`` line per
        algorithm."""
        lines = []
        if self._checked:
            lines.append(f"# Wrong elements      : {self._wrong} "
                         + ("OK" if self._wrong == 0 else "FAILED"))
        for algorithm, values in self._busbw.items():
            if not values:
                continue
            average = sum(values) / len(values)
            line = f"# Avg bus bandwidth    : {average:.4f}  {algorithm}"
            if self.copy is not None:
                line += f"  ({100 * self.copy.fraction(average):.1f}% of the copy bandwidth)"
            lines.append(line)
        return lines

    @property
    def wrong(self) -> int:
        """Wrong elements over every row so far."""
        return self._wrong


def copy_lines(copy: CopyBandwidth) -> list[str]:
    """The header lines that state the ceiling."""
    return [f"# Copy bandwidth: {copy.ranks} ranks each copying {format_size(copy.nbytes)}B "
            f"at once (numpy.copyto): {copy.per_rank_gbs:.3f} GB/s per rank, "
            f"{copy.aggregate_gbs:.3f} GB/s aggregate",
            "# %copy = busbw / per-rank copy bandwidth"]
