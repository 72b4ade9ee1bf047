"""Every bad input to ``kubik sweep`` is one line on stderr, exit code 2, and
nothing written: unknown keys, empty spaces, spaces of the wrong type for
their key, storages that cannot be opened, a study that exists with another
direction, a folder of another sweep; the sweep section's mistakes are placed
at their line. Run in-process (``cli.main``) to keep the suite quick."""
import pytest

pytest.importorskip("optuna")
import optuna  # noqa: E402

from kubik.nets.cli import main  # noqa: E402
from test_sweep import TINY  # noqa: E402


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def one_line(capsys, argv, code=2):
    assert main([str(a) for a in argv]) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    return err[0]


def nothing_written(tmp_path, *keep):
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["tiny.yaml", *keep])


BAD = [
    (["--param", "optimizer.lrr=loguniform(1e-3, 0.1)"],
     "error: --param optimizer.lrr=loguniform(1e-3, 0.1): optimizer.lrr: unknown argument 'lrr' (did you mean 'lr'?)"),
    (["--param", "foo.bar=int(1, 2)"], "--param foo.bar: unknown top-level key 'foo'"),
    (["--param", "model[7].Linear.out_features=int(1, 8)"], "--param model[7].Linear.out_features: model has 3 entries"),
    (["--param", "optimizer.lr=loguniform(0.1, 0.01)"], "an empty space: the low bound must be below the high one"),
    (["--param", "optimizer.lr=choice()"], "'choice()': an empty space: choice lists no value"),
    (["--param", "optimizer.lr=uniform(0.1, 0.1)"], "an empty space"),
    (["--param", "train.batch_size=uniform(8, 64)"],
     "--param train.batch_size=uniform(8, 64): train.batch_size: expected an integer or full (the whole training part), got 8.0 (float)"),
    (["--param", "train.shuffle=int(0, 1)"], "train.shuffle: expected true or false, got 0 (int)"),
    (["--param", "optimizer.name=choice(SGD, Adamm)"], "unknown optimizer 'Adamm' (did you mean 'Adam'?)"),
    (["--param", "model[0].Linear.out_features=int(0, 8)"], "model[0].Linear: out_features must be a positive int"),
    (["--param", "optimizer.lr=loguniform(0, 1)"], "loguniform needs bounds above 0"),
    (["--param", "optimizer.lr=beta(1, 2)"], "'beta(1, 2)' is not a space"),
    (["--param", "optimizer.lr"], "expected KEY=SPACE"),
    (["--param", "seed=int(0, 3)"], "cannot vary seed"),
    (["--metric", "val_acc"], "kubik sweep --metric: unknown metric 'val_acc'; known: val_loss, val_accuracy"),
    (["--direction", "up"], "argument --direction: invalid choice: 'up'"),
    (["--trials", "0"], "kubik sweep --trials: must be >= 1, got 0"),
    (["--storage", "sqlite:////nonexistent/dir/study.db"],
     "cannot open the storage sqlite:////nonexistent/dir/study.db: (sqlite3.OperationalError) unable to open"),
    (["--storage", "nosuchdb://host/db"], "cannot open the storage nosuchdb://host/db:"),
    (["--storage", "postgresql://me:secret@localhost:1/db"], "cannot open the storage postgresql://me:***@localhost:1/db"),
    (["--storage", "journal:/nonexistent/dir/j.log"], "cannot open the storage journal:/nonexistent/dir/j.log"),
    (["--set", "sweep.seeds=sometimes"], "sweep.seeds: must be vary or fixed"),
    (["--set", "sweep.pruner=NoSuchPruner"], "unknown pruner 'NoSuchPruner'"),
    (["--set", "sweep.pruner={name: MedianPruner, n_startup: 3}"], "unknown argument 'n_startup'"),
    (["--set", "sweep.sampler={name: TPESampler, seed: 1}"], "unknown argument 'seed'"),
]


@pytest.mark.parametrize("flags,message", BAD, ids=[b[1][:40] for b in BAD])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(capsys, tiny, tmp_path, flags, message):
    line = one_line(capsys, ["sweep", tiny, *flags, "--out", tmp_path / "out"])
    assert line.startswith("error: ") and message in line, line
    assert "secret" not in line
    nothing_written(tmp_path)


def test_a_study_that_exists_with_another_direction(capsys, tiny, tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    optuna.create_study(storage=url, study_name="tiny", direction="minimize")
    line = one_line(capsys, ["sweep", tiny, "--storage", url, "--out", tmp_path / "out"])
    assert line == (f"error: the study 'tiny' in {url} exists with direction minimize; this sweep would maximize "
                    f"val_accuracy (give --study NAME for a new study, or --direction to match)")
    nothing_written(tmp_path, "shared.db")


def test_a_study_or_folder_of_another_sweep_is_not_continued(capsys, tiny, tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    assert main(["sweep", str(tiny), "--trials", "1", "--storage", url, "--out", str(tmp_path / "a")]) == 0
    capsys.readouterr()
    line = one_line(capsys, ["sweep", tiny, "--storage", url, "--out", tmp_path / "b",
                             "--param", "optimizer.momentum=uniform(0, 0.9)"])
    assert line.startswith("error: the study 'tiny' in sqlite:///") and "is a sweep of the parameters " \
        "optimizer.lr=loguniform(1e-3, 0.5), model[0].Linear.out_features=choice(4, 8, 16); give --study NAME" in line
    line = one_line(capsys, ["sweep", tiny, "--storage", url, "--out", tmp_path / "a", "--study", "other"])
    assert f"'{tmp_path / 'a'}' holds another sweep: its study is 'tiny', not 'other'" in line
    line = one_line(capsys, ["sweep", tiny, "--storage", url, "--out", tmp_path / "a", "--set", "train.epochs=3"])
    assert "its config's train.epochs is 2, not 3" in line
    assert not (tmp_path / "b").exists()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [".claim.lock", "base.yaml", "best.yaml",
                                                                 "sweep.yaml", "trial-0000"]
    assert "a sweep folder continues the sweep it records; --param goes with a CONFIG" in one_line(
        capsys, ["sweep", tmp_path / "a", "--param", "optimizer.lr=uniform(0, 1)"])
    line = one_line(capsys, ["sweep", tmp_path / "a", "--storage", f"sqlite:///{tmp_path / 'elsewhere.db'}"])
    assert f"its study lives in {url}, not in sqlite:///{tmp_path / 'elsewhere.db'}" in line
    (tmp_path / "shared.db").rename(tmp_path / "moved.db")
    line = one_line(capsys, ["sweep", tmp_path / "a", "--trials", "2"])
    assert f"'{tmp_path / 'a'}' holds trials of the study 'tiny', which {url} does not have" in line
    assert not (tmp_path / "elsewhere.db").exists() and not (tmp_path / "shared.db").exists()


def test_the_sweep_sections_mistakes_are_placed_at_their_line(capsys, tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY.replace("choice(4, 8, 16)", "choice(4, 8, 16"))
    line = one_line(capsys, ["sweep", path, "--out", tmp_path / "out"])
    assert line.startswith(f"error: {path}:12: sweep.params.model[0].Linear.out_features: 'choice(4, 8, 16' is not "
                           f"a space"), line
    path.write_text(TINY.replace("metric: val_accuracy", "metric: val_accuracy\n  trials: 0"))
    assert f"{path}:14: sweep.trials: must be >= 1" in one_line(capsys, ["sweep", path, "--out", tmp_path / "out"])
    path.write_text(TINY.replace("metric: val_accuracy", "metric: val_accuracy\n  trails: 3"))
    assert f"{path}:14: sweep.trails: unknown key (did you mean 'trials'?)" in one_line(
        capsys, ["sweep", path, "--out", tmp_path / "out"])
    path.write_text(TINY.replace("optimizer.lr: loguniform(1e-3, 0.5)", "optimizer.lrr: loguniform(1e-3, 0.5)"))
    line = one_line(capsys, ["sweep", path, "--out", tmp_path / "out"])
    assert line.startswith(f"error: {path}:11: optimizer.lrr: unknown argument 'lrr'"), line
    nothing_written(tmp_path)


def test_no_parameters_and_folders_that_are_not_this_sweep(capsys, tiny, tmp_path):
    plain = tmp_path / "plain.yaml"
    plain.write_text(TINY.split("sweep:")[0])
    assert "no parameter to vary" in one_line(capsys, ["sweep", plain, "--out", tmp_path / "out"])
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    assert "'" + str(tmp_path / "busy") + "' exists and is not a sweep folder" in one_line(
        capsys, ["sweep", tiny, "--out", tmp_path / "busy"])
    assert sorted(p.name for p in (tmp_path / "busy").iterdir()) == ["notes.txt"]
    assert "is not a sweep folder (no sweep.yaml)" in one_line(capsys, ["sweep", tmp_path / "busy", "--report"])
    assert "--report: give the sweep folder" in one_line(capsys, ["sweep", tiny, "--report"])
