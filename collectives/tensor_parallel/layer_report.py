"""The text report of the layer step: tensor parallel beside tensor + sequence parallel.

Built from every rank's :class:`~collectives.tensor_parallel.layer_step.LayerRankReport`,
whichever backend produced them: the calls each block makes and the bytes each rank sent,
against the ring formulas; the bytes per block; the activation bytes each rank's forward pass
kept, tensor by tensor, against Korthikanti et al.'s formulas.
"""

from __future__ import annotations

from collections.abc import Sequence

from collectives.tensor_parallel.layer import NORM_GRADS_LABEL
from collectives.tensor_parallel.layer_step import LayerConfig, LayerRankReport
from collectives.tensor_parallel.memory import (
    TERMS,
    VARIANTS,
    Term,
    is_split,
    paper_formula,
    term_formula,
)
from collectives.tensor_parallel.report import ITEMSIZE, _number, _shape, _table
from collectives.tensor_parallel.volume import HALF_CALLS_PER_BLOCK

BLOCKS = ("mlp", "attention")
_COLLECTIVE_NAMES = {"allreduce": "all-reduce", "reduce_scatter": "reduce-scatter",
                     "allgather": "all-gather"}
_PAPER = {"tensor": "sbh(10 + 24/t + 5as/ht)", "sequence": "(sbh/t)(34 + 5as/h)",
          "sequence, inputs kept": "(sbh/t)(34 + 5as/h) + 4sbh(t − 1)/t"}


def _same(values: Sequence[int]) -> str:
    """One value if every rank agrees, else each rank's."""
    return str(values[0]) if len(set(values)) == 1 else ", ".join(str(v) for v in values)


def _calls(report: LayerRankReport, variant: str, block: str) -> list:
    return [r for r in report.variants[variant].records if r.label.startswith(f"{block}.")]


def _call_lines(reports: Sequence[LayerRankReport], k: int) -> list[str]:
    n = len(reports)
    half, whole = (n - 1) * k / n, 2 * (n - 1) * k / n
    rows = [["variant", "operator", "collective", "tensor", *BLOCKS, "formula"]]
    for variant in VARIANTS:
        for index, record in enumerate(_calls(reports[0], variant, "mlp")):
            sent = {block: _same([_calls(rep, variant, block)[index].bytes_sent
                                  for rep in reports]) for block in BLOCKS}
            formula = (f"2(t−1)/t·K = {_number(whole)}" if record.collective == "allreduce"
                       else f"(t−1)/t·K = {_number(half)}")
            rows.append([variant, record.label.removeprefix("mlp.").replace(".", " "),
                         _COLLECTIVE_NAMES[record.collective], _shape(record.shape),
                         *sent.values(), formula])
    return [f"  calls per block, in order, and the bytes each rank sent (ring; "
            f"K = bsh·{ITEMSIZE} = {k} bytes)", *_table(rows, {4, 5})]


def _block_lines(reports: Sequence[LayerRankReport], k: int, hidden: int) -> list[str]:
    n = len(reports)
    rows = [["variant", "", *BLOCKS, "formula"]]
    for variant in VARIANTS:
        for mode, halves in HALF_CALLS_PER_BLOCK[variant].items():
            sent = [_same([sum(r.bytes_sent for r in _calls(rep, variant, block)
                               if mode == "training" or r.label.endswith(".forward"))
                           for rep in reports]) for block in BLOCKS]
            rows.append([variant, f"{mode} ({'fwd' if mode == 'inference' else 'fwd + bwd'})",
                         *sent, f"{halves}(t−1)/t·K = {_number(halves * (n - 1) * k / n)}"])
    norms = _same([sum(r.bytes_sent for r in rep.variants["sequence"].records
                        if r.label == NORM_GRADS_LABEL) for rep in reports])
    norms_formula = _number(2 * (n - 1) / n * 4 * hidden * ITEMSIZE)
    return ["  per block: bytes each rank sent", *_table(rows, {2, 3}),
            "  a reduce-scatter plus an all-gather send what an all-reduce does, so per block "
            "the sequence",
            "  variants send the tensor variant's bytes; re-gathering (the paper's choice) adds "
            "one all-gather",
            "  of the saved 1/t input of QKV and of fc1 in backward. Outside the blocks, the "
            "layer norms' γ, β",
            f"  gradients (4h) are all-reduced once per sequence-parallel step: {norms} bytes a "
            f"rank, 2(t−1)/t·4h·8 = {norms_formula}"]


def _term_text(term: Term, split: bool) -> str:
    size = " + ".join(f"{'' if c == 1 else c}{unit}"
                      for c, unit in ((term.sbh, "sbh"), (term.as2b, "as²b")) if c)
    return size + ("/t" if split else "")


def _memory_lines(config: LayerConfig, reports: Sequence[LayerRankReport]) -> list[str]:
    n = len(reports)
    sizes = dict(batch=config.batch, seq=config.seq, hidden=config.hidden, heads=config.heads,
                 ranks=n)
    rows = [["kept for backward", *(cell for v in VARIANTS for cell in (v, "measured"))]]
    for term in TERMS:
        row = [term.name]
        for variant in VARIANTS:
            formula = _number(term_formula(term, variant, **sizes))
            row += [f"{_term_text(term, is_split(term, variant))} = {formula}",
                    _same([rep.variants[variant].terms[term.name] for rep in reports])]
        rows.append(row)
    rows.append(["all arrays kept", *(cell for v in VARIANTS for cell in (
        f"sum = {_number(sum(term_formula(t, v, **sizes) for t in TERMS))}",
        _same([rep.variants[v].stored for rep in reports])))])
    lines = ["  activation bytes each rank keeps for backward, counted from the arrays its "
             "forward pass saved",
             "  (the paper's accounting: 2 bytes an activation element, 1 a mask element)"]
    lines += _table(rows, {2, 4, 6})
    for variant in VARIANTS:
        lines.append(f"    {variant + ':':22} {_PAPER[variant]} = "
                     f"{_number(paper_formula(variant, **sizes))}")
    lines += ["  the layer is the paper's whole layer: all 14 tensors of its count are kept "
              "and nothing else",
              "  (the layer norms recompute μ and σ in backward, the causal mask is rebuilt), "
              "so measured = formula"]
    return lines


def format_layer_report(config: LayerConfig, reports: Sequence[LayerRankReport]) -> str:
    """The layer section of the report."""
    n = len(reports)
    k = config.batch * config.seq * config.hidden * ITEMSIZE
    shapes = {v: _shape(reports[0].variants[v].input_shape) for v in VARIANTS}
    lines = ["Transformer layer: tensor parallel beside tensor + sequence parallel "
             "(Korthikanti et al. 2022)",
             f"b = {config.batch}, s = {config.seq}, h = {config.hidden}, a = {config.heads} "
             f"heads, t = {n} rank{'s' if n > 1 else ''}, float64, dropout keeping "
             f"{config.keep_prob}",
             "  y = x₂ + Dropout(MLP(LN₂(x₂))), x₂ = x + Dropout(Attention(LN₁(x))), the "
             "attention's",
             "  probabilities dropped out too; x on each rank: "
             f"{shapes['tensor']} (tensor), {shapes['sequence']} (sequence: positions",
             "  r·s/t ... (r+1)·s/t − 1, on which the layer norms, dropouts and residuals run)",
             "  tensor:   f = identity forward, all-reduce backward; g = all-reduce forward, "
             "identity backward",
             "  sequence: f = all-gather forward, reduce-scatter backward; g = reduce-scatter "
             "forward, all-gather backward"]
    lines += _call_lines(reports, k)
    lines += _block_lines(reports, k, config.hidden)
    lines += _memory_lines(config, reports)
    verdicts = ", ".join(f"{v} {'yes' if all(r.variants[v].matches for r in reports) else 'NO'}"
                         for v in VARIANTS)
    lines.append(f"  y, dx and every shard's gradients equal the unsplit layer's: {verdicts}")
    return "\n".join(lines) + "\n"
