"""Done-when check of issue 3: a LeNet-style convolutional net trains on the
bundled 8x8 digits (as 1x8x8 images) to >= 97 % held-out accuracy."""
import gzip
import pathlib

import numpy as np

from kubik import layers
from kubik import losses
from kubik import nets
from kubik import optim

DATA = pathlib.Path(nets.__file__).parent / "data" / "digits.csv.gz"


def load_digits():
    with gzip.open(DATA, "rt") as f:
        table = np.loadtxt(f, delimiter=",", skiprows=1)      # a header: pixel_0_0, ..., target
    X = (table[:, :64] / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    return X, table[:, 64].astype(np.int64)


def lenet(rng):
    L = layers
    return nets.Sequential(
        L.Conv2d(1, 16, 3, padding=1, rng=rng), L.ReLU(), L.MaxPool2d(2),    # 16 x 4 x 4
        L.Conv2d(16, 32, 3, padding=1, rng=rng), L.ReLU(), L.MaxPool2d(2),   # 32 x 2 x 2
        L.Flatten(), L.Linear(128, 64, rng=rng), L.ReLU(), L.Linear(64, 10, rng=rng))


def test_lenet_reaches_97_percent_on_held_out_digits():
    X, y = load_digits()
    assert X.shape == (1797, 1, 8, 8)
    order = np.random.default_rng(0).permutation(len(X))      # a fixed 80/20 split
    test, train = order[:360], order[360:]
    rng = np.random.default_rng(1)
    net = lenet(rng)
    net.set_propagate_down(False)
    loss = losses.CrossEntropy()
    opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(20):
        perm = rng.permutation(train)
        for i in range(0, len(perm), 32):
            idx = perm[i:i + 32]
            opt.zero_grad()
            loss.forward(net.forward(X[idx]), y[idx])
            net.backward(loss.backward())
            opt.step()
    net.eval()
    pred = net.forward(X[test]).argmax(axis=1)
    accuracy = float((pred == y[test]).mean())
    assert accuracy >= 0.97, f"held-out accuracy {accuracy:.4f}"
    # float32 all the way
    assert all(p.data.dtype == np.float32 for p in net.parameters())
