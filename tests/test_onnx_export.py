"""ONNX export: every exportable built-in layer (the sequence layers too:
Embedding on integral-float indices, RNN/LSTM/GRU stacked and bidirectional,
attention and the Transformer layer as MatMul/Softmax, the cells)
and every shipped config, run in onnxruntime on random inputs and compared
with kubik's own forward (float32, 1e-5 relative); the input scaling as the
graph's first nodes; a layer without an ONNX operator, a recurrent layer with
an initial state set and a missing onnx package as one-line errors."""
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import yaml

import kubik
from kubik import layers, nets
from kubik.nets.builders import build_model
from kubik.nets.cli import main
from kubik.nets.config import normalize
from kubik.nets.onnx_export import export_net
from kubik.nets.onnx_export.graph import CONVERTERS

ROOT = Path(__file__).resolve().parent.parent
L = layers


@pytest.fixture(autouse=True)
def _restore_registry():
    """Layers these tests register in-process are removed again (other tests list the registry)."""
    saved = dict(layers.LAYERS._table)
    yield
    layers.LAYERS._table.clear()
    layers.LAYERS._table.update(saved)


def run_onnx(model_proto, X):
    sess = ort.InferenceSession(model_proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {"input": X})[0]


def assert_same(net, input_shape, batch=4, seed=0, X=None):
    """kubik and onnxruntime agree (1e-5 relative, float32); ``input_shape`` a list of shapes
    for several inputs, fed by the graph's input names (input_0, ... for a chain)."""
    net.eval()
    if isinstance(input_shape, list):
        Xs = [np.random.default_rng(seed + i).standard_normal((batch,) + tuple(s)).astype(np.float32)
              for i, s in enumerate(input_shape)]
        model = export_net(net, input_shape)
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        got = sess.run(None, {i.name: X for i, X in zip(model.graph.input, Xs)})
        ref = net.forward(*Xs)
    else:
        if X is None:
            X = np.random.default_rng(seed).standard_normal((batch,) + tuple(input_shape)).astype(np.float32)
        ref = net.forward(X)
        got = ort.InferenceSession(export_net(net, input_shape).SerializeToString(),
                                   providers=["CPUExecutionProvider"]).run(None, {"input": X})
    ref = ref if isinstance(ref, tuple) else (ref,)
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        assert g.shape == r.shape and g.dtype == np.float32
        np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-5 * max(1.0, float(np.abs(r).max())))


def trained_bn(cls, C, shape):
    bn = cls(C)
    for p in bn.parameters():
        p.data[...] = np.random.default_rng(3).uniform(0.5, 1.5, p.data.shape)
    rng = np.random.default_rng(4)
    for _ in range(3):   # non-trivial running statistics
        bn.forward((rng.standard_normal((8, C) + shape) * 2 + 1).astype(np.float32))
    return bn


def cases():
    img = (3, 9, 9)
    return [
        ("Linear", lambda: L.Linear(5, 4, rng=0), (5,)),
        ("Linear-nobias-3d", lambda: L.Linear(5, 4, bias=False, rng=0), (3, 5)),
        ("ReLU", L.ReLU, (6,)), ("LeakyReLU", lambda: L.LeakyReLU(0.2), (6,)), ("ELU", lambda: L.ELU(0.7), (6,)),
        ("Sigmoid", L.Sigmoid, (6,)), ("Tanh", L.Tanh, (6,)),
        ("Softplus", L.Softplus, (6,)), ("Softplus-beta", lambda: L.Softplus(beta=2.0, threshold=1.0), (6,)),
        ("GELU", L.GELU, (6,)), ("GELU-tanh", lambda: L.GELU(approximate="tanh"), (6,)),
        ("Softmax", L.Softmax, (6,)), ("Softmax-dim1", lambda: L.Softmax(dim=1), img),
        ("LogSoftmax", L.LogSoftmax, (6,)),
        ("Dropout", lambda: L.Dropout(0.5, rng=0), (6,)), ("Identity", L.Identity, img),
        ("Flatten", L.Flatten, img), ("Flatten-partial", lambda: L.Flatten(2, 3), img),
        ("Reshape", lambda: L.Reshape(9, -1), img),
        ("Conv2d", lambda: L.Conv2d(3, 4, 3, rng=0), img),
        ("Conv2d-stride-pad-dil", lambda: L.Conv2d(3, 4, (3, 2), stride=2, padding=(1, 2), dilation=2, rng=0), img),
        ("Conv2d-groups-nobias", lambda: L.Conv2d(4, 6, 3, groups=2, padding=1, bias=False, rng=0), (4, 7, 7)),
        ("MaxPool2d", lambda: L.MaxPool2d(2), img),
        ("MaxPool2d-stride-pad-dil", lambda: L.MaxPool2d(3, stride=2, padding=1, dilation=2), img),
        ("AvgPool2d", lambda: L.AvgPool2d(3, stride=2), img),
        ("AvgPool2d-pad", lambda: L.AvgPool2d(3, stride=2, padding=1), img),
        ("AvgPool2d-pad-exclude", lambda: L.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), img),
        ("GlobalAvgPool2d", L.GlobalAvgPool2d, img),
        ("GlobalAvgPool2d-keepdim", lambda: L.GlobalAvgPool2d(keepdim=True), img),
        ("AdaptiveAvgPool2d", lambda: L.AdaptiveAvgPool2d(3), img),
        ("AdaptiveAvgPool2d-uneven", lambda: L.AdaptiveAvgPool2d((4, None)), img),
        ("BatchNorm1d", lambda: trained_bn(L.BatchNorm1d, 5, ()), (5,)),
        ("BatchNorm1d-3d", lambda: trained_bn(L.BatchNorm1d, 5, (4,)), (5, 4)),
        ("BatchNorm2d", lambda: trained_bn(L.BatchNorm2d, 3, (5, 5)), img),
        ("BatchNorm2d-noaffine", lambda: L.BatchNorm2d(3, affine=False), img),
        ("SyncBatchNorm", lambda: trained_bn(nets.SyncBatchNorm, 3, (5, 5)), img),
        ("LayerNorm", lambda: L.LayerNorm(6), (6,)),
        ("LayerNorm-2d-noaffine", lambda: L.LayerNorm((9, 9), elementwise_affine=False), img),
        ("LayerNorm-nobias", lambda: L.LayerNorm(9, bias=False), img),
        ("Sequential", lambda: nets.Sequential(L.Linear(5, 4, rng=0), L.Tanh(), L.Linear(4, 2, rng=1)), (5,)),
        ("Residual", lambda: nets.Residual(nets.Sequential(L.Linear(5, 5, rng=0), L.ReLU())), (5,)),
        ("Residual-projection", lambda: nets.Residual(L.Conv2d(3, 4, 3, padding=1, rng=0),
                                                       projection=L.Conv2d(3, 4, 1, rng=1)), img),
        ("Concat", lambda: nets.Concat(L.Linear(5, 2, rng=0), nets.Sequential(L.Linear(5, 3, rng=1), L.GELU())), (5,)),
        ("Concat-channels", lambda: nets.Concat(L.Conv2d(3, 2, 1, rng=0), L.MaxPool2d(3, 1, 1)), img),
    ] + sequence_cases() + vision_cases()


def vision_cases():
    """The vision blocks of issue 26 (ConvTranspose, Resize, Pad, GroupNorm, PRelu, ...)."""
    img, sig = (3, 5, 6), (3, 7)

    def gn(G, C, affine=True):
        layer = L.GroupNorm(G, C, affine=affine)
        for p in layer.parameters():
            p.data[...] = np.random.default_rng(5).uniform(0.5, 1.5, p.data.shape)
        return layer

    def prelu(n):
        layer = L.PReLU(n)
        layer.weight.data[...] = np.linspace(0.05, 0.5, n)
        return layer
    return [
        ("ConvTranspose2d", lambda: L.ConvTranspose2d(3, 4, 3, rng=0), img),
        ("ConvTranspose2d-k4-s2-p1", lambda: L.ConvTranspose2d(3, 2, 4, stride=2, padding=1, rng=0), img),
        ("ConvTranspose2d-outpad-groups-dil-nobias", lambda: L.ConvTranspose2d(
            4, 6, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2, dilation=(2, 1),
            bias=False, rng=0), (4, 4, 5)),
        ("ConvTranspose1d", lambda: L.ConvTranspose1d(3, 4, 3, rng=0), sig),
        ("ConvTranspose1d-stride-outpad-groups", lambda: L.ConvTranspose1d(4, 2, 4, stride=2, padding=1,
                                                                           output_padding=1, groups=2, rng=0), (4, 6)),
        ("Upsample-nearest", lambda: L.Upsample(scale_factor=2), img),
        ("Upsample-nearest-size", lambda: L.Upsample(size=(7, 13)), img),
        ("Upsample-nearest-fraction", lambda: L.Upsample(scale_factor=(1.5, 2.5)), img),
        ("Upsample-nearest-3d", lambda: L.Upsample(scale_factor=3), sig),
        ("Upsample-bilinear", lambda: L.Upsample(scale_factor=2, mode="bilinear"), img),
        ("Upsample-bilinear-size-align", lambda: L.Upsample(size=(9, 4), mode="bilinear", align_corners=True), img),
        ("Upsample-bilinear-down", lambda: L.Upsample(size=(3, 4), mode="bilinear"), img),
        ("Upsample-linear-3d", lambda: L.Upsample(scale_factor=1.5, mode="linear"), sig),
        ("ZeroPad2d", lambda: L.ZeroPad2d(1), img),
        ("ZeroPad2d-crop", lambda: L.ZeroPad2d((2, -1, -2, 1)), img),
        ("GroupNorm", lambda: gn(3, 3), img), ("GroupNorm-vector", lambda: gn(2, 6), (6,)),
        ("GroupNorm-noaffine", lambda: gn(1, 3, affine=False), sig),
        ("Dropout2d", lambda: L.Dropout2d(0.5, rng=0), img),
        ("PReLU", lambda: prelu(1), (6,)), ("PReLU-channels", lambda: prelu(3), img),
        ("SiLU", L.SiLU, (6,)), ("Mish", L.Mish, img),
        ("Hardtanh", L.Hardtanh, (6,)), ("Hardtanh-bounds", lambda: L.Hardtanh(-0.3, 0.8), img),
        ("Sequential-decoder", lambda: nets.Sequential(L.ConvTranspose2d(3, 4, 2, stride=2, rng=0), L.GroupNorm(2, 4),
                                                       L.SiLU(), L.Upsample(scale_factor=2, mode="bilinear"),
                                                       L.Conv2d(4, 1, 3, padding=1, rng=1)), img),
    ]


def sequence_cases():
    """Sequence layers; a 4th entry is a vocabulary size: the input is then random
    indices in [0, vocab) as integral float32, as kubik's data pipeline feeds them."""
    seq, sig = (7, 3), (3, 11)
    return [
        ("Embedding", lambda: L.Embedding(10, 4, rng=0), (6,), 10),
        ("Embedding-padding_idx-2d", lambda: L.Embedding(10, 4, padding_idx=0, rng=0), (3, 5), 10),
        ("RNN", lambda: L.RNN(3, 5, rng=0), seq),
        ("RNN-relu-stacked-bidirectional", lambda: L.RNN(3, 5, 2, "relu", bidirectional=True, rng=0), seq),
        ("RNN-nobias", lambda: L.RNN(3, 5, bias=False, rng=0), seq),
        ("LSTM", lambda: L.LSTM(3, 5, rng=0), seq),
        ("LSTM-stacked", lambda: L.LSTM(3, 5, num_layers=3, dropout=0.5, rng=0), seq),
        ("LSTM-bidirectional", lambda: L.LSTM(3, 5, bidirectional=True, rng=0), seq),
        ("LSTM-stacked-bidirectional-nobias", lambda: L.LSTM(3, 4, 2, bias=False, bidirectional=True, rng=0), seq),
        ("GRU", lambda: L.GRU(3, 5, rng=0), seq),
        ("GRU-stacked-bidirectional", lambda: L.GRU(3, 5, num_layers=2, bidirectional=True, rng=0), seq),
        ("GRU-nobias", lambda: L.GRU(3, 5, bias=False, rng=0), seq),
        ("LastStep", L.LastStep, seq), ("MeanOverTime", L.MeanOverTime, seq),
        ("Conv1d", lambda: L.Conv1d(3, 4, 3, rng=0), sig),
        ("Conv1d-stride-pad-dil", lambda: L.Conv1d(3, 4, 3, stride=2, padding=1, dilation=2, rng=0), sig),
        ("Conv1d-groups-nobias", lambda: L.Conv1d(4, 6, 3, groups=2, padding=1, bias=False, rng=0), (4, 9)),
        ("MaxPool1d", lambda: L.MaxPool1d(2), sig),
        ("MaxPool1d-stride-pad-dil", lambda: L.MaxPool1d(3, stride=2, padding=1, dilation=2), sig),
        ("AvgPool1d", lambda: L.AvgPool1d(3, stride=2), sig),
        ("AvgPool1d-pad", lambda: L.AvgPool1d(3, stride=2, padding=1), sig),
        ("AvgPool1d-pad-exclude", lambda: L.AvgPool1d(3, stride=2, padding=1, count_include_pad=False), sig),
        ("Sequential-text", lambda: nets.Sequential(L.Embedding(12, 6, padding_idx=0, rng=0), L.LSTM(6, 8, rng=1),
                                                    L.LastStep(), L.Linear(8, 12, rng=2)), (9,), 12),
        ("Sequential-conv1d-gru", lambda: nets.Sequential(L.Conv1d(3, 5, 3, padding=1, rng=0), L.MaxPool1d(2),
                                                          L.GRU(5, 4, rng=1), L.MeanOverTime()), sig),
    ] + attention_cases()


def attention_cases():
    """Attention (MatMul/Softmax decomposition), the Transformer layer, positions, Permute and
    the cells started from zero states."""
    seq = (6, 8)
    return [
        ("MultiheadAttention", lambda: L.MultiheadAttention(8, 2, rng=0), seq),
        ("MultiheadAttention-causal-1head-nobias", lambda: L.MultiheadAttention(8, 1, bias=False, causal=True, rng=0),
         seq),
        ("MultiheadAttention-4heads-dropout", lambda: L.MultiheadAttention(8, 4, dropout=0.3, rng=0), seq),
        ("TransformerEncoderLayer", lambda: L.TransformerEncoderLayer(8, 2, 16, rng=0), seq),
        ("TransformerEncoderLayer-prenorm-gelu-causal", lambda: L.TransformerEncoderLayer(
            8, 4, 12, activation="gelu", norm_first=True, causal=True, rng=0), seq),
        ("SinusoidalPositionalEncoding", lambda: L.SinusoidalPositionalEncoding(8), seq),
        ("PositionalEmbedding", lambda: L.PositionalEmbedding(10, 8, rng=0), seq),
        ("Permute", lambda: L.Permute(0, 3, 1, 2), (2, 3, 5)),
        ("RNNCell", lambda: L.RNNCell(5, 4, rng=0), (5,)), ("GRUCell", lambda: L.GRUCell(5, 4, rng=0), (5,)),
        ("RNNCell-relu-nobias", lambda: L.RNNCell(5, 4, bias=False, nonlinearity="relu", rng=0), (5,)),
        ("Sequential-transformer-lm", lambda: nets.Sequential(
            L.Embedding(11, 8, rng=0), L.SinusoidalPositionalEncoding(8), L.PositionalEmbedding(9, 8, rng=1),
            L.TransformerEncoderLayer(8, 2, 16, causal=True, rng=2), L.Linear(8, 11, rng=3), L.LogSoftmax()), (9,), 11),
    ]


@pytest.mark.parametrize("case", cases(), ids=[c[0] for c in cases()])
def test_layer_matches_onnxruntime(case):
    name, make, shape, *vocab = case
    layers.seed(0)
    X = None
    if vocab:
        X = np.random.default_rng(0).integers(0, vocab[0], (4,) + shape).astype(np.float32)
        X[0, 0] = vocab[0] - 1        # both ends of the table
        X[-1, -1] = 0
    assert_same(make(), shape, X=X)


def merge_cases():
    """Layers with several inputs, and graphs: (name, factory, per-sample input shape(s))."""
    import cases_graph as G
    img = [(3, 5, 5), (2, 5, 5)]
    return [
        ("Add", L.Add, [(6,), (6,), (6,)]), ("Multiply", L.Multiply, [(3, 4), (3, 4)]),
        ("Concatenate", L.Concatenate, img), ("Concatenate-last", lambda: L.Concatenate(axis=-1), [(3, 2), (3, 5)]),
        ("Sequential-merge-first", lambda: nets.Sequential(L.Concatenate(), L.Linear(7, 3, rng=0), L.Tanh()),
         [(3,), (4,)]),
        ("MultiheadAttention-cross", lambda: L.MultiheadAttention(8, 2, rng=0), [(4, 8), (6, 8), (6, 8)]),
        ("MultiheadAttention-cross-causal", lambda: L.MultiheadAttention(8, 4, causal=True, rng=0),
         [(5, 8), (5, 8), (5, 8)]),
        ("RNNCell-state", lambda: L.RNNCell(5, 4, rng=0), [(5,), (4,)]),
        ("GRUCell-state-nobias", lambda: L.GRUCell(5, 4, bias=False, rng=0), [(5,), (4,)]),
        ("Graph-fan-out-in", G.fan_out_in, (5,)),
        ("Graph-two-inputs-two-outputs", G.two_inputs_two_outputs, [(4,), (2,)]),
        ("Graph-shared-twice", G.shared_twice, [(4,), (4,)]),
        ("Graph-node-outputs", G.node_outputs, (4,)),
        ("Graph-inside-sequential", G.nested, (5,)),
    ]


@pytest.mark.parametrize("states", [0, 2])
def test_lstm_cell_two_outputs_match_onnxruntime(states):
    cell = L.LSTMCell(5, 4, rng=0).eval()
    shapes = [(5,)] + [(4,)] * states
    Xs = [np.random.default_rng(i).standard_normal((3,) + s).astype(np.float32) for i, s in enumerate(shapes)]
    model = export_net(cell, shapes if states else shapes[0])
    assert [o.name for o in model.graph.output] == ["output_0", "output_1"]
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = {"input": Xs[0]} if not states else {f"input_{i}": X for i, X in enumerate(Xs)}
    for got, ref in zip(sess.run(None, feed), cell.forward(*Xs)):
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", merge_cases(), ids=[c[0] for c in merge_cases()])
def test_merge_layer_matches_onnxruntime(case):
    name, make, shapes = case
    net = make().eval()
    assert_same(net, shapes)
    if isinstance(shapes, list):
        names = [i.name for i in export_net(net, shapes).graph.input]
        assert names == (list(net.inputs) if isinstance(net, nets.Graph) else [f"input_{i}" for i in range(len(shapes))])


def test_a_shared_layer_is_stored_once_and_graph_outputs_keep_their_names():
    import cases_graph as G
    g = G.shared_twice()
    model = export_net(g, [(4,), (4,)])
    assert len(model.graph.initializer) == len(g.parameters())      # e1 and e2 read one set of weights
    assert [o.name for o in export_net(G.two_inputs_two_outputs(), [(4,), (2,)]).graph.output] == ["y", "aux"]
    assert [o.name for o in export_net(G.node_outputs().children()[1], (5,)).graph.output] == ["a", "b"]


def test_every_builtin_layer_has_a_converter_or_case():
    builtin = {n for n, c in layers.LAYERS.items() if c.__name__ == n and c.__module__.startswith("kubik.")}
    converted = {c.__name__ for c in CONVERTERS}
    assert builtin <= converted, builtin - converted
    tested = {c[0].split("-")[0] for c in cases() + merge_cases()} | {"LSTMCell"}   # two outputs: its own test
    assert builtin <= tested, builtin - tested


SHIPPED = {"digits_mlp": (64,), "digits_cnn": (1, 8, 8), "breast_cancer": (30,), "breast_cancer_lbfgs": (30,),
           "spirals": (2,), "mnist_mlp": (784,), "deep_sigmoid": (64,), "deep_relu": (64,),
           "digits_lstm": (8, 8), "adding_lstm": (50, 2), "digits_cnn_augmented": (1, 8, 8),
           "digits_autoencoder": (1, 8, 8), "cifar10_resnet": (3, 32, 32),
           "digits_inception": (1, 8, 8), "digits_siamese": [(1, 8, 8), (1, 8, 8)], "digit_strips_crnn": (1, 8, 48),
           "shakespeare_transformer": (64,), "shakespeare_lstm": (64,)}
VOCABULARY = {"shakespeare_transformer": 65, "shakespeare_lstm": 65}    # character indices in


def test_every_shipped_config_is_listed():
    assert {p.stem for p in (ROOT / "configs").glob("*.yaml")} == set(SHIPPED)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_config_matches_onnxruntime(name):
    cfg = normalize(yaml.safe_load((ROOT / "configs" / f"{name}.yaml").read_text()))
    layers.seed(0)
    net, _, _ = build_model(cfg["model"], SHIPPED[name], ["x1", "x2"] if name == "digits_siamese" else None)
    X = None
    if name in VOCABULARY:
        X = np.random.default_rng(0).integers(0, VOCABULARY[name], (5,) + SHIPPED[name]).astype(np.float32)
    assert_same(net, SHIPPED[name], batch=5, X=X)


def test_cli_export_with_preprocessing(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", str(ROOT / "configs" / "breast_cancer.yaml"), "--out", str(run), "--quiet",
                 "--set", "train.epochs=2"]) == 0
    assert main(["export", str(run), str(tmp_path / "scaled.onnx")]) == 0
    assert main(["export", str(run / "last.npz"), str(tmp_path / "raw.onnx"), "--with-preprocessing"]) == 0
    model = kubik.load(run)
    X = np.loadtxt(ROOT / "nets" / "data" / "breast_cancer.csv", delimiter=",", skiprows=1)[:, :-1]
    X32 = X.astype(np.float32)
    ref = model.net.forward(model.transform(X))
    raw_sess = ort.InferenceSession(str(tmp_path / "raw.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(raw_sess.run(None, {"input": X32})[0], kubik.load(run, which="last").outputs(X),
                               rtol=1e-5, atol=1e-6)
    scaled_sess = ort.InferenceSession(str(tmp_path / "scaled.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(scaled_sess.run(None, {"input": model.transform(X)})[0], ref, rtol=1e-5, atol=1e-6)
    onnx.checker.check_model(onnx.load(str(tmp_path / "raw.onnx")))


def test_cli_export_of_a_trained_text_model(tmp_path):
    """Embedding -> stacked bidirectional GRU -> LSTM -> LastStep, trained on character indices
    (float32 integral values in the pipeline), exported by the CLI with its (identity) scaling."""
    text = tmp_path / "t.txt"
    text.write_text("the cat sat on a mat and the dog ran to the big red ball " * 4, encoding="utf-8")
    cfg = {"seed": 0, "data": {"name": "text", "path": str(text), "seq_len": 10, "step": 2, "scale": "none"},
           "model": [{"Embedding": {"num_embeddings": 16, "embedding_dim": 6, "padding_idx": 0}},
                     {"GRU": {"hidden_size": 8, "num_layers": 2, "bidirectional": True}},
                     {"LSTM": {"hidden_size": 8}}, "LastStep", {"Linear": {"out_features": 16}}],   # 16 characters
           "loss": "CrossEntropy", "train": {"epochs": 2, "batch_size": 16, "progress": False}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    assert main(["train", str(tmp_path / "c.yaml"), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    assert main(["export", str(tmp_path / "run"), str(tmp_path / "m.onnx"), "--with-preprocessing"]) == 0
    model = kubik.load(tmp_path / "run")
    X = np.random.default_rng(1).integers(0, len(model.classes), (6, 10))
    sess = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"input": X.astype(np.float32)})[0]
    np.testing.assert_allclose(got, model.outputs(X), rtol=1e-5, atol=1e-5)


def test_recurrent_initial_state_is_refused():
    lstm = L.LSTM(3, 4, rng=0).set_initial_state(np.ones((1, 2, 4)), np.ones((1, 2, 4)))
    with pytest.raises(ValueError, match=r"model\[0\]: LSTM has an initial state set"):
        export_net(nets.Sequential(lstm), (5, 3))
    lstm.set_initial_state(None)
    export_net(nets.Sequential(lstm), (5, 3))


@pytest.mark.parametrize("opset", [17, 18])
def test_mean_over_time_either_side_of_opset_18(opset):
    """ReduceMean's axes: an attribute up to opset 17, an input from 18."""
    net = nets.Sequential(L.MeanOverTime()).eval()
    X = np.random.default_rng(0).standard_normal((3, 6, 4)).astype(np.float32)
    got = run_onnx(export_net(net, (6, 4), opset=opset), X)
    np.testing.assert_allclose(got, net.forward(X), rtol=1e-5, atol=1e-6)


class Swish(layers.Layer):
    def forward(self, X):
        return X / (1 + np.exp(-X))


def test_non_exportable_layer_is_named():
    net = nets.Sequential(L.Linear(3, 3, rng=0), nets.Residual(nets.Sequential(Swish(), L.ReLU())))
    with pytest.raises(ValueError, match=r"model\[1\]\.block\[0\]: layer Swish cannot be exported to ONNX"):
        export_net(net, (3,))
    with pytest.raises(ValueError, match="does not validate for ONNX opset 13"):
        export_net(nets.Sequential(L.LayerNorm(3)), (3,), opset=13)
    with pytest.raises(ValueError, match="track_running_stats=False"):
        export_net(nets.Sequential(L.BatchNorm1d(3, track_running_stats=False)), (3,))


def test_cli_errors_are_one_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "sw.py").write_text("import numpy as np\nfrom kubik import layers\n\n@layers.register\n"
                                    "class ExportSwish(layers.Layer):\n"
                                    "    def forward(self, X):\n        self._X = X\n        return X / (1 + np.exp(-X))\n"
                                    "    def backward(self, G):\n        X = self._cached('_X')\n"
                                    "        s = 1 / (1 + np.exp(-X))\n        return G * (s + X * s * (1 - s))\n")
    cfg = {"imports": ["./sw.py"], "data": "spirals", "model": [{"Linear": 4}, "ExportSwish", {"Linear": 3}],
           "train": {"epochs": 1, "progress": False}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    assert main(["train", str(tmp_path / "c.yaml"), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["export", str(tmp_path / "run"), str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "model[1]: layer ExportSwish cannot be exported to ONNX" in err, err
    monkeypatch.setitem(sys.modules, "onnx", None)                               # as if not installed
    assert main(["export", str(tmp_path / "run"), str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and 'pip install "kubik[onnx]"' in err, err


# ---- your own layers: the public converter hook (issue 29) -------------------------------------

class HookSwish(layers.Layer):
    """X σ(X), exported by a registered converter."""
    def forward(self, X):
        return X / (1 + np.exp(-X))


class MethodSwish(layers.Layer):
    """X σ(X), exported by its own to_onnx method."""
    def forward(self, X):
        return X / (1 + np.exp(-X))

    def to_onnx(self, g, x, shape):
        return g.op("Mul", [x, g.op("Sigmoid", [x])])


def test_a_registered_converter_exports_an_own_layer():
    from kubik.nets.onnx_export import converter_of, converts

    @converts(HookSwish)
    def hook_swish(g, layer, x, shape, where):
        assert shape == (3,) and where == "model[1]"
        return g.op("Mul", [x, g.op("Sigmoid", [x])])
    try:
        assert converter_of(HookSwish()) is hook_swish
        assert_same(nets.Sequential(L.Linear(3, 3, rng=0), HookSwish(), L.Linear(3, 2, rng=1)), (3,))
    finally:
        CONVERTERS.pop(HookSwish)


def test_a_to_onnx_method_exports_an_own_layer():
    assert_same(nets.Sequential(L.Linear(3, 3, rng=0), nets.Residual(MethodSwish())), (3,))


def test_a_converter_returning_no_name_is_named():
    from kubik.nets.onnx_export import converts
    converts(HookSwish)(lambda g, layer, x, shape, where: None)
    try:
        with pytest.raises(ValueError, match="model\\[0\\]: the ONNX converter of HookSwish returned None"):
            export_net(nets.Sequential(HookSwish()), (3,))
    finally:
        CONVERTERS.pop(HookSwish)


def test_the_missing_converter_error_says_how_to_add_one():
    with pytest.raises(ValueError) as e:
        export_net(nets.Sequential(Swish()), (3,))
    text = str(e.value)
    assert "@kubik.nets.onnx_export.converts(Swish)" in text and "Swish.to_onnx(self, g, x, shape)" in text


def test_a_plugin_registers_its_converter_on_a_miss(monkeypatch, tmp_path):
    from kubik.layers.core import registry
    (tmp_path / "plugin_conv.py").write_text(
        "from kubik.nets.onnx_export import converts\nimport test_onnx_export as t\n\n"
        "@converts(t.Swish)\ndef swish(g, layer, x, shape, where):\n"
        "    return g.op('Mul', [x, g.op('Sigmoid', [x])])\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    class EP:
        name, value = "conv", "plugin_conv"

        def load(self):
            import importlib
            return importlib.import_module("plugin_conv")
    monkeypatch.setattr(registry, "_plugins", {"loaded": False})
    monkeypatch.setattr(registry, "_entry_points", lambda group: [EP()])
    monkeypatch.setitem(sys.modules, "test_onnx_export", sys.modules[__name__])
    try:
        assert_same(nets.Sequential(Swish()), (3,))
    finally:
        CONVERTERS.pop(Swish, None)
        sys.modules.pop("plugin_conv", None)


def test_the_hook_is_importable_without_onnx():
    import subprocess
    code = ("import sys\nsys.modules['onnx'] = None\nfrom kubik.nets.onnx_export import converts\n"
            "from kubik import layers\n@converts(layers.ReLU)\ndef f(g, layer, x, shape, where):\n    return x\n"
            "print('ok')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


# ---- export: atomic, never onto a checkpoint, only opsets ONNX honours ---------------------------

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run = tmp_path_factory.mktemp("exp") / "run"
    assert main(["train", str(ROOT / "configs" / "spirals.yaml"), "--out", str(run), "--quiet",
                 "--set", "train.epochs=1"]) == 0
    return run


def test_export_refuses_to_write_onto_a_checkpoint(trained, capsys):
    before = (trained / "best.npz").read_bytes()
    for target in (trained / "best.npz", trained / "last.npz"):
        assert main(["export", str(trained), str(target)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and "is a kubik checkpoint" in err and str(target) in err, err
    assert (trained / "best.npz").read_bytes() == before


@pytest.mark.parametrize("opset", [0, -1, 12, 999])
def test_export_refuses_an_opset_onnx_cannot_honour(trained, tmp_path, capsys, opset):
    assert main(["export", str(trained), str(tmp_path / "m.onnx"), "--opset", str(opset)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "opset must be an integer from 13 to" in err and str(opset) in err, err
    assert not (tmp_path / "m.onnx").exists()
    with pytest.raises(ValueError, match="opset must be"):
        export_net(nets.Sequential(L.ReLU()), (3,), opset=opset)


def test_export_is_atomic(trained, tmp_path, monkeypatch, capsys):
    """A failure while writing leaves the earlier export whole and no temporary file."""
    out = tmp_path / "m.onnx"
    assert main(["export", str(trained), str(out)]) == 0
    good = out.read_bytes()
    import os

    def crash(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "fsync", crash)
    assert main(["export", str(trained), str(out), "--with-preprocessing"]) == 2
    assert out.read_bytes() == good and sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]
    capsys.readouterr()
