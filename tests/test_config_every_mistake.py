"""Every mistake of a config in one run (issue 29): each on its own line with its
``file:line``, at most 20 and then "and N more", exit 2; a mistake's consequences
are not reported as mistakes of their own."""
import pytest

from kubik import nets

from cli_run import kubik

TYPOS = """\
data: {name: digits, test_split: 0.2, scale: standrd}
model:
  - Linear: {out_feature: 128}
  - ReLU
  - Linear: {out_features: 10, biass: true}
loss: CrossEntropy
optimizer: {name: SGD, lr: 0.05, momentun: 0.9}
schedule: {name: CosineAnnealingLR, T_max: auto, eta_mn: 0}
train: {epoch: 30, batch_size: 32, val_split: 0.1}
"""


def test_three_typos_take_one_run(tmp_path):
    path = tmp_path / "typos.yaml"
    path.write_text("data: digits\nmodel:\n  - Linear: {out_feature: 10}\n"
                    "optimizer: {name: SGD, lrr: 0.1}\ntrain: {epoch: 3}\n")
    r = kubik("train", path, "--out", tmp_path / "run")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert [line.split("; known: ")[0] for line in lines] == [
        f"error: {path}:3: model[0].Linear.out_feature: unknown argument 'out_feature' (did you mean "
        f"'out_features'?)",
        f"error: {path}:4: optimizer.lrr: unknown argument 'lrr' (did you mean 'lr'?)",
        f"error: {path}:5: train.epoch: unknown key (did you mean 'epochs'?)"]
    assert all("; known: " in line for line in lines)
    assert not (tmp_path / "run").exists()


def test_mistakes_of_every_section_in_file_order(tmp_path):
    path = tmp_path / "typos.yaml"
    path.write_text(TYPOS)
    r = kubik("summary", path)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and "Traceback" not in r.stderr
    where = [line.split(": ")[1] for line in lines]
    assert where == [f"{path}:{n}" for n in (1, 3, 5, 7, 8, 9)]
    assert [line.split(": ")[2] for line in lines] == [
        "data.scale", "model[0].Linear.out_feature", "model[2].Linear.biass", "optimizer.momentun",
        "schedule.eta_mn", "train.epoch"]


def test_more_than_twenty_mistakes_are_counted(tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text("data: digits\nmodel:\n" + "".join(f"  - Linear: {{out_feature{i}: 4}}\n" for i in range(25))
                    + "train: {epoch: 3, batchsize: 8}\n")
    r = kubik("train", path)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 21
    assert lines[-1] == "error: ... and 7 more mistakes in the config"
    assert all(f"{path}:" in line for line in lines[:20])


def test_a_mistake_and_its_consequences_are_one_line(tmp_path):
    """A bad data section: the model after it is checked for names only, not reported for shapes."""
    path = tmp_path / "one.yaml"
    path.write_text("data: {name: digitz}\nmodel:\n  - Linear: {out_features: 10}\n")
    r = kubik("train", path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "unknown data set 'digitz'" in r.stderr or "digitz" in r.stderr


def test_python_api_raises_them_all_together(tmp_path):
    path = tmp_path / "typos.yaml"
    path.write_text(TYPOS)
    with pytest.raises(nets.ConfigError) as info:
        nets.load_config(str(path))
    assert isinstance(info.value, nets.config.ConfigErrors)
    assert [str(e).split(": ")[1] for e in info.value.errors] == ["data.scale", "train.epoch"]   # the schema's
    cfg, _ = nets.load_config(str(path), sets=["data.scale=standard", "train={epochs: 1}"])
    with pytest.raises(nets.ConfigError) as info:
        nets.build_experiment(cfg)
    assert len(info.value.errors) == 4          # the arguments the builders check: layers, optimizer, schedule
