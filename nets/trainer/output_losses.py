"""OutputLosses: the loss of a net with several outputs (a Graph), one or more
losses each on the outputs it names, weighted (GoogLeNet's auxiliary classifier
with weight 0.3, a Siamese net's contrastive loss on its two embeddings):

    loss = nets.OutputLosses([(losses.CrossEntropy(), "logits"),
                              (losses.CrossEntropy(), "aux", 0.3)], outputs=g.outputs)
    L = loss.forward(g.forward(X), y)       # Σ_k w_k L_k(outputs of term k, y)
    g.backward(*loss.backward())            # one gradient per output (None: no term uses it)

A term is ``(loss, output)`` or ``(loss, output, weight)``; ``output`` is an output
name, or a list of names for a loss with several predictions (``Contrastive``:
``["emb1", "emb2"]``). Every term gets the same target (or, from a task, its own:
a tuple with one target per term). An output several terms use gets the sum of
their gradients. The first term is the *main* one: metrics and early stopping
read it (its first output is the net's first output in the configs). The YAML
form is ``loss: [{CrossEntropy: {}, output: logits}, {..., output: aux, weight: 0.3}]``.
"""
import numpy as np


class OutputLosses:
    """A weighted sum of losses on named outputs (see the module docstring)."""

    reduction = "mean"

    def __init__(self, terms, outputs):
        self.outputs = [str(o) for o in outputs]
        self.terms = []
        if not terms:
            raise ValueError("OutputLosses: needs at least one (loss, output[, weight]) term")
        for i, term in enumerate(terms):
            if not isinstance(term, (tuple, list)) or len(term) not in (2, 3):
                raise TypeError(f"OutputLosses: term {i} must be (loss, output) or (loss, output, weight), "
                                f"got {term!r}")
            loss, names, weight = (*term, 1.0)[:3]
            names = [names] if isinstance(names, str) else list(names)
            for n in names:
                if n not in self.outputs:
                    raise ValueError(f"OutputLosses: term {i} ({type(loss).__name__}) names output {n!r}, but the "
                                     f"net's outputs are {self.outputs}")
            want = len(getattr(loss, "predictions", ("pred",)))
            if len(names) != want:
                raise ValueError(f"OutputLosses: {type(loss).__name__} compares {want} prediction(s), but term {i} "
                                 f"names {len(names)} output(s) {names}")
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not np.isfinite(weight) \
                    or weight < 0:
                raise ValueError(f"OutputLosses: the weight of term {i} must be a finite number >= 0, got {weight!r}")
            if getattr(loss, "reduction", "mean") == "none":
                raise ValueError(f"OutputLosses: term {i} ({type(loss).__name__}) has reduction 'none'; training "
                                 f"needs one number: use 'mean' or 'sum'")
            self.terms.append((loss, [self.outputs.index(n) for n in names], float(weight)))

    @property
    def main(self):
        """The first term's loss: what metrics read."""
        return self.terms[0][0]

    def main_outputs(self, outs):
        """The outputs of the first term, from all the net's outputs."""
        outs = outs if isinstance(outs, tuple) else (outs,)
        return tuple(outs[k] for k in self.terms[0][1])

    def forward(self, outs, target):
        """Σ_k w_k L_k of the net's outputs ``outs`` (a tuple in ``outputs`` order) and the
        target (one for every term, or a tuple with one per term); a float."""
        outs = outs if isinstance(outs, tuple) else (outs,)
        if len(outs) != len(self.outputs):
            raise ValueError(f"OutputLosses: expected {len(self.outputs)} outputs ({', '.join(self.outputs)}), "
                             f"got {len(outs)}")
        targets = target if isinstance(target, tuple) else (target,) * len(self.terms)
        total = 0.0
        for (loss, idx, w), t in zip(self.terms, targets):
            total += w * float(loss.forward(*loss.call_arguments([outs[k] for k in idx], t)))
        self._done = True
        return total

    def backward(self):
        """One gradient per output of the net (None for an output no term reads), the terms'
        gradients weighted and summed where several read one output."""
        if not getattr(self, "_done", False):
            raise RuntimeError("OutputLosses: backward called before forward")
        grads, owned = [None] * len(self.outputs), [False] * len(self.outputs)
        for loss, idx, w in self.terms:
            if w == 0.0:
                continue
            g = loss.backward()
            g = g if isinstance(g, tuple) else (g,)
            for k, gk in zip(idx, g):
                gk = gk * w if w != 1.0 else gk
                if grads[k] is None:
                    grads[k], owned[k] = gk, w != 1.0
                elif owned[k]:
                    grads[k] += gk
                else:
                    grads[k], owned[k] = grads[k] + gk, True
        return tuple(grads)

    def spec(self):
        """The YAML list form: ``[{Name: {args}, output: name, weight: w}, ...]``."""
        out = []
        for loss, idx, w in self.terms:
            entry = loss.spec()
            entry = {entry: {}} if isinstance(entry, str) else dict(entry)
            names = [self.outputs[k] for k in idx]
            entry["output"] = names[0] if len(names) == 1 else names
            entry["weight"] = w
            out.append(entry)
        return out

    def __repr__(self):
        parts = ", ".join(f"{w:g}·{loss!r} on {', '.join(self.outputs[k] for k in idx)}"
                          for loss, idx, w in self.terms)
        return f"OutputLosses({parts})"


def for_net(net, loss):
    """``loss`` ready for ``net``'s outputs: an OutputLosses as it is; a plain loss on a
    net with several outputs becomes one term on all of them when it compares that
    many predictions (Contrastive on a Siamese net's two embeddings); ValueError
    otherwise. A net with one output keeps its loss."""
    k = getattr(net, "num_outputs", 1)
    if isinstance(loss, OutputLosses) or k == 1:
        return loss
    names = list(getattr(net, "outputs", [f"output{i}" for i in range(k)]))
    if len(getattr(loss, "predictions", ("pred",))) == k:
        return OutputLosses([(loss, names)], names)
    raise ValueError(f"the net has {k} outputs ({', '.join(names)}) but {type(loss).__name__} takes "
                     f"{len(getattr(loss, 'predictions', ('pred',)))} prediction(s): give nets.OutputLosses "
                     f"[(loss, output, weight), ...] to say which loss reads which output")
