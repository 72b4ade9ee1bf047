"""An exclusive lock on a run folder for the life of a training process, so that
two ``kubik train --out SAME`` (or a ``--resume`` of a run that is still
training) cannot write one run's files together.

The lock is ``RUN/.lock``, locked with ``fcntl.flock`` (POSIX) and holding the
holder's pid and host. The operating system releases a flock when its process
ends however it ends (exit, exception, SIGKILL), so the file a dead process
left behind is a stale lock, and the next process simply takes it. Where
``fcntl`` is missing (Windows), the pid in the file decides: a lock whose
process is not alive on this host is stale. A lock held by a live process is a
``RunLocked`` error naming the folder and the holder's pid. Locks are
re-entrant within a process (the CLI takes it before it writes config.yaml,
and the trainer again around fit), and released when the last holder lets go.
"""
import json
import os
import socket
from pathlib import Path

try:
    import fcntl
except ImportError:      # Windows: the pid in the file decides
    fcntl = None

LOCK_NAME = ".lock"
_held = {}      # resolved run folder -> [open file, count]: this process's locks


class RunLocked(RuntimeError):
    """The run folder is being trained by another live process."""


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _holder(path):
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
        return int(info.get("pid", 0)), str(info.get("host", ""))
    except (OSError, ValueError, TypeError):
        return 0, ""


def _refuse(run_dir, pid, host):
    where = f"pid {pid}" + (f" on {host}" if host and host != socket.gethostname() else "")
    return RunLocked(f"the run folder '{run_dir}' is being trained by another process ({where}); wait for it "
                     f"to finish (or stop it), or choose another --out")


def acquire(run_dir):
    """Lock ``run_dir`` (created if needed) for this process; RunLocked if a live process holds it."""
    run_dir = Path(run_dir)
    key = str(run_dir.resolve())
    if key in _held:
        _held[key][1] += 1
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / LOCK_NAME
    f = _open_locked(run_dir, path)
    try:
        if fcntl is None:
            pid, host = _holder(path)
            if pid and pid != os.getpid() and host == socket.gethostname() and _alive(pid):
                raise _refuse(run_dir, pid, host)
        f.seek(0)
        f.truncate()
        f.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
        f.flush()
    except BaseException:
        f.close()
        raise
    _held[key] = [f, 1]


def _open_locked(run_dir, path):
    """The lock file, open and flock-ed (POSIX); a file unlinked by its last holder
    between our open and our lock is not the lock any more: open again."""
    for _ in range(100):
        f = open(path, "a+", encoding="utf-8")
        if fcntl is None:
            return f
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            raise _refuse(run_dir, *_holder(path)) from None
        try:
            if os.fstat(f.fileno()).st_ino == os.stat(path).st_ino:
                return f
        except FileNotFoundError:
            pass
        f.close()
    raise RunLocked(f"the run folder '{run_dir}' keeps changing its lock; is another process starting there?")


def release(run_dir):
    """Let go of this process's lock on ``run_dir`` (the last holder removes the file)."""
    key = str(Path(run_dir).resolve())
    held = _held.get(key)
    if held is None:
        return
    held[1] -= 1
    if held[1] > 0:
        return
    del _held[key]
    f = held[0]
    try:
        Path(f.name).unlink(missing_ok=True)      # while still locked: no one else holds this file
    except OSError:
        pass
    f.close()


def holds(run_dir):
    """Whether this process holds the lock on ``run_dir``."""
    return str(Path(run_dir).resolve()) in _held
