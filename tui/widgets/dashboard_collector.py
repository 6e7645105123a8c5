"""The collector line: whether a collector is feeding the store, from its heartbeat."""

from __future__ import annotations

import os
import socket

from rich.text import Text
from textual.widgets import Static

from core.store.telemetry import CollectorStatus

from .dashboard_format import age, literal, show_text

HOST = socket.gethostname()


def collector_text(status: CollectorStatus, now: float) -> Text:
    """One line: running (pid, host, interval, last heartbeat) or not (and since when)."""
    ours = status.pid == os.getpid() and status.host == HOST
    if status.running:
        line = Text.assemble(("● ", "bold green"), ("collector running", "green"), end="")
        details = []
        where = Text(f"pid {status.pid}" if status.pid is not None else "", end="")
        if status.host:
            where.append(" on " if where else "on ")
            where.append(literal(status.host))
        if ours:
            where.append(" (this console's)")
        if where:
            details.append(where)
        if status.interval:
            details.append(Text(f"every {status.interval:g}s"))
        if status.last_seen is not None:
            details.append(Text(f"seen {age(now - status.last_seen)} ago"))
        if details:
            line.append(": ")
            line.append(Text(", ").join(details))
        return line
    # The hint first: at 80 columns it is what must fit; the details after it may be cut.
    line = Text.assemble(("○ ", "bold yellow"), ("no collector running", "yellow"), end="")
    line.append(": start one with `nodekeeper collect`", "dim")
    if status.last_seen is None:
        line.append(" (none has run yet)", "dim")
    else:
        how = "stopped" if status.state == "stopped" else "heartbeat lost"
        line.append(f" ({how} {age(now - status.last_seen)} ago", "dim")
        if status.host:
            line.append(" on ", "dim")
            line.append(literal(status.host, "dim"))
        line.append(")", "dim")
    return line


class CollectorLine(Static):
    """``● collector running: pid 42 on node1, every 2s, seen 1s ago``."""

    DEFAULT_CSS = """
    CollectorLine {
        height: 1;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("collector: …", markup=False, id=id, classes=classes)
        self.status: CollectorStatus | None = None

    def show(self, status: CollectorStatus, now: float) -> None:
        self.status = status
        self.set_class(status.running, "-running")
        # One line (height 1, cut with an ellipsis) as wide as the view: no layout needed.
        show_text(self, collector_text(status, now))
