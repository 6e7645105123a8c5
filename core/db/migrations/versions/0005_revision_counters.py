"""Revision counters: ``revisions`` holds a number per domain that every change to the domain's
tables increments, in the same transaction (triggers, so that every writer counts: core, another
process, plain SQL). A reader compares it with the number it read last to know, with one tiny
query, whether it must read the domain again (the console's resource sections, refreshed every
few seconds while a collector commits telemetry every second).

SQLite rebuilds a table for most ALTERs (Alembic's batch mode) and drops its triggers with it:
a later migration that rebuilds one of these tables must create its triggers again
(``create_triggers``); ``test_migrations`` checks that every table has them at the head.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The containers domain (LXD's tables): what the Containers, Profiles and Images sections show.
DOMAINS = {
    "containers": (
        "containers", "containers_config", "containers_devices", "containers_devices_config",
        "containers_profiles", "profiles", "profiles_config", "profiles_devices",
        "profiles_devices_config", "images", "images_aliases", "images_properties",
        "certificates", "config",
    ),
}  # fmt: skip
EVENTS = ("INSERT", "UPDATE", "DELETE")


def trigger_names(domain: str) -> list[str]:
    return [f"nk_revision_{table}" for table in DOMAINS[domain]]


def create_triggers(table: str, domain: str) -> None:
    bump = f"UPDATE revisions SET revision = revision + 1 WHERE domain = '{domain}'"
    if op.get_bind().dialect.name == "postgresql":
        # Once per statement (a bulk insert bumps it once), and TRUNCATE as well.
        op.execute(
            f"CREATE TRIGGER nk_revision_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION nk_bump_revision('{domain}')"
        )
        return
    for event in EVENTS:  # SQLite: row triggers only, one per event
        op.execute(
            f"CREATE TRIGGER nk_revision_{table}_{event.lower()} AFTER {event} ON {table} "
            f"BEGIN {bump}; END"
        )


def upgrade() -> None:
    op.create_table(
        "revisions",
        sa.Column("domain", sa.String(32), primary_key=True),
        sa.Column("revision", sa.BigInteger(), nullable=False, server_default="0"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION nk_bump_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "UPDATE revisions SET revision = revision + 1 WHERE domain = TG_ARGV[0]; "
            "RETURN NULL; END $$"
        )
    for domain, tables in DOMAINS.items():
        op.execute(f"INSERT INTO revisions (domain, revision) VALUES ('{domain}', 0)")
        for table in tables:
            create_triggers(table, domain)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for tables in DOMAINS.values():
        for table in tables:
            if postgresql:
                op.execute(f"DROP TRIGGER IF EXISTS nk_revision_{table} ON {table}")
            else:
                for event in EVENTS:
                    op.execute(f"DROP TRIGGER IF EXISTS nk_revision_{table}_{event.lower()}")
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS nk_bump_revision()")
    op.drop_table("revisions")
