"""Configs: defaults merged, unknown keys rejected, --set overrides, YAML
line numbers in messages, and what nets.build checks (arguments, shapes,
classes) — in process, fast. The same errors through the real command line
are in test_cli.py."""
import pytest

from kubik import layers
from kubik.nets import build as B
from kubik.nets import config as C
from kubik.nets.config import ConfigError

needs_conv = pytest.mark.skipif("Conv2d" not in layers.LAYERS, reason="Conv2d is not registered yet")

MINI = """\
data: digits
model:
  - Linear: {out_features: 16}
  - ReLU
  - Linear: {out_features: 10}
"""


def load(text=MINI, sets=()):
    return C.load("t.yaml", sets, text=text)[0]


def error_of(text, sets=()):
    """The one-line message of a config that must fail (load + build)."""
    with pytest.raises(ConfigError) as e:
        cfg, source = C.load("t.yaml", sets, text=text)
        try:
            B.build(cfg)
        except ConfigError as inner:
            raise ConfigError(source.format(inner)) from None
    msg = str(e.value)
    assert "\n" not in msg
    return msg


def test_defaults_are_merged():
    cfg = load()
    assert cfg["seed"] == 0 and cfg["loss"] == {"name": "CrossEntropy"}
    assert cfg["optimizer"]["name"] == "SGD" and cfg["schedule"] is None
    assert cfg["train"]["epochs"] == 10 and cfg["train"]["early_stopping"]["patience"] == 0
    assert cfg["data"] == {"name": "digits", "test_split": 0.2, "seed": 0, "scale": "standard", "augment": []}


def test_resolve_fills_signature_defaults():
    cfg = load(MINI + "optimizer: {name: Adam, lr: 0.01}\n")
    B.resolve(cfg)
    assert cfg["optimizer"]["betas"] == [0.9, 0.999] and cfg["optimizer"]["amsgrad"] is False
    assert cfg["loss"]["label_smoothing"] == 0.0 and cfg["data"]["image"] is False


def test_set_overrides_nested_keys_and_layer_arguments():
    cfg = load(sets=["optimizer.lr=0.05", "train.epochs=3", "model[0].Linear.out_features=32",
                     "train.early_stopping.patience=4", "schedule.name=StepLR", "schedule.step_size=2",
                     "model[1]=Tanh", "data.image=true"])
    assert cfg["optimizer"]["lr"] == 0.05 and cfg["train"]["epochs"] == 3
    assert cfg["model"][0] == {"Linear": {"out_features": 32}} and cfg["model"][1] == "Tanh"
    assert cfg["train"]["early_stopping"]["patience"] == 4
    assert cfg["schedule"]["name"] == "StepLR" and cfg["schedule"]["step_size"] == 2
    assert cfg["data"]["image"] is True


def test_set_on_a_bare_layer_entry_adds_an_argument():
    cfg = load(MINI.replace("  - ReLU", "  - Dropout"), sets=["model[1].Dropout.p=0.25"])
    assert cfg["model"][1] == {"Dropout": {"p": 0.25}}


@pytest.mark.parametrize("sets,expected", [
    (["optimizer.lrr=0.1"], "optimizer.lrr: unknown argument 'lrr' (did you mean 'lr'?)"),
    (["train.epoch=3"], "train.epoch: unknown key (did you mean 'epochs'?)"),
    (["trian.epochs=3"], "unknown top-level key 'trian' (did you mean 'train'?)"),
    (["model[7].Linear.out_features=3"], "model has 3 entries, no [7]"),
    (["model[0].Conv2d.out_channels=3"], "model[0] is a 'Linear' entry, not 'Conv2d'"),
    (["seed.x=3"], "seed is not a mapping"),
    (["optimizer.lr"], "expected KEY=VALUE"),
    (["optimizer..lr=1"], "bad --set path"),
    (["train.epochs=ten"], "train.epochs: expected an integer, got 'ten'"),
])
def test_bad_set_paths_and_values(sets, expected):
    msg = error_of(MINI, sets)
    assert expected in msg and "--set" in msg


BROKEN = [
    # (config text, expected fragment, expected line)
    (MINI.replace("out_features: 16", "out_feature: 16"),
     "model[0].Linear.out_feature: unknown argument 'out_feature' (did you mean 'out_features'?)", 3),
    (MINI.replace("ReLU", "Relu"), "model[1]: unknown layer 'Relu' (did you mean 'ReLU'?)", 4),
    (MINI.replace("ReLU", "Lineer"), "model[1]: unknown layer 'Lineer' (did you mean 'Linear'?)", 4),
    (MINI.replace("{out_features: 16}", "{}"), "model[0].Linear: missing argument 'out_features'", 3),
    (MINI.replace("out_features: 16", "out_features: many"), "model[0].Linear: out_features must be a positive int", 3),
    (MINI.replace("{out_features: 16}", "{out_features: 16, bias: 'yes'}"),
     "model[0].Linear.bias: expected true or false, got 'yes'", 3),
    (MINI.replace("{out_features: 16}", "{in_features: 60, out_features: 16}"),
     "model[0].Linear.in_features: in_features is 60, but the input from the data has shape (64,)", 3),
    (MINI.replace("  - ReLU", "  - Reshape: [4, 5]"),
     "model[1].Reshape: does not fit its input (16,) from model[0].Linear (16,)", 4),
    pytest.param(MINI.replace("  - ReLU", "  - Conv2d: {out_channels: 4, kernel_size: 3}"),
                 "model[1].Conv2d: cannot take input of shape (16,) from model[0].Linear (16,)", 4, marks=needs_conv),
    (MINI.replace("out_features: 10", "out_features: 7"), "the last layer gives 7 outputs, but the data has 10 classes", 5),
    (MINI + "loss: CrossEntropyy\n", "loss.name: unknown loss 'CrossEntropyy' (did you mean 'CrossEntropy'?)", 6),
    (MINI + "optimizer: {name: SDG, lr: 0.1}\n", "optimizer.name: unknown optimizer 'SDG' (did you mean 'SGD'?)", 6),
    (MINI + "optimizer: {name: SGD, lr: 0.1, momentun: 0.9}\n", "optimizer.momentun: unknown argument 'momentun' (did you mean 'momentum'?)", 6),
    (MINI + "optimizer: {name: SGD, lr: -1}\n", "optimizer: lr must be a finite number >= 0, got -1", 6),
    (MINI + "schedule: {name: StepLR}\n", "schedule: missing argument 'step_size'", 6),
    (MINI + "schedule: {name: StepLR, step_size: 2, interval: batch}\n", "schedule.interval: must be 'epoch' or 'step'", 6),
    (MINI + "schedule: {name: LinearWarmup, warmup_steps: 2, after: {Cosine: {T_max: 3}}}\n",
     "schedule.after: unknown schedule 'Cosine'", 6),
    (MINI + "train: {epochs: 0}\n", "train.epochs: must be >= 1, got 0", 6),
    (MINI + "train: {batch_size: 32.5}\n", "train.batch_size: expected an integer or full (the whole training part), got 32.5", 6),
    (MINI + "train: {val_split: 1.5}\n", "train.val_split: must be in [0, 1)", 6),
    (MINI + "train: {early_stopping: {monitor: val_acc}}\n",
     "train.early_stopping.monitor: unknown metric 'val_acc' (did you mean 'val_accuracy'?)", 6),
    (MINI + "train: {checkpoint: {every: 3}}\n", "train.checkpoint.every: unknown key (did you mean 'every_steps'?)", 6),
    (MINI + "epochs: 3\n", "epochs: unknown key", 6),
    (MINI.replace("data: digits", "data: {name: digitz}"), "data.name: unknown data set 'digitz' (did you mean 'digits'?)", 1),
    (MINI.replace("data: digits", "data: {name: csv, path: /nonexistent/x.csv}"),
     "data.path: data file not found: '/nonexistent/x.csv'", 1),
    (MINI.replace("data: digits", "data: {name: digits, scale: zscore}"), "data.scale: unknown scaling 'zscore'", 1),
    (MINI.replace("data: digits", "data: {name: digits, imag: true}"),
     "data.imag: unknown argument 'imag' (did you mean 'image'?)", 1),
    (MINI.replace("data: digits\n", ""), "missing required key 'data'", None),
    ("data: digits\nmodel: []\n", "model: the model has no layers", 2),
    ("data: digits\nmodel:\n  - {Linear: {out_features: 10}, ReLU: null}\n", "model[0]: a layer entry is", 3),
    ("data: digits\nmodel:\n  - Linear: {out_features: 10\n", "not valid YAML", None),
    ("- just\n- a list\n", "a config must be a mapping", None),
    (MINI.replace("out_features: 10", "out_features: 7") + "loss: BCE\n",
     "BCE on 10 classes needs 1 output (two classes) or 10 (one-hot)", 5),
    (MINI.replace("  - ReLU", "  - Sequential: [{Linear: 8}, {Lnear: 4}]"),
     "model[1].Sequential[1]: unknown layer 'Lnear' (did you mean 'Linear'?)", 4),
]


@pytest.mark.parametrize("text,expected,line", BROKEN, ids=[f"broken{i}" for i in range(len(BROKEN))])
def test_broken_configs_give_one_line_naming_the_entry(text, expected, line):
    msg = error_of(text)
    assert expected in msg, msg
    if line is not None:
        assert msg.startswith(f"t.yaml:{line}:"), msg


@needs_conv
def test_nested_containers_and_shape_inference():
    text = """\
data: {name: digits, image: true}
model:
  - Conv2d: {out_channels: 4, kernel_size: 3, padding: 1}
  - ReLU
  - Sequential:
    - MaxPool2d: 2
    - Flatten
  - [{Linear: 12}, Tanh]
  - Linear: 10
"""
    cfg = load(text)
    exp = B.build(cfg)
    shapes = [(r.path, r.depth, r.output_shape) for r in exp.rows]
    assert shapes == [("model[0].Conv2d", 0, (4, 8, 8)), ("model[1].ReLU", 0, (4, 8, 8)),
                      ("model[2].Sequential", 0, (64,)), ("model[2].Sequential[0].MaxPool2d", 1, (4, 4, 4)),
                      ("model[2].Sequential[1].Flatten", 1, (64,)), ("model[3].Sequential", 0, (12,)),
                      ("model[3].Sequential[0].Linear", 1, (12,)), ("model[3].Sequential[1].Tanh", 1, (12,)),
                      ("model[4].Linear", 0, (10,))]
    assert exp.net[0].in_channels == 1 and exp.net[3][0].in_features == 64
    assert exp.net.num_parameters() == 4 * 9 + 4 + 64 * 12 + 12 + 12 * 10 + 10
    table = B.summary_table(exp.rows, exp.data.input_shape)
    assert "total parameters: 950" in table and "(1, 8, 8)" in table


@needs_conv
def test_pair_arguments_pass_to_the_layer():
    cfg = load(MINI.replace("data: digits", "data: {name: digits, image: true}").replace(
        "  - Linear: {out_features: 16}", "  - Conv2d: {out_channels: 2, kernel_size: [3, 1], padding: [1, 0]}\n  - Flatten"))
    assert B.build(cfg).net[0].padding == (1, 0)
    assert "padding must be an int >= 0 or a pair" in error_of(
        MINI.replace("data: digits", "data: {name: digits, image: true}").replace(
            "  - Linear: {out_features: 16}", "  - Conv2d: {out_channels: 2, kernel_size: 3, padding: [1, 2, 3]}"))


def test_explicit_matching_input_size_is_accepted():
    cfg = load(MINI.replace("{out_features: 16}", "{in_features: 64, out_features: 16}"))
    assert B.build(cfg).net[0].in_features == 64


def test_config_hash_ignores_epochs_only():
    a, b = load(), load(sets=["train.epochs=99"])
    assert C.config_hash(a) == C.config_hash(b)
    assert C.config_hash(a) != C.config_hash(load(sets=["optimizer.lr=0.5"]))


def test_set_path_parser():
    assert C.parse_set_path("model[1].Linear.out_features") == ("model", 1, "Linear", "out_features")
    assert C.parse_set_path("train.early_stopping.patience") == ("train", "early_stopping", "patience")
    for bad in ("", ".a", "a.", "[0]", "a[x]", "a b"):
        with pytest.raises(ConfigError):
            C.parse_set_path(bad)


def test_exponent_floats_are_numbers():
    cfg = load(MINI + "optimizer: {name: Adam, lr: 1e-3, eps: 1E-8}\n", sets=["optimizer.weight_decay=5e-4"])
    assert cfg["optimizer"]["lr"] == 0.001 and cfg["optimizer"]["eps"] == 1e-8
    assert cfg["optimizer"]["weight_decay"] == 0.0005
    assert C.safe_load("a: 1e3\nb: '1e3'\nc: 12\nd: 1.5e+2") == {"a": 1000.0, "b": "1e3", "c": 12, "d": 150.0}


def test_yaml_is_read_safely():
    with pytest.raises(ConfigError, match="not valid YAML"):
        load("data: !!python/object/apply:os.system ['echo hacked']\nmodel: [ReLU]\n")


@pytest.mark.skipif(not {"Residual", "Concat", "Conv2d"} <= set(layers.LAYERS.names()),
                    reason="Residual / Concat / Conv2d not registered yet")
def test_residual_and_concat_entries():
    text = """\
data: {name: digits, image: true}
model:
  - Conv2d: {out_channels: 4, kernel_size: 3, padding: 1}
  - Residual: [{Conv2d: {out_channels: 4, kernel_size: 3, padding: 1}}, ReLU]
  - Residual:
      layers: [{Conv2d: {out_channels: 6, kernel_size: 3, padding: 1}}]
      projection: {Conv2d: {out_channels: 6, kernel_size: 1}}
  - Concat: [[{MaxPool2d: 2}], [{AvgPool2d: 2}]]
  - Flatten
  - Concat: {layers: [{Linear: 8}, [{Linear: 4}, Tanh]], axis: 1}
  - Linear: 10
"""
    exp = B.build(load(text))
    top = [(r.path, r.output_shape) for r in exp.rows if r.depth == 0]
    assert top == [("model[0].Conv2d", (4, 8, 8)), ("model[1].Residual", (4, 8, 8)), ("model[2].Residual", (6, 8, 8)),
                   ("model[3].Concat", (12, 4, 4)), ("model[4].Flatten", (192,)), ("model[5].Concat", (12,)),
                   ("model[6].Linear", (10,))]
    assert exp.net[2].projection.in_channels == 4 and exp.net[5].children()[0].in_features == 192
    msg = error_of(text.replace("out_channels: 6, kernel_size: 1", "out_channels: 5, kernel_size: 1"))
    assert msg.startswith("t.yaml:5: model[2].Residual: does not fit its input (4, 8, 8) from model[1].Residual")
    assert "(6, 8, 8) differs from the skip path's (5, 8, 8)" in msg
