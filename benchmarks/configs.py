"""python -m benchmarks.configs [CONFIG ...] [--repeats N] [--set KEY=VALUE ...] [--dry-run]

Runs each shipped config as a user does (``python -m kubik train CONFIG --quiet``
in a fresh process, into a temporary run folder), reads the test result of the
final weights from its summary, times the whole command (interpreter start,
imports, data, training, the test split) and prints the README's table of
shipped experiments, one row per config: the median wall time of ``--repeats``
runs and the test accuracy (or MSE) of the final weights, which a seeded run
repeats exactly. ``mnist_mlp`` runs only when data/mnist/ holds the IDX files
("needs the files" otherwise). ``--set`` passes overrides to every run (the
rows are then not the as-shipped numbers, and say so); ``--dry-run`` prints the
commands and the table without running anything. Copy the table into README.md
from a quiet machine (the timings are wall times: other processes slow them).
"""
import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
HEADER = ["| config | data | model | as shipped |", "| --- | --- | --- | --- |"]

# config -> (data, model, note after the result), in the README's order
ROWS = {
    "digits_mlp": ("bundled digits, 64 features", "64-128-10 ReLU MLP, SGD + cosine", ""),
    "digits_cnn": ("bundled digits as 1×8×8 images", "2 conv + max-pool blocks, 2 Linear", ""),
    "breast_cancer": ("bundled breast cancer, 30 features",
                      "the textbook's Linear-Sigmoid-Linear-Sigmoid with log-loss (BCE), SGD momentum, batch 16", ""),
    "breast_cancer_lbfgs": ("the same, full batch", "the same net and loss, L-BFGS with a strong-Wolfe line search",
                            ""),
    "spirals": ("3 synthetic spirals", "2-64-64-3 ReLU, Adam, warm-up + cosine, early stopping", ""),
    "mnist_mlp": ("MNIST IDX files in `data/mnist/` (not bundled)", "784-512-256-10 MLP", ""),
    "deep_sigmoid": ("bundled digits", "10 Linear layers with Sigmoid, diagnostics on",
                     " (it does not learn: vanishing gradients)"),
    "deep_relu": ("bundled digits", "the same depth with ReLU and `init: kaiming_normal`, diagnostics on", ""),
    "digits_lstm": ("bundled digits read row by row (8 steps × 8 features)", "LSTM 64, last step, Linear", ""),
    "adding_lstm": ("the adding problem, T = 50 (regression)", "LSTM 32, last step, Linear", ""),
}
FINAL = re.compile(r"^test split, final weights \(last\.npz, epoch (\d+)\): loss ([0-9.eE+-]+|nan|inf)"
                   r"(?:, accuracy ([0-9.]+)%)? on (\d+) samples$", re.M)


def parse(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks.configs", description=__doc__.split("\n\n")[1])
    p.add_argument("configs", nargs="*", metavar="CONFIG", help=f"configs to run (default: all): {', '.join(ROWS)}")
    p.add_argument("--repeats", type=int, default=3, help="runs per config; the median wall time is shown (default 3)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="an override for every run (the rows are then not the shipped configs')")
    p.add_argument("--dry-run", action="store_true", help="print the commands and the table; run nothing")
    a = p.parse_args(argv)
    unknown = [c for c in a.configs if c not in ROWS]
    if unknown:
        p.error(f"unknown config(s) {', '.join(unknown)}; choose from {', '.join(ROWS)}")
    if a.repeats < 1:
        p.error(f"--repeats must be >= 1, got {a.repeats}")
    return a


def needs_files(name):
    """Why a config cannot run here (its data is not bundled and not present), or ''."""
    if name == "mnist_mlp" and not any((ROOT / "data" / "mnist").glob("train-images*")):
        return "needs the files"
    return ""


def command(name, run_dir, sets=()):
    args = [sys.executable, "-m", "kubik", "train", str(CONFIGS / f"{name}.yaml"), "--quiet", "--out", str(run_dir)]
    for s in sets:
        args += ["--set", s]
    return args


def run_once(name, sets=()):
    """(wall seconds of the whole command, the final weights' (loss, accuracy or None))."""
    with tempfile.TemporaryDirectory(prefix=f"kubik-{name}-") as tmp:
        start = time.perf_counter()
        p = subprocess.run(command(name, Path(tmp) / "run", sets), cwd=tmp, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    if p.returncode:
        raise RuntimeError(f"kubik train {name} failed ({p.returncode}): {p.stderr.strip()[-300:]}")
    m = FINAL.search(p.stdout)
    if m is None:
        raise RuntimeError(f"kubik train {name}: no final test line in its output:\n{p.stdout}")
    return seconds, (float(m.group(2)), None if m.group(3) is None else float(m.group(3)))


def seconds_text(s):
    return f"~{s:.1f} s" if s < 10 else f"~{s:.0f} s"


def result_text(name, first, seconds, result):
    """The 'as shipped' cell: '97.8 % test accuracy, ~0.9 s', 'test MSE 0.0008 vs the baseline 0.167, ~5 s'."""
    if result is None:
        return needs_files(name) or "not run"
    loss, acc = result
    note = ROWS[name][2]
    if acc is None:
        from kubik.nets.datasets import ADDING_BASELINE_MSE
        value = f"test MSE {loss:.2g} vs the baseline {ADDING_BASELINE_MSE:.3f}"
    else:
        value = f"{acc:.1f} %" + (" test accuracy" if first else "")
    return f"{value}{note}, {seconds_text(seconds)}"


def row(name, first, seconds=None, result=None):
    data, model, _ = ROWS[name]
    return f"| `{name}.yaml` | {data} | {model} | {result_text(name, first, seconds, result)} |"


def table(results):
    """The README table for ``results``: {config: (median seconds, (loss, accuracy)) or None}."""
    lines = list(HEADER)
    for i, name in enumerate(results):
        seconds, result = results[name] or (None, None)
        lines.append(row(name, i == 0, seconds, result))
    return "\n".join(lines)


def main(argv=None):
    a = parse(sys.argv[1:] if argv is None else argv)
    names = a.configs or list(ROWS)
    results = {}
    for name in names:
        if needs_files(name):
            results[name] = None
            continue
        if a.dry_run:
            print("would run:", " ".join(command(name, "<tmp>/run", a.set)), file=sys.stderr)
            results[name] = None
            continue
        runs = [run_once(name, a.set) for _ in range(a.repeats)]
        results[name] = (statistics.median(s for s, _ in runs), runs[-1][1])
        print(f"{name}: {', '.join(f'{s:.2f}' for s, _ in runs)} s", file=sys.stderr)
    if a.set:
        print(f"(not the shipped configs: --set {' --set '.join(a.set)})")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
