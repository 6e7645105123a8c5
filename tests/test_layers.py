"""The layers of pyproject.toml's import-linter contracts hold, and the CLI reaches the console
through its entry point rather than an import.

CI runs only pytest, so the contracts are checked here: ``lint-imports`` (installed with the
``[test]`` extras, beside this Python) reads them from pyproject.toml; a broken one fails the test
with its name and the imports that break it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core import cli

ROOT = Path(__file__).resolve().parents[1]
LAYERS_CONTRACT = "the layers of core, each importing only those below it"


def lint_imports(root: Path) -> tuple[int, str]:
    """``lint-imports`` run on the packages of ``root`` (found there first, before the installed
    ones); its exit code and its report."""
    command = Path(sys.executable).with_name("lint-imports")
    if not command.exists():
        pytest.fail(f"{command} is missing: install the test extras, pip install -e '.[test]'")
    # Wide enough that no contract's name is wrapped onto two lines of the report.
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "500"}
    done = subprocess.run(
        [str(command), "--no-cache"], cwd=root, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def broken_contracts(report: str) -> list[str]:
    return [
        line.removesuffix(" BROKEN") for line in report.splitlines() if line.endswith(" BROKEN")
    ]


def test_every_import_contract_of_pyproject_holds() -> None:
    code, report = lint_imports(ROOT)
    broken = broken_contracts(report)
    assert code == 0 and not broken, f"broken import contracts: {broken}\n\n{report}"
    assert "0 broken" in report


def test_an_import_up_the_layers_fails_naming_the_contract_and_the_import(tmp_path: Path) -> None:
    for package in ("core", "tui"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    base = tmp_path / "core" / "store" / "base.py"
    base.write_text(
        base.read_text() + "\nfrom ..collect import daemon  # the store using a collector\n"
    )

    code, report = lint_imports(tmp_path)

    assert code != 0
    assert broken_contracts(report) == [LAYERS_CONTRACT]
    assert "core.store.base -> core.collect.daemon" in report


# -- the console is found through the nodekeeper.console entry point


def test_the_console_is_registered_as_an_entry_point_of_nodekeeper() -> None:
    import tui.app

    console = cli._console_entry_point()
    assert console is not None and console.value == "tui.app:run"
    assert console.load() is tui.app.run


def test_without_a_console_installed_the_cli_says_so_and_makes_no_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "CONSOLE_GROUP", "nodekeeper.no-such-console")  # none provides it
    monkeypatch.setattr(cli, "_streams_without_terminal", list)  # pytest's stdin is not a terminal
    db = tmp_path / "new.db"

    assert cli.main(["--db", str(db)]) == cli.EXIT_USAGE

    err = capsys.readouterr().err
    assert err.startswith("error: no console is installed (no nodekeeper.no-such-console entry")
    assert "nodekeeper list containers" in err
    assert not db.exists()
