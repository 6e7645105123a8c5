"""A command measured in a child process of its own: wall time, peak RSS and what it printed.

The child runs ``python -c CODE ARGV...``; CODE ends with PEAK, which prints the child's peak
RSS. VmHWM belongs to the process image after exec; getrusage's ru_maxrss would also count the
forked copy of this (pytest) process.
"""

from __future__ import annotations

import subprocess
import sys
import time

PEAK = (
    "print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')), end='', "
    "file=sys.stderr)"
)
NODEKEEPER = "import sys\nfrom core.cli import main\ncode = main()\n" + PEAK + "\nsys.exit(code)"


def measured_with_output(code: str, *argv: str) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and standard output of ``python -c code argv...``."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=600
    )
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    peak_kb = int(result.stderr.splitlines()[-1].split()[1])
    return seconds, peak_kb / 1024, result.stdout


def measured(code: str, *argv: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of ``python -c code argv...``."""
    seconds, mib, _ = measured_with_output(code, *argv)
    return seconds, mib
