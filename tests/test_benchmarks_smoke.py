"""The benchmark suite stays runnable: its harness on a tiny kubik workload,
and ``python -m benchmarks`` end to end on the smallest workload, without torch."""
import importlib.util
import json
import pathlib
import re
import subprocess
import sys

import numpy as np

from kubik import layers
from kubik import losses
from kubik import nets
from kubik import optim

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _load_benchmarks():
    """Import the repository's benchmarks/ package by its path, without putting the
    repository root on sys.path (which would also expose the bare folder names)."""
    if "benchmarks" not in sys.modules:
        where = ROOT / "benchmarks"
        spec = importlib.util.spec_from_file_location("benchmarks", where / "__init__.py",
                                                      submodule_search_locations=[str(where)])
        module = importlib.util.module_from_spec(spec)
        sys.modules["benchmarks"] = module
        spec.loader.exec_module(module)


_load_benchmarks()
from benchmarks import harness, suite  # noqa: E402
from benchmarks.specs import SPECS, Runner, Spec, make_data  # noqa: E402


def tiny_kubik(spec):
    net = nets.Sequential(layers.Linear(4, 8, rng=np.random.default_rng(0)), layers.ReLU(),
                          layers.Linear(8, 3, rng=np.random.default_rng(1)))
    loss, opt = losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.1, momentum=0.9)

    def step(X, y):
        opt.zero_grad()
        loss.forward(net.forward(X), y)
        net.backward(loss.backward())
        opt.step()
    return Runner(step, make_data(spec, pool=2), net)


TINY = Spec("tiny", "4-8-3 MLP", 5, (4,), "classify", ((5, 8, 4), (5, 3, 8)), samples=20, target=1.0, classes=3)


def test_measure_tiny_workload_without_torch():
    res = suite.measure(TINY, tiny_kubik, None, steps=2, repeats=2, warmup=1, peak_gflops=100.0, settle=0)
    assert "error" not in res and "torch" not in res and "ratio" not in res
    k = res["kubik"]
    assert len(k["seconds_per_step"]) == 2 and k["ms"]["min"] <= k["ms"]["median"] <= k["ms"]["max"]
    assert TINY.flops_per_step == 3 * 2 * (5 * 8 * 4 + 5 * 3 * 8)
    assert np.isclose(k["gflops"], TINY.flops_per_step / (k["ms"]["median"] / 1e3) / 1e9)
    assert "tiny" in harness.speed_table([res])


def test_missing_layer_is_reported_not_raised():
    def broken(spec):
        raise RuntimeError("no such layer")
    res = suite.measure(TINY, broken, steps=1, repeats=1)
    assert res["error"].startswith("kubik failed") and "no such layer" in harness.speed_table([res])


def test_specs_steps_per_repeat():
    mlp = SPECS["mlp_b128"]
    assert mlp.epoch_steps == 60_000 // 128
    assert mlp.steps_per_repeat(1.0) == mlp.epoch_steps
    assert mlp.steps_per_repeat(0.0001) == mlp.min_steps
    assert SPECS["textbook"].steps_per_repeat(0.01) == 10_000 // 32  # always a whole epoch


def test_python_m_benchmarks_runs_without_torch(tmp_path):
    out = tmp_path / "bench.json"
    p = subprocess.run([sys.executable, "-m", "benchmarks", "textbook", "--no-torch", "--steps", "2",
                        "--repeats", "1", "--settle", "0", "--json", str(out)], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert "textbook" in p.stdout and "GFLOP/s" in p.stdout
    report = json.loads(out.read_text())
    (res,) = report["workloads"]
    assert res["name"] == "textbook" and res["steps"] == 2 and "torch" not in res
    assert report["environment"]["torch"] is None
    assert res["memory"]["kubik"]["peak_rss_mb"] >= res["memory"]["kubik"]["import_rss_mb"] > 0


def test_lstm_workload_builds_and_trains_a_step():
    from benchmarks import workloads
    runner = workloads.build(SPECS["lstm_b64"])
    before = runner.model.state_dict()
    runner.run(1)
    after = runner.model.state_dict()
    assert set(before) == {"0.weight_ih_l0", "0.weight_hh_l0", "0.bias_ih_l0", "0.bias_hh_l0", "2.weight", "2.bias"}
    assert all(np.isfinite(v).all() for v in after.values())
    assert not np.array_equal(before["0.weight_hh_l0"], after["0.weight_hh_l0"])


def test_layers_profile_prints_every_layer(capsys):
    """python -m benchmarks.layers_profile: one line per layer, GEMM floors for the GEMM layers."""
    import kubik
    from benchmarks import layers_profile
    backend, threads = kubik.get_backend(), kubik.get_num_threads()
    try:
        layers_profile.main(["lenet_b64", "--steps", "2", "--backend", "numpy"])
    finally:
        kubik.set_backend(backend)
        kubik.set_num_threads(threads)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("lenet_b64, backend numpy, 1 thread(s)")
    rows = [line.split() for line in out[2:14]]
    assert [r[1] for r in rows] == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Flatten",
                                    "Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert all(len(r) == (5 if r[1] in ("Conv2d", "Linear") else 4) for r in rows)
    assert all(float(x) >= 0 for r in rows for x in r[2:])
    assert out[-2].split()[0] == "step" and float(out[-1].split()[-1]) > 0


def test_optimizers_benchmark_times_every_path(tmp_path, capsys):
    """python -m benchmarks.optimizers: one row per optimizer, numpy and compiled path
    (and torch when installed), a JSON report; unknown names are refused."""
    import kubik
    from benchmarks import optimizers
    threads = kubik.get_num_threads()
    try:
        report = optimizers.main(["SGD momentum", "Adam", "--repeats", "2", "--steps", "2", "--settle", "0",
                                  "--json", str(tmp_path / "o.json")])
    finally:
        kubik.set_num_threads(threads)
    assert [r["optimizer"] for r in report] == ["SGD momentum", "Adam"]
    expected = {"numpy", "fast"} | ({"torch"} if importlib.util.find_spec("torch") else set())
    for r in report:
        assert set(r["us"]) == expected and all(v["median"] > 0 for v in r["us"].values())
        assert r["fast/numpy"]["rounds"] == 2
    out = capsys.readouterr().out
    assert "535818 float32 parameters" in out and "Adam" in out
    assert json.loads((tmp_path / "o.json").read_text())["results"][1]["optimizer"] == "Adam"
    try:
        optimizers.parse(["Adamz"])
    except SystemExit as e:
        assert e.code == 2
    else:
        raise AssertionError("an unknown optimizer must be refused")


def test_configs_table_script_runs_a_config_and_prints_its_row():
    """python -m benchmarks.configs prints the README's table of shipped experiments."""
    p = subprocess.run([sys.executable, "-m", "benchmarks.configs", "digits_mlp", "--repeats", "1", "--set",
                        "train.epochs=1"], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert lines[0] == "(not the shipped configs: --set train.epochs=1)"
    assert lines[1:3] == ["| config | data | model | as shipped |", "| --- | --- | --- | --- |"]
    assert re.fullmatch(r"\| `digits_mlp\.yaml` \| bundled digits, 64 features \| 64-128-10 ReLU MLP, SGD \+ cosine "
                        r"\| \d+\.\d % test accuracy, ~\d+\.\d s \|", lines[3]), lines[3]


def test_configs_table_dry_run_lists_every_shipped_config():
    from benchmarks import configs
    assert set(configs.ROWS) == {p.stem for p in (ROOT / "configs").glob("*.yaml")}
    p = subprocess.run([sys.executable, "-m", "benchmarks.configs", "--dry-run"], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    missing = [n for n in configs.ROWS if configs.needs_files(n) or n in configs.SLOW]   # files; minutes
    assert p.returncode == 0 and p.stderr.count("would run:") == len(configs.ROWS) - len(missing)
    assert len(p.stdout.strip().splitlines()) == 2 + len(configs.ROWS)


def test_readme_table_is_the_one_the_script_prints():
    """Same rows, same order, same columns as python -m benchmarks.configs; results in its format."""
    from benchmarks import configs
    readme = (ROOT / "README.md").read_text()
    start = readme.index(configs.HEADER[0])
    lines = readme[start:].split("\n\n")[0].strip().splitlines()
    assert lines[:2] == configs.HEADER and "python -m benchmarks.configs" in readme[:start]
    rows = [line.split(" | ") for line in lines[2:]]
    assert [r[0] for r in rows] == [f"| `{name}.yaml`" for name in configs.ROWS]
    assert [(r[1], r[2]) for r in rows] == [v[:2] for v in configs.ROWS.values()]
    for name, r in zip(configs.ROWS, rows):
        cell = " | ".join(r[3:]).rstrip(" |")
        assert re.fullmatch(configs.cell_pattern(name), cell), (name, cell)


def test_deconv_workload_builds_and_runs_a_step():
    from benchmarks import workloads
    spec = SPECS["deconv"]
    runner = workloads.build(spec)
    runner.run(1)
    layer = runner.model
    assert type(layer).__name__ == "ConvTranspose2d" and layer.weight.shape == (64, 32, 4, 4)
    assert layer.output_shape(spec.input_shape) == spec.output_shape
    assert np.isfinite(layer.weight.grad).all() and np.abs(layer.weight.grad).sum() > 0
    assert spec.flops_per_step == 3 * 2 * (32 * 16 * 16) * (32 * 16) * 64


def test_augment_overhead_benchmark_runs(capsys):
    from benchmarks import augment_overhead
    augment_overhead.main(["--repeats", "1", "--epochs", "1"])
    out = capsys.readouterr().out
    assert "RandomShift(max_pixels=1)" in out and "median ratio" in out and "direct: the transforms" in out


def test_losses_benchmark_times_each_loss(tmp_path, capsys):
    """python -m benchmarks.losses: forward + backward per loss on (1024, 100), kubik (and torch
    when installed) interleaved, a ratio per loss against the 1.5 target, a JSON report."""
    from benchmarks import losses as bench
    report = bench.main(["TripletMargin", "GaussianNLL", "--repeats", "2", "--steps", "2", "--settle", "0",
                         "--json", str(tmp_path / "l.json")])
    assert [r["loss"] for r in report] == ["TripletMargin", "GaussianNLL"]
    torch = importlib.util.find_spec("torch") is not None
    for r in report:
        assert r["new"] and r["us"]["kubik"]["median"] > 0 and ("kubik/torch" in r) == torch
    assert "(1024, 100) float32" in capsys.readouterr().out
    assert set(bench.NEW) <= set(bench.CASES)
    assert json.loads((tmp_path / "l.json").read_text())["results"][0]["loss"] == "TripletMargin"
    try:
        bench.parse(["Triplet"])
    except SystemExit as e:
        assert e.code == 2
    else:
        raise AssertionError("an unknown loss must be refused")


def test_lbfgs_benchmark_reports_the_overhead_beyond_the_closure(tmp_path, capsys):
    """python -m benchmarks.lbfgs: per iteration, the time outside the closure against a closure call."""
    from benchmarks import lbfgs
    report = lbfgs.main(["breast_cancer", "--repeats", "1", "--iters", "3", "--no-torch",
                         "--json", str(tmp_path / "b.json")])
    assert [(r["history_size"], r["line_search_fn"]) for r in report] == [(10, None), (10, "strong_wolfe")]
    for r in report:
        k = r["kubik"]
        assert k["closure_us"] > 0 and k["overhead_us"] > 0
        assert abs(k["fraction"] - k["overhead_us"] / k["closure_us"]) < 1e-9
    assert "target kubik overhead < 20%" in capsys.readouterr().out
