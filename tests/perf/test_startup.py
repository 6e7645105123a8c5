"""How fast the command line answers, from spawning the process to its exit (imports count).
Run on demand::

    .venv/bin/pytest -m perf tests/perf/test_startup.py -s -q

- ``nodekeeper --help``: issue 12's target is 150 ms, on a machine where ``python -c pass``
  took 34 ms: asserted as a ratio to ``python -c pass`` measured in the same run (150 / 34),
  the machine's speed varying 2x from run to run; the verdict on 150 ms is printed too.
- ``nodekeeper list containers`` on an empty SQLite store: target <= 1.2 times
  ``python -c "import sqlalchemy"`` measured in the same run (the store needs SQLAlchemy; what
  the command adds to it is what this measures).
- ``python -c "import core"`` is printed too (no target): what a script pays for ``core``
  before it opens a store.

Each command runs RUNS times after a warm-up, the commands alternating so that all of them see
the machine as it is at the time (its speed varies 2x from run to run); the figure is the
median. Every process reads its compiled modules from one ``PYTHONPYCACHEPREFIX`` filled by the
warm-up, as an installed nodekeeper has its ``.pyc`` files (this machine sets
PYTHONDONTWRITEBYTECODE=1, under which an editable checkout would compile ``core`` on every
start).

``NODEKEEPER_BENCH_BEFORE=/path/to/checkout`` (a checkout with its own ``.venv``, such as the
state before a change) measures that checkout's commands in the same run, printed beside these
with the ratio after/before; it is only read (its modules compile into the prefix).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.perf

RUNS = 9
ROOT = Path(__file__).resolve().parents[2]
TARGET_HELP_S = 0.150
TARGET_HELP_RATIO = 0.150 / 0.034  # the target, against the interpreter's start when it was set
TARGET_LIST_RATIO = 1.2


def line(name: str, value: str, note: str = "") -> None:
    print(f"{name:<52} {value:>9}  {note}")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


class Checkout:
    """A checkout's interpreter and ``nodekeeper`` command (those of its ``.venv``; this one's
    are the running interpreter's)."""

    def __init__(self, root: Path, python: Path) -> None:
        self.root = root
        self.python = python
        self.nodekeeper = python.with_name("nodekeeper")

    @classmethod
    def this(cls) -> Checkout:
        return cls(ROOT, Path(sys.executable))

    @classmethod
    def other(cls, root: Path) -> Checkout:
        python = root / ".venv" / "bin" / "python"
        if not python.exists():
            pytest.fail(f"NODEKEEPER_BENCH_BEFORE={root}: no {python} (make its venv first)")
        return cls(root, python)


def run_once(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, f"{argv}: exit {done.returncode}\n{done.stderr}"
    return elapsed


def measure(commands: dict[str, tuple[list[str], Path]], env: dict[str, str]) -> dict[str, float]:
    """The median time of each command, over RUNS rounds after a warm-up; in each round every
    command runs once, in turn."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(RUNS + 1):  # the first compiles the modules into the prefix
        for name, (argv, cwd) in commands.items():
            elapsed = run_once(argv, cwd, env)
            if round_:
                times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty store at the newest schema (made once: ``list`` then opens it without Alembic)."""
    path = tmp_path_factory.mktemp("startup") / "empty.db"
    subprocess.run(
        [str(Checkout.this().nodekeeper), "--db", str(path), "db", "upgrade"],
        check=True, capture_output=True,
    )  # fmt: skip
    return path


def test_the_command_line_starts_fast(empty_store: Path, tmp_path: Path):
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache"), "COLUMNS": "100"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("NODEKEEPER_DB", None)
    checkouts = {"": Checkout.this()}
    if before := os.environ.get("NODEKEEPER_BENCH_BEFORE"):
        checkouts["before: "] = Checkout.other(Path(before).resolve())
    here = Checkout.this()
    commands: dict[str, tuple[list[str], Path]] = {
        "python -c pass": ([str(here.python), "-c", "pass"], tmp_path),
        "python -c 'import sqlalchemy'": ([str(here.python), "-c", "import sqlalchemy"], tmp_path),
    }
    for label, checkout in checkouts.items():
        commands |= {
            f"{label}nodekeeper --help": ([str(checkout.nodekeeper), "--help"], tmp_path),
            f"{label}nodekeeper list containers (empty store)": (
                [str(checkout.nodekeeper), "--db", str(empty_store), "list", "containers"],
                tmp_path,
            ),
            f"{label}python -c 'import core'": (
                [str(checkout.python), "-c", "import core"], checkout.root,
            ),
        }  # fmt: skip
    figures = measure(commands, env)

    bare, sqlalchemy = figures["python -c pass"], figures["python -c 'import sqlalchemy'"]
    print(f"\nstart to exit of each command, median of {RUNS} runs after a warm-up, alternating")
    line("baseline: python -c pass", f"{bare * 1000:.0f} ms")
    line("baseline: python -c 'import sqlalchemy'", f"{sqlalchemy * 1000:.0f} ms",
         f"ratio to python -c pass {sqlalchemy / bare:.2f}")  # fmt: skip
    for label in checkouts:
        help_, listed = (
            figures[f"{label}nodekeeper --help"],
            figures[f"{label}nodekeeper list containers (empty store)"],
        )
        core = figures[f"{label}python -c 'import core'"]
        line(f"{label}nodekeeper --help", f"{help_ * 1000:.0f} ms",
             f"ratio to python -c pass {help_ / bare:.2f}; target <= {TARGET_HELP_RATIO:.1f}")  # fmt: skip
        line(f"{label}nodekeeper list containers (empty store)", f"{listed * 1000:.0f} ms",
             f"ratio to import sqlalchemy {listed / sqlalchemy:.2f}; target <= {TARGET_LIST_RATIO}")  # fmt: skip
        line(f"{label}python -c 'import core'", f"{core * 1000:.0f} ms",
             f"ratio to python -c pass {core / bare:.2f}")  # fmt: skip
    if len(checkouts) > 1:
        for what in ("nodekeeper --help", "nodekeeper list containers (empty store)",
                     "python -c 'import core'"):  # fmt: skip
            line(f"after/before: {what}", f"{figures[what] / figures['before: ' + what]:.2f}")
    help_, listed = (
        figures["nodekeeper --help"],
        figures["nodekeeper list containers (empty store)"],
    )
    print(f"target: --help <= {TARGET_HELP_RATIO:.1f} x python -c pass: "
          f"{verdict(help_ <= TARGET_HELP_RATIO * bare)} (<= {TARGET_HELP_S * 1000:.0f} ms: "
          f"{verdict(help_ <= TARGET_HELP_S)})")  # fmt: skip
    print(f"target: list <= {TARGET_LIST_RATIO} x import sqlalchemy: "
          f"{verdict(listed <= TARGET_LIST_RATIO * sqlalchemy)}")  # fmt: skip
    assert help_ <= TARGET_HELP_RATIO * bare
    assert listed <= TARGET_LIST_RATIO * sqlalchemy
