"""``kubik sweep DIR --report``: the trials of a sweep's study as a table
(number, state, parameters, metric, epochs, seconds of training), the best
trial, and best.yaml: the base config with the best trial's parameters and
seed applied, ready for ``kubik train``. The sweep prints the same at its end.

    records(study, settings)   one dict per trial (also what ``kubik plot DIR`` draws, with scales)
    table(rows, settings)      the table as lines
    write_best(...)            best.yaml
"""
from pathlib import Path

from ..config import dump
from ..trainer.files import atomic_write_text
from .backend import SweepError, optuna
from .trial import folder_name


def records(study, settings):
    """[{number, state, params, value, epochs, seconds, message}] of every trial, by number."""
    rows = []
    for t in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
        seconds = t.user_attrs.get("seconds")
        if seconds is None and t.duration is not None:
            seconds = t.duration.total_seconds()
        state = {"FAIL": "failed"}.get(t.state.name, t.state.name.lower())
        rows.append({"number": t.number, "state": state, "params": dict(t.params),
                     "value": t.value if t.state.name in ("COMPLETE", "PRUNED") else None,
                     "epochs": t.user_attrs.get("epochs", len(t.intermediate_values)), "seconds": seconds,
                     "message": t.user_attrs.get("message", ""), "seed": t.user_attrs.get("seed")})
    return rows


def scales(settings):
    """{key: (scale, choices)} of the parameters, for plots: log for loguniform, category for choice."""
    return {k: ("category" if sp.kind == "choice" else "log" if sp.kind == "loguniform" else "linear",
                list(sp.args) if sp.kind == "choice" else None) for k, sp in settings.params.items()}


def _cell(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def table(rows, settings):
    """The table of ``rows`` (records) as lines, columns as wide as their widest cell."""
    keys = list(settings.params)
    head = ["trial", "state", *keys, settings.metric, "epochs", "seconds"]
    body = [[str(r["number"]), r["state"], *(_cell(r["params"].get(k)) for k in keys), _cell(r["value"]),
             _cell(r["epochs"]), "-" if r["seconds"] is None else f"{r['seconds']:.2f}"] for r in rows]
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    fmt = lambda row: "  ".join(c.ljust(w) if i == 1 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
    return [fmt(head).rstrip(), *(fmt(row).rstrip() for row in body)]


def best_row(rows, settings):
    """The complete trial with the best value, or None."""
    done = [r for r in rows if r["state"] == "complete" and r["value"] is not None]
    if not done:
        return None
    pick = min if settings.direction == "minimize" else max
    return pick(done, key=lambda r: (r["value"], -r["number"] if pick is max else r["number"]))


def write_best(out, base, settings, row):
    """Write ``out``/best.yaml: the base with ``row``'s parameters and seed; returns its path."""
    sets = [f"seed={row['seed']}"] if row.get("seed") is not None else []
    cfg, _ = base.config({k: row["params"][k] for k in settings.params}, sets=sets)
    cfg["train"]["progress"] = True
    params = ", ".join(f"{k}={_cell(v)}" for k, v in row["params"].items())
    head = (f"# the best trial of the sweep {settings.study!r}: trial {row['number']}, {settings.metric} "
            f"{_cell(row['value'])}\n# its parameters: {params}; seed {row.get('seed')}\n"
            f"# train it with: kubik train {Path(out) / 'best.yaml'}\n")
    path = Path(out) / "best.yaml"
    atomic_write_text(path, head + dump(cfg))
    return path


def report(study, base, settings, log=print):
    """Print the table and the best trial, write best.yaml; returns the best row (or None)."""
    rows = records(study, settings)
    states = {}
    for r in rows:
        states[r["state"]] = states.get(r["state"], 0) + 1
    log(f"study {settings.study!r}: {len(rows)} trials ({', '.join(f'{n} {s}' for s, n in states.items()) or 'none'}); "
        f"{settings.direction} {settings.metric}")
    for text in table(rows, settings):
        log(text)
    best = best_row(rows, settings)
    if best is None:
        log("no trial has completed yet")
        return None
    params = "  ".join(f"{k}={_cell(v)}" for k, v in best["params"].items())
    log(f"best: trial {best['number']}, {settings.metric} {_cell(best['value'])}  {params}  "
        f"(run folder {Path(settings.out) / folder_name(best['number'])})")
    log(f"wrote {write_best(settings.out, base, settings, best)}")
    return best


def load_study(settings, storage, shown_url):
    """The study of ``settings`` in ``storage``, to read it; SweepError when it is not there."""
    try:
        return optuna().load_study(study_name=settings.study, storage=storage)
    except KeyError:
        raise SweepError(f"there is no study {settings.study!r} in {shown_url}") from None
