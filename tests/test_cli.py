"""End to end through the real command line, in subprocesses
(``python -m kubik`` is ``kubik``): the shipped configs, --set, summary,
eval, layers, gradcheck, broken configs and command lines (exit 2, one line,
no traceback), corrupted checkpoints, and resume after SIGKILL / SIGINT giving
bit-identical weights (with every data.augment transform drawing on the way)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from kubik import layers
from kubik.nets import checkpoint as K

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"


from cli_run import kubik, one_line_error  # noqa: E402


def model_arrays(path):
    return K.read(path).model_state()


def assert_same_weights(a, b):
    wa, wb = model_arrays(a), model_arrays(b)
    assert wa.keys() == wb.keys()
    for k in wa:
        assert np.array_equal(wa[k], wb[k]), k


# -- shipped configs ----------------------------------------------------------------------------------

SHORT = {"digits_mlp": ["train.epochs=2"], "breast_cancer": ["train.epochs=2"], "spirals": ["train.epochs=2"],
         "digits_cnn": ["train.epochs=1"], "deep_sigmoid": ["train.epochs=1"], "deep_relu": ["train.epochs=1"]}
SHORT.update({"digits_lstm": ["train.epochs=1"], "adding_lstm": ["train.epochs=1"]})   # sequence configs (issue 14)
SHORT.update({"digits_cnn_augmented": ["train.epochs=1"], "digits_autoencoder": ["train.epochs=1"]})   # issue 26
SHORT["breast_cancer_lbfgs"] = ["train.epochs=2"]                                      # full-batch LBFGS (issue 25)
SHORT.update({"digit_strips_crnn": ["train.epochs=1", "data.n_train=300", "data.n_test=50"],       # issue 27
              "shakespeare_transformer": ["train.epochs=1", "data.step=4000"],
              "shakespeare_lstm": ["train.epochs=1", "data.step=4000"]})
SHORT.update({"digits_inception": ["train.epochs=1"], "digits_siamese": ["train.epochs=1"]})   # graphs (issue 24)


def test_every_shipped_config_is_tested():
    shipped = {p.stem for p in CONFIGS.glob("*.yaml")}
    assert shipped == set(SHORT) | {"mnist_mlp", "cifar10_resnet"}    # those two: test_data, test_cifar


@pytest.mark.parametrize("name", sorted(SHORT))
def test_shipped_config_trains(name, tmp_path):
    cfg = yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())
    if any("Conv2d" in str(e) for e in cfg["model"]) and "Conv2d" not in layers.LAYERS:
        pytest.skip("Conv2d is not registered yet")
    sets = [a for s in SHORT[name] for a in ("--set", s)]
    proc = kubik("train", CONFIGS / f"{name}.yaml", *sets, "--out", tmp_path / "run", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "test split, final weights (last.npz" in proc.stdout
    files = sorted(os.listdir(tmp_path / "run"))
    diagnostics = ["diagnostics.csv"] if cfg["train"].get("monitor", {}).get("every_steps") else []
    assert files == sorted(["best.npz", "config.yaml", "last.npz", "metrics.csv"] + diagnostics)
    rows = (tmp_path / "run" / "metrics.csv").read_text().splitlines()
    assert rows[0] == "epoch,step,train_loss,val_loss,val_accuracy,lr,seconds"
    assert len(rows) == 1 + int(SHORT[name][0].split("=")[1])
    resolved = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert resolved["train"]["epochs"] == int(SHORT[name][0].split("=")[1])


def test_mnist_config_says_where_the_files_go_then_runs_on_idx_files(tmp_path):
    if not (ROOT / "data" / "mnist").exists():                      # as shipped: data/mnist
        line = one_line_error(kubik("summary", CONFIGS / "mnist_mlp.yaml"))
        assert "mnist_mlp.yaml:" in line and "data.path: IDX file not found: 'data/mnist/" in line
    line = one_line_error(kubik("train", CONFIGS / "mnist_mlp.yaml", "--set", f"data.path={tmp_path / 'none'}",
                                "--out", tmp_path / "run"))
    assert "train-images-idx3-ubyte" in line and str(tmp_path / "none") in line and "--set data.path=" in line
    assert not (tmp_path / "run").exists()
    sys.path.insert(0, str(Path(__file__).parent))
    from test_data import mnist_folder
    mnist_folder(tmp_path, n_train=60, n_test=20, compress=True, size=28)
    proc = kubik("train", CONFIGS / "mnist_mlp.yaml", "--set", f"data.path={tmp_path}", "--set", "train.epochs=1",
                 "--out", tmp_path / "run", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "on 20 samples" in proc.stdout                          # the t10k files are the test split


def test_user_csv_and_npz_files_train(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    rows = ["a,b,label"] + [f"{a:.5f},{b:.5f},{'yes' if t else 'no'}" for (a, b), t in zip(X, y)]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    np.savez(tmp_path / "d.npz", X=X, y=y)
    model = "model: [{Linear: 8}, Tanh, {Linear: 2}]\ntrain: {epochs: 2}\n"
    for i, data in enumerate([f"data: {{name: csv, path: {tmp_path / 'd.csv'}, target: label, features: [b, a]}}\n",
                              f"data: {{name: npz, path: {tmp_path / 'd.npz'}}}\n"]):
        cfg = _write(tmp_path, data + model, f"c{i}.yaml")
        proc = kubik("train", cfg, "--out", tmp_path / f"run{i}", "--quiet")
        assert proc.returncode == 0, proc.stderr
        assert "on 24 samples" in proc.stdout                      # 20 % test split of 120


def test_set_overrides_reach_the_run(tmp_path):
    proc = kubik("train", CONFIGS / "digits_mlp.yaml", "--set", "optimizer.lr=0.2", "--set", "train.epochs=1",
                 "--set", "model[0].Linear.out_features=20", "--set", "schedule=null",
                 "--out", tmp_path / "run")
    assert proc.returncode == 0, proc.stderr
    cfg = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert cfg["optimizer"]["lr"] == 0.2 and cfg["model"][0] == {"Linear": {"out_features": 20}}
    assert "1,510 parameters" in proc.stdout                        # 64*20+20 + 20*10+10
    row = (tmp_path / "run" / "metrics.csv").read_text().splitlines()[1].split(",")
    assert row[0] == "1" and float(row[5]) == 0.2
    ev = kubik("eval", tmp_path / "run" / "best.npz")
    assert ev.returncode == 0 and "test split, 359 samples" in ev.stdout and "accuracy" in ev.stdout
    again = kubik("train", CONFIGS / "digits_mlp.yaml", "--out", tmp_path / "run")
    assert "already holds a run" in one_line_error(again)


def test_summary_table_values():
    proc = kubik("summary", CONFIGS / "digits_mlp.yaml")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "input" in out and "(64,)" in out
    lines = [ln for ln in out.splitlines() if "Linear(" in ln]
    assert "in_features=64, out_features=128" in lines[0] and "(128,)" in lines[0] and "8,320" in lines[0]
    assert "in_features=128, out_features=10" in lines[1] and "(10,)" in lines[1] and "1,290" in lines[1]
    assert "total parameters: 9,610" in out


def test_layers_and_gradcheck_commands():
    proc = kubik("layers")
    assert proc.returncode == 0
    for name in ("Linear(in_features, out_features, bias=True, init='default')", "Sequential", "CrossEntropy",
                 "SGD(lr=0.01",
                 "StepLR(step_size", "ReduceLROnPlateau", "digits(image=False", "csv(path"):
        assert name in proc.stdout, name
    for reg_name in layers.LAYERS.names():
        assert f"  {reg_name}" in proc.stdout
    g = kubik("gradcheck")
    assert g.returncode == 0, g.stdout
    assert " 0 failed" in g.stdout and "ok    layer Linear" in g.stdout and "ok    loss BCE" in g.stdout
    assert "Traceback" not in g.stderr
    checked = {ln.split()[2].rstrip(":") for ln in g.stdout.splitlines() if ln.startswith(("ok", "skip"))}
    canonical = {n for n, c in layers.LAYERS.items() if c.__name__ == n}
    assert canonical <= checked                                     # every layer checked or listed as skipped
    for ln in g.stdout.splitlines():
        if ln.startswith("skip"):
            assert len(ln.split(": ", 1)[1]) > 10                   # ...with the reason


# -- mistakes: exit 2, one line, no traceback -----------------------------------------------------------

def _write(tmp_path, text, name="bad.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


MINI = "data: digits\nmodel:\n  - Linear: {out_features: 16}\n  - ReLU\n  - Linear: {out_features: 10}\n"


@pytest.mark.parametrize("args,fragment", [
    (lambda p: ["train", _write(p, MINI.replace("out_features: 16", "out_feature: 16"))],
     "bad.yaml:3: model[0].Linear.out_feature: unknown argument 'out_feature' (did you mean 'out_features'?)"),
    (lambda p: ["train", _write(p, MINI.replace("ReLU", "Relu"))],
     "bad.yaml:4: model[1]: unknown layer 'Relu' (did you mean 'ReLU'?)"),
    (lambda p: ["summary", _write(p, MINI.replace("  - ReLU", "  - Reshape: [3, 5]"))],
     "bad.yaml:4: model[1].Reshape: does not fit its input (16,) from model[0].Linear (16,)"),
    (lambda p: ["train", _write(p, MINI.replace("data: digits", "data: {name: csv, path: nowhere.csv}"))],
     "bad.yaml:1: data.path: data file not found: 'nowhere.csv'"),
    (lambda p: ["train", CONFIGS / "digits_mlp.yaml", "--set", "optimizer.lrr=1"],
     "--set optimizer.lrr=1: optimizer.lrr: unknown argument 'lrr' (did you mean 'lr'?)"),
    (lambda p: ["train", CONFIGS / "digits_mlp.yaml", "--set", "train.epochs=many"],
     "train.epochs: expected an integer, got 'many'"),
    (lambda p: ["train", p / "missing.yaml"], "missing.yaml: config file not found"),
    (lambda p: ["train", CONFIGS / "digits_mlp.yaml", "--sett", "x=1"], "unrecognized arguments: --sett"),
    (lambda p: ["trian"], "invalid choice: 'trian'"),
    (lambda p: [], "missing command"),
    (lambda p: ["train", "--resume", p], "is not a run folder"),
    (lambda p: ["gradcheck", "Lnear"], "unknown layer or loss 'Lnear' (did you mean 'Linear'?)"),
], ids=lambda v: "" if callable(v) else v[:30])
def test_mistakes_give_one_line_and_exit_2(tmp_path, args, fragment):
    line = one_line_error(kubik(*args(tmp_path)))
    assert fragment in line, line


# -- checkpoints and resume ----------------------------------------------------------------------------

RESUME = """\
seed: 2
data:
  name: digits
  image: true
  augment:                  # every transform: the resumed run must continue their random stream exactly
    - {RandomCrop: {size: 8, padding: 1, padding_mode: reflect}}
    - {RandomShift: 1}
    - RandomFlip
    - {Cutout: 2}
    - {RandomNoise: {std: 0.1}}
model:
  - Flatten
  - Linear: {out_features: 256}
  - ReLU
  - Dropout: 0.2
  - Linear: {out_features: 10}
optimizer: {name: SGD, lr: 0.05, momentum: 0.9}
schedule: {name: StepLR, step_size: 50, gamma: 0.8, interval: step}
train:
  epochs: 4
  batch_size: 8
  accumulate: 2
  clip_norm: 2.0
  checkpoint: {every_steps: 3}
  progress: false
"""


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A run that is never stopped."""
    d = tmp_path_factory.mktemp("reference")
    cfg = _write(d, RESUME, "resume.yaml")
    proc = kubik("train", cfg, "--out", d / "run")
    assert proc.returncode == 0, proc.stderr
    return cfg, d / "run"


def _start_and_stop(cfg, run_dir, sig):
    """Start a run, wait until its last.npz is a mid-epoch checkpoint after the
    first epoch, then send ``sig``; returns the finished Popen and its output."""
    proc = subprocess.Popen([sys.executable, "-m", "kubik", "train", str(cfg), "--out", str(run_dir)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    last, deadline = run_dir / "last.npz", time.time() + 120
    try:
        while time.time() < deadline and proc.poll() is None:
            if last.exists():
                try:
                    st = K.read(last).trainer
                except K.CheckpointError:
                    continue
                if st["epoch"] >= 1 and st["pos"] > 0:
                    proc.send_signal(sig)
                    break
            time.sleep(0.002)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc, out, err


def test_resume_after_sigkill_is_bit_identical(reference, tmp_path):
    cfg, ref = reference
    run_dir = tmp_path / "run"
    proc, _, _ = _start_and_stop(cfg, run_dir, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    st = K.read(run_dir / "last.npz").trainer
    assert st["epoch"] < 4 and st["pos"] > 0                        # killed mid-epoch
    res = kubik("train", "--resume", run_dir)
    assert res.returncode == 0, res.stderr
    assert f"resuming {run_dir} at epoch {st['epoch'] + 1}, step {st['step']}" in res.stdout
    assert_same_weights(ref / "last.npz", run_dir / "last.npz")
    assert_same_weights(ref / "best.npz", run_dir / "best.npz")
    strip = [ln.rsplit(",", 1)[0] for ln in (ref / "metrics.csv").read_text().splitlines()]
    assert strip == [ln.rsplit(",", 1)[0] for ln in (run_dir / "metrics.csv").read_text().splitlines()]


def test_ctrl_c_saves_and_exits_cleanly_then_resumes_exactly(reference, tmp_path):
    cfg, ref = reference
    run_dir = tmp_path / "run"
    proc, out, err = _start_and_stop(cfg, run_dir, signal.SIGINT)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "interrupted at step" in out and f"--resume {run_dir}" in out
    st = K.read(run_dir / "last.npz").trainer
    assert st["pos"] > 0
    res = kubik("train", "--resume", run_dir, "--quiet")
    assert res.returncode == 0, res.stderr
    assert_same_weights(ref / "last.npz", run_dir / "last.npz")


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir())}


def test_corrupted_checkpoints_are_refused_and_nothing_is_overwritten(reference, tmp_path):
    _, ref = reference
    import shutil
    run_dir = tmp_path / "copy"
    shutil.copytree(ref, run_dir)
    blob = (run_dir / "last.npz").read_bytes()
    (run_dir / "last.npz").write_bytes(blob[: len(blob) // 2])         # truncated
    before = _snapshot(run_dir)
    line = one_line_error(kubik("train", "--resume", run_dir, "--set", "train.epochs=6"))
    assert "last.npz" in line and ("damaged" in line or "not an .npz" in line)
    assert _snapshot(run_dir) == before
    (run_dir / "last.npz").write_text("not a checkpoint at all")
    before = _snapshot(run_dir)
    assert "not an .npz checkpoint" in one_line_error(kubik("train", "--resume", run_dir))
    assert "not an .npz checkpoint" in one_line_error(kubik("eval", run_dir / "last.npz"))
    assert _snapshot(run_dir) == before
    # a checkpoint of another model in this run folder
    other = tmp_path / "other"
    proc = kubik("train", CONFIGS / "digits_mlp.yaml", "--set", "train.epochs=1", "--out", other, "--quiet")
    assert proc.returncode == 0, proc.stderr
    shutil.copy(other / "last.npz", run_dir / "last.npz")
    before = _snapshot(run_dir)
    line = one_line_error(kubik("train", "--resume", run_dir))
    assert "does not fit the model" in line or "different model" in line
    assert _snapshot(run_dir) == before


def test_nan_loss_stops_with_a_message_naming_the_step(tmp_path):
    cfg = _write(tmp_path, MINI + "optimizer: {name: SGD, lr: 1.0e+6}\ntrain: {checkpoint: {every_steps: 1}}\n",
                 "nan.yaml")
    proc = kubik("train", cfg, "--out", tmp_path / "run", "--quiet")
    line = one_line_error(proc, code=1)
    assert "the loss is" in line and "at step" in line and "kept to resume from" in line   # mid-epoch: not "good"
    kept = K.read(tmp_path / "run" / "last.npz")
    assert all(np.all(np.isfinite(v)) for v in kept.model_state().values())
