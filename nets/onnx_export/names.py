"""The names of an exported graph's inputs and outputs (no onnx import: the
``kubik export`` command prints them)."""


def io_names(net, count_in, count_out):
    """The graph's input and output names: ``input`` / ``output`` for one; a Graph's own
    names for several (``node:i`` written ``node_i``), else ``input_0``, ``output_0``, ..."""
    def names(own, count, base):
        if count == 1:
            return [base]
        if own is not None and len(own) == count:
            return [n.replace(":", "_") for n in own]
        return [f"{base}_{i}" for i in range(count)]
    return (names(getattr(net, "inputs", None), count_in, "input"),
            names(getattr(net, "outputs", None), count_out, "output"))
