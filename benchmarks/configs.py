"""python -m benchmarks.configs [CONFIG ...] [--repeats N] [--set KEY=VALUE ...] [--dry-run]

Runs each shipped config as a user does (``python -m kubik train CONFIG --quiet``
in a fresh process, into a temporary run folder), reads the test result of the
final weights from its summary, times the whole command (interpreter start,
imports, data, training, the test split) and prints the README's table of
shipped experiments, one row per config: the median wall time of ``--repeats``
runs and what the row's template asks for (the final weights' test accuracy or
MSE, steps, seconds of training, ``kubik eval``'s accuracy of best.npz), which a
seeded run repeats exactly. Configs whose data is not bundled run only when it
is there ("needs the files" otherwise). ``--set`` passes overrides to every run
(the rows are then not the as-shipped numbers, and say so); ``--dry-run`` prints
the commands and the table without running anything. Copy the table into
README.md from a quiet machine (the timings are wall times: other processes
slow them).
"""
import argparse
import re
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
HEADER = ["| config | data | model | as shipped |", "| --- | --- | --- | --- |"]
PLAIN = "{acc} %, {time}"

# config -> (data, model, the result cell's template), in the README's order. Placeholders: {acc}
# (test accuracy of the final weights, %), {mse} (test loss of a regression), {time} (median wall
# time of the command), {steps}, {epochs}, {train_s} (seconds of training), {lbfgs} (L-BFGS
# iterations and loss evaluations), {eval_acc} (kubik eval RUN: best.npz), {acc:NAME} (another row's).
# Text that is not a placeholder was measured once by other means (seeds, baselines) and is kept as it is.
ROWS = {
    "digits_mlp": ("bundled digits, 64 features", "64-128-10 ReLU MLP, SGD + cosine", "{acc} % test accuracy, {time}"),
    "digits_cnn": ("bundled digits as 1×8×8 images", "2 conv + max-pool blocks, 2 Linear", PLAIN),
    "breast_cancer": ("bundled breast cancer, 30 features",
                      "the textbook's Linear-Sigmoid-Linear-Sigmoid with log-loss (BCE), SGD momentum, batch 16",
                      "{acc} %, {steps} steps ({epochs} epochs), {train_s} of training, {time}"),
    "breast_cancer_lbfgs": ("the same, full batch", "the same net and loss, L-BFGS with a strong-Wolfe line search",
                            "{acc} %, {steps} steps ({lbfgs}), {train_s} of training, {time}"),
    "spirals": ("3 synthetic spirals", "2-64-64-3 ReLU, Adam, warm-up + cosine, early stopping", PLAIN),
    "mnist_mlp": ("MNIST IDX files in `data/mnist/` (not bundled)", "784-512-256-10 MLP", PLAIN),
    "deep_sigmoid": ("bundled digits", "10 Linear layers with Sigmoid, diagnostics on",
                     "{acc} % (it does not learn: vanishing gradients), {time}"),
    "deep_relu": ("bundled digits", "the same depth with ReLU and `init: kaiming_normal`, diagnostics on", PLAIN),
    "digits_lstm": ("bundled digits read row by row (8 steps × 8 features)", "LSTM 64, last step, Linear", PLAIN),
    "adding_lstm": ("the adding problem, T = 50 (regression)", "LSTM 32, last step, Linear",
                    "test MSE {mse} vs the baseline 0.167, {time}"),
    "digit_strips_crnn": ("strips of 3–6 bundled digits side by side, 8×48 (`digit_strips`; test strips from "
                          "held-out digit images)", "CRNN: 2 conv blocks, the width read as time, bidirectional LSTM "
                          "64, Linear to 10 digits + blank, CTC",
                          "{seq_acc} % of test strips read exactly (greedy), {label_acc} % of digits (1 − edit "
                          "distance), {time}"),
    "shakespeare_transformer": ("Tiny Shakespeare (bundled), 64-character windows",
                                "2 causal pre-norm Transformer layers, d_model 128, 4 heads (413 505 parameters)",
                                "validation {val_loss} nats/character, {time} (see below)"),
    "shakespeare_lstm": ("the same", "2-layer LSTM 172 (417 197 parameters)",
                         "validation {val_loss} nats/character, {time} (see below)"),
    "digits_inception": ("bundled digits as 1×8×8 images",
                         "a graph: conv stem, an Inception-style block (1×1, 3×3 and pooled branches joined by "
                         "`Concatenate`), a main head and an auxiliary head on the stem (loss weight 0.3)", PLAIN),
    "digits_siamese": ("`digits_pairs`: pairs of bundled digits (half same class), drawn within the training and "
                       "the test images",
                       "a graph: one conv encoder shared by both inputs (`share:`) mapping each digit to 2 numbers, "
                       "`Contrastive` loss, Adam",
                       "{eval_acc} % of test pairs right at the best distance threshold (`kubik eval`), {time}; "
                       "`kubik plot RUN --embedding` draws the test digits' 2-D embeddings"),
    "digits_cnn_augmented": ("bundled digits as 1×8×8 images, training batches shifted by up to a pixel "
                             "(`data.augment: RandomShift`)", "`digits_cnn.yaml`'s net and schedule",
                             "{acc} % (the plain CNN: {acc:digits_cnn} %), {time}; over seeds 0-4 98.4 % vs 98.3 %: "
                             "no real difference on this small set"),
    "digits_autoencoder": ("bundled digits as images, the input as the target (`data.target: input`); a denoising "
                           "switch (`RandomNoise` on the input)",
                           "conv encoder to a code of 8, Linear + ConvTranspose2d decoder, Sigmoid, MSE",
                           "test reconstruction MSE {mse} (pixels in [0, 1]); PCA with 8 components, fitted on the "
                           "training split: 0.0238; the mean image: 0.0727; denoising (std 0.3): 0.0145 on clean "
                           "inputs; {time}"),
    "cifar10_resnet": ("CIFAR-10's binary files in `data/cifar-10-batches-bin/` (not bundled)",
                       "small ResNet (16-32-64, BatchNorm), RandomCrop pad 4 + RandomFlip, SGD Nesterov + cosine",
                       "{acc} %, {time}"),
}
SLOW = {"shakespeare_transformer", "shakespeare_lstm"}   # a quarter of an hour each: run with --slow
MISSING = {"mnist_mlp": ("data/mnist", "train-images*", "needs the files"),
           "cifar10_resnet": ("data/cifar-10-batches-bin", "data_batch_*", "needs the files; see below")}
FINAL = re.compile(r"^test split, final weights \(last\.npz, epoch (\d+)\): loss ([0-9.eE+-]+|nan|inf)"
                   r"(?:, accuracy ([0-9.]+)%)? on (\d+) samples$", re.M)
TRAINED = re.compile(r"^trained ([0-9.]+)s;", re.M)
EVAL = re.compile(r"pair accuracy ([0-9.]+)% at the best distance threshold")
SEQUENCES = re.compile(r"sequences right ([0-9.]+)% \(greedy decoding\), labels right ([0-9.]+)%")


def parse(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks.configs", description=__doc__.split("\n\n")[1])
    p.add_argument("configs", nargs="*", metavar="CONFIG", help=f"configs to run (default: all): {', '.join(ROWS)}")
    p.add_argument("--repeats", type=int, default=3, help="runs per config; the median wall time is shown (default 3)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="an override for every run (the rows are then not the shipped configs')")
    p.add_argument("--dry-run", action="store_true", help="print the commands and the table; run nothing")
    p.add_argument("--slow", action="store_true", help=f"also the configs that train for minutes: {', '.join(sorted(SLOW))}")
    a = p.parse_args(argv)
    unknown = [c for c in a.configs if c not in ROWS]
    if unknown:
        p.error(f"unknown config(s) {', '.join(unknown)}; choose from {', '.join(ROWS)}")
    if a.repeats < 1:
        p.error(f"--repeats must be >= 1, got {a.repeats}")
    return a


def needs_files(name):
    """What a row says when its data is not bundled and not present here, or ''."""
    if name not in MISSING:
        return ""
    folder, pattern, text = MISSING[name]
    return "" if any((ROOT / folder).glob(pattern)) else text


def command(name, run_dir, sets=()):
    args = [sys.executable, "-m", "kubik", "train", str(CONFIGS / f"{name}.yaml"), "--quiet", "--out", str(run_dir)]
    for s in sets:
        args += ["--set", s]
    return args


def _fields(template):
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def _lbfgs(run):
    """'10 L-BFGS iterations, 16 loss evaluations' of a run's last.npz (its optimizer state)."""
    from kubik.nets import checkpoint
    state = checkpoint.read(run / "last.npz").meta["optimizer"]["state"]["0"]
    return f"{int(state['n_iter'])} L-BFGS iterations, {int(state['func_evals'])} loss evaluations"


def run_once(name, sets=()):
    """{seconds, loss, acc, epochs, steps, train_s, lbfgs, eval_acc} of one run of the config."""
    template = ROWS[name][2]
    with tempfile.TemporaryDirectory(prefix=f"kubik-{name}-") as tmp:
        run = Path(tmp) / "run"
        start = time.perf_counter()
        p = subprocess.run(command(name, run, sets), cwd=tmp, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if p.returncode:
            raise RuntimeError(f"kubik train {name} failed ({p.returncode}): {p.stderr.strip()[-300:]}")
        m = FINAL.search(p.stdout)
        if m is None:
            raise RuntimeError(f"kubik train {name}: no final test line in its output:\n{p.stdout}")
        rows = (run / "metrics.csv").read_text().splitlines()
        out = {"seconds": seconds, "loss": float(m.group(2)), "acc": None if m.group(3) is None else float(m.group(3)),
               "epochs": int(m.group(1)), "steps": int(rows[-1].split(",")[1]),
               "train_s": float(TRAINED.search(p.stdout).group(1))}
        if "lbfgs" in _fields(template):
            out["lbfgs"] = _lbfgs(run)
        if "eval_acc" in _fields(template):
            e = subprocess.run([sys.executable, "-m", "kubik", "eval", str(run)], cwd=tmp, capture_output=True,
                               text=True)
            out["eval_acc"] = float(EVAL.search(e.stdout).group(1))
        if "seq_acc" in _fields(template):          # a CTC model: kubik eval of the final weights
            e = subprocess.run([sys.executable, "-m", "kubik", "eval", str(run / "last.npz")], cwd=tmp,
                               capture_output=True, text=True)
            m = SEQUENCES.search(e.stdout)
            out["seq_acc"], out["label_acc"] = float(m.group(1)), float(m.group(2))
        if "val_loss" in _fields(template):         # the best validation loss of the run
            header = rows[0].split(",")
            values = [r.split(",")[header.index("val_loss")] for r in rows[1:]]
            out["val_loss"] = min(float(v) for v in values if v)
    return out


def seconds_text(s):
    return f"~{s:.1f} s" if s < 10 else f"~{s:.0f} s"


def result_text(name, result, results):
    """The 'as shipped' cell of ``name`` from its template and measured ``result`` (None: not run)."""
    if result is None:
        return needs_files(name) or ("not run (train for minutes: --slow)" if name in SLOW else "not run")
    values = {"time": seconds_text(result["seconds"]), "acc": "" if result["acc"] is None else f"{result['acc']:.1f}",
              "mse": f"{result['loss']:.2g}", "steps": str(result["steps"]), "epochs": str(result["epochs"]),
              "train_s": f"{result['train_s']:.2f} s", "lbfgs": result.get("lbfgs", ""),
              "eval_acc": f"{result['eval_acc']:.1f}" if "eval_acc" in result else "",
              "seq_acc": f"{result['seq_acc']:.1f}" if "seq_acc" in result else "",
              "label_acc": f"{result['label_acc']:.1f}" if "label_acc" in result else "",
              "val_loss": f"{result['val_loss']:.3f}" if "val_loss" in result else ""}
    text = ROWS[name][2]
    for other in re.findall(r"\{acc:(\w+)\}", text):
        got = results.get(other)
        text = text.replace(f"{{acc:{other}}}", f"{got['acc']:.1f}" if got and got.get("acc") is not None else "?")
    return text.format(**values)


def cell_pattern(name):
    """A regex that the 'as shipped' cell of ``name`` matches (for the README test)."""
    if needs_files(name):
        return re.escape(needs_files(name))
    numbers = {"time": r"~?\d+(\.\d)? s", "acc": r"\d+\.\d", "mse": r"[0-9.e-]+", "steps": r"\d+", "epochs": r"\d+",
               "train_s": r"\d+\.\d\d s", "lbfgs": r"\d+ L-BFGS iterations, \d+ loss evaluations",
               "eval_acc": r"\d+\.\d", "seq_acc": r"\d+\.\d", "label_acc": r"\d+\.\d", "val_loss": r"\d+\.\d{3}"}
    out, pos, text = "", 0, ROWS[name][2]
    for m in re.finditer(r"\{(\w+)(?::\w+)?\}", text):
        out += re.escape(text[pos:m.start()]) + numbers[m.group(1)]
        pos = m.end()
    return out + re.escape(text[pos:])


def row(name, result=None, results=None):
    data, model, _ = ROWS[name]
    return f"| `{name}.yaml` | {data} | {model} | {result_text(name, result, results or {})} |"


def table(results):
    """The README table for ``results``: {config: measured dict or None}."""
    return "\n".join(HEADER + [row(name, results[name], results) for name in results])


def main(argv=None):
    a = parse(sys.argv[1:] if argv is None else argv)
    names = a.configs or list(ROWS)
    results = {}
    for name in names:
        if name in SLOW and not (a.slow or name in a.configs):
            results[name] = None
            continue
        if needs_files(name):
            results[name] = None
            continue
        if a.dry_run:
            print("would run:", " ".join(command(name, "<tmp>/run", a.set)), file=sys.stderr)
            results[name] = None
            continue
        runs = [run_once(name, a.set) for _ in range(a.repeats)]
        results[name] = dict(runs[-1], seconds=statistics.median(r["seconds"] for r in runs))
        times = ", ".join(f"{r['seconds']:.2f}" for r in runs)
        print(f"{name}: {times} s", file=sys.stderr)
    if a.set:
        print(f"(not the shipped configs: --set {' --set '.join(a.set)})")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
