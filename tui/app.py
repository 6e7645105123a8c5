"""The nodekeeper console: a Textual App over a ``core.Store``.

Data flow (DESIGN.md): a thread worker reads a snapshot from ``core`` and hands it to the main
thread with ``call_from_thread``; widgets only ever render plain data. Nothing here talks SQL.

For now the App composes its one view itself; when more views come they move to ``tui/screens/``
(one module per screen) and this module keeps the App, the screens registry and the bindings.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header, TabbedContent, TabPane
from textual.worker import Worker, get_current_worker

from core import ContainerInfo, ImageInfo, NodekeeperError, ProfileInfo, Store
from core.text import escape_control

from .widgets.containers_panel import ContainersPanel, container_rows
from .widgets.images_panel import ImagesPanel, image_rows
from .widgets.profiles_panel import ProfilesPanel, profile_rows
from .widgets.resource_panel import ResourcePanel

# Section id -> (tab label, panel class), in tab order; number keys 1.. follow this order.
SECTIONS: dict[str, tuple[str, type[ResourcePanel]]] = {
    "containers": ("Containers", ContainersPanel),
    "profiles": ("Profiles", ProfilesPanel),
    "images": ("Images", ImagesPanel),
}


@dataclass(frozen=True)
class Snapshot:
    """What the console shows, read from the store in one go (off the main thread)."""

    containers: list[ContainerInfo]
    profiles: list[ProfileInfo]
    images: list[ImageInfo]


def load_snapshot(store: Store) -> Snapshot:
    """Read every section on one connection, so the lists agree with each other; each list is
    one bulk read (core never queries per resource)."""
    with store.reading():
        return Snapshot(
            containers=store.containers.list(),
            profiles=store.profiles.list(),
            images=store.images.list(),
        )


def error_text(exc: BaseException) -> str:
    """The message of an error, safe to show: control characters escaped line by line."""
    return "\n".join(escape_control(line) for line in str(exc).splitlines()) or repr(exc)


class NodekeeperApp(App[None]):
    """Browse a node's store: containers, profiles and images."""

    CSS_PATH = "app.tcss"
    TITLE = "nodekeeper"

    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(str(number), f"show_section('{section}')", label, id=f"section.{section}")
            for number, (section, (label, _)) in enumerate(SECTIONS.items(), start=1)
        ),
        Binding("r", "reload", "Refresh", id="reload"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(self, store: Store, *, read_only: bool = False) -> None:
        super().__init__()
        self.store = store
        self.read_only = read_only or store.read_only
        self.hostname = socket.gethostname()
        self.snapshot: Snapshot | None = None
        self.title = f"nodekeeper @ {escape_control(self.hostname)}"
        self.sub_title = escape_control(store.location.display) + (
            " (read-only)" if self.read_only else ""
        )

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="containers", id="sections"):
            for number, (section, (label, panel)) in enumerate(SECTIONS.items(), start=1):
                with TabPane(f"{number} {label}", id=section):
                    yield panel(id=f"{section}-panel")
        yield Footer()

    def on_mount(self) -> None:
        self.panel("containers").table.focus()
        self.load()

    def panel(self, section: str) -> ResourcePanel:
        return self.query_one(f"#{section}-panel", ResourcePanel)

    # -- actions

    def action_show_section(self, section: str) -> None:
        self.query_one("#sections", TabbedContent).active = section
        self.panel(section).table.focus()

    def action_reload(self) -> None:
        self.load()

    # -- loading

    @work(thread=True, exclusive=True, group="load", description="read the store")
    def load(self) -> None:
        """Read a snapshot in a thread; a newer load cancels this one (its result is dropped)."""
        worker = get_current_worker()
        try:
            snapshot = load_snapshot(self.store)
        except NodekeeperError as exc:
            self._hand_over(worker, self._load_failed, error_text(exc))
        except Exception as exc:  # a driver error core did not translate: still no traceback
            # SQLAlchemy wraps the driver's error as ``orig``; its own text adds the SQL.
            detail = getattr(exc, "orig", None) or exc
            message = f"cannot read {self.store.location.display}: {error_text(detail)}"
            self._hand_over(worker, self._load_failed, message)
        else:
            self._hand_over(worker, self._apply, snapshot)

    def _hand_over(
        self, worker: Worker[None], callback: Callable[[Worker[None], Any], None], argument: object
    ) -> None:
        """Run ``callback(worker, argument)`` on the main thread unless the load was cancelled."""
        if worker.is_cancelled:
            return
        with contextlib.suppress(RuntimeError):  # the app stopped while we were reading
            self.call_from_thread(callback, worker, argument)

    def _apply(self, worker: Worker[None], snapshot: Snapshot) -> None:
        if worker.is_cancelled:  # checked again on the main thread, where cancelling happens
            return
        self.snapshot = snapshot
        with self.batch_update():
            self.panel("containers").show_rows(
                container_rows(snapshot.containers, snapshot.profiles)
            )
            self.panel("profiles").show_rows(profile_rows(snapshot.profiles, snapshot.containers))
            self.panel("images").show_rows(image_rows(snapshot.images))

    def _load_failed(self, worker: Worker[None], message: str) -> None:
        if worker.is_cancelled:
            return
        self.notify(message, title="Cannot load", severity="error", markup=False)


def run(store: Store, *, read_only: bool = False) -> None:
    """Run the console on ``store`` until the user quits (the caller closes the store)."""
    NodekeeperApp(store, read_only=read_only).run()
