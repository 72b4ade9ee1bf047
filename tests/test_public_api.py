"""Every public name the docs' API reference lists (docs/_ext/kubik_generate.py documents what
``kubik``, ``kubik.layers``, ``kubik.layers.testing``, ``kubik.losses``, ``kubik.optim``,
``kubik.nets`` and ``kubik.nets.distributed`` export) imports from its documented path, and so do the deep paths
the guides tell users to import. The lists below are those of release 0.2.0: a name may be
added, none may go missing when files move (issue 23 moved layers/ and nets/ into rooms)."""
import importlib
import inspect
import pathlib
import subprocess
import sys

import pytest

DOCS_EXT = pathlib.Path(__file__).resolve().parent.parent / "docs" / "_ext"

API = {   # the documented path -> its public classes and functions in 0.2.0
    "kubik": "get_backend get_num_threads load seed set_backend set_num_threads",
    "kubik.layers": "AdaptiveAvgPool2d AvgPool1d AvgPool2d BatchNorm1d BatchNorm2d Conv1d Conv2d Dropout ELU "
                    "Embedding Flatten GELU GRU GlobalAvgPool2d GradcheckError GradcheckResult Identity LSTM "
                    "LastStep Layer LayerNorm LeakyReLU Linear LogSoftmax MaxPool1d MaxPool2d MeanOverTime "
                    "Parameter RNN ReLU Registry Reshape Sigmoid Softmax Softplus SpecError Tanh get_rng "
                    "gradcheck init_weight load_plugins seed",
    "kubik.layers.testing": "LayerCheckError check_layer",
    "kubik.losses": "BCE BCEWithLogits CrossEntropy Loss MSE NLL gradcheck_loss",
    "kubik.optim": "Adagrad Adam AdamW CosineAnnealingLR CosineAnnealingWarmRestarts ExponentialLR "
                   "GradientAccumulator InvLR LinearWarmup MultiStepLR Optimizer PolyLR RMSprop "
                   "ReduceLROnPlateau SGD Schedule StepLR build_schedule clip_grad_norm clip_grad_value "
                   "param_groups_no_decay",
    "kubik.nets": "Callback Concat ConfigError DataLoader Diagnostics DistributedOptimizer Diverged History "
                  "Model Residual Sequential SyncBatchNorm Trainer build_experiment classification_report "
                  "confusion_matrix evaluate fit from_spec load load_config predict summary summary_table",
    "kubik.nets.distributed": "Communicator DataParallel DistributedError DistributedOptimizer GradientReducer "
                              "MPICommunicator SingleProcess SyncBatchNorm allgather_json broadcast_json "
                              "broadcast_optimizer_state broadcast_parameters launcher set_world shard world",
}
DEEP = {   # module paths the guides and tutorials import from, and what they take from there
    "kubik.layers.kernels": "get_backend set_backend",
    "kubik.nets.cli": "main",
    "kubik.nets.datasets": "DATA_DIR load split_indices",
    "kubik.nets.diagnostics": "Diagnostics",
    "kubik.nets.onnx_export": "export export_net",
    "kubik.nets.trainer": "Trainer Callback evaluate predict",
    "kubik.nets.config": "ConfigError load",
    "kubik.nets.checkpoint": "read save restore CheckpointError",
}
OTHER = {   # public values that are not classes or functions
    "kubik": "__version__ layers losses optim nets",
    "kubik.layers": "LAYERS PLUGIN_GROUP INITS register testing",
    "kubik.losses": "LOSSES register",
    "kubik.optim": "OPTIMIZERS SCHEDULES register register_schedule",
    "kubik.nets": "DATASETS distributed",
}
REGISTERED = {   # the names configs use, in 0.2.0
    "LAYERS": "AdaptiveAvgPool2d AvgPool1d AvgPool2d BatchNorm1d BatchNorm2d Concat Conv1d Conv2d Dropout ELU "
              "Embedding Flatten GELU GRU GlobalAvgPool2d Identity LSTM LastStep LayerNorm LeakyReLU Linear "
              "LogSoftmax MaxPool1d MaxPool2d MeanOverTime RNN ReLU Reshape Residual Sequential Sigmoid Softmax "
              "Softplus SyncBatchNorm Tanh",
    "LOSSES": "BCE BCELoss BCEWithLogits BCEWithLogitsLoss CrossEntropy CrossEntropyLoss MSE MSELoss NLL NLLLoss",
    "OPTIMIZERS": "Adagrad Adam AdamW RMSprop SGD",
    "SCHEDULES": "CosineAnnealingLR CosineAnnealingWarmRestarts ExponentialLR InvLR LinearWarmup MultiStepLR "
                 "PolyLR ReduceLROnPlateau StepLR",
    "DATASETS": "adding breast_cancer circles csv digits idx mnist npz parity spirals text xor",
}
CASES = [(path, name) for table in (API, DEEP, OTHER) for path, names in table.items() for name in names.split()]


@pytest.mark.parametrize("path,name", CASES, ids=[f"{p}.{n}" for p, n in CASES])
def test_public_name_imports_from_its_documented_path(path, name):
    module = importlib.import_module(path)
    assert hasattr(module, name), f"{path}.{name} is gone"
    obj = getattr(module, name)
    if inspect.isclass(obj) or inspect.isfunction(obj):
        home = importlib.import_module(obj.__module__)      # where autodoc finds it
        assert getattr(home, obj.__name__, None) is obj or getattr(home, name, None) is obj


@pytest.mark.parametrize("path", sorted(API))
def test_the_api_reference_still_lists_every_release_name(path):
    sys.path.insert(0, str(DOCS_EXT))
    try:
        import kubik_generate
    finally:
        sys.path.remove(str(DOCS_EXT))
    package = "kubik" if path == "kubik" else path[len("kubik."):]
    _, objs = kubik_generate.public_objects(package)
    listed = {name for name, _ in objs}
    assert set(API[path].split()) <= listed, f"missing from the API reference: {set(API[path].split()) - listed}"
    for name, obj in objs:   # and every name listed now imports from the path it is listed under
        assert getattr(importlib.import_module(path), name) is obj


def test_registered_names_are_kept():
    from kubik import layers, losses, nets, optim
    tables = {"LAYERS": layers.LAYERS, "LOSSES": losses.LOSSES, "OPTIMIZERS": optim.OPTIMIZERS,
              "SCHEDULES": optim.SCHEDULES, "DATASETS": nets.DATASETS}
    for table, names in REGISTERED.items():
        missing = set(names.split()) - set(tables[table].names())
        assert not missing, f"{table} lost {sorted(missing)}"


def test_plugin_group_and_module_spellings():
    from kubik import layers
    assert layers.PLUGIN_GROUP == "kubik.plugins"
    assert callable(layers.gradcheck) and layers.gradcheck.__name__ == "gradcheck"
    assert layers.testing.check_layer is importlib.import_module("kubik.layers.testing").check_layer


def test_import_spellings_in_a_fresh_interpreter():
    """``import kubik.layers.testing`` and ``from kubik.layers.testing import check_layer`` first
    thing in a process (no other import has loaded the module before)."""
    code = ("import kubik.layers.testing; from kubik.layers.testing import check_layer; "
            "from kubik.layers import Linear, gradcheck; import kubik; "
            "assert kubik.layers.testing.check_layer is check_layer; kubik.nets.Sequential; kubik.load; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_a_missing_name_would_be_noticed():
    """Negative control: a name that is not exported fails the check above."""
    with pytest.raises(AssertionError):
        test_public_name_imports_from_its_documented_path("kubik.layers", "NoSuchLayer")
