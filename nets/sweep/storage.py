"""Where a study lives: an Optuna storage opened from a URL.

    (none)                            sqlite:///<sweep folder>/study.db, one machine
    sqlite:///path/study.db           an SQLite file (one machine, several processes)
    journal:path/journal.log          Optuna's journal file storage (a file several processes append to;
                                      on a shared file system, several machines)
    postgresql://user:pw@host/db      any database URL SQLAlchemy opens (PostgreSQL, MySQL, ...): several
    mysql+pymysql://...               machines work on one study (the database's driver must be installed)

A server database gets Optuna's heartbeat (a trial whose process stopped
sending it for ``GRACE_SECONDS`` is marked failed by the next sweep that
starts); an SQLite file waits up to a minute for a lock another process holds.
A URL that cannot be opened is a SweepError naming it (password hidden).
"""
import re
import warnings
from pathlib import Path

from .backend import SweepError, optuna

HEARTBEAT_SECONDS, GRACE_SECONDS = 60, 180
SQLITE_TIMEOUT = 60


def default_url(out):
    """The SQLite file in the sweep folder ``out``."""
    return f"sqlite:///{Path(out).resolve() / 'study.db'}"


def shown(url):
    """``url`` with its password replaced by ***."""
    return re.sub(r"^([a-z0-9+]+://[^:/@]*:)[^@]*@", r"\1***@", url, flags=re.I)


def journal_path(url):
    """The file of a ``journal:PATH`` URL (``journal:///abs/path`` also), or None for another URL."""
    if not url.startswith("journal:"):
        return None
    path = url[len("journal:"):]
    if path.startswith("//"):
        path = path[2:]
    if not path:
        raise SweepError(f"the storage {url!r} names no file: write journal:PATH, e.g. journal:runs/study.log")
    return Path(path).expanduser()


def is_server(url):
    """Whether ``url`` names a database server (heartbeats), not a file."""
    return not (url.startswith("sqlite") or url.startswith("journal:"))


def _reason(e):
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    text = re.sub(r"\s*\(Background on this error at:.*", "", text)
    if isinstance(e, ModuleNotFoundError):
        text += " (install the database's driver, e.g. pip install psycopg2-binary for PostgreSQL)"
    return text


def open_storage(url):
    """The Optuna storage of ``url``; SweepError with the reason when it cannot be opened."""
    opt = optuna()
    try:
        path = journal_path(url)
        if path is not None:
            from optuna.storages.journal import JournalFileBackend
            return opt.storages.JournalStorage(JournalFileBackend(str(path)))
        if is_server(url):
            with warnings.catch_warnings():     # "heartbeat_interval is an experimental feature"
                warnings.simplefilter("ignore", opt.exceptions.ExperimentalWarning)
                return opt.storages.RDBStorage(url, heartbeat_interval=HEARTBEAT_SECONDS, grace_period=GRACE_SECONDS)
        return opt.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": SQLITE_TIMEOUT}})
    except SweepError:
        raise
    except Exception as e:      # SQLAlchemy's, the driver's, the file system's: one line naming the URL
        raise SweepError(f"cannot open the storage {shown(url)}: {_reason(e)}") from None
