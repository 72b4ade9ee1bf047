"""python -m benchmarks.cifar_standin OUT [--train N] [--test N] [--seed S]

Writes a SYNTHETIC stand-in for CIFAR-10 in its exact binary format (OUT/
data_batch_1.bin ... data_batch_5.bin, test_batch.bin, batches.meta.txt), for
timing configs/cifar10_resnet.yaml where the real set is not at hand (this
machine has no copy and no network). It is not CIFAR-10: each class is a
smooth random colour template, every image that template shifted by up to 4
pixels, scaled in brightness and covered in noise. Times per epoch on it are
real (they depend on shapes, not on pixel values); accuracies on it say
nothing about CIFAR-10 and must be labelled as the stand-in's.
"""
import argparse
from pathlib import Path

import numpy as np

CLASSES = 10


def templates(rng):
    """(10, 3, 32, 32) smooth colour patterns: low-frequency noise upsampled 8x."""
    coarse = rng.uniform(0, 255, (CLASSES, 3, 4, 4))
    return np.repeat(np.repeat(coarse, 8, axis=2), 8, axis=3)


def images(rng, base, n):
    labels = rng.integers(0, CLASSES, n)
    dy, dx = rng.integers(-4, 5, n), rng.integers(-4, 5, n)
    rows = (np.arange(32)[None, :] + dy[:, None]) % 32
    cols = (np.arange(32)[None, :] + dx[:, None]) % 32
    X = base[labels][np.arange(n)[:, None, None, None], np.arange(3)[None, :, None, None],
                     rows[:, None, :, None], cols[:, None, None, :]]
    X = X * rng.uniform(0.6, 1.2, (n, 1, 1, 1)) + rng.normal(0, 40, X.shape)
    return np.clip(X, 0, 255).astype(np.uint8), labels.astype(np.uint8)


def write(path, X, y):
    np.concatenate([y[:, None], X.reshape(len(X), -1)], axis=1).tofile(path)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.cifar_standin", description=__doc__.split("\n\n")[1])
    p.add_argument("out", help="folder to write (created)")
    p.add_argument("--train", type=int, default=5000, help="training images over the five batches (default 5000)")
    p.add_argument("--test", type=int, default=1000, help="test images (default 1000)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    rng = np.random.default_rng(a.seed)
    base = templates(rng)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for i, n in enumerate(np.diff(np.linspace(0, a.train, 6).astype(int)), 1):
        write(out / f"data_batch_{i}.bin", *images(rng, base, int(n)))
    write(out / "test_batch.bin", *images(rng, base, a.test))
    (out / "batches.meta.txt").write_text("\n".join(f"standin{i}" for i in range(CLASSES)) + "\n")
    print(f"wrote a synthetic CIFAR-10 stand-in ({a.train} training, {a.test} test images) to {out}")


if __name__ == "__main__":
    main()
