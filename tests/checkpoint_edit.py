"""Editing a checkpoint as a user (or an attacker) could: its metadata (the
``__kubik__`` JSON) and arrays rewritten into a new .npz; shared by the tests
of refusals of edited checkpoints."""
import json

import numpy as np

META = "__kubik__"


def edit_checkpoint(src, dst, meta=None, arrays=None):
    """Copy checkpoint ``src`` to ``dst`` with ``meta(dict)`` and ``arrays(dict)``
    applied in place (each may be None)."""
    with np.load(src, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    m = json.loads(str(data[META]))
    if meta is not None:
        meta(m)
    if arrays is not None:
        arrays(data)
    data[META] = np.array(json.dumps(m))
    np.savez(dst, **data)
    return dst
