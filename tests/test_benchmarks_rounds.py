"""The benchmark harness leaves busy rounds out of the quoted ratios and times
the compiled path next to the numpy one."""
import importlib.util
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
if "benchmarks" not in sys.modules:       # by path, without the repository root on sys.path
    spec = importlib.util.spec_from_file_location("benchmarks", ROOT / "benchmarks" / "__init__.py",
                                                  submodule_search_locations=[str(ROOT / "benchmarks")])
    module = importlib.util.module_from_spec(spec)
    sys.modules["benchmarks"] = module
    spec.loader.exec_module(module)
from benchmarks import harness, suite  # noqa: E402
from benchmarks.specs import Runner, Spec, make_data  # noqa: E402

from kubik import layers, losses, nets, optim  # noqa: E402


def test_ratios_use_quiet_rounds_only():
    rounds = [{"busy": False}, {"busy": True}, {"busy": False}, {"busy": True}]
    r = harness.ratios([1.0, 9.0, 3.0, 9.0], [2.0, 1.0, 4.0, 1.0], rounds)
    assert r["median"] == np.median([0.5, 0.75]) and (r["min"], r["max"]) == (0.5, 0.75)
    assert r["quiet_rounds"] == 2 and r["rounds"] == 4 and not r["busy_only"]
    everything_busy = harness.ratios([1.0, 3.0], [2.0, 1.0], [{"busy": True}, {"busy": True}])
    assert everything_busy["busy_only"] and everything_busy["median"] == 1.75
    assert "BUSY" in harness._ratio(everything_busy)


def test_cpu_accounting_reads_proc_stat():
    j = harness.cpu_jiffies()
    assert j is None or 0 <= j[0] <= j[1]
    assert harness.own_cpu() > 0


TINY = Spec("tiny", "4-8-3 MLP", 5, (4,), "classify", ((5, 8, 4), (5, 3, 8)), samples=20, target=1.0, classes=3)


def tiny(spec):
    layers.seed(0)
    net = nets.Sequential(layers.Linear(4, 8), layers.ReLU(), layers.Linear(8, 3))
    net.flatten_parameters()
    loss, opt = losses.CrossEntropy(), optim.SGD(net.parameters(), lr=0.1, momentum=0.9)

    def step(X, y):
        opt.zero_grad()
        loss.forward(net.forward(X), y)
        net.backward(loss.backward())
        opt.step()
    return Runner(step, make_data(spec, pool=2), net)


def test_measure_times_the_fast_path_and_flags_rounds():
    res = suite.measure(TINY, tiny, None, steps=2, repeats=3, warmup=1, settle=0, fast=True, busy_cores=1e9)
    assert "error" not in res and "fast_error" not in res
    assert len(res["kubik_fast"]["seconds_per_step"]) == 3 and len(res["rounds"]) == 3
    assert res["rounds_quiet"] == 3 and res["fast_vs_numpy"]["quiet_rounds"] == 3
    assert "tiny" in harness.speed_table([res])
    from kubik.layers import kernels
    assert kernels.get_backend() == "numpy"          # switched back after the compiled runs


def test_rounds_record_each_frameworks_cores_and_flag_a_pool_over_its_limit():
    res = suite.measure(TINY, tiny, None, steps=2, repeats=2, warmup=1, settle=0, busy_cores=1e9)
    assert all(set(r["own_cores"]) == {"kubik"} for r in res["rounds"])
    fake = {"name": "w", "rounds": [{"own_cores": {"torch": 1.5, "kubik": 1.0}}, {"own_cores": {"torch": 1.45}},
                                    {"own_cores": {"torch": 0.9}}]}
    assert harness.over_threads([fake], 1) == ["w: torch used 1.45 cores (median) with 1 thread(s) set"]
    assert harness.over_threads([fake], 2) == []
