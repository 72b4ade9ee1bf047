"""What identifies a kubik checkpoint (format name, version, the metadata
entry), the error for one that cannot be used, and how messages name it."""
FORMAT = "kubik-checkpoint"
VERSION = 1
META = "__kubik__"
MODEL = "model/"     # prefix of the parameter and buffer entries


class CheckpointError(Exception):
    """A checkpoint that cannot be used; the message names the file and why."""


class CheckpointWriteError(CheckpointError, OSError):
    """A checkpoint that could not be written (full disk, read-only folder);
    the previous file of that name is unchanged."""


def label(path):
    """"checkpoint '<path>'", the way every message names a checkpoint."""
    return f"checkpoint '{path}'"


def why(e):
    """The first line of an exception's message (at most 160 characters), or its type."""
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text[:160]
