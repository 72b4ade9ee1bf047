"""``kubik eval RUN_OR_CHECKPOINT --data SOURCE``: hostile values (one line,
exit 2), a YAML run on other data through its stored scaling, and a csv's
class names matched to the model's."""
import numpy as np
import pytest

import kubik
from kubik import losses, nets

from cli_run import ROOT, kubik as kubik_cmd, one_line_error
from python_runs import eval_cli, main, mlp_run  # noqa: F401  (mlp_run: a fixture)


@pytest.mark.parametrize("args,fragment", [
    ((), "records no data: give the data to evaluate on with --data"),
    (("--data", "missing.npz"), "'missing.npz' is neither a file nor a data set name"),
    (("--data", "breast_cancer"), "its samples have shape (30,), but the checkpoint's model takes input of "
                                  "shape (64,)"),
    (("--data", "digits", "--split", "val"), "--split picks a split of the run's own data"),
    (("--data", "csv"), "the 'csv' data set needs path; give the file itself"),
])
def test_hostile_eval_data(mlp_run, capsys, args, fragment):
    code, _, err = eval_cli(capsys, mlp_run[0], *args)
    assert code == 2 and len(err.strip().splitlines()) == 1 and fragment in err


def test_hostile_eval_data_files(mlp_run, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    np.savez(tmp_path / "wrong.npz", X=np.zeros((4, 5)), y=np.zeros(4, np.int64))
    np.savez(tmp_path / "nolabels.npz", X=np.zeros((4, 64)))
    np.savez(tmp_path / "empty.npz", X=np.zeros((0, 64)), y=np.zeros(0, np.int64))
    np.savez(tmp_path / "labels.npz", X=np.zeros((4, 64)), y=np.array([0, 1, 12, 3]))
    for data, fragment in ((tmp_path / "notes.txt", "is not an .npz or .csv file"),
                           (tmp_path / "wrong.npz", "samples have shape (5,), but the checkpoint's model takes "
                                                    "input of shape (64,)"),
                           (tmp_path / "nolabels.npz", "has no array 'y'"),
                           (tmp_path / "empty.npz", "no samples"),
                           (tmp_path / "labels.npz", "its targets do not fit the model: CrossEntropy")):
        assert fragment in one_line_error(kubik_cmd("eval", mlp_run[0], "--data", data))


def test_yaml_run_evaluates_other_data_with_its_stored_scaling(tmp_path, capsys):
    assert main(["train", str(ROOT / "configs" / "breast_cancer.yaml"), "--out", str(tmp_path / "bc"), "--quiet",
                 "--set", "train.epochs=2"]) == 0
    capsys.readouterr()
    X, y = nets.datasets.load("breast_cancer")
    model = kubik.load(tmp_path / "bc")
    loss = nets.build_experiment(nets.config.normalize(dict(model.config))).loss
    expected, acc = nets.evaluate(model.net, loss, (model.transform(X), y.reshape(-1, 1).astype(np.float32)),
                                  batch_size=model.config["train"]["eval_batch_size"])
    code, out, _ = eval_cli(capsys, tmp_path / "bc" / "best.npz", "--data", "breast_cancer")
    assert code == 0 and f"569 samples: loss {expected:.4f}  accuracy {100 * acc:.2f}%" in out
    code, out, _ = eval_cli(capsys, tmp_path / "bc", "--split", "val")      # a run folder works too
    assert code == 0 and "val split" in out


def test_yaml_run_on_a_csv_matches_class_names(tmp_path, capsys):
    rng = np.random.default_rng(0)
    names = np.array(["ant", "bee", "cat"])
    X = rng.standard_normal((300, 2)) * 0.3 + np.repeat([[0, 0], [2, 0], [0, 2]], 100, axis=0) + 5
    y = np.repeat([0, 1, 2], 100)

    def write(path, rows):
        path.write_text("a,b,kind\n" + "".join(f"{X[i, 0]:.5f},{X[i, 1]:.5f},{names[y[i]]}\n" for i in rows))
    write(tmp_path / "train.csv", range(300))
    write(tmp_path / "bc.csv", range(100, 300))          # bee and cat only: indices 0, 1 in this file
    (tmp_path / "c.yaml").write_text(
        f"data: {{name: csv, path: {tmp_path / 'train.csv'}, test_split: 0.2}}\n"
        "model: [{Linear: {out_features: 3}}]\nloss: CrossEntropy\noptimizer: {name: SGD, lr: 0.1}\n"
        "train: {epochs: 3, batch_size: 16}\n")
    assert main(["train", str(tmp_path / "c.yaml"), "--out", str(tmp_path / "r"), "--quiet"]) == 0
    capsys.readouterr()
    model = kubik.load(tmp_path / "r")
    assert list(model.classes) == ["ant", "bee", "cat"]
    loss, acc = nets.evaluate(model.net, losses.CrossEntropy(), (model.transform(X[100:]), y[100:]))
    code, out, _ = eval_cli(capsys, tmp_path / "r", "--data", tmp_path / "bc.csv")
    assert code == 0 and f"200 samples: loss {loss:.4f}  accuracy {100 * acc:.2f}%" in out
    (tmp_path / "dog.csv").write_text("a,b,kind\n5,5,dog\n")
    code, _, err = eval_cli(capsys, tmp_path / "r", "--data", tmp_path / "dog.csv")
    assert code == 2 and "class 'dog' is not one of the model's (ant, bee, cat)" in err
