"""Running the ``kubik`` command as a user does (``python -m kubik`` in a
subprocess) and reading its one-line errors; shared by the CLI tests."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def kubik(*args, cwd=ROOT, timeout=180):
    return subprocess.run([sys.executable, "-m", "kubik", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def one_line_error(proc, code=2):
    """The single stderr line of a failed command (exit ``code``, no traceback)."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]
