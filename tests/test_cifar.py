"""CIFAR-10's binary version as a registered data set, on tiny files written here
in the exact format (3073-byte records: a label byte, then the red, green and
blue 32x32 planes); the pickled Python version refused with a pointer to the
binary one; damaged files as one-line ConfigErrors; a config run on it."""
import numpy as np
import pytest
import yaml

from kubik import nets
from kubik.nets.cli import main
from kubik.nets.config import ConfigError
from kubik.nets.datasets import cifar

PER_FILE = 4


def write_batches(folder, per_file=PER_FILE, test=3, meta=True):
    """Five data batches and a test batch; image k has red = k, green = k + 1, blue = pixel index % 251."""
    folder.mkdir(parents=True, exist_ok=True)
    k = 0
    for name, n in [(f, per_file) for f in cifar.TRAIN_FILES] + [(cifar.TEST_FILE, test)]:
        records = []
        for _ in range(n):
            planes = [np.full(1024, k % 256, np.uint8), np.full(1024, (k + 1) % 256, np.uint8),
                      (np.arange(1024) % 251).astype(np.uint8)]
            records.append(np.concatenate([[k % 10], *planes]).astype(np.uint8))
            k += 1
        np.concatenate(records).tofile(folder / name)
    if meta:
        (folder / "batches.meta.txt").write_text("\n".join(f"class{i}" for i in range(10)) + "\n\n")
    return folder


def test_reads_the_binary_format(tmp_path):
    folder = write_batches(tmp_path / "cifar-10-batches-bin")
    X, y = nets.datasets.load("cifar10", path=str(folder))
    assert X.shape == (20, 3, 32, 32) and X.dtype == np.uint8 and y.dtype == np.int64
    np.testing.assert_array_equal(y, np.arange(20) % 10)
    assert np.all(X[7, 0] == 7) and np.all(X[7, 1] == 8)                       # the red, then the green plane
    np.testing.assert_array_equal(X[7, 2].reshape(-1), np.arange(1024) % 251)  # rows first
    Xt, yt = nets.datasets.load("cifar10", split="test", path=str(folder))
    assert Xt.shape == (3, 3, 32, 32) and list(yt) == [0, 1, 2] and np.all(Xt[0, 0] == 20)
    s = nets.datasets.load("cifar10", path=str(folder), train_samples=6, test_samples=2)
    assert len(s.X) == 6 and len(s.X_test) == 2 and s.classes == tuple(f"class{i}" for i in range(10))
    assert nets.datasets.load("cifar10", path=str(write_batches(tmp_path / "nometa", meta=False))).classes[0] == "airplane"


def test_the_python_version_is_refused_with_the_way_to_the_binary_one(tmp_path):
    py = tmp_path / "cifar-10-batches-py"
    py.mkdir()
    (py / "data_batch_1").write_bytes(b"\x80\x02}q\x00.")           # a pickle's first bytes: never opened
    with pytest.raises(ConfigError, match=r"Python version \(pickled objects, which kubik never loads\).*"
                                          r"cifar-10-binary.tar.gz"):
        cifar.cifar10(path=str(py))


@pytest.mark.parametrize("damage,match", [
    (lambda f: (f / "data_batch_3.bin").write_bytes(b"\0" * 3072), "not a whole number of 3073-byte records"),
    (lambda f: (f / "test_batch.bin").unlink(), "lacks test_batch.bin"),
    (lambda f: (f / "data_batch_2.bin").write_bytes(bytes([12]) + b"\0" * 3072), "label 12; CIFAR-10 labels are 0-9")])
def test_damaged_folders_are_one_line(tmp_path, damage, match):
    folder = write_batches(tmp_path / "c")
    damage(folder)
    with pytest.raises(ConfigError, match=match):
        cifar.cifar10(path=str(folder))
    with pytest.raises(ConfigError, match="not found"):
        cifar.cifar10(path=str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match="must be a positive integer"):
        cifar.cifar10(path=str(write_batches(tmp_path / "d")), train_samples=0)


def test_a_config_trains_and_evaluates_on_it(tmp_path, capsys):
    folder = write_batches(tmp_path / "cifar-10-batches-bin", per_file=8, test=10)
    cfg = {"seed": 0, "data": {"name": "cifar10", "path": str(folder), "scale": "max",
                               "augment": [{"RandomCrop": {"size": 32, "padding": 4}}, "RandomFlip"]},
           "model": [{"Conv2d": {"out_channels": 4, "kernel_size": 3, "stride": 4, "padding": 1}}, "ReLU",
                     "Flatten", {"Linear": {"out_features": 10}}],
           "train": {"epochs": 2, "batch_size": 8, "val_split": 0.0, "progress": False}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    assert main(["train", str(tmp_path / "c.yaml"), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    assert main(["eval", str(tmp_path / "run")]) == 0
    assert "test split, 10 samples" in capsys.readouterr().out
    assert main(["eval", str(tmp_path / "run"), "--data", str(folder)]) == 0      # a CIFAR folder as --data
    assert "its test split), 10 samples" in capsys.readouterr().out


def test_the_shipped_config_says_where_the_files_go_then_trains_on_them(tmp_path):
    from cli_run import ROOT, kubik, one_line_error
    config = ROOT / "configs" / "cifar10_resnet.yaml"
    if not (ROOT / "data" / "cifar-10-batches-bin").exists():       # as shipped: data/cifar-10-batches-bin
        line = one_line_error(kubik("summary", config))
        assert "cifar10_resnet.yaml:" in line and "data.path: CIFAR-10 folder not found" in line
        assert "cifar-10-binary.tar.gz" in line
    folder = write_batches(tmp_path / "cifar-10-batches-bin", per_file=6, test=5)
    proc = kubik("train", config, "--out", tmp_path / "run", "--log-every", "0", "--set", f"data.path={folder}",
                 "--set", "train.epochs=1", "--set", "train.batch_size=8", "--set", "data.train_samples=24")
    assert proc.returncode == 0, proc.stderr
    assert "22 training, 2 validation, 5 test samples" in proc.stdout and "test split, final weights" in proc.stdout
