"""Helpers the tutorials share: run ``kubik`` in a scratch folder and show PNGs."""
import atexit
import pathlib
import shutil
import subprocess
import sys
import tempfile

CONFIGS = (pathlib.Path(__file__).resolve().parent.parent.parent / "configs")
WORK = pathlib.Path(tempfile.mkdtemp(prefix="kubik-tutorial-"))
atexit.register(shutil.rmtree, WORK, True)   # when the kernel exits


def cli(*args):
    """Run ``python -m kubik ARGS`` in WORK, print its output, fail on a non-zero exit."""
    r = subprocess.run([sys.executable, "-m", "kubik", *map(str, args)], cwd=WORK,
                       capture_output=True, text=True)
    print((r.stdout + r.stderr).strip())
    if r.returncode:
        raise RuntimeError(f"kubik {' '.join(map(str, args))} exited with {r.returncode}")


def run_dir(prefix):
    """The newest run folder under WORK/runs whose name starts with ``prefix``."""
    return sorted((WORK / "runs").glob(prefix + "*"))[-1]
