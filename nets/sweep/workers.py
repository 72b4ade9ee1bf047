"""Running trials: the loop of one worker, and J worker processes.

A worker takes trials until the study holds ``trials`` finished (complete or
pruned) or running ones. Taking one (counting, then ``study.ask``) happens
under a lock file in the sweep folder, so the workers of one machine never
overshoot; workers on other machines sharing the storage count each other's
trials too, and two that ask at the same instant may take one trial more.
A failed trial (diverged, a combination that does not build) is not counted:
another is taken in its place; a worker gives up after MAX_FAILED_IN_A_ROW
failures in a row.

Each trial records the process that runs it, and keeps a heartbeat on a server
database (nets.sweep.stale).

``--jobs J`` starts J processes (``python -m kubik.nets.sweep.worker``), each
with its fair share of BLAS threads (cores // J); Ctrl-C reaches them through
the sweep, which waits for them to save and mark their trials.
"""
import contextlib
import os
import signal
import subprocess
import sys
import warnings
from collections import Counter

from .backend import optuna
from .stale import heartbeat, process_token
from .trial import run_trial

MAX_FAILED_IN_A_ROW = 5
CLAIM_LOCK = ".claim.lock"
STORAGE_ENV = "KUBIK_SWEEP_STORAGE"
_BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def claim(out):
    """The sweep folder's lock for counting and taking a trial (no lock where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(out / CLAIM_LOCK, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def taken(study):
    """Trials that count toward the goal: complete, pruned, running or waiting."""
    S = optuna().trial.TrialState
    return len(study.get_trials(deepcopy=False, states=(S.COMPLETE, S.PRUNED, S.RUNNING, S.WAITING)))


def _tell(study, trial, outcome):
    S = optuna().trial.TrialState
    for key, value in (("epochs", outcome.epochs), ("seconds", round(outcome.seconds, 3)), ("seed", outcome.seed),
                       ("message", outcome.message)):
        trial.set_user_attr(key, value)
    if outcome.state == "complete":
        study.tell(trial, outcome.value)
    else:
        study.tell(trial, state=S.PRUNED if outcome.state == "pruned" else S.FAIL)


def line(number, outcome, settings, values, who=""):
    """The line printed when a trial ends."""
    params = "  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())
    head = f"trial {number}{who}: {outcome.state}"
    if outcome.value is not None:
        head += f"  {settings.metric} {outcome.value:.4g}"
    why = outcome.message.split("; saved ")[0]
    tail = f" ({why})" if outcome.state != "complete" and why else ""
    epochs = f"{outcome.epochs} epoch{'' if outcome.epochs == 1 else 's'}"
    return f"{head}  {params}  [{epochs}, {outcome.seconds:.2f}s]{tail}"


def work(ctx, storage, study, trials, who=""):
    """Take and train trials until the study holds ``trials``; returns a Counter of outcomes
    ('gave_up' 1 after MAX_FAILED_IN_A_ROW failures, 'interrupted' when Ctrl-C stopped it)."""
    S = optuna().trial.TrialState
    dists = {k: space.distribution() for k, space in ctx.settings.params.items()}
    tally, in_a_row = Counter(), 0
    while ctx.parent is None or os.getppid() == ctx.parent:
        with claim(ctx.settings.out):
            if taken(study) >= trials:
                break
            with warnings.catch_warnings():    # we keep the heartbeat ourselves (stale.heartbeat)
                warnings.filterwarnings("ignore", "Heartbeat of storage is supposed to be used with Study.optimize")
                trial = study.ask(dists)
            trial.set_user_attr("process", process_token())
        try:
            with heartbeat(storage, trial):
                outcome = run_trial(ctx, trial)
        except BaseException:             # Ctrl-C while building, or a bug: the trial is over
            study.tell(trial, state=S.FAIL)
            raise
        _tell(study, trial, outcome)
        ctx.log(line(trial.number, outcome, ctx.settings, {k: trial.params[k] for k in ctx.settings.params}, who))
        tally[outcome.state] += 1
        if outcome.state == "interrupted":
            break
        in_a_row = in_a_row + 1 if outcome.state == "failed" else 0
        if in_a_row >= MAX_FAILED_IN_A_ROW:
            tally["gave_up"] = 1
            break
    return tally


def blas_env(jobs):
    """The environment of a worker of ``jobs``: BLAS limited to its share of the cores."""
    env = dict(os.environ)
    share = max(1, (os.cpu_count() or 1) // jobs)
    for var in _BLAS_ENV:
        have = env.get(var, "").strip()
        env[var] = str(min(int(have), share) if have.isdigit() and int(have) > 0 else share)
    return env, share


def spawn(out, jobs, trials, storage_url, seeds):
    """Run ``jobs`` worker processes on the sweep folder ``out`` (worker i's sampler seeded with
    ``seeds[i]``) and wait for them; returns their exit codes. Ctrl-C is passed on to them once,
    and then every code is 130 or an error's."""
    env, share = blas_env(jobs)
    env[STORAGE_ENV] = storage_url
    cmd = [sys.executable, "-m", "kubik.nets.sweep.worker", str(out)]
    procs = [subprocess.Popen(cmd + [str(i), str(trials), str(seeds[i]), str(os.getpid()), str(share)], env=env,
                              start_new_session=True) for i in range(jobs)]
    try:
        return [p.wait() for p in procs]
    except KeyboardInterrupt:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)      # they save, mark their trials and stop
        return [p.wait() or 130 for p in procs]
