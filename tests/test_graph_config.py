"""Graphs from YAML: ``model: {inputs, nodes, outputs}`` with shapes inferred node by
node, ``share:``, ``"node:i"``, a list of losses with ``output:`` / ``weight:``, data
with several inputs mapped by name (an npz with ``inputs:``), ``kubik summary``; and
every mistake as one line at its file:line (exit 2), the unused node as a warning."""
import contextlib
import io
import textwrap

import numpy as np
import pytest
import yaml

from kubik import nets
from kubik.nets.cli import main

BASE = """
seed: 0
data: {name: digits, image: true, test_split: 0.2, seed: 0, scale: max}
model:
  inputs: [x]
  nodes:
    - {name: stem, in: x, layers: [{Conv2d: {out_channels: 4, kernel_size: 3, padding: 1}}, ReLU]}
    - {name: a, in: stem, Conv2d: {out_channels: 4, kernel_size: 1}}
    - {name: b, in: stem, Conv2d: {out_channels: 4, kernel_size: 3, padding: 1}}
    - {name: cat, in: [a, b], Concatenate: {axis: 1}}
    - {name: logits, in: cat, layers: [GlobalAvgPool2d, {Linear: {out_features: 10}}]}
    - {name: aux, in: stem, layers: [GlobalAvgPool2d, {Linear: {out_features: 10}}]}
  outputs: [logits, aux]
loss:
  - {CrossEntropy: {}, output: logits}
  - {CrossEntropy: {}, output: aux, weight: 0.3}
optimizer: {name: SGD, lr: 0.1}
train: {epochs: 1, batch_size: 64, progress: false}
"""


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def write(tmp_path, text, name="g.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def error_line(tmp_path, text):
    code, _, err = run("summary", write(tmp_path, text))
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_the_design_example_builds_trains_and_summarizes(tmp_path):
    cfg = write(tmp_path, BASE)
    code, out, err = run("summary", cfg)
    assert code == 0 and not err, err
    assert "cat <- a, b: Concatenate(axis=1)" in out and "aux <- stem: Sequential" in out
    code, out, err = run("train", cfg, "--out", tmp_path / "run", "--quiet")
    assert code == 0, err
    assert "test split, final weights" in out
    ckpt = nets.checkpoint.read(tmp_path / "run" / "last.npz")
    assert {"stem.0.weight", "a.weight", "b.weight", "logits.1.weight", "aux.1.weight"} <= set(ckpt.model_state())


@pytest.mark.parametrize("change, where, words", [
    (("in: stem, Conv2d: {out_channels: 4, kernel_size: 1}", "in: stm, Conv2d: {out_channels: 4, kernel_size: 1}"),
     ":8: model.nodes[1].in: unknown input 'stm' (did you mean 'stem'?)", "known: x, stem"),
    (("in: [a, b], Concatenate", "in: [a, logits], Concatenate"),
     ":10: model.nodes[3].in: node 'logits' is used before it is defined", "move 'cat' after it"),
    (("{name: b, in: stem, Conv2d", "{name: a, in: stem, Conv2d"),
     ":9: model.nodes[2].name: duplicate name 'a' (node 1 has it)", ""),
    (("outputs: [logits, aux]", "outputs: [logits, auxx]"),
     ":13: model.outputs[1]: output 'auxx' is produced by no node (did you mean 'aux'?)", "nodes: stem, a"),
    (("{name: b, in: stem, Conv2d: {out_channels: 4, kernel_size: 3, padding: 1}}",
      "{name: b, in: stem, Conv2d: {out_channels: 4, kernel_size: 3}}"),
     ":10: model.nodes[3].Concatenate: does not fit its inputs a (4, 8, 8), b (4, 6, 6): ", "input 0 (N, 4, 8, 8)"),
    (("{CrossEntropy: {}, output: aux, weight: 0.3}", "{CrossEntropy: {}, output: aux, weight: -1}"),
     ":16: loss[1].weight: must be >= 0, got -1", ""),
    (("output: aux,", "output: au,"), ":16: loss[1].output: 'au' is not an output of the model", "did you mean"),
    (("inputs: [x]", "inputs: [x, y]"), ":5: model.inputs: the graph takes 2 input(s) (x, y) but the data gives 1",
     "inputs: [x1, x2]"),
    (("{name: aux, in: stem,", "{name: aux, in: stem, share: nope,"),
     ":12: model.nodes[5].layers: a node with share: takes no layer of its own; remove layers", ""),
])
def test_mistakes_are_one_line_at_their_yaml_line(tmp_path, change, where, words):
    line = error_line(tmp_path, BASE.replace(*change))
    assert where in line and words in line, line


def test_share_of_an_unknown_node_and_a_node_without_its_layer(tmp_path):
    text = BASE.replace("{name: aux, in: stem, layers: [GlobalAvgPool2d, {Linear: {out_features: 10}}]}",
                        "{name: aux, in: stem, share: logitz}")
    assert ":12: model.nodes[5].share: share: 'logitz' is not an earlier node (did you mean 'logits'?)" in \
        error_line(tmp_path, text)
    text = BASE.replace("{name: a, in: stem, Conv2d: {out_channels: 4, kernel_size: 1}}", "{name: a, in: stem}")
    assert "model.nodes[1]: a node has name, in and one layer" in error_line(tmp_path, text)


def test_an_unused_node_is_a_warning_at_its_line(tmp_path):
    text = BASE.replace("  outputs: [logits, aux]", "    - {name: extra, in: stem, ReLU: {}}\n  outputs: [logits, aux]")
    code, out, err = run("summary", write(tmp_path, text))
    assert code == 0 and "extra <- stem: ReLU()" in out
    assert err.strip() == (f"{tmp_path / 'g.yaml'}:13: warning: model.nodes[6]: the output of node 'extra' is never "
                           f"used (no later node takes it and it is not among the outputs)")


def test_a_multi_prediction_loss_needs_a_graph(tmp_path):
    text = BASE.replace("loss:\n  - {CrossEntropy: {}, output: logits}\n  - {CrossEntropy: {}, output: aux, weight: 0.3}",
                        "loss: {name: Contrastive}")
    text = text.replace("model:\n  inputs: [x]", "model:\n  inputs: [x]")
    line = error_line(tmp_path, text.replace("outputs: [logits, aux]", "outputs: [logits]").replace(
        "    - {name: aux, in: stem, layers: [GlobalAvgPool2d, {Linear: {out_features: 10}}]}\n", ""))
    assert "loss.name: Contrastive compares 2 predictions (a, b), but the model has one output" in line


def test_npz_inputs_are_mapped_to_graph_inputs_by_name(tmp_path):
    rng = np.random.default_rng(0)
    n = 60
    side, img = rng.standard_normal((n, 3)), rng.standard_normal((n, 1, 4, 4))
    y = (side[:, 0] + img.reshape(n, -1).mean(1) > 0).astype(np.int64)
    np.savez(tmp_path / "multi.npz", side=side, img=img, label=y)
    text = """
    seed: 0
    data: {name: npz, path: PATH, inputs: [side, img], target: label, scale: standard}
    model:
      inputs: [img, side]                # another order than the file's: matched by name
      nodes:
        - {name: f, in: img, layers: [Flatten, {Linear: {out_features: 4}}]}
        - {name: v, in: side, Linear: {out_features: 4}}
        - {name: cat, in: [f, v], Concatenate: {}}
        - {name: logits, in: cat, Linear: {out_features: 2}}
    loss: CrossEntropy
    optimizer: {name: SGD, lr: 0.1}
    train: {epochs: 2, batch_size: 16, progress: false}
    """
    text = text.replace("PATH", str(tmp_path / "multi.npz"))
    cfg = write(tmp_path, text)
    code, out, err = run("summary", cfg)
    assert code == 0, err
    assert out.splitlines()[2].split() == ["img", "(1,", "4,", "4)"] and out.splitlines()[3].split() == ["side", "(3,)"]
    code, out, err = run("train", cfg, "--out", tmp_path / "run", "--quiet")
    assert code == 0, err
    model = __import__("kubik").load(tmp_path / "run", which="last")
    assert model.inputs == ["img", "side"] and model.input_shape == [(1, 4, 4), (3,)]
    np.savez(tmp_path / "new.npz", img=img[:5], side=side[:5])
    code, out, err = run("predict", tmp_path / "run", tmp_path / "new.npz")
    assert code == 0 and len(out.strip().splitlines()) == 6, err
    np.testing.assert_array_equal(model.predict({"side": side[:5], "img": img[:5]}),
                                  model.predict((img[:5], side[:5])))
    bad = text.replace("inputs: [img, side]", "inputs: [img, sid]")
    assert "model.inputs: the graph's inputs ['img', 'sid'] must be the data's inputs ['side', 'img']" in \
        error_line(tmp_path, bad)


def test_the_resolved_config_writes_the_loss_list(tmp_path):
    code, _, err = run("train", write(tmp_path, BASE), "--out", tmp_path / "run", "--quiet")
    assert code == 0, err
    resolved = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert resolved["loss"][1] == {"name": "CrossEntropy", "output": "aux", "weight": 0.3,
                                   **{k: v for k, v in resolved["loss"][1].items()
                                      if k not in ("name", "output", "weight")}}
    assert resolved["model"]["outputs"] == ["logits", "aux"]


def test_train_monitor_records_per_node_and_a_shared_encoder_once(tmp_path):
    text = BASE.replace("train: {epochs: 1, batch_size: 64, progress: false}",
                        "train: {epochs: 1, batch_size: 64, progress: false, monitor: {every_steps: 5}}")
    text = text.replace("{name: aux, in: stem, layers: [GlobalAvgPool2d, {Linear: {out_features: 10}}]}",
                        "{name: aux, in: cat, share: logits}")          # the head used twice in one forward
    code, _, err = run("train", write(tmp_path, text), "--out", tmp_path / "run", "--quiet")
    assert code == 0, err
    rows = (tmp_path / "run" / "diagnostics.csv").read_text().splitlines()
    names = {r.split(",")[1] for r in rows[1:]}
    assert {"stem.0.weight", "stem.1.ReLU", "a.weight", "logits.1.weight"} <= names
    assert not any(n.startswith("aux.") for n in names)                # shared: recorded under its first node
