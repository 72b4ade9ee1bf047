"""Export a trained kubik net to ONNX (``kubik export``, ``nets.onnx_export.export``).

Needs the optional ``onnx`` package (``pip install "kubik[onnx]"``), imported
only here, when an export runs. Every built-in layer that ONNX has an operator
for is exported (see converters); a layer without one is a ValueError naming
it. The graph takes ``input`` of shape ``(N, *input_shape)`` in float32 and gives
``output``; with ``with_preprocessing`` its first nodes apply the stored input
scaling, so it takes raw inputs. (kubik's data pipeline gives every net
float32, character indices included; Embedding casts them to int64.) Your own
layers export through ``converts`` (see registry). The modules::

    registry    converts (the public decorator), CONVERTERS, converter_of: your layers' converters
                (importable without onnx; a layer's to_onnx method and kubik.plugins work too)
    graph       GraphBuilder: nodes, initializers, unique names; convert (dispatch)
    names       the graph's input and output names (a Graph's own, for several)
    model       the ModelProto: input scaling, the converted net, onnx's checker
    elementwise Linear, activations, Softmax/LogSoftmax, Dropout/Dropout2d, Flatten/Reshape, Permute
    spatial     Conv2d, pools, adaptive pools, BatchNorm, LayerNorm
    structure   Sequential, Residual (Add), Concat, Graph; the merge layers Add (Sum), Multiply, Concatenate
    sequence    Embedding (Gather), LastStep, MeanOverTime, Conv1d, MaxPool1d / AvgPool1d
    recurrent   RNN, LSTM, GRU (ONNX's RNN / LSTM / GRU, one node per stacked layer)
    attention   MultiheadAttention (MatMul / Softmax), TransformerEncoderLayer, positional encodings
    cells       RNNCell, GRUCell, LSTMCell (MatMul, Sigmoid, Tanh; LSTMCell: outputs output_0, output_1)
    vision      ConvTranspose2d/1d, Upsample (Resize), ZeroPad2d, GroupNorm, PReLU, SiLU, Mish, Hardtanh
"""
from .registry import CONVERTERS, converter_of, converts  # noqa: E402  (needs no onnx)

INSTALL_HINT = 'ONNX export needs the onnx package: pip install "kubik[onnx]" (or pip install onnx)'


def _onnx():
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise ImportError(INSTALL_HINT) from None
    return onnx


MIN_OPSET = 13      # Softmax over one axis, Squeeze/Unsqueeze/Split axes as inputs: what the converters write


def check_opset(opset):
    """``opset`` as an int the installed onnx can write and the converters use; ValueError otherwise."""
    onnx = _onnx()
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise ValueError(f"opset must be an integer from {MIN_OPSET} to {newest} (the newest the installed onnx "
                         f"{onnx.__version__} knows), got {opset!r}")
    return opset


def save_atomic(model, path):
    """Write ``model`` to ``path`` through a temporary file in the same folder, fsynced and
    renamed over it: a crash (even SIGKILL) leaves the earlier file or the new one."""
    from ..trainer.files import atomic_file
    with atomic_file(path, "wb") as f:
        f.write(model.SerializeToString())
    return str(path)


def export_net(net, input_shape, path=None, preprocessing=None, opset=17):
    """An onnx.ModelProto of ``net`` (in eval mode) for per-sample ``input_shape``;
    written (atomically) to ``path`` when given. ``preprocessing``: a
    nets.inference.preprocessing record whose scaling becomes the graph's first nodes.
    ``opset``: from MIN_OPSET to the newest the installed onnx knows. A net with several
    inputs (its first layer a merge layer) takes a list of per-sample shapes; its graph
    inputs are ``input_0``, ``input_1``, ..."""
    _onnx()
    check_opset(opset)
    from .model import build_model
    shape = [tuple(s) for s in input_shape] if isinstance(input_shape, list) else tuple(input_shape)
    model = build_model(net, shape, preprocessing, opset)
    if path is not None:
        save_atomic(model, path)
    return model


def export(model, path, with_preprocessing=False, opset=17):
    """Export a ``kubik.load``-ed Model to ``path``; returns the path."""
    export_net(model.net, model.input_shape, path, model.record if with_preprocessing else None, opset)
    return path
