"""Writing a small text file atomically: a temporary file in the same folder,
fsynced, then ``os.replace``d over the target, so a crash leaves the old file
or the new one, never a mix (as checkpoints are written)."""
import os
from pathlib import Path


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
