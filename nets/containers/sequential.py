"""Sequential: snap layers together in a chain."""
from ...layers import Layer, register

from .spec import sequential_spec


def _reraise(container, index, child, exc):
    """Re-raise a user error from a child, saying which child failed."""
    text = str(exc)
    who = "" if text.startswith(type(child).__name__) else f" ({type(child).__name__})"
    msg = f"{type(container).__name__}[{index}]{who}: {text}"
    try:
        new = type(exc)(msg)
    except Exception:  # an exception type with an unusual constructor
        raise exc
    raise new from exc


def describe(layer, indent="  "):
    """Multi-line repr of a container: numbered children with parameter shapes."""
    lines = [f"{type(layer).__name__}("]
    for name, child in layer._children:
        shapes = ", ".join(f"{n} {p.shape}" for n, p in child.named_parameters()) if not child.children() else ""
        body = repr(child).replace("\n", "\n" + indent)
        lines.append(f"{indent}({name}): {body}" + (f"   # {shapes}" if shapes else ""))
    lines.append(")")
    return "\n".join(lines)


@register
class Sequential(Layer):
    """Y = f_n(... f_1(f_0(X))); backward runs the children in reverse:
    dX = J_0ᵀ(J_1ᵀ(... J_nᵀ G)). Parameters are named "0.weight", "0.bias", ...

    An error raised inside a child is re-raised naming the child's index and type.

    Several inputs and outputs pass along the chain positionally: ``forward(X1, X2)``
    feeds the first child both, a child that returns a tuple feeds the next one
    its items, and backward does the same in reverse (a chain that ends in a
    layer with several outputs takes one gradient per output).
    """

    def __init__(self, *layers):
        super().__init__()
        self._seq = []
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for layer in layers:
            self.append(layer)

    def append(self, layer):
        """Add ``layer`` at the end; returns self."""
        self.add_child(str(len(self._children)), layer)
        self._seq = self.children()
        if len(self._seq) == 1 and not self.propagate_down:
            layer.set_propagate_down(False)
        return self

    def set_propagate_down(self, flag=True):
        """False: the input needs no gradient, so the first child may skip dX
        (backward then returns None)."""
        self.propagate_down = bool(flag)
        if self._seq:
            self._seq[0].set_propagate_down(flag)
        return self

    def spec(self):
        """This net as a config entry: the list of its children's entries (a
        registered subclass: ``{Name: [...]}``)."""
        return sequential_spec(self, plain=type(self) is Sequential)

    def __getitem__(self, i):
        return self._seq[i]

    def __len__(self):
        return len(self._seq)

    def __iter__(self):
        return iter(self._seq)

    @property
    def num_outputs(self):
        """The last child's number of outputs (1 for an empty chain)."""
        return self._seq[-1].num_outputs if self._seq else 1

    def forward(self, X, *more):
        if more:
            X = (X,) + more
        for i, layer in enumerate(self._seq):
            try:
                X = layer.forward(*X) if type(X) is tuple else layer.forward(X)
            except (ValueError, TypeError, RuntimeError) as e:
                _reraise(self, i, layer, e)
        return X

    def backward(self, G, *more):
        if more:
            G = (G,) + more
        for i in range(len(self._seq) - 1, -1, -1):
            try:
                G = self._seq[i].backward(*G) if type(G) is tuple else self._seq[i].backward(G)
            except (ValueError, TypeError, RuntimeError) as e:
                _reraise(self, i, self._seq[i], e)
        return G

    def output_shape(self, input_shape, *more):
        shapes = [tuple(input_shape)] + [tuple(s) for s in more]
        for i, layer in enumerate(self._seq):
            try:
                shapes = layer.output_shapes(*shapes)
            except (ValueError, TypeError) as e:
                _reraise(self, i, layer, e)
        return shapes[0] if len(shapes) == 1 else tuple(shapes)

    def __repr__(self):
        return describe(self)
