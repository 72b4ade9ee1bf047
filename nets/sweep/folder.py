"""The sweep folder:

    base.yaml       the config every trial starts from (nets.sweep.base)
    sweep.yaml      the sweep: config file, study, storage (password hidden), metric, direction,
                    parameter spaces, pruner, sampler, seeds, trials asked for
    study.db        the study, unless --storage names another place
    trial-0000/ ... one run folder per trial (nets.sweep.trial)
    best.yaml       the best trial's config (``kubik sweep DIR --report``)

Running the same command again continues the sweep; so does ``kubik sweep
DIR``. A folder that holds another sweep (another config, other spaces,
metric, study or storage) is refused with the first difference; ``--trials``
and ``--jobs`` may change.
"""
from pathlib import Path

import yaml

from ..config import format_path, safe_load
from ..trainer.files import atomic_write_text
from .backend import SweepError
from .base import Base
from .settings import Settings
from .space import parse_space
from .storage import default_url, shown

RECORD, BASE = "sweep.yaml", "base.yaml"
_HEADER = "# a kubik sweep: continue it with  kubik sweep {out}  and see it with  kubik sweep {out} --report\n"


def record_of(settings, config_path, storage_shown):
    """What sweep.yaml holds."""
    return {"config": str(Path(config_path).resolve()), "storage": storage_shown, **settings.describe(),
            "trials": settings.trials, "jobs": settings.jobs}


def _difference(a, b, path=()):
    """The first path where plain data ``a`` and ``b`` differ, with both values, or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            d = _difference(a.get(k), b.get(k), path + (k,))
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return next((d for i, (x, y) in enumerate(zip(a, b)) if (d := _difference(x, y, path + (i,)))), None)
    return None if a == b else (format_path(path) or "the whole", a, b)


def check_folder(out, base, record):
    """Whether ``out`` continues a sweep (False: a new one); SweepError when it holds
    another sweep or is a folder of something else."""
    out = Path(out)
    if (out / RECORD).is_file():
        old_base, old = read(out)[0], read_record(out)
        for what, a, b in (("", {k: v for k, v in old.items() if k not in ("trials", "jobs", "config")},
                            {k: v for k, v in record.items() if k not in ("trials", "jobs", "config")}),
                           ("config's ", safe_load(old_base.text), safe_load(base.text))):
            d = _difference(a, b)
            if d:
                raise SweepError(f"'{out}' holds another sweep: its {what}{d[0]} is {d[1]!r}, not {d[2]!r} "
                                 f"(choose another --out, or run the same sweep again to continue it)")
        return True
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SweepError(f"'{out}' exists and is not a sweep folder (no {RECORD}); choose another --out")
    return False


def write(out, base, record):
    """Create the folder and write base.yaml and sweep.yaml."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / BASE, base.text)
    atomic_write_text(out / RECORD, _HEADER.format(out=out) + yaml.safe_dump(record, sort_keys=False))


def read_record(out):
    path = Path(out) / RECORD
    if not path.is_file():
        raise SweepError(f"'{out}' is not a sweep folder (no {RECORD})")
    try:
        record = safe_load(path.read_text(), str(path))
    except Exception as e:      # a damaged file: say which
        raise SweepError(f"{path}: not a sweep record ({str(e).splitlines()[0] if str(e) else type(e).__name__})") \
            from None
    if not isinstance(record, dict) or "params" not in record:
        raise SweepError(f"{path}: not a sweep record")
    return record


def read(out, storage=None, trials=None, jobs=None):
    """(Base, Settings) of the sweep in folder ``out``; ``storage``, ``trials``, ``jobs``
    replace the recorded ones where given."""
    out = Path(out)
    r = read_record(out)
    base = Base(str(out / BASE), (out / BASE).read_text(), str(Path(r["config"]).parent))
    recorded = r["storage"]
    if storage and shown(storage) != shown(recorded or default_url(out)):
        raise SweepError(f"{out}: its study lives in {recorded or default_url(out)}, not in {shown(storage)} "
                         f"(--storage with a sweep folder only gives a password the folder does not record)")
    url = storage or recorded
    if url and "***" in url:
        raise SweepError(f"{out}: the study lives in {url}, whose password is not recorded: give --storage URL")
    params = {k: parse_space(text) for k, text in r["params"].items()}
    settings = Settings(params, trials or r["trials"], jobs or r["jobs"], r["metric"], r["direction"], r["study"],
                        url, out, r["pruner"], r["sampler"], r["sampler_seed"], r["seeds"])
    return base, settings
