"""``kubik plot``: PNGs of the stated size that are not blank, for one run,
three overlaid runs, a run with diagnostics and a 2-D decision boundary; a run
still training; one-line errors for a folder without metrics and for missing
matplotlib; and matplotlib is imported by nothing else."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kubik.nets import build as B
from kubik.nets import config as C
from kubik.nets.cli import main
from kubik.nets.trainer import Trainer

ROOT = Path(__file__).resolve().parent.parent
MLP = """\
seed: 0
data: {name: digits}
model: [{Linear: {out_features: 16}}, Sigmoid, {Linear: {out_features: 10}}]
optimizer: {name: SGD, lr: 0.1}
train: {epochs: 3, batch_size: 64, progress: false}
"""


def train(path, sets=(), text=MLP):
    cfg, _ = C.load("t.yaml", sets, text=text)
    Trainer(B.build(cfg), path, log=lambda *a: None).fit()
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("runs")
    out = {f"lr{lr}": train(base / f"lr{lr}", [f"optimizer.lr={lr}"]) for lr in (0.05, 0.1, 0.2)}
    out["diag"] = train(base / "diag", ["train.monitor.every_steps=5"])
    out["spirals"] = train(base / "spirals", text=(ROOT / "configs" / "spirals.yaml").read_text(),
                           sets=["train.epochs=3", "train.progress=false"])
    return out


def png(path):
    """(width, height, pixel variance) of a PNG."""
    import matplotlib.image
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return w, h, float(np.asarray(matplotlib.image.imread(path))[..., :3].var())


def plot(*args):
    return main(["plot", *map(str, args)])


def test_one_run(runs, capsys):
    assert plot(runs["lr0.1"]) == 0
    w, h, var = png(runs["lr0.1"] / "plot.png")
    assert (w, h) == (1500, 450) and var > 1e-3
    assert not (runs["lr0.1"] / "plot-gradients.png").exists()      # no diagnostics, no second figure
    assert f"wrote {runs['lr0.1'] / 'plot.png'}" in capsys.readouterr().out


def test_three_runs_overlaid(runs, tmp_path):
    one, three = tmp_path / "one.png", tmp_path / "three.png"
    assert plot(runs["lr0.05"], "-o", one) == 0
    assert plot(runs["lr0.05"], runs["lr0.1"], runs["lr0.2"], "-o", three) == 0
    w, h, var = png(three)
    assert (w, h) == (1500, 450) and var > 1e-3
    import matplotlib.image
    a, b = matplotlib.image.imread(one), matplotlib.image.imread(three)
    assert (np.abs(a - b).sum(-1) > 0.1).mean() > 0.01          # more curves and legend entries drawn


def test_run_with_diagnostics_gets_a_gradient_figure(runs, tmp_path):
    out = tmp_path / "d.png"
    assert plot(runs["diag"], runs["lr0.1"], "-o", out) == 0
    w, h, var = png(tmp_path / "d-gradients.png")                 # one 700 x 500 panel: only one run has them
    assert (w, h) == (700, 500) and var > 1e-3


def test_decision_boundary(runs, tmp_path):
    out = tmp_path / "b.png"
    assert plot(runs["spirals"], "--boundary", "-o", out) == 0
    w, h, var = png(out)
    assert (w, h) == (700, 600) and var > 1e-3
    import matplotlib.image
    rgb = (matplotlib.image.imread(out)[..., :3] * 255).astype(int).reshape(-1, 3)
    assert len(np.unique(rgb, axis=0)) > 10                      # regions, points, contours, text


def test_boundary_needs_two_features(runs, capsys):
    assert plot(runs["lr0.1"], "--boundary") == 2
    assert "needs a model with two input features" in capsys.readouterr().err


def test_a_run_still_training(tmp_path):
    run = tmp_path / "live"
    run.mkdir()
    (run / "metrics.csv").write_text("epoch,step,train_loss,val_loss,val_accuracy,lr,seconds\n"
                                     "1,10,2.0,2.1,0.3,0.1,1.0\n2,20,1.5,1.7,0.5,0.1,2.0\n3,30,1.")   # torn last line
    (run / "diagnostics.csv").write_text("step,name,metric,value\n5,0.weight,grad_norm,0.1\n"
                                         "5,2.weight,grad_norm,1.0\n10,0.weight,grad_norm,0.2\n10,2.weight,gr")
    assert plot(run) == 0
    assert png(run / "plot.png")[2] > 1e-3 and png(run / "plot-gradients.png")[2] > 1e-3


def test_folder_without_metrics_is_a_one_line_error(tmp_path):
    p = subprocess.run([sys.executable, "-m", "kubik", "plot", str(tmp_path)], capture_output=True, text=True,
                       cwd=ROOT)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.strip() == f"error: kubik plot: '{tmp_path}' is not a run folder with metrics (no metrics.csv)"
    (tmp_path / "metrics.csv").write_text("epoch,step,train_loss,val_loss,val_accuracy,lr,seconds\n")
    assert main(["plot", str(tmp_path)]) == 2


def test_missing_matplotlib_says_how_to_install(runs, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert plot(runs["lr0.1"], "-o", runs["lr0.1"] / "x.png") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and 'pip install "kubik[plot]"' in err


def test_only_the_plot_commands_import_matplotlib(runs):
    code = ("import sys\nfrom kubik.nets.cli import main\nmain(['eval', sys.argv[1]])\n"
            "import kubik.nets.plot, kubik.nets.diagnostics\nprint('matplotlib' in sys.modules)")
    p = subprocess.run([sys.executable, "-c", code, str(runs["lr0.1"] / "last.npz")], capture_output=True,
                       text=True, cwd=ROOT / "tests")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().splitlines()[-1] == "False"


HEADER = "epoch,step,train_loss,val_loss,val_accuracy,lr,seconds\n"
GOOD = HEADER + "1,10,2.0,2.1,0.3,0.1,1.0\n2,20,1.5,1.7,0.5,0.1,2.0\n"


@pytest.mark.parametrize("case,metrics,diagnostics,fragment", [
    ("non-UTF-8 metrics", (HEADER + "1,10,2.0,2.1,0.3,0.1,1.0\n2,20,\xff\xfe\n").encode("latin-1"), None, "UTF-8"),
    ("garbled metrics", b"\x00\x01garbage,\x00\n\x00\x00\x00\n", None, "metrics.csv"),
    ("200 000-character cell", (HEADER + "1,10,2.0,2.1,0.3,0.1," + "9" * 200_000 + "\n").encode(), None,
     "metrics.csv"),
    ("non-UTF-8 diagnostics", GOOD.encode(), b"step,name,metric,value\n5,0.weight,grad_norm,\xff\n", "diagnostics.csv"),
    ("diagnostics with a huge cell", GOOD.encode(), b"step,name,metric,value\n5," + b"x" * 200_000 + b"\n",
     "diagnostics.csv"),
])
def test_a_damaged_run_file_is_one_line_naming_it(tmp_path, case, metrics, diagnostics, fragment):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.csv").write_bytes(metrics)
    if diagnostics is not None:
        (run / "diagnostics.csv").write_bytes(diagnostics)
    p = subprocess.run([sys.executable, "-m", "kubik", "plot", str(run)], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and fragment in p.stderr and str(run) in p.stderr, p.stderr


def test_garbage_rows_are_skipped_not_a_traceback(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.csv").write_bytes(GOOD.encode() + b"\x00\x01,99999999999999999999999,x\n")
    (run / "diagnostics.csv").write_bytes(b"step,name,\x00metric\n\x00\x00")
    assert plot(run) == 0


def test_infinite_losses_are_left_out_of_the_plot(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.csv").write_text(HEADER + "1,10,inf,inf,0.3,0.1,1.0\n2,20,inf,-inf,inf,inf,2.0\n"
                                     "3,30,inf,nan,0.6,0.1,3.0\n")
    (run / "diagnostics.csv").write_text("step,name,metric,value\n5,0.weight,grad_norm,inf\n"
                                         "5,2.weight,grad_norm,1.0\n10,0.weight,grad_norm,0.2\n")
    p = subprocess.run([sys.executable, "-m", "kubik", "plot", str(run)], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0 and p.stderr == "", p.stderr          # no warnings from plotting infinities
    assert png(run / "plot.png")[2] > 1e-3
