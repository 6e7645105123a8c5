"""Wall time and peak memory of a nodekeeper command run in a child Python, end to end: what
the command-line benchmarks measure (import-lxc's big config, the demo, list at scale)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

# Run in the child: the work, then its peak RSS. VmHWM belongs to the process image after
# exec; getrusage's ru_maxrss would also count the forked copy of this (pytest) process.
PEAK = "print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')), end='', file=sys.stderr)"
NODEKEEPER = "import sys\nfrom core.cli import main\ncode = main()\n" + PEAK + "\nsys.exit(code)"


def measured_with_output(
    code: str, *argv: str, python: str = sys.executable, cwd: Path | None = None
) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and standard output of ``python -c code argv...``
    (``python`` and ``cwd``: those of another checkout, to measure its code in the same run)."""
    started = time.perf_counter()
    result = subprocess.run(
        [python, "-c", code, *argv], capture_output=True, text=True, timeout=900, cwd=cwd
    )
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    peak_kb = int(result.stderr.splitlines()[-1].split()[1])
    return seconds, peak_kb / 1024, result.stdout


def measured(
    code: str, *argv: str, python: str = sys.executable, cwd: Path | None = None
) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of ``python -c code argv...``."""
    seconds, mib, _ = measured_with_output(code, *argv, python=python, cwd=cwd)
    return seconds, mib
