"""``kubik export CHECKPOINT_OR_RUN OUT.onnx [--with-preprocessing]``: the
trained net as an ONNX graph (needs the ``onnx`` package: the [onnx] extra,
imported only by this command)."""
from ..inference.model import load
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
    out(f"wrote {path}: 'input' takes {kind} of shape (N, {', '.join(map(str, model.input_shape))}); "
        f"'output' is the net's output")
    return 0
