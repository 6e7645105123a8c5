"""What reading log files needs (issue 14): each event's program, pid, host and time of reading;
where reading each file stopped (``log_files``); an index to filter events by action; the IP
reputation's other counts; the hourly rollup's distinct IPs and users, as the daily one has; a
text index of the messages.

Columns are added (``ADD COLUMN``), not tables rebuilt: SQLite keeps the tables' rows, indexes
and triggers as they are, and the new columns are empty (or 0) on the events already stored.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

REPUTATION_COUNTS = (
    "invalid_user_count",
    "auth_failure_count",
    "firewall_block_count",
    "accepted_login_count",
)


def upgrade() -> None:
    op.add_column("log_events", sa.Column("program", sa.String(length=255), nullable=True))
    op.add_column("log_events", sa.Column("pid", sa.Integer(), nullable=True))
    op.add_column("log_events", sa.Column("host", sa.String(length=255), nullable=True))
    op.add_column("log_events", sa.Column("ingested", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_log_events_node_id_action_timestamp", "log_events", ["node_id", "action", "timestamp"]
    )
    for name in REPUTATION_COUNTS:
        op.add_column(
            "ip_reputation",
            sa.Column(name, sa.Integer(), nullable=False, server_default="0"),
        )
    for name in ("unique_ips", "unique_users"):
        op.add_column(
            "hourly_aggregates",
            sa.Column(name, sa.Integer(), nullable=False, server_default="0"),
        )
    op.create_table(
        "log_files",
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("device", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("inode", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("offset", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("first_line_hash", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("lines", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"], ["nodes.id"], name=op.f("fk_log_files_node_id_nodes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("node_id", "path", name=op.f("pk_log_files")),
    )
    _text_index()


# Text search of the events' messages (core.store.logs.text_search). SQLite: an FTS5 index
# outside the table (content=), filled in bulk after the events are stored (store.logs.index_text:
# indexing each row as it is inserted would halve the speed of reading logs); ``log_events_text_mark``
# holds the last event id it has taken in, and a deleted event leaves it only if it was taken in.
SQLITE_TEXT = (
    """CREATE VIRTUAL TABLE log_events_text USING fts5(message, content='log_events',
       content_rowid='id', tokenize='unicode61 remove_diacritics 0')""",
    "CREATE TABLE log_events_text_mark (indexed_to BIGINT NOT NULL)",
    "INSERT INTO log_events_text_mark (indexed_to) VALUES (0)",
    """CREATE TRIGGER nk_log_events_text_delete AFTER DELETE ON log_events
       WHEN old.id <= (SELECT indexed_to FROM log_events_text_mark)
       BEGIN
         INSERT INTO log_events_text (log_events_text, rowid, message)
         VALUES ('delete', old.id, old.message);
       END""",
)
# PostgreSQL: a trigram index, kept by the server as rows come, which answers the same search
# as a regular expression. pg_trgm ships with PostgreSQL; where this role may not create it,
# the search still works, reading every message.
# The extension goes to ``public``, not to the first schema of the search path (a fleet's own
# schema, or a test's, whose DROP SCHEMA ... CASCADE would take it from every other schema);
# where it is already, its operator class is named with that schema.
POSTGRESQL_TEXT = (
    'CREATE INDEX ix_log_events_message_trgm ON log_events USING gin (message "{}".gin_trgm_ops)'
)
TRGM_SCHEMA = """SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                  WHERE e.extname = 'pg_trgm'"""


def _text_index() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_TEXT:
            op.execute(statement)
        return
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    except sa.exc.DBAPIError:
        pass  # not allowed here: unless another role made it, the search reads every message
    schema = bind.exec_driver_sql(TRGM_SCHEMA).scalar()
    if schema is not None:
        op.execute(POSTGRESQL_TEXT.format(schema.replace('"', '""')))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS nk_log_events_text_delete")
        op.execute("DROP TABLE IF EXISTS log_events_text_mark")
        op.execute("DROP TABLE IF EXISTS log_events_text")
    else:
        op.execute("DROP INDEX IF EXISTS ix_log_events_message_trgm")
    op.drop_table("log_files")
    with op.batch_alter_table("hourly_aggregates") as batch:
        for name in ("unique_users", "unique_ips"):
            batch.drop_column(name)
    with op.batch_alter_table("ip_reputation") as batch:
        for name in REPUTATION_COUNTS:
            batch.drop_column(name)
    op.drop_index("ix_log_events_node_id_action_timestamp", table_name="log_events")
    with op.batch_alter_table("log_events") as batch:
        for name in ("ingested", "host", "pid", "program"):
            batch.drop_column(name)
