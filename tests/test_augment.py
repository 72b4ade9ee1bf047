"""Training-batch transforms (nets.augment): each transform by hand, its draws
from the generator in the documented order, shapes and errors; the DataLoader
transforms training batches only and continues the stream from its state;
nets.fit with augment= resumes bit for bit mid-epoch; the target moves with the
input where the input is the target; a user's transform through ``imports:``;
config mistakes as one placed line."""
import numpy as np
import pytest
import yaml

from kubik import layers, losses, nets, optim
from kubik.nets import augment
from kubik.nets.augment import Augment, Cutout, RandomCrop, RandomFlip, RandomNoise, RandomShift
from kubik.nets.cli import main

from cli_run import kubik, one_line_error

QUIET = dict(progress=False, log=lambda *a: None)


def batch(n=5, c=2, h=6, w=7, seed=0):
    return np.random.default_rng(seed).standard_normal((n, c, h, w)).astype(np.float32)


def test_random_crop_takes_windows_of_the_padded_images_in_the_documented_draw_order():
    X = batch()
    Y = RandomCrop((4, 5), padding=1)(X.copy(), np.random.default_rng(3))
    assert Y.shape == (5, 2, 4, 5) and Y.dtype == np.float32
    top, left = np.random.default_rng(3).integers(0, [6 - 4 + 2 + 1, 7 - 5 + 2 + 1], (5, 2)).T   # (row, column)
    P = np.pad(X, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for n in range(5):
        np.testing.assert_array_equal(Y[n], P[n, :, top[n]:top[n] + 4, left[n]:left[n] + 5])
    R = RandomCrop(6, padding=(2, 1), padding_mode="reflect")(X[:, :, :, :6].copy(), np.random.default_rng(0))
    assert R.shape == (5, 2, 6, 6) and np.all(np.isin(R, X))      # reflection: only existing values
    E = RandomCrop((6, 7), padding=(0, 0, 0, 0))(X.copy(), np.random.default_rng(0))
    np.testing.assert_array_equal(E, X)                          # a window of the whole image is the image


def test_random_shift_moves_each_image_and_fills_zeros():
    X = np.arange(2 * 1 * 4 * 4, dtype=np.float32).reshape(2, 1, 4, 4) + 1
    Y = RandomShift(1)(X.copy(), np.random.default_rng(7))
    dy, dx = np.random.default_rng(7).integers(0, 3, (2, 2)).T - 1
    for n in range(2):
        want = np.zeros((4, 4), np.float32)
        src = X[n, 0, max(dy[n], 0):4 + min(dy[n], 0), max(dx[n], 0):4 + min(dx[n], 0)]
        want[max(-dy[n], 0):max(-dy[n], 0) + src.shape[0], max(-dx[n], 0):max(-dx[n], 0) + src.shape[1]] = src
        np.testing.assert_array_equal(Y[n, 0], want)
    np.testing.assert_array_equal(RandomShift(0)(X.copy(), np.random.default_rng(0)), X)


def test_random_flip_mirrors_the_chosen_samples():
    X = batch(n=64)
    Y = RandomFlip()(X.copy(), np.random.default_rng(1))
    chosen = np.random.default_rng(1).random(64) < 0.5
    np.testing.assert_array_equal(Y[chosen], X[chosen, :, :, ::-1])
    np.testing.assert_array_equal(Y[~chosen], X[~chosen])
    assert 10 < chosen.sum() < 54
    np.testing.assert_array_equal(RandomFlip(axis=-2, p=1.0)(X.copy(), np.random.default_rng(0)), X[:, :, ::-1])
    np.testing.assert_array_equal(RandomFlip(p=0.0)(X.copy(), np.random.default_rng(0)), X)


def test_random_noise_and_cutout():
    X = np.zeros((2000, 1, 4, 4), np.float32)
    N = RandomNoise(0.5)(X.copy(), np.random.default_rng(0))
    assert N.dtype == np.float32 and abs(N.std() - 0.5) < 0.01 and abs(N.mean()) < 0.01
    np.testing.assert_array_equal(RandomNoise(0.0)(X.copy(), np.random.default_rng(0)), X)
    ones = np.ones((3, 2, 6, 6), np.float32)
    C = Cutout(3)(ones.copy(), np.random.default_rng(2))
    g = np.random.default_rng(2)
    cy, cx = g.integers(0, 6, 3), g.integers(0, 6, 3)
    for n in range(3):
        want = np.ones((6, 6), np.float32)
        want[max(cy[n] - 1, 0):cy[n] + 2, max(cx[n] - 1, 0):cx[n] + 2] = 0      # clipped by the border
        for c in range(2):
            np.testing.assert_array_equal(C[n, c], want)


def test_same_generator_state_same_batches_and_a_pipeline_in_order():
    pipe = Augment([RandomCrop(6, padding=2), RandomFlip(), Cutout(2), RandomNoise(0.1)])
    X = batch(n=8, h=6, w=6)
    a = pipe(X.copy(), np.random.default_rng(5))
    b = pipe(X.copy(), np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    g = np.random.default_rng(5)
    by_hand = RandomNoise(0.1)(Cutout(2)(RandomFlip()(RandomCrop(6, padding=2)(X.copy(), g), g), g), g)
    np.testing.assert_array_equal(a, by_hand)
    assert not np.array_equal(a, pipe(X.copy(), np.random.default_rng(6)))


def test_the_target_moves_with_the_input_under_geometric_transforms_only():
    X = batch(n=6)
    noisy, clean = Augment([RandomShift(1), RandomFlip(), RandomNoise(0.3)])(X.copy(), np.random.default_rng(0),
                                                                               target=X.copy())
    assert not np.array_equal(clean, X)                       # shifted and flipped ...
    assert np.all(np.isin(clean[clean != 0], X))              # ... but not noisy
    assert 0.25 < np.std(noisy - clean) < 0.35                # the input alone got the noise
    loader = nets.DataLoader(X, X, batch_size=6, augment=[RandomShift(1)], rng=0)
    xb, yb = next(iter(loader))
    np.testing.assert_array_equal(xb, yb)                     # y is X: the same shift for both


@pytest.mark.parametrize("make,shape,match", [
    (lambda: RandomCrop(9), (1, 8, 8), "does not fit samples of size 8x8"),
    (lambda: RandomCrop(8, padding=8, padding_mode="reflect"), (1, 8, 8), "reflect padding 8"),
    (lambda: RandomShift(1), (64,), "needs image samples"),
    (lambda: Cutout(2), (64,), "needs image samples"),
    (lambda: RandomFlip(axis=-3), (8, 8), "axis -3 does not exist")])
def test_checks_name_the_transform(make, shape, match):
    with pytest.raises(ValueError, match=match):
        make().check(shape)


@pytest.mark.parametrize("make,match", [
    (lambda: RandomCrop(0), "size must be a positive int"), (lambda: RandomCrop(4, padding=(1, 2, 3)), "padding"),
    (lambda: RandomCrop(4, padding_mode="wrap"), "padding_mode must be one of"),
    (lambda: RandomFlip(axis=1), "axis counts from the end"), (lambda: RandomFlip(p=2), "p must be a probability"),
    (lambda: RandomNoise(-1), "std must be"), (lambda: Cutout(0), "size must be"),
    (lambda: RandomShift(1.5), "max_pixels"), (lambda: Augment([3]), "a transform is")])
def test_bad_arguments(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


class Recorder(layers.Identity):
    """Remembers the batches it sees, by mode."""

    def __init__(self):
        super().__init__()
        self.seen = {True: [], False: []}

    def forward(self, X):
        self.seen[self.training].append(X.copy())
        return super().forward(X)


class Counting(augment.Transform):
    def __init__(self):
        self.calls = 0

    def __call__(self, X, rng):
        self.calls += 1
        return X + 100.0


def test_only_training_batches_are_transformed():
    X, y = batch(n=40, c=1, h=4, w=4), np.arange(40) % 3
    rec = Recorder()
    layers.seed(0)
    net = nets.Sequential(rec, layers.Flatten(), layers.Linear(16, 3))
    count = Counting()
    hist = nets.fit(net, losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.0), (X, y), val=(X[:10], y[:10]),
                    epochs=2, batch_size=8, augment=[count], **QUIET)
    assert count.calls == 10                                        # 5 batches x 2 epochs
    assert all(b.min() > 50 for b in rec.seen[True])               # every training batch transformed
    assert all(b.max() < 50 for b in rec.seen[False])              # validation never
    assert len(hist) == 2
    rec.seen[False].clear()
    nets.evaluate(net, losses.CrossEntropy(), (X, y))
    nets.predict(net, X)
    assert all(b.max() < 50 for b in rec.seen[False])


def test_loader_state_continues_the_stream_exactly():
    X, y = batch(n=30, h=5, w=5), np.arange(30)
    make = lambda: nets.DataLoader(X, y, batch_size=4, shuffle=True, rng=3,
                                   augment=[RandomCrop(5, padding=1), RandomFlip(), RandomNoise(0.2)])
    full = make()
    seen = [xb for xb, _ in full] + [xb for xb, _ in full]          # two epochs
    part = make()
    it = iter(part)
    first = [next(it)[0] for _ in range(5)]
    state = part.state_dict()
    other = make()
    other.load_state_dict(state)
    rest = [xb for xb, _ in other] + [xb for xb, _ in other]
    got = first + rest
    assert len(got) == len(seen) == 16
    for a, b in zip(got, seen):
        np.testing.assert_array_equal(a, b)


class StopAt(nets.Callback):
    def __init__(self, step):
        self.step = step

    def on_step_end(self, trainer, loss):
        if trainer.state["step"] == self.step:
            trainer.request_stop("as Ctrl-C would")


def _image_run(out, epochs, resume=False, callbacks=()):
    X, y = nets.datasets.load("digits", image=True)
    X = (X[:300] / 16).astype(np.float32)
    layers.seed(1)
    net = nets.Sequential(layers.Conv2d(1, 4, 3, padding=1), layers.ReLU(), layers.Flatten(), layers.Linear(256, 10))
    nets.fit(net, losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.05, momentum=0.9), (X, y[:300]),
             epochs=epochs, batch_size=16, out=out, resume=resume, callbacks=callbacks, rng=4,
             augment=[RandomCrop(8, padding=1), RandomShift(1), RandomFlip(), Cutout(2), RandomNoise(0.05)], **QUIET)
    return {n: p.data.copy() for n, p in net.named_parameters()}


def test_fit_with_augment_resumes_mid_epoch_bit_for_bit(tmp_path):
    full = _image_run(tmp_path / "full", 3)
    _image_run(tmp_path / "cut", 3, callbacks=[StopAt(25)])        # epoch 2 of 19-batch epochs
    resumed = _image_run(tmp_path / "cut", 3, resume=True)
    for k in full:
        np.testing.assert_array_equal(full[k], resumed[k])
    other = _image_run(tmp_path / "again", 3)
    for k in full:
        np.testing.assert_array_equal(full[k], other[k])           # and a second fresh run is the same


def test_fit_refuses_augment_beside_a_dataloader_and_unfitting_transforms():
    X, y = batch(n=8), np.zeros(8, np.int64)
    net = nets.Sequential(layers.Flatten(), layers.Linear(84, 2))
    with pytest.raises(TypeError, match="a DataLoader brings its own"):
        nets.fit(net, losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.1), nets.DataLoader(X, y),
                 augment=[RandomFlip()], **QUIET)
    with pytest.raises(ValueError, match="DataLoader: RandomCrop: a 9x9 window does not fit"):
        nets.DataLoader(X, y, augment=[RandomCrop(9)])


def test_a_plain_function_trains_but_a_python_resume_record_says_why(tmp_path):
    from kubik.nets import checkpoint
    X, y = batch(n=16, c=1, h=4, w=4), np.arange(16) % 2
    net = nets.Sequential(layers.Flatten(), layers.Linear(16, 2))
    nets.fit(net, losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.1), (X, y), epochs=1, out=tmp_path / "r",
             augment=[lambda Xb, rng: Xb * 2], **QUIET)
    why = checkpoint.read(tmp_path / "r" / "last.npz").meta["python_run"]["resume"]["why"]
    assert any("training transforms" in w and "plain function" in w for w in why), why


USER_TRANSFORM = '''\
import numpy as np
from kubik.nets import augment


@augment.register
class Invert(augment.Transform):
    """1 - X for a random half of the batch."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, X, rng):
        chosen = rng.random(len(X)) < self.p
        X[chosen] = 1.0 - X[chosen]
        return X
'''


def test_a_users_transform_comes_in_through_imports(tmp_path, capsys):
    (tmp_path / "my_transforms.py").write_text(USER_TRANSFORM)
    cfg = {"seed": 0, "imports": ["./my_transforms.py"],
           "data": {"name": "digits", "image": True, "scale": "max", "augment": [{"Invert": {"p": 0.3}}, "RandomFlip"]},
           "model": ["Flatten", {"Linear": {"out_features": 10}}],
           "train": {"epochs": 1, "progress": False}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    try:
        assert main(["train", str(tmp_path / "c.yaml"), "--out", str(tmp_path / "run"), "--quiet"]) == 0
        assert "Invert" in augment.TRANSFORMS
        assert main(["plot", str(tmp_path / "run"), "--augment"]) == 0     # the run's config imports it again
        assert (tmp_path / "run" / "augment.png").stat().st_size > 1000
    finally:
        augment.TRANSFORMS._table.pop("Invert", None)


def test_config_mistakes_are_one_placed_line(tmp_path):
    text = ("seed: 0\ndata:\n  name: digits\n  image: true\n  augment:\n    - RandomFlip\n"
            "    - {Cutout: {sise: 2}}\nmodel: [Flatten, {Linear: {out_features: 10}}]\n")
    (tmp_path / "bad.yaml").write_text(text)
    line = one_line_error(kubik("train", tmp_path / "bad.yaml", "--out", tmp_path / "r"))
    assert "bad.yaml:7: data.augment[1].Cutout.sise: unknown argument 'sise' (did you mean 'size'?)" in line
    (tmp_path / "bad2.yaml").write_text(text.replace("{Cutout: {sise: 2}}", "{Cutoff: 2}"))
    line = one_line_error(kubik("train", tmp_path / "bad2.yaml", "--out", tmp_path / "r"))
    assert "data.augment[1]: unknown transform 'Cutoff' (did you mean 'Cutout'?)" in line
    (tmp_path / "bad3.yaml").write_text(text.replace("{Cutout: {sise: 2}}", "{RandomCrop: 12}"))
    line = one_line_error(kubik("train", tmp_path / "bad3.yaml", "--out", tmp_path / "r"))
    assert "data.augment[1].RandomCrop: a 12x12 window does not fit samples of size 8x8" in line


def test_an_empty_augment_keeps_the_config_hash_of_runs_made_before_it():
    from pathlib import Path
    from kubik.nets import checkpoint
    from kubik.nets.config import config_hash, normalize
    ckpt = checkpoint.read(Path(__file__).parent / "data" / "release_0.2.0_config.npz")
    cfg = normalize(ckpt.config)
    assert cfg["data"]["augment"] == [] and config_hash(cfg) == ckpt.config_hash
    cfg["data"]["augment"] = ["RandomFlip"]
    assert config_hash(cfg) != ckpt.config_hash
