"""The benchmark workloads in kubik, through its public API only.

``build(spec)`` returns a Runner whose ``run(steps)`` performs that many
training steps (forward, backward, optimizer step) over the spec's synthetic
batches, or raises Unavailable when this kubik lacks a layer the workload needs.
"""
import kubik
from kubik import layers
from kubik import losses
from kubik import nets
from kubik import optim
from kubik.layers.runtime import threads

from .specs import Runner, make_data


class Unavailable(Exception):
    """The workload cannot be built with this version of kubik."""


def _need(*names):
    missing = [n for n in names if not hasattr(layers, n)]
    if missing:
        raise Unavailable(f"this kubik has no layers.{', layers.'.join(missing)}")
    return [getattr(layers, n) for n in names]


def _model(spec):
    L = layers
    if spec.name.startswith("mlp"):
        return nets.Sequential(L.Linear(784, 512), L.ReLU(), L.Linear(512, 256), L.ReLU(), L.Linear(256, 10))
    if spec.name == "textbook":
        return nets.Sequential(L.Linear(2, 100), L.Sigmoid(), L.Linear(100, 1), L.Sigmoid())
    if spec.name == "lenet_b64":
        Conv2d, MaxPool2d = _need("Conv2d", "MaxPool2d")
        return nets.Sequential(Conv2d(1, 8, 5, padding=2), L.ReLU(), MaxPool2d(2),
                               Conv2d(8, 16, 5), L.ReLU(), MaxPool2d(2), L.Flatten(),
                               L.Linear(400, 120), L.ReLU(), L.Linear(120, 84), L.ReLU(), L.Linear(84, 10))
    if spec.name == "conv3x3":
        (Conv2d,) = _need("Conv2d")
        return Conv2d(64, 64, 3, padding=1)
    if spec.name == "deconv":
        (ConvTranspose2d,) = _need("ConvTranspose2d")
        return ConvTranspose2d(64, 32, 4, stride=2, padding=1)
    if spec.name == "lstm_b64":
        LSTM, LastStep = _need("LSTM", "LastStep")
        return nets.Sequential(LSTM(64, 256), LastStep(), L.Linear(256, 10))
    if spec.name == "transformer_b32":
        Encoder, MeanOverTime = _need("TransformerEncoderLayer", "MeanOverTime")
        return nets.Sequential(Encoder(128, 4, 512, dropout=0.0), MeanOverTime(), L.Linear(128, 10))
    if spec.name == "attention_b32":
        (Attention,) = _need("MultiheadAttention")
        return Attention(128, 4)
    raise KeyError(spec.name)


def _ctc(spec, seed):
    if not hasattr(losses, "CTC"):
        raise Unavailable("this kubik has no losses.CTC")
    loss = losses.CTC()

    def step(X, t):
        loss.forward(X, t)
        loss.backward()
    return Runner(step, make_data(spec, seed), None)


def as_graph(seq):
    """The layers of the Sequential ``seq`` wired as a plain chain in a nets.Graph
    (nodes n0, n1, ...): the same computation, for measuring what the Graph costs."""
    g = nets.Graph(inputs=["x"])
    prev = "x"
    for i, layer in enumerate(seq):
        g.add(f"n{i}", layer, prev)
        prev = f"n{i}"
    return g


def build(spec, seed=0, graph=False):
    """The workload's Runner; ``graph``: its layers as a chain in a nets.Graph instead of a Sequential."""
    layers.seed(seed)
    if spec.kind == "ctc":
        return _ctc(spec, seed)
    net = _model(spec)
    if graph:
        net = as_graph(net)
    n = threads.configured()
    if n is not None:   # as nets.build does: BLAS at one thread beside sample-parallel layers
        kubik.set_num_threads(n, blas=threads.blas_threads_for(net, n, spec.input_shape, spec.batch))
    data = make_data(spec, seed)
    if spec.kind != "grad" and hasattr(net, "set_propagate_down"):
        net.set_propagate_down(False)  # the input is data: no dX for the first layer, as in PyTorch
    if spec.kind == "grad":
        def step(X, G):
            net.zero_grad()
            net.forward(X)
            net.backward(G)
        return Runner(step, data, net)

    net.flatten_parameters()  # as nets.build does: fused optimizer updates
    loss = losses.CrossEntropy() if spec.kind == "classify" else losses.BCE()
    opt = optim.SGD(net.parameters(), lr=0.01, momentum=0.9) if spec.kind == "classify" \
        else optim.SGD(net.parameters(), lr=0.5)

    def step(X, t):
        opt.zero_grad()
        loss.forward(net.forward(X), t)
        net.backward(loss.backward())
        opt.step()
    runner = Runner(step, data, net)
    runner.parts = (net, opt, loss)   # for benchmarks.layers_profile
    return runner
