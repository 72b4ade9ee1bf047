"""``kubik export CHECKPOINT_OR_RUN OUT.onnx [--with-preprocessing] [--opset N]``:
the trained net as an ONNX graph (needs the ``onnx`` package: the [onnx] extra,
imported only by this command). OUT is written through a temporary file renamed
over it (a killed export leaves the earlier file whole); OUT may not be a kubik
checkpoint (the run's best.npz); an opset ONNX cannot honour is refused."""
import os
from pathlib import Path

from .. import checkpoint
from ..checkpoint.format import META
from ..inference.model import checkpoint_path, load
from ..onnx_export.names import io_names
from .common import out
from .parser import UsageError


def _is_checkpoint(path):
    """Whether ``path`` is a kubik checkpoint (an .npz archive with kubik's metadata)."""
    import zipfile
    try:
        with zipfile.ZipFile(path) as z:
            return f"{META}.npy" in z.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def _check_output(args):
    output = Path(args.output)
    try:
        source = checkpoint_path(args.model)
    except (checkpoint.CheckpointError, ValueError):
        source = None
    same = source is not None and output.exists() and source.exists() and os.path.samefile(output, source)
    if same or (output.is_file() and _is_checkpoint(output)):
        raise UsageError(f"kubik export: '{args.output}' is a kubik checkpoint{' (the one exported)' if same else ''}; "
                         f"write the ONNX graph to another file, e.g. model.onnx")
    if output.is_dir():
        raise UsageError(f"kubik export: '{args.output}' is a folder; give a file name, e.g. model.onnx")
    if not output.parent.is_dir():
        raise UsageError(f"kubik export: no folder '{output.parent}' for '{args.output}'")


def cmd_export(args):
    _check_output(args)
    try:
        from ..onnx_export import check_opset
        check_opset(args.opset)
    except (ImportError, ValueError) as e:
        raise UsageError(f"kubik export: {'--' if 'opset' in str(e)[:6] else ''}{e}") from None
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
