"""Export a trained kubik net to ONNX (``kubik export``, ``nets.onnx_export.export``).

Needs the optional ``onnx`` package (``pip install "kubik[onnx]"``), imported
only here, when an export runs. Every built-in layer that ONNX has an operator
for is exported (see converters); a layer without one is a ValueError naming
it. The graph takes ``input`` of shape (N, *input_shape) in float32 and gives
``output``; with ``with_preprocessing`` its first nodes apply the stored input
scaling, so it takes raw inputs. (kubik's data pipeline gives every net
float32, character indices included; Embedding casts them to int64.)

    graph       GraphBuilder: nodes, initializers, unique names; the converter table, convert (dispatch)
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
INSTALL_HINT = 'ONNX export needs the onnx package: pip install "kubik[onnx]" (or pip install onnx)'


def _onnx():
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise ImportError(INSTALL_HINT) from None
    return onnx


def export_net(net, input_shape, path=None, preprocessing=None, opset=17):
    """An onnx.ModelProto of ``net`` (in eval mode) for per-sample ``input_shape``;
    written to ``path`` when given. ``preprocessing``: a nets.inference.preprocessing
    record whose scaling becomes the graph's first nodes. A net with several inputs
    (its first layer a merge layer) takes a list of per-sample shapes; its graph
    inputs are ``input_0``, ``input_1``, ..."""
    _onnx()
    from .model import build_model
    shape = [tuple(s) for s in input_shape] if isinstance(input_shape, list) else tuple(input_shape)
    model = build_model(net, shape, preprocessing, opset)
    if path is not None:
        import onnx
        onnx.save(model, str(path))
    return model


def export(model, path, with_preprocessing=False, opset=17):
    """Export a ``kubik.load``-ed Model to ``path``; returns the path."""
    export_net(model.net, model.input_shape, path, model.record if with_preprocessing else None, opset)
    return path
