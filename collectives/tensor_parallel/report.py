"""The text report of a tensor-parallel training step: shapes, all-reduces, bytes, parameters.

Built from every rank's :class:`~collectives.tensor_parallel.step.RankReport`, whichever backend
produced them, so a simulated run and an MPI run print the same lines (only the ``run:`` line
differs).
"""

from __future__ import annotations

from collections.abc import Sequence

from collectives.tensor_parallel.step import ModelConfig, RankReport
from collectives.tensor_parallel.volume import (
    ALLREDUCES_PER_BLOCK,
    decoder_parameters,
    decoder_parameters_per_rank,
    layer_parameters,
    ring_formula_bytes,
)

ITEMSIZE = 8  # float64

_SHAPE_NOTES = {
    "mlp": {
        "X": ("X", "[b, s, h], replicated (f: identity forward)"),
        "A_r": ("A_r", "columns of A: [h, 4h/N]"),
        "Y_r": ("Y_r = GeLU(X·A_r + a_r)", "[b, s, 4h/N], no communication"),
        "B_r": ("B_r", "rows of B: [4h/N, h]"),
        "Z": ("Z = Σ Y_r·B_r + b", "[b, s, h] after g's all-reduce"),
    },
    "attention": {
        "X": ("X", "[b, s, h], replicated (f: identity forward)"),
        "W_QKV,r": ("[W_Q,r | W_K,r | W_V,r]", "columns of each: [h, 3h/N]"),
        "Q_r": ("Q_r, K_r, V_r", "[b, H/N, s, d]: whole heads, no communication"),
        "scores": ("softmax(Q_r·K_rᵀ/√d)", "[b, H/N, s, s]"),
        "context_r": ("context_r", "[b, s, h/N]"),
        "W_O,r": ("W_O,r", "rows of W_O: [h/N, h]"),
        "out": ("out = Σ context_r·W_O,r + b_O", "[b, s, h] after g's all-reduce"),
    },
}

_TITLES = {"mlp": "MLP block (hidden 4h = {ffn}, tanh GeLU)",
           "attention": "Attention block ({heads} heads of {d}, {mask})"}

_OPERATORS = {"g.forward": "g forward", "f.backward": "f backward"}


def _table(rows: Sequence[Sequence[str]], right: set[int], indent: str = "    ") -> list[str]:
    """Rows as aligned columns; the columns in ``right`` are right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(cell.rjust(w) if i in right else cell.ljust(w)
                               for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
            .rstrip() for row in rows]


def _shape(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _block_lines(name: str, config: ModelConfig, reports: Sequence[RankReport],
                 algorithm: str) -> list[str]:
    n = len(reports)
    bsh = config.batch * config.seq * config.hidden
    title = _TITLES[name].format(ffn=4 * config.hidden, heads=config.heads,
                                 d=config.hidden // config.heads,
                                 mask="causal" if config.causal else "no mask")
    lines = [title, "  shapes on each rank"]
    shapes = reports[0].blocks[name].shapes
    lines += _table([[label, _shape(shapes[key]), note]
                     for key, (label, note) in _SHAPE_NOTES[name].items()], set())
    lines.append(f"  all-reduces: bytes each rank sent ({algorithm})")
    per_allreduce = ring_formula_bytes(bsh, n, ITEMSIZE)
    header = ["operator", "tensor", *(f"rank {r}" for r in range(n)),
              "2(N−1)/N·bsh·8", "2bsh·8"]
    rows = [header]
    calls = [[rec for rec in rep.records if rec.label.startswith(f"{name}.")] for rep in reports]
    for index, record in enumerate(calls[0]):
        operator = _OPERATORS[record.label.removeprefix(f"{name}.")]
        rows.append([operator, _shape(record.shape),
                     *(str(calls[r][index].bytes_sent) for r in range(n)),
                     _number(per_allreduce), str(2 * bsh * ITEMSIZE)])
    lines += _table(rows, set(range(2, len(header))))
    lines.append("  per block: bytes each rank sent")
    header = ["", "calls", *(f"rank {r}" for r in range(n)), "ring formula", "textbook"]
    rows = [header]
    for mode, count in ALLREDUCES_PER_BLOCK.items():
        chosen = [[rec for rec in rank_calls
                   if mode == "training" or rec.label.endswith(".forward")]
                  for rank_calls in calls]
        textbook = f"{2 * count}bsh·8 = {2 * count * bsh * ITEMSIZE}"
        rows.append([f"{mode} ({'fwd' if count == 1 else 'fwd + bwd'})",
                     str(len(chosen[0])), *(str(sum(r.bytes_sent for r in c)) for c in chosen),
                     _number(count * per_allreduce), textbook])
    lines += _table(rows, set(range(1, len(header) - 1)))
    lines.append(f"  in elements: {_number(2 * (n - 1) / n * bsh)} per all-reduce and rank "
                 f"(2(N−1)/N·bsh), against about 2bsh = {2 * bsh}")
    matches = all(rep.blocks[name].matches for rep in reports)
    lines.append("  output, dX and every shard's gradients equal the unsplit block's: "
                 + ("yes" if matches else "NO"))
    return lines


def _parameter_lines(config: ModelConfig, reports: Sequence[RankReport]) -> list[str]:
    n, h, v, layers = len(reports), config.hidden, config.vocab, config.layers
    full = layer_parameters(h)
    per_rank = {"attention": reports[0].blocks["attention"].parameters,
                "mlp": reports[0].blocks["mlp"].parameters,
                "layer norms": 4 * h, "embedding": v * h // n}
    rows = [["part", "formula", "unsplit", "per rank", "on the ranks"],
            ["attention", "4h² + 4h", str(layers * full["attention"]),
             str(layers * per_rank["attention"]), "W_QKV, b_QKV, W_O split; b_O replicated"],
            ["MLP", "8h² + 5h", str(layers * full["mlp"]), str(layers * per_rank["mlp"]),
             "A, a, B split; b replicated"],
            ["layer norms", "4h", str(layers * full["layer norms"]),
             str(layers * per_rank["layer norms"]), "replicated (not built here)"],
            ["embedding", "Vh", str(v * h), str(per_rank["embedding"]),
             "split by vocabulary rows (not built here)"]]
    total = (layers * (per_rank["attention"] + per_rank["mlp"] + per_rank["layer norms"])
             + per_rank["embedding"])
    rows.append(["total", "n(12h² + 13h) + Vh", str(decoder_parameters(layers, h, v)),
                 str(total), f"formula n(12h²/N + 7h/N + 6h) + Vh/N = "
                             f"{decoder_parameters_per_rank(layers, h, v, n)}"])
    lines = [f"Parameters (n = {layers} layer{'s' if layers > 1 else ''}, V = {v}, h = {h}, "
             f"N = {n})"]
    lines += _table(rows, {2, 3})
    replicated = (n - 1) * layers * 6 * h
    lines.append(f"  N × per rank = {n * total} = unsplit + {replicated} "
                 f"(the (N − 1) extra copies of the replicated 6h per layer)")
    return lines


def format_report(config: ModelConfig, reports: Sequence[RankReport], *, algorithm: str,
                  run: str) -> str:
    """The whole report; ``run`` says how the ranks ran (it is the only backend-specific line)."""
    n = len(reports)
    ranks = f"{n} rank{'s' if n > 1 else ''}"
    lines = ["Tensor parallelism: one training step (forward and backward) of an MLP and an "
             "attention block",
             f"b = {config.batch}, s = {config.seq}, h = {config.hidden}, "
             f"{config.heads} heads, N = {ranks}, float64 ({ITEMSIZE} bytes), "
             f"all-reduce: {algorithm}",
             f"run: {run}", ""]
    for name in ("mlp", "attention"):
        lines += _block_lines(name, config, reports, algorithm)
        lines.append("")
    lines += _parameter_lines(config, reports)
    return "\n".join(lines) + "\n"
