"""The CLI and the console show the same rows and values of every kind, by construction: both
draw them from the kind's declaration in core/kinds. Checked here for every listed kind on one
store: ``nodekeeper list KIND --format json`` against the console's table."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot

from core import kinds, open_store
from core.cli import main
from core.demo import fill
from core.text import escape_control
from tests.helpers import make_certificate

from .pilot import app_on, drive, section

LISTED = [kind.plural for kind in kinds.LISTED]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store, with what the demo leaves out: certificates, text with control characters
    and markup, a binding with a checksum."""
    path = tmp_path_factory.mktemp("parity") / "nk.db"
    with open_store(path) as store:
        fill(store, containers=12, days=1, seed=3)
        for cn in ("ops-laptop", "metrics-scraper"):
            store.certificates.add(
                make_certificate(cn)[0], type="metrics" if cn[0] == "m" else "client"
            )
        store.profiles.create("odd", description="[b]bold[/b] \x1b[2J and a tab\there")
        store.users.bind(["[i]x[/i]", "ops"], store.services.ids()[0], storage_folder="/srv/\x07",
                         state_checksum=bytes(range(32)))  # fmt: skip
    return path


def cli_rows(capsys: pytest.CaptureFixture[str], db: Path, plural: str) -> list[dict]:
    capsys.readouterr()
    assert main(["list", plural, "--format", "json", "--db", str(db)]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("plural", LISTED)
def test_list_json_and_the_console_table_show_the_same_rows(
    capsys: pytest.CaptureFixture[str], db: Path, plural: str
) -> None:
    kind = kinds.by_name(plural)
    objects = cli_rows(capsys, db, plural)
    assert objects, f"the store has no {plural}: the test would prove nothing"
    with open_store(db, read_only=True) as store:
        listing = kind.read(store)  # what an image's alias is, for the image column

    def shown(column, value):  # JSON writes a date in ISO 8601; the table shows its minute
        if column.format == "date" and value:
            value = datetime.fromisoformat(value)
        return escape_control(column.text(value, listing))

    from_cli = sorted(tuple(shown(c, obj[c.key]) for c in kind.columns) for obj in objects)
    with open_store(db, read_only=True) as store:
        app = app_on(store, plural)

        async def scenario(pilot: Pilot[None]) -> None:
            table = section(app).table
            assert [spec.key for spec in table.specs] == [c.key for c in kind.columns]
            in_console = sorted(
                tuple(cell.plain for cell in table.get_row(key)) for key in table.shown_keys()
            )
            assert in_console == from_cli

        drive(app, scenario)


@pytest.mark.parametrize("plural", LISTED)
def test_list_table_and_the_console_table_show_the_same_cells(
    capsys: pytest.CaptureFixture[str], db: Path, plural: str
) -> None:
    """Column by column (``list KIND --columns KEY``: one cell a line), the CLI's table as
    printed against the console's cells."""
    kind = kinds.by_name(plural)
    from_cli = {}
    for column in kind.columns:
        capsys.readouterr()
        assert main(["list", plural, "--columns", column.key, "--db", str(db)]) == 0
        lines = capsys.readouterr().out.splitlines()[1:]  # below the header
        from_cli[column.key] = sorted(line.strip() for line in lines)
    with open_store(db, read_only=True) as store:
        app = app_on(store, plural)

        async def scenario(pilot: Pilot[None]) -> None:
            table = section(app).table
            keys = table.shown_keys()
            for column in kind.columns:
                in_console = sorted(table.cell_text(key, column.key).strip() for key in keys)
                assert in_console == from_cli[column.key], column.key

        drive(app, scenario)
