"""Writing a small text file atomically: a temporary file in the same folder,
fsynced, then ``os.replace``d over the target, so a crash leaves the old file
or the new one, never a mix (as checkpoints are written); and removing the
folder of a run that failed before its first step."""
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_file(path, mode="w", **kwargs):
    """``open``-like: a temporary file beside ``path`` (``.<name>.tmp-...``), fsynced and
    renamed over ``path`` when the block ends without an exception; otherwise removed, and
    ``path`` is as it was (kubik predict's -o, kubik export's OUT.onnx)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_text(path, text):
    """Replace ``path`` by ``text`` (UTF-8) atomically; returns the path."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


RUN_FILES = {"config.yaml", "metrics.csv", "diagnostics.csv", ".lock"}


def remove_unstarted(run_dir):
    """Remove the folder of a run that failed before its first step: only when it holds
    nothing but what a starting run writes (no checkpoint, nothing of the user's)."""
    run_dir = Path(run_dir)
    try:
        names = {p.name for p in run_dir.iterdir()}
    except OSError:
        return
    if all(n in RUN_FILES or (n.startswith(".") and ".tmp-" in n) or n.startswith("events.out.tfevents.")
           for n in names):      # (TensorBoard's event files, train.log: [tensorboard])
        shutil.rmtree(run_dir, ignore_errors=True)
