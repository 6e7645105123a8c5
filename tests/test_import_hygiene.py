"""Start-up stays fast: what ``import core``, ``nodekeeper --help`` and ``nodekeeper list
containers`` load, looked at in a fresh interpreter (as harlequin's tests do), since modules
once imported stay in ``sys.modules`` and this test process has imported them all.

Issue 12 measured ``--help`` at half a second because ``core`` imported SQLAlchemy to build a
parser that needs only the kinds' declarations; an index option imported SQLAlchemy's
PostgreSQL dialect (and asyncpg's asyncio support) into every process; ``list`` imported
psutil. The speed itself is measured by ``tests/perf/test_startup.py``; this keeps the imports
that made it slow from coming back.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core import open_store

ROOT = Path(__file__).resolve().parents[1]
# Needed only by a PostgreSQL store, the console, or the collector.
UNNEEDED = ("sqlalchemy.dialects.postgresql", "psycopg", "asyncio", "psutil")


def modules_after(code: str) -> set[str]:
    """The modules loaded once ``code`` has run in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)), file=sys.stderr)"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.splitlines()[-1]))


def command(*argv: str) -> str:
    """Code that runs ``nodekeeper ARGV`` as the console script does."""
    return (
        "import contextlib, io\nfrom core.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    main({list(argv)!r})"
    )


def loaded(modules: set[str], *packages: str) -> list[str]:
    """Those of ``packages`` that are in ``modules`` (a package counts with its submodules)."""
    return [p for p in packages if any(m == p or m.startswith(f"{p}.") for m in modules)]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hygiene") / "nodekeeper.db"
    with open_store(path) as store:
        store.containers.create("web1")
    return path


def test_import_core_loads_neither_sqlalchemy_nor_what_only_some_commands_need():
    modules = modules_after("import core")
    assert loaded(modules, "sqlalchemy", *UNNEEDED) == []


def test_help_is_built_from_the_kinds_without_sqlalchemy():
    modules = modules_after(command("--help"))
    assert "core.kinds.containers" in modules  # the parser was built from the kinds
    assert loaded(modules, "sqlalchemy", "tomli_w", "importlib.metadata", *UNNEEDED) == []


def test_listing_a_sqlite_store_loads_no_postgresql_psutil_or_alembic(store_path: Path):
    modules = modules_after(command("--db", str(store_path), "list", "containers"))
    assert "core.store.containers" in modules  # the store was read
    # SQLAlchemy 2.1 imports asyncio itself (sqlalchemy.util.compat): only that is allowed.
    allowed = set(loaded(modules_after("import sqlalchemy"), "asyncio"))
    assert set(loaded(modules, *UNNEEDED, "alembic")) == allowed


def test_a_collector_cycle_loads_no_postgresql_alembic_or_cli_declarations(tmp_path: Path):
    """A resident process pays for every module it imports for as long as it runs (issue 12:
    collector RSS <= 40 MiB): a cycle on a SQLite store loads psutil and SQLAlchemy, not
    PostgreSQL's dialect or driver, Alembic, or the kinds' declarations (which only the CLI's
    parser and the console need)."""
    with open_store(tmp_path / "nk.db"):
        pass
    modules = modules_after(
        "from core import open_store\nfrom core.collect.daemon import Collector\n"
        f"store = open_store({str(tmp_path / 'nk.db')!r})\n"
        "with store.kept_connection():\n"
        "    collector = Collector(store, interval=1.0)\n"
        "    collector.system.read()\n"
        "    collector.cycle()\n"
        "assert store.telemetry.system_samples(0)"
    )
    assert "psutil" in modules  # the system was read
    allowed = set(loaded(modules_after("import sqlalchemy"), "asyncio"))  # SQLAlchemy's own
    unneeded = ("sqlalchemy.dialects.postgresql", "psycopg", "asyncio", "alembic", "core.kinds")
    assert set(loaded(modules, *unneeded)) == allowed


def test_the_console_imports_no_section_form_or_editor_before_its_first_frame():
    """The dashboard is shown first: the resource sections, the forms, the help and the
    editor (with the TOML documents) are imported once used, off the way to its first frame."""
    modules = modules_after("import tui.app, tui.screens.dashboard")
    later = ("tui.screens.resource", "tui.widgets.form", "tui.screens.help", "tui.editor",
             "core.documents")  # fmt: skip
    assert loaded(modules, *later) == []
