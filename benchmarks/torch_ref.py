"""The same workloads in PyTorch (CPU, float32), for the reference columns.

Imported only when torch is importable; kubik never depends on it. The
batches are the very numpy arrays kubik trains on, wrapped without a copy.
"""
import torch
from torch import nn

from .specs import Runner, make_data


def setup(threads, seed=0):
    torch.set_num_threads(int(threads))
    torch.manual_seed(seed)


def _model(spec):
    if spec.name.startswith("mlp"):
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
    if spec.name == "textbook":
        return nn.Sequential(nn.Linear(2, 100), nn.Sigmoid(), nn.Linear(100, 1), nn.Sigmoid())
    if spec.name == "lenet_b64":
        return nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(8, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    if spec.name == "conv3x3":
        return nn.Conv2d(64, 64, 3, padding=1)
    if spec.name == "lstm_b64":
        return _LastStepLSTM(64, 256, 10)
    if spec.name == "transformer_b32":
        return _MeanEncoder(128, 4, 512, 10)
    if spec.name == "attention_b32":
        return _SelfAttention(128, 4)
    if spec.name == "deconv":
        return nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)
    raise KeyError(spec.name)


class _MeanEncoder(nn.Module):
    """nn.TransformerEncoderLayer (batch first, dropout 0) -> mean over time -> Linear:
    kubik's Sequential(TransformerEncoderLayer, MeanOverTime, Linear)."""

    def __init__(self, d_model, nhead, ff, classes):
        super().__init__()
        self.encoder = nn.TransformerEncoderLayer(d_model, nhead, ff, dropout=0.0, batch_first=True)
        self.head = nn.Linear(d_model, classes)

    def forward(self, X):
        return self.head(self.encoder(X).mean(1))


class _SelfAttention(nn.Module):
    """nn.MultiheadAttention (batch first) on (X, X, X), its output only (need_weights=False,
    PyTorch's own fast choice)."""

    def __init__(self, embed_dim, heads):
        super().__init__()
        self.attn = nn.MultiheadAttention(embed_dim, heads, batch_first=True)

    def forward(self, X):
        return self.attn(X, X, X, need_weights=False)[0]


def _ctc(spec, seed):
    loss = nn.CTCLoss()
    data = []
    for X, t in make_data(spec, seed):
        N, T = X.shape[:2]
        data.append((torch.from_numpy(X.transpose(1, 0, 2).copy()), (torch.from_numpy(t), torch.full((N,), T),
                                                                     torch.full((N,), t.shape[1]))))

    def step(X, targets):
        x = X.requires_grad_()
        x.grad = None
        loss(x, *targets).backward()
    return Runner(step, data, None)


class _LastStepLSTM(nn.Module):
    """nn.LSTM (batch first) -> the last step's output -> Linear: kubik's
    Sequential(LSTM, LastStep, Linear)."""

    def __init__(self, inputs, hidden, classes):
        super().__init__()
        self.lstm = nn.LSTM(inputs, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, X):
        return self.head(self.lstm(X)[0][:, -1])


def build(spec, seed=0):
    torch.manual_seed(seed)
    if spec.kind == "ctc":
        return _ctc(spec, seed)
    net = _model(spec)
    data = [(torch.from_numpy(X), torch.from_numpy(t)) for X, t in make_data(spec, seed)]
    if spec.kind == "grad":
        # the input needs a gradient too, as kubik's Conv2d always returns dX
        data = [(X.requires_grad_(True), G) for X, G in data]

        def step(X, G):
            net.zero_grad()
            X.grad = None
            net(X).backward(G)
        return Runner(step, data, net)

    loss = nn.CrossEntropyLoss() if spec.kind == "classify" else nn.BCELoss()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9) if spec.kind == "classify" \
        else torch.optim.SGD(net.parameters(), lr=0.5)

    def step(X, t):
        opt.zero_grad()
        loss(net(X), t).backward()
        opt.step()
    return Runner(step, data, net)


def gemm_seconds(n, repeats):
    """Times of ``repeats`` n×n×n float32 matmuls (into a preallocated output)."""
    import time
    A, B = torch.randn(n, n), torch.randn(n, n)
    C = torch.empty(n, n)
    torch.mm(A, B, out=C)
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        torch.mm(A, B, out=C)
        out.append(time.perf_counter() - t0)
    return out
