"""Where the database is: the argument (CLI --db), $NODEKEEPER_DB, then the default file."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "NODEKEEPER_DB"
SYSTEM_PATH = Path("/var/lib/nodekeeper/nodekeeper.db")


def default_db_path() -> Path:
    """The system file when running as root, else the user's XDG data directory."""
    if os.geteuid() == 0:
        return SYSTEM_PATH
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "nodekeeper" / "nodekeeper.db"


def resolve_location(url: str | os.PathLike[str] | None = None) -> str:
    """The database location as given, or from the environment, or the default path."""
    if url is not None and str(url) != "":
        return os.fspath(url)
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    return str(default_db_path())
