"""Trials left running by a process that is gone, and the heartbeat.

Each trial records the process that runs it (user attribute ``process``:
host, pid and start time). When a sweep starts, a running trial of a process
of this host that no longer exists (a sweep killed with SIGKILL) is marked
failed, so it is not counted twice and its number is never reused; its run
folder's trial.yaml says so. On a server database the running trials also keep
Optuna's heartbeat, and Optuna marks failed those of any machine that has been
silent for storage.GRACE_SECONDS.
"""
import contextlib
import os
import socket
import threading
import warnings

import yaml

from ..trainer.files import atomic_write_text
from .backend import optuna
from .trial import folder_name


def _start_time(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[19]
    except (OSError, IndexError):
        return ""


def process_token(pid=None):
    """'host:pid:start' of a process (start: its start time where /proc tells it)."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}"


def _gone(token):
    """Whether the process of ``token`` ran on this host and no longer exists."""
    parts = (token or "").split(":")
    if len(parts) < 3 or ":".join(parts[:-2]) != socket.gethostname():
        return False
    pid, start = int(parts[-2]), parts[-1]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return bool(start) and _start_time(pid) != start


def fail_stale(study, out, log):
    """Mark failed the running trials whose process is gone (this host) or whose heartbeat
    stopped (a server database); returns their numbers."""
    opt = optuna()
    S = opt.trial.TrialState
    before = {t.number for t in study.get_trials(deepcopy=False, states=(S.RUNNING,))}
    with warnings.catch_warnings():          # "fail_stale_trials is an experimental feature"
        warnings.simplefilter("ignore", opt.exceptions.ExperimentalWarning)
        opt.storages.fail_stale_trials(study)
    running = study.get_trials(deepcopy=False, states=(S.RUNNING,))
    stale = before - {t.number for t in running}
    for t in running:
        if _gone(t.user_attrs.get("process")):
            study.tell(t.number, state=S.FAIL)
            stale.add(t.number)
    for number in sorted(stale):
        _mark_record(out, number)
    if stale:
        log(f"marked failed: trial{'s' if len(stale) > 1 else ''} {', '.join(map(str, sorted(stale)))}, left "
            f"running by a sweep that was killed")
    return sorted(stale)


def _mark_record(out, number):
    path = out / folder_name(number) / "trial.yaml"
    if path.is_file():
        record = yaml.safe_load(path.read_text()) or {}
        record.update(state="failed", message="killed: its process ended while it ran")
        atomic_write_text(path, yaml.safe_dump(record, sort_keys=False))


@contextlib.contextmanager
def heartbeat(storage, trial):
    """Optuna's heartbeat for ``trial`` while the block runs, on storages that keep one."""
    interval = getattr(storage, "get_heartbeat_interval", lambda: None)()
    if not interval:
        yield
        return
    stop = threading.Event()

    def beat():
        while not stop.is_set():
            storage.record_heartbeat(trial._trial_id)      # Optuna's own loop does the same
            stop.wait(interval)
    t = threading.Thread(target=beat, daemon=True)
    t.start()
    try:
        yield
    finally:
        stop.set()
        t.join()
