"""The layer table of ``kubik summary``: one row per built layer (children
of containers indented), its per-sample output shape and parameter count."""
from dataclasses import dataclass

from ...layers import Layer


@dataclass
class Row:
    """One line of the summary table."""
    path: str
    depth: int
    layer: Layer
    output_shape: tuple
    label: str = ""

    @property
    def num_params(self):
        return self.layer.num_parameters()


def summary_table(rows, input_shape):
    """The text table of ``kubik summary``: one line per layer (children of
    containers indented), its per-sample output shape and parameter count."""
    lines = [("input", str(tuple(input_shape)), "")]
    for r in rows:
        text = repr(r.layer)
        if "\n" in text:
            text = type(r.layer).__name__
        lines.append(("  " * r.depth + f"{r.label:>2} {text}", str(r.output_shape), f"{r.num_params:,}"))
    head = ("layer", "output shape", "params")
    w = [max(len(line[i]) for line in lines + [head]) for i in range(3)]
    rule = "-" * (w[0] + w[1] + w[2] + 4)
    out = [f"{head[0]:<{w[0]}}  {head[1]:<{w[1]}}  {head[2]:>{w[2]}}", rule]
    out += [f"{a:<{w[0]}}  {b:<{w[1]}}  {c:>{w[2]}}" for a, b, c in lines]
    total = sum(r.num_params for r in rows if r.depth == 0)
    out += [rule, f"total parameters: {total:,}"]
    return "\n".join(out)
