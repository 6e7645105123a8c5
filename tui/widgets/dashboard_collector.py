"""The collector line: whether a collector is feeding the store, from its heartbeat."""

from __future__ import annotations

import os
import socket

from rich.text import Text
from textual.widgets import Static

from core.store.telemetry import CollectorStatus

from .dashboard_format import age, literal, show_text

HOST = socket.gethostname()


def collector_text(
    status: CollectorStatus, now: float, *, console_collects: bool = False,
    other_node: str | None = None,
) -> Text:  # fmt: skip
    """One line that fits 80 columns, what matters first: running (pid, host, interval, last
    heartbeat), this console's collector starting, or none (how to start one, since when).

    ``console_collects``: the console is starting its own collector or runs it. Until that
    one's first heartbeat (an interval after its start) the line says it is starting; and
    as the console will not start another, it never advises to start one then (a second
    collector would be refused: one runs).

    ``other_node``: the node shown, when it is not the one the console was opened on (opened
    from the Fleet): its collector runs on its own host, and the advice says so."""
    ours = status.pid == os.getpid() and status.host == HOST
    if status.running:
        line = Text.assemble(("● ", "bold green"), ("collector running", "green"), end="")
        details = []
        where = Text(f"pid {status.pid}" if status.pid is not None else "", end="")
        if status.host and status.host != HOST:  # this machine's name is in the title
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
    if console_collects and not ours:  # no heartbeat from this console's collector yet
        return Text.assemble(
            ("◌ ", "bold yellow"), ("collector starting…", "yellow"), (" (this console's)", "dim"),
            end="",
        )  # fmt: skip
    line = Text.assemble(("○ ", "bold yellow"), ("no collector running", "yellow"), end="")
    if other_node is not None:
        line.append(": run `nodekeeper collect --node ", "dim")
        line.append(literal(other_node, "dim"))
        line.append("` on its host", "dim")
    elif not console_collects:
        line.append(": run `nodekeeper collect`", "dim")
    if status.last_seen is None:
        line.append(" (none has run yet)", "dim")
    else:
        how = "stopped" if status.state == "stopped" else "lost"  # its heartbeat
        line.append(f" ({how} {age(now - status.last_seen)} ago", "dim")
        if status.host and status.host != HOST:
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

    def show(
        self, status: CollectorStatus, now: float, *, console_collects: bool = False,
        other_node: str | None = None,
    ) -> None:  # fmt: skip
        self.status = status
        self.set_class(status.running, "-running")
        # One line (height 1, cut with an ellipsis) as wide as the view: no layout needed.
        show_text(self, collector_text(
            status, now, console_collects=console_collects, other_node=other_node
        ))  # fmt: skip
