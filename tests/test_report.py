"""``kubik eval --report``: the confusion matrix and per-class precision,
recall, F1 and support with macro and weighted averages (scikit-learn's
classification_report semantics), checked on hand-computed cases."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kubik.nets.inference.report import classification_report, confusion_matrix, format_confusion, format_report

ROOT = Path(__file__).resolve().parent.parent


def test_three_classes_by_hand():
    rep = classification_report([0, 0, 1, 1, 2, 2, 2], [0, 1, 1, 1, 2, 0, 2])
    np.testing.assert_array_equal(rep["confusion"], [[1, 1, 0], [0, 2, 0], [1, 0, 2]])
    # class 0: TP 1, FP 1 (a 2 taken for 0), FN 1; class 1: TP 2, FP 1; class 2: TP 2, FN 1
    np.testing.assert_allclose(rep["precision"], [1 / 2, 2 / 3, 1.0])
    np.testing.assert_allclose(rep["recall"], [1 / 2, 1.0, 2 / 3])
    np.testing.assert_allclose(rep["f1"], [1 / 2, 0.8, 0.8])
    np.testing.assert_array_equal(rep["support"], [2, 2, 3])
    assert rep["accuracy"] == pytest.approx(5 / 7)
    np.testing.assert_allclose(rep["macro avg"][:3], [(0.5 + 2 / 3 + 1) / 3, (0.5 + 1 + 2 / 3) / 3, 2.1 / 3])
    np.testing.assert_allclose(rep["weighted avg"][:3], [(2 * 0.5 + 2 * 2 / 3 + 3) / 7, 5 / 7, (1 + 1.6 + 2.4) / 7])
    assert rep["macro avg"][3] == rep["weighted avg"][3] == 7


def test_zero_division_and_a_label_only_predicted():
    rep = classification_report([0, 0, 0], [0, 1, 1])
    assert rep["labels"].tolist() == [0, 1]              # the union of true and predicted labels
    np.testing.assert_allclose(rep["precision"], [1.0, 0.0])
    np.testing.assert_allclose(rep["recall"], [1 / 3, 0.0])   # class 1 has no support: 0, as sklearn
    np.testing.assert_allclose(rep["f1"], [0.5, 0.0])
    np.testing.assert_allclose(rep["macro avg"][:3], [0.5, 1 / 6, 0.25])
    np.testing.assert_allclose(rep["weighted avg"][:3], [1.0, 1 / 3, 0.5])   # weights 3 and 0
    assert rep["accuracy"] == pytest.approx(1 / 3)


def test_explicit_labels_and_perfect_binary():
    cm, labels = confusion_matrix([1, 1, 0], [1, 1, 0], labels=[0, 1, 2])
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 2, 0], [0, 0, 0]])
    rep = classification_report([1, 1, 0], [1, 1, 0], labels=[0, 1, 2])
    np.testing.assert_allclose(rep["f1"], [1, 1, 0])
    assert rep["macro avg"][2] == pytest.approx(2 / 3) and rep["weighted avg"][2] == pytest.approx(1.0)
    one = classification_report([4], [4])                  # a batch of one
    assert one["accuracy"] == 1.0 and one["labels"].tolist() == [4]
    with pytest.raises(ValueError, match="confusion_matrix: y_true has 2 labels, y_pred 1"):
        confusion_matrix([0, 1], [0])


def test_text_as_scikit_learn_lays_it_out():
    rep = classification_report([0, 0, 1, 1, 2, 2, 2], [0, 1, 1, 1, 2, 0, 2])
    lines = format_report(rep).splitlines()
    assert lines[0].split() == ["precision", "recall", "f1-score", "support"]
    assert lines[2].split() == ["0", "0.50", "0.50", "0.50", "2"]
    assert lines[6].split() == ["accuracy", "0.71", "7"]
    assert lines[7].split() == ["macro", "avg", "0.72", "0.72", "0.70", "7"]
    assert lines[8].split() == ["weighted", "avg", "0.76", "0.71", "0.71", "7"]
    cm = format_confusion(rep["confusion"], rep["labels"]).splitlines()
    assert cm[2].split() == ["0", "1", "1", "0"]


def test_eval_report_from_the_command_line(tmp_path):
    run = tmp_path / "run"
    kubik = [sys.executable, "-m", "kubik"]
    subprocess.run(kubik + ["train", ROOT / "configs" / "digits_mlp.yaml", "--out", run, "--quiet",
                            "--set", "train.epochs=2"], check=True, capture_output=True, cwd=ROOT)
    png = tmp_path / "cm.png"
    p = subprocess.run(kubik + ["eval", run / "best.npz", "--report", "-o", png], capture_output=True, text=True,
                       cwd=ROOT)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    i = lines.index("rows: true label, columns: predicted label")
    rows = [list(map(int, ln.split()[1:])) for ln in lines[i + 2:i + 12]]
    total = sum(map(sum, rows))
    acc_line = next(ln for ln in lines if ln.split()[:1] == ["accuracy"])
    assert total == int(acc_line.split()[-1]) == 359
    assert float(acc_line.split()[1]) == pytest.approx(sum(rows[k][k] for k in range(10)) / total, abs=1e-3)
    assert png.stat().st_size > 1000 and f"wrote {png}" in p.stdout
    p = subprocess.run(kubik + ["eval", run / "best.npz", "-o", png], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and p.stderr.strip() == ("error: kubik eval: -o draws the confusion matrix of "
                                                      "--report; add --report")
