"""``kubik export CHECKPOINT_OR_RUN OUT.onnx [--with-preprocessing]``: the
trained net as an ONNX graph (needs the ``onnx`` package: the [onnx] extra)."""
from ..model import load
from .common import out
from .parser import UsageError


def cmd_export(args):
    try:
        from ..onnx_export import export
    except ImportError as e:
        raise UsageError(f"kubik export: {e}") from None
    model = load(args.model, imports=args.imports)
    try:
        path = export(model, args.output, with_preprocessing=args.with_preprocessing, opset=args.opset)
    except ValueError as e:
        raise UsageError(f"kubik export: {e}") from None
    out(f"wrote {path} (input '{'raw' if args.with_preprocessing else 'scaled'}' inputs of shape "
        f"(N, {', '.join(map(str, model.input_shape))}), output 'output')")
    return 0
