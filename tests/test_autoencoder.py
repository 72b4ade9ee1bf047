"""configs/digits_autoencoder.yaml as shipped: trained to the end it beats PCA
with the same code size (8 components, fitted on the training split) on the
test split, which kubik eval reports next to its own reconstruction MSE;
kubik plot --reconstructions draws it; the reconstruction helpers by hand."""
import numpy as np
import pytest

from kubik.nets.cli import main
from kubik.nets.inference.reconstruction import code_size, pca_mse, reconstruction_mse

from cli_run import ROOT, kubik, one_line_error


def test_pca_and_mse_by_hand():
    rng = np.random.default_rng(0)
    basis = rng.standard_normal((2, 6))
    train = rng.standard_normal((50, 2)) @ basis + 3.0          # data on a 2-d plane through (3, ..., 3)
    test = rng.standard_normal((10, 2)) @ basis + 3.0
    assert pca_mse(train, test, 2) < 1e-20                     # two components reproduce it exactly
    assert pca_mse(train, test, 1) > 1e-3
    assert pca_mse(train, test, 0) == pytest.approx(((test - train.mean(0)) ** 2).mean())
    assert reconstruction_mse(np.ones((2, 1, 2, 2)), np.zeros((2, 4))) == 1.0

    class Row:
        def __init__(self, shape):
            self.output_shape = shape
    assert code_size([Row((16, 8, 8)), Row((8,)), Row((64,)), Row((1, 8, 8))]) == 8


def test_the_shipped_autoencoder_beats_pca_at_its_code_size(tmp_path, capsys):
    run = tmp_path / "ae"
    assert main(["train", str(ROOT / "configs" / "digits_autoencoder.yaml"), "--out", str(run), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["eval", str(run)]) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith("reconstruction MSE") and "PCA with 8 components" in line, line
    ours = float(line.split("reconstruction MSE ")[1].split()[0])
    pca = float(line.split("fitted on the training split: ")[1].split(";")[0])
    mean = float(line.split("the mean training image: ")[1])
    assert abs(pca - 0.0238) < 0.001 and abs(mean - 0.0727) < 0.001     # the README's baselines
    assert ours < 0.9 * pca, (ours, pca)                                 # README: 0.0126
    assert main(["plot", str(run), "--reconstructions"]) == 0
    assert (run / "reconstructions.png").stat().st_size > 1000


def test_reconstructions_of_a_classifier_are_one_line(tmp_path):
    proc = kubik("train", ROOT / "configs" / "digits_cnn.yaml", "--set", "train.epochs=1", "--out", tmp_path / "r",
                 "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "does not reconstruct its input" in one_line_error(kubik("plot", tmp_path / "r", "--reconstructions"))
    assert "has no data.augment transforms" in one_line_error(kubik("plot", tmp_path / "r", "--augment"))
