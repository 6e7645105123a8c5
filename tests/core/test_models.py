"""The tables are Core ``Table`` objects wrapped in ``Model``, which keeps the interface the
declarative classes had; and opening a store at the newest schema loads neither Alembic nor the
ORM (they cost every start of ``nodekeeper`` ~0.45 s and ~18 MB)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import Table, func, insert, select

from core import open_store
from core.models import metadata
from core.models.services import Service, User


def test_a_model_is_its_table_in_statements(store):
    assert isinstance(Service.__table__, Table) and Service.__table__ is metadata.tables["services"]
    assert Service.id is Service.__table__.c.id
    with store.transaction() as conn:
        conn.execute(insert(Service).values(node_id=store.node_id, id="svc"))
        conn.execute(
            insert(User), [{"node_id": store.node_id, "users": '["a"]', "service_id": "svc"}]
        )
    with store.reading() as conn:
        assert conn.scalar(select(func.count()).select_from(User)) == 1
        assert conn.execute(select(Service.id).where(Service.status == 0)).scalars().all() == [
            "svc"
        ]
    with pytest.raises(AttributeError, match="has no column 'nope'"):
        _ = Service.nope


def test_opening_a_current_store_loads_neither_alembic_nor_the_orm(db_path):
    open_store(db_path).close()  # creates it at the newest schema
    code = (
        "import sys\n"
        "from core import open_store\n"
        "import core.cli, tui.app\n"
        "open_store(sys.argv[1]).close()\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in"
        " ('alembic', 'mako', 'pygments')} | {m for m in sys.modules if m == 'sqlalchemy.orm'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(db_path)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_a_partial_index_keeps_its_condition_on_postgresql():
    """The models declare a partial index's condition for SQLite; a PostgreSQL engine gives
    PostgreSQL the same one when it is made (declared in the model, it loaded SQLAlchemy's
    PostgreSQL dialect into every process: see tests/test_import_hygiene.py)."""
    from sqlalchemy.schema import CreateIndex

    from core.db.engine import create_store_engine, parse_location

    location = parse_location("postgresql://nobody@127.0.0.1/unused")  # never connected to
    engine, _, _ = create_store_engine(location, read_only=False, create=False)
    try:
        table = metadata.tables["containers_devices_config"]
        (index,) = [i for i in table.indexes if i.name == "ix_containers_devices_config_network"]
        ddl = str(CreateIndex(index).compile(dialect=engine.dialect))
    finally:
        engine.dispose()
    assert ddl.endswith("WHERE key IN ('network', 'parent')")
