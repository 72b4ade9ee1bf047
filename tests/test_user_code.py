"""The user's own code in: a config's ``imports:`` (module names and ./file.py
paths), the ``--import`` flag of every command that reads a config or a
checkpoint, the run folder recording the imports (eval and --resume without
the flag; a clear message when the module is gone), ``kubik gradcheck
--import``, and the ``kubik.plugins`` entry-point group with a real plugin
distribution pip-installed into this environment."""
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from kubik import layers
from kubik.nets import checkpoint as K

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _restore_registry():
    """Layers these tests register in-process are removed again (other tests list the registry)."""
    saved = dict(layers.LAYERS._table)
    yield
    layers.LAYERS._table.clear()
    layers.LAYERS._table.update(saved)

SWISH = '''
import numpy as np
from kubik import layers

@layers.register
class {name}(layers.Layer):
    """Y = X σ(X);  dX = G ⊙ (σ + X σ (1 − σ))."""

    def forward(self, X):
        s = 1.0 / (1.0 + np.exp(-X))
        self._X, self._s = X, s
        return X * s

    def backward(self, G):
        X = self._cached("_X")
        s = self._s
        return G * (s + X * s * (1 - s))
'''


from cli_run import kubik, one_line_error  # noqa: E402


def write_config(folder, imports, layer="Swish", epochs=2):
    cfg = {"data": {"name": "spirals", "n_samples": 120}, "model": [{"Linear": 8}, layer, {"Linear": 3}],
           "optimizer": {"name": "Adam", "lr": 0.01}, "train": {"epochs": epochs, "progress": False}}
    if imports is not None:
        cfg["imports"] = imports
    path = folder / "exp.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_imports_path_train_eval_resume_gradcheck(tmp_path):
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "swish.py").write_text(SWISH.format(name="Swish"))
    config = write_config(tmp_path / "cfg", ["./swish.py"])
    run = tmp_path / "run"
    p = kubik("train", config, "--out", run, "--quiet", cwd=tmp_path)     # relative to the config, not the cwd
    assert p.returncode == 0, p.stderr
    recorded = yaml.safe_load((run / "config.yaml").read_text())["imports"]
    assert recorded == [str((tmp_path / "cfg" / "swish.py").resolve())]
    p = kubik("eval", run / "best.npz")                                    # no flag needed
    assert p.returncode == 0 and "accuracy" in p.stdout, p.stderr
    p = kubik("train", "--resume", run, "--set", "train.epochs=3")
    assert p.returncode == 0 and "resuming" in p.stdout, p.stderr
    assert K.read(run / "last.npz").trainer["epoch"] == 3
    p = kubik("summary", config)
    assert p.returncode == 0 and "Swish" in p.stdout, p.stderr
    p = kubik("gradcheck", "--import", tmp_path / "cfg" / "swish.py", "Swish")
    assert p.returncode == 0 and "ok    layer Swish" in p.stdout, p.stdout + p.stderr
    (tmp_path / "cfg" / "swish.py").unlink()                              # the module is gone: say which
    line = one_line_error(kubik("eval", run / "best.npz"))
    assert "imports[0]" in line and "swish.py" in line, line


def test_import_flag_by_module_name(tmp_path):
    (tmp_path / "my_swish_mod.py").write_text(SWISH.format(name="SwishByName"))
    config = write_config(tmp_path, None, layer="SwishByName")
    line = one_line_error(kubik("summary", config, cwd=tmp_path))
    assert "unknown layer 'SwishByName'" in line
    run = tmp_path / "run"
    p = kubik("train", config, "--import", "my_swish_mod", "--out", run, "--quiet", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert yaml.safe_load((run / "config.yaml").read_text())["imports"] == ["my_swish_mod"]
    p = kubik("eval", run / "best.npz", cwd=tmp_path)                      # recorded: no flag
    assert p.returncode == 0, p.stderr
    line = one_line_error(kubik("eval", run / "best.npz", cwd=ROOT))      # not importable from here
    assert "cannot import module 'my_swish_mod'" in line and "No module named" in line, line
    p = kubik("eval", run / "best.npz", "--import", tmp_path / "my_swish_mod.py", cwd=ROOT)
    assert p.returncode == 0, p.stderr
    np.savez(tmp_path / "new.npz", X=np.array([[0.1, 0.2], [0.3, -0.4]]))
    p = kubik("predict", run, tmp_path / "new.npz", "--import", tmp_path / "my_swish_mod.py", cwd=ROOT)
    assert p.returncode == 0 and p.stdout.startswith("prediction,0,1,2"), p.stderr
    p = kubik("predict", run, tmp_path / "new.npz", cwd=tmp_path)                 # recorded, importable here
    assert p.returncode == 0 and len(p.stdout.strip().splitlines()) == 3, p.stderr


def test_import_errors_are_one_line(tmp_path):
    (tmp_path / "broken.py").write_text("import numpy\nraise RuntimeError('boom in my module')\n")
    config = write_config(tmp_path, ["./broken.py"])
    line = one_line_error(kubik("summary", config))
    assert "exp.yaml:" in line and "imports[0]" in line and "RuntimeError: boom in my module" in line, line
    line = one_line_error(kubik("summary", write_config(tmp_path, ["no_such_module_xyz"])))
    assert "imports[0]: cannot import module 'no_such_module_xyz'" in line, line
    line = one_line_error(kubik("gradcheck", "--import", "nor_this_one", "ReLU"))
    assert line.startswith("error: --import nor_this_one: cannot import module 'nor_this_one'"), line
    line = one_line_error(kubik("summary", write_config(tmp_path, [3])))
    assert "imports[0]" in line and "module name or a path" in line, line
    line = one_line_error(kubik("summary", write_config(tmp_path, "swish.py")))
    assert "imports" in line and "expected a list" in line, line


def test_old_config_hash_unchanged_by_imports():
    from kubik.nets.config import config_hash, load
    cfg, _ = load(ROOT / "configs" / "spirals.yaml")
    with_imports = dict(cfg, imports=["my_layers"])
    assert config_hash(cfg) == config_hash(with_imports)


PLUGIN_PYPROJECT = '''
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "kubik-testplugin-swish"
version = "0.1"

[project.entry-points."kubik.plugins"]
swish = "kubik_testplugin_swish"

[tool.setuptools]
py-modules = ["kubik_testplugin_swish"]
'''


def test_plugin_entry_point_distribution(tmp_path):
    """A real distribution with a kubik.plugins entry point, pip-installed into this venv."""
    src = tmp_path / "plugin"
    src.mkdir()
    (src / "pyproject.toml").write_text(PLUGIN_PYPROJECT)
    (src / "kubik_testplugin_swish.py").write_text(SWISH.format(name="PluginSwish") + textwrap.dedent('''
        from kubik import losses

        @losses.LOSSES.register
        class PluginL1(losses.Loss):
            """mean |P - T|."""
            def forward(self, pred, target):
                self._d = pred - target
                return float(np.abs(self._d).mean())
            def backward(self):
                return (np.sign(self._d) / self._d.size).astype(self._d.dtype)
        '''))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    done = subprocess.run(pip + ["install", "--no-build-isolation", "--no-deps", "--no-index", str(src)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    try:
        config = write_config(tmp_path, None, layer="PluginSwish")
        p = kubik("train", config, "--out", tmp_path / "run", "--quiet", cwd=tmp_path)
        assert p.returncode == 0, p.stderr
        p = kubik("eval", tmp_path / "run" / "best.npz")
        assert p.returncode == 0, p.stderr
        p = kubik("gradcheck", "PluginSwish")
        assert p.returncode == 0 and "ok    layer PluginSwish" in p.stdout, p.stdout + p.stderr
        p = kubik("gradcheck", "ReLU", "PluginL1")
        assert p.returncode == 0 and "ok    loss PluginL1" in p.stdout, p.stdout + p.stderr
        p = kubik("layers")
        assert "PluginSwish" in p.stdout and "PluginL1" in p.stdout
        code = ("from kubik import losses; print(losses.LOSSES.get('PluginL1').__module__)")
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert p.stdout.strip() == "kubik_testplugin_swish", p.stderr
    finally:
        subprocess.run(pip + ["uninstall", "-y", "kubik-testplugin-swish"], capture_output=True, timeout=120)
    line = one_line_error(kubik("summary", config))                      # uninstalled: unknown again
    assert "unknown layer 'PluginSwish'" in line


def test_plugins_are_loaded_only_on_a_miss(monkeypatch):
    from kubik.layers.core import registry
    calls = []
    monkeypatch.setattr(registry, "_plugins", {"loaded": False})
    monkeypatch.setattr(registry, "_entry_points", lambda group: calls.append(group) or [])
    assert layers.LAYERS.get("ReLU") is layers.ReLU
    assert calls == []
    with pytest.raises(ValueError, match="unknown layer 'NoSuch'"):
        layers.LAYERS.get("NoSuch")
    assert calls == ["kubik.plugins"]
    with pytest.raises(ValueError):
        layers.LAYERS.get("NoSuchEither")
    assert calls == ["kubik.plugins"]                                     # once per process


def test_broken_plugin_is_named(monkeypatch):
    from kubik.layers.core import registry

    class EP:
        name, value = "bad", "bad_plugin_mod:setup"

        def load(self):
            raise ImportError("No module named 'bad_plugin_mod'")
    monkeypatch.setattr(registry, "_plugins", {"loaded": False})
    monkeypatch.setattr(registry, "_entry_points", lambda group: [EP()])
    with pytest.raises(ValueError, match=r"plugin 'bad' \(bad_plugin_mod:setup.*No module named 'bad_plugin_mod'"):
        layers.LAYERS.get("Whatever")


def test_python_api_import_modules(tmp_path):
    from kubik.nets.imports import import_modules
    (tmp_path / "scale_layer.py").write_text(SWISH.format(name="ApiSwish"))
    assert import_modules(["./scale_layer.py"], tmp_path) == [str((tmp_path / "scale_layer.py").resolve())]
    layer = layers.LAYERS.get("ApiSwish")()
    layers.gradcheck(layer, np.random.default_rng(0).standard_normal((3, 4)))


def test_one_file_under_two_spellings_is_one_import(tmp_path):
    """imports: [swish, ./swish.py], imports: [swish] with --import ./swish.py, and the documented
    kubik eval RUN --import ./swish.py run from the file's folder: one import, not 'already taken'."""
    (tmp_path / "swish.py").write_text(SWISH.format(name="Swish"))
    both = write_config(tmp_path, ["swish", "./swish.py"])
    p = kubik("summary", both, cwd=tmp_path)
    assert p.returncode == 0 and "Swish" in p.stdout, p.stderr
    by_name = write_config(tmp_path, ["swish"])
    run = tmp_path / "run"
    p = kubik("train", by_name, "--import", "./swish.py", "--out", run, "--quiet", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    p = kubik("eval", run, "--import", "./swish.py", cwd=tmp_path)
    assert p.returncode == 0 and "accuracy" in p.stdout, p.stderr
    flag_last = write_config(tmp_path, ["./swish.py"])
    p = kubik("summary", flag_last, "--import", "swish", cwd=tmp_path)
    assert p.returncode == 0, p.stderr


def test_one_file_imported_twice_in_process_is_the_same_module(tmp_path, monkeypatch):
    from kubik.nets import imports
    (tmp_path / "swish_twice.py").write_text(SWISH.format(name="SwishTwice"))
    monkeypatch.chdir(tmp_path)
    first = imports.import_modules(["swish_twice"])
    second = imports.import_modules(["./swish_twice.py"])
    assert first == ["swish_twice"] and second == [str((tmp_path / "swish_twice.py").resolve())]
    assert layers.LAYERS.get("SwishTwice").__module__ == "swish_twice"
    del sys.modules["swish_twice"]
