"""TensorBoard logs (``train.log: [csv, tensorboard]``, nets.TensorBoard): the
event files are read back (TFRecord framing: length, its CRC, the data, its
CRC; the Event protobuf classes tensorboardX ships) and must hold the values
of metrics.csv and diagnostics.csv, histograms of gradients and weights, and,
after ``--resume``, the purge that hides what a killed run wrote past its
checkpoint. Logging changes no result."""
import csv
import struct
import sys

import numpy as np
import pytest

pytest.importorskip("tensorboardX")
from tensorboardX.crc32c import crc32c  # noqa: E402
from tensorboardX.proto import event_pb2  # noqa: E402

from cli_run import kubik, one_line_error  # noqa: E402
from kubik import layers, losses, nets, optim  # noqa: E402
from kubik.nets import checkpoint as K  # noqa: E402

CONFIG = """\
seed: 1
data: {name: digits}
model:
  - Linear: {out_features: 12}
  - ReLU
  - Linear: {out_features: 10}
optimizer: {name: SGD, lr: 0.1, momentum: 0.9}
schedule: {name: StepLR, step_size: 1, gamma: 0.5}
train:
  epochs: 3
  batch_size: 128
  log: [csv, tensorboard]
  monitor: {every_steps: 4, what: [grad_norm, weight_norm]}
"""


def _masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_events(folder):
    """[(file, Event)] of every event file in ``folder``, in file-name order, CRCs checked."""
    out = []
    for path in sorted(folder.glob("events.out.tfevents.*")):
        data, i = path.read_bytes(), 0
        while i < len(data):
            header = data[i:i + 8]
            (length,) = struct.unpack("<Q", header)
            assert struct.unpack("<I", data[i + 8:i + 12])[0] == _masked(crc32c(header))
            body = data[i + 12:i + 12 + length]
            assert struct.unpack("<I", data[i + 12 + length:i + 16 + length])[0] == _masked(crc32c(body))
            out.append((path.name, event_pb2.Event.FromString(body)))
            i += 16 + length
    return out


def scalars(events):
    """{tag: {step: value}} (a later event for the same step wins, as after a purge)."""
    out = {}
    for _, ev in events:
        for v in ev.summary.value:
            if v.HasField("simple_value"):
                out.setdefault(v.tag, {})[ev.step] = v.simple_value
    return out


def histogram_tags(events):
    return {(v.tag, ev.step) for _, ev in events for v in ev.summary.value if v.HasField("histo")}


def test_event_files_hold_the_metrics_and_diagnostics_the_csv_files_hold(tmp_path):
    (tmp_path / "c.yaml").write_text(CONFIG)
    proc = kubik("train", tmp_path / "c.yaml", "--out", tmp_path / "run", "--quiet")
    assert proc.returncode == 0, proc.stderr
    events = read_events(tmp_path / "run")
    got = scalars(events)
    rows = list(csv.DictReader(open(tmp_path / "run" / "metrics.csv")))
    assert len(rows) == 3
    for row in rows:
        step = int(row["step"])
        for key in ("train_loss", "val_loss", "val_accuracy", "lr"):
            assert got[key][step] == pytest.approx(float(row[key]), rel=1e-5), (key, step)
        assert got["epoch"][step] == int(row["epoch"])
    assert [got["lr"][int(r["step"])] for r in rows] == pytest.approx([0.1, 0.05, 0.025], rel=1e-6)
    diag = list(csv.DictReader(open(tmp_path / "run" / "diagnostics.csv")))
    assert len(diag) > 10
    for r in diag:
        assert got[f"{r['metric']}/{r['name']}"][int(r["step"])] == pytest.approx(float(r["value"]), rel=1e-5)
    steps = sorted({int(r["step"]) for r in diag})
    hist = histogram_tags(events)
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert {(f"grad/{name}", s) for s in steps} | {(f"weight/{name}", s) for s in steps} <= hist
    grad = next(v.histo for _, ev in events for v in ev.summary.value if v.tag == "grad/0.weight")
    assert grad.num == 64 * 12


def test_logging_changes_nothing_and_resume_purges_what_came_after_the_checkpoint(tmp_path):
    (tmp_path / "c.yaml").write_text(CONFIG)
    plain = tmp_path / "plain.yaml"
    plain.write_text(CONFIG.replace("  log: [csv, tensorboard]\n", ""))
    for cfg, run in ((tmp_path / "c.yaml", "logged"), (plain, "plain")):
        proc = kubik("train", cfg, "--out", tmp_path / run, "--quiet", "--set", "train.epochs=2")
        assert proc.returncode == 0, proc.stderr
    a, b = K.read(tmp_path / "logged" / "last.npz").model_state(), K.read(tmp_path / "plain" / "last.npz").model_state()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    step = K.read(tmp_path / "logged" / "last.npz").trainer["step"]
    proc = kubik("train", "--resume", tmp_path / "logged", "--set", "train.epochs=3", "--quiet")
    assert proc.returncode == 0, proc.stderr
    events = read_events(tmp_path / "logged")
    files = sorted({f for f, _ in events})
    assert len(files) == 2
    second = [ev for f, ev in events if f == files[1]]
    assert any(ev.step == step + 1 and ev.session_log.status == ev.session_log.START for ev in second)
    rows = list(csv.DictReader(open(tmp_path / "logged" / "metrics.csv")))
    assert sorted(scalars(events)["val_loss"]) == [int(r["step"]) for r in rows]


def test_tensorboard_from_python_and_the_missing_extra(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((64, 4)).astype(np.float32), rng.integers(0, 2, 64)
    net = nets.Sequential(layers.Linear(4, 8), layers.ReLU(), layers.Linear(8, 2))
    tb = nets.TensorBoard()
    hist = nets.fit(net, losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.1), (X, y), val=(X, y), epochs=2,
                    out=tmp_path / "py", log=lambda *a: None,
                    callbacks=[tb, nets.Diagnostics(net, tmp_path / "py", every_steps=1, sinks=[tb])])
    got = scalars(read_events(tmp_path / "py"))
    assert got["val_loss"][hist[-1]["step"]] == pytest.approx(hist[-1]["val_loss"], rel=1e-6)
    assert len(got["grad_norm/0.weight"]) == hist[-1]["step"]
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r'pip install "kubik\[tensorboard\]"'):
        nets.TensorBoard()
    (tmp_path / "c.yaml").write_text(CONFIG)
    cfg, source = nets.load_config(tmp_path / "c.yaml")
    exp = nets.build_experiment(cfg)
    with pytest.raises(nets.ConfigError, match=r"^train.log: TensorBoard logs need tensorboardX: pip install"):
        nets.Trainer.from_experiment(exp, tmp_path / "run")
    line = one_line_error(kubik("train", tmp_path / "c.yaml", "--out", tmp_path / "run", "--set",
                                "train.log=[csv, tensorbord]"))
    assert line == ("error: --set train.log=[csv, tensorbord]: train.log[1]: unknown log 'tensorbord' (did you mean "
                    "'tensorboard'?); known: csv, tensorboard")
