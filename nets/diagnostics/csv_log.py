"""diagnostics.csv: one row per (step, name, metric), appended one monitored
step at a time (one write of whole lines, flushed), and cut back on resume to the
steps the checkpoint has done, so a resumed run never repeats or skips a step."""
import csv
import io
import math
import os

FIELDS = ("step", "name", "metric", "value")


def _value(v):
    return f"{v:.6g}" if math.isfinite(v) else "nan"


def read_diagnostics(path):
    """[(step, name, metric, value)] of a diagnostics.csv, skipping a torn last line."""
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            try:
                row = (int(r["step"]), str(r["name"]), str(r["metric"]), float(r["value"]))
            except (TypeError, ValueError, KeyError):
                continue
            rows.append(row)
    return rows


class DiagnosticsLog:
    """The run's diagnostics.csv."""

    def __init__(self, path):
        self.path = path

    def start(self, step):
        """Create the file with its header, or keep only the rows of steps <= ``step``."""
        keep = []
        if self.path.exists():
            keep = [r for r in read_diagnostics(self.path) if r[0] <= step]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(FIELDS)
        w.writerows((s, n, m, _value(v)) for s, n, m, v in keep)
        self.path.write_text(buf.getvalue())

    def append(self, step, rows):
        """Append ``rows`` [(name, metric, value)] of optimizer step ``step`` (names hold no
        commas or quotes: parameter paths and layer types) in one write."""
        data = "".join(f"{step},{n},{m},{_value(v)}\n" for n, m, v in rows).encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)       # O_APPEND: the whole block lands at the end of the file
        finally:
            os.close(fd)
