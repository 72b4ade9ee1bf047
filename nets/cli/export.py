"""``kubik export CHECKPOINT_OR_RUN OUT.onnx [--with-preprocessing]``: the
trained net as an ONNX graph (needs the ``onnx`` package: the [onnx] extra,
imported only by this command)."""
from ..inference.model import load
from ..onnx_export.names import io_names
from .common import out
from .parser import UsageError


def cmd_export(args):
    model = load(args.model, imports=args.imports)
    try:
        from ..onnx_export import export
        path = export(model, args.output, with_preprocessing=args.with_preprocessing, opset=args.opset)
    except (ImportError, ValueError) as e:   # onnx missing (with the install hint), or a layer it cannot express
        raise UsageError(f"kubik export: {e}") from None
    kind = "raw inputs (scaled in the graph)" if args.with_preprocessing else "scaled inputs"
    shapes = model.input_shape if model.inputs else [model.input_shape]
    ins, outs = io_names(model.net, len(shapes), len(model.net.output_shapes(*shapes)))
    takes = " and ".join(f"'{n}' takes {kind} of shape (N, {', '.join(map(str, s))})" for n, s in zip(ins, shapes))
    gives = "'output' is the net's output" if outs == ["output"] else \
        f"{', '.join(repr(n) for n in outs)} are the net's outputs"
    out(f"wrote {path}: {takes}; {gives}")
    return 0
