"""A section of one kind of resource (``core.kinds``): a filter line, a sortable table, a detail
pane, and the create / edit / delete / edit-in-$EDITOR paths.

A section reads a snapshot of its resources in a thread worker (``fetch``, one ``store.reading()``
so the lists agree), turns it into the table's rows there too (``KindRows``: the texts of each
row's cells, not a Cell per value; cells are built for the lines drawn), and applies it on the
main thread: the table is diffed by row key, the cursor stays on the same resource, the detail
pane follows the cursor. While it is the section on screen, it refreshes every
``refresh_every`` seconds, the next read scheduled when the last one finished (never two at
once); hidden sections are not read. A timed refresh first asks ``revision()`` (one tiny
query) and reads nothing when what the section shows has not changed; rows that came out the
same keep the very rows on screen, which the table does not draw again.

Everything about the kind comes from its declaration: the snapshot (``Kind.read_columns``, in
the thread), the columns and their cells, the title and empty hint, the delete plan (what the
confirmation says, and the core call). Its look (``tui.looks``) adds what is visual only: the
detail pane's layout and the form. Every write runs in a thread worker and is one core call,
hence one transaction.

A large kind (``Kind.large``: thousands of containers) lists only what its columns show; the
detail pane, the form and the delete plan read the highlighted resource whole (``Kind.get``,
by its row key): the detail pane in a thread worker (with the rows just above and below it, so
that moving the cursor shows them at once; until it is read, the pane names the resource and
says so, never showing another one), kept until the next snapshot; the form and the delete
plan on the key press (one resource: a few milliseconds). A small kind's snapshot holds its
resources whole.

An edit form never overwrites what it did not show: when the store changed since the rows were
read, ``e`` reads them again first (a large kind's resource is read whole with its document, in
one snapshot); and the save checks, in its transaction, that the resource is still the one the
form opened on (its ``document``), else saves nothing and says so.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, ClassVar

from rich.cells import cell_len
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Label, Static
from textual.worker import Worker, get_current_worker

from core import NodekeeperError, NotFound, Store
from core.kinds import Kind
from core.kinds.base import DeletePlan, Listing
from core.store.dashboard import ChangeWatcher

from .. import editor, gc_pause
from ..looks import Look, look_of
from ..looks.base import message_content
from ..widgets.confirm import ConfirmModal
from ..widgets.detail_pane import Detail, DetailPane
from ..widgets.filter_input import FilterInput
from ..widgets.form import FormModal, error_text
from ..widgets.resource_table import Column, ResourceTable
from ..widgets.safe import safe
from .kind_rows import KindRows

WHOLE_KEPT = 64  # a large kind's resources read whole, kept until the next snapshot
WHOLE_AROUND = 1  # rows above and below the cursor read whole with it
FRAME_WAIT = 1.0  # seconds a read waits at most for the frame that shows its rows
FIRST_MARGIN = 50  # a large kind's first rows: a screen of them, and these below it
FIRST_WAIT = 0.15  # seconds the main thread waits at most for them (a few ms at 20,000)


@dataclass(frozen=True)
class Unreadable:
    """What reading a resource whole met instead: it is gone, or the store failed."""

    message: str
    gone: bool = False


def table_columns(kind: Kind[Any]) -> list[Column]:
    """The console's columns of a kind, as it declares them."""
    return [
        Column(c.key, c.header, c.numeric, c.priority, c.width, fixed=c.whole) for c in kind.columns
    ]


class ResourceSection(Widget):
    """The section of one kind of resource; see the module docstring."""

    DEFAULT_CSS = """
    ResourceSection {
        height: 1fr;
        layout: vertical;
    }
    ResourceSection > #bar {
        height: 1;
        padding: 0 1;
    }
    ResourceSection > #bar > Label {
        width: auto;
        color: $text-muted;
    }
    ResourceSection > #bar > Input {
        width: 1fr;
        max-width: 30;
        margin: 0 1;
    }
    ResourceSection > #bar > #status {
        width: 1fr;
        text-align: right;
        color: $text-muted;
    }
    ResourceSection > #main {
        height: 1fr;
    }
    ResourceSection #list {
        height: 1fr;
    }
    ResourceSection ResourceTable {
        height: 1fr;
        scrollbar-size-horizontal: 1;
    }
    ResourceSection.-empty ResourceTable {
        height: auto;
    }
    ResourceSection .empty-hint {
        display: none;
        padding: 1 1 0 1;
        color: $text-muted;
    }
    ResourceSection.-empty .empty-hint {
        display: block;
    }
    ResourceSection DetailPane {
        height: 45%;
    }
    ResourceSection.-wide #main {
        layout: horizontal;
    }
    ResourceSection.-wide #list {
        width: 3fr;
    }
    ResourceSection.-wide DetailPane {
        width: 2fr;
        height: 1fr;
        border-top: none;
        border-left: solid $primary 50%;
    }
    ResourceSection.-wide DetailPane:focus {
        border-left: solid $accent;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_filter", "Clear filter", show=False),
        # The detail pane scrolls from the table (as in k9s or lnav the view moves with Shift).
        Binding("shift+down", "scroll_detail(1)", "Detail down", show=False),
        Binding("shift+up", "scroll_detail(-1)", "Detail up", show=False),
        Binding("shift+pagedown", "page_detail(1)", "Detail page down", show=False),
        Binding("shift+pageup", "page_detail(-1)", "Detail page up", show=False),
    ]

    def __init__(
        self,
        store: Store,
        kind: Kind[Any],
        *,
        look: Look | None = None,
        refresh_every: float | None = 5.0,
        watcher: ChangeWatcher | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.store = store
        self.kind = kind
        self.look = look if look is not None else look_of(kind)
        self.refresh_every = refresh_every
        self.watcher = watcher
        self.data: Listing[Any] | None = None
        self.version: object = None  # revision() when ``data`` was read (None: unknown)
        self.all_rows = KindRows(kind, Listing({}))
        # What the pane shows: (row key, the snapshot it was drawn from; None: not yet read).
        self._detail_of: tuple[str | None, Listing[Any] | None] = (None, None)
        # A large kind: resources of ``data`` read whole, by row key (or the error reading one
        # met); a read of some under way.
        self._wholes: dict[str, object] = {}
        self._reading_wholes = False
        self.filter_text = ""
        self.pending_key: str | None = None
        self._timer: Timer | None = None
        self._loading = False  # a read is under way
        # Another read asked for meanwhile: None, else whether only if the store changed.
        self._again: bool | None = None
        self._edit_after_load: str | None = None  # e pressed on rows older than the store
        self._editing = False  # an $EDITOR session is under way
        self._failed_with: str | None = None  # the last read's error, told; None once one worked
        self.loads = 0  # snapshots applied (tests and the status line use it)
        # A large kind's first rows on screen, the whole read still under way: how many
        # resources there are in all (None: the rows shown are the whole snapshot's).
        self._first_of: int | None = None
        # Kept, not queried: a timer may fire as the app closes, its children gone.
        self._table = ResourceTable(table_columns(kind), id="table")

    # -- layout

    WIDE = 140  # columns from which the detail pane goes beside the table, not under it

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width >= self.WIDE, "-wide")
        self.call_after_refresh(self.update_status)  # fitted to the status line's new width

    def compose(self) -> ComposeResult:
        with Horizontal(id="bar"):
            yield Label("Filter /")
            yield FilterInput(
                placeholder="type to filter", id="filter", compact=True, select_on_focus=False
            )
            yield Static("", id="status")
        with Vertical(id="main"):
            with Vertical(id="list"):
                yield self._table
                yield Static(Content(self.kind.empty_hint), classes="empty-hint")
            yield DetailPane(id="detail")

    @property
    def table(self) -> ResourceTable:
        return self._table

    @property
    def detail_pane(self) -> DetailPane:
        return self.query_one(DetailPane)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#filter", Input)

    @property
    def hint(self) -> Static:
        return self.query_one(".empty-hint", Static)

    @property
    def read_only(self) -> bool:
        return bool(getattr(self.app, "read_only", False)) or self.store.read_only

    # -- what the kind declares, and its look

    def fetch(self) -> Listing[Any]:
        """Read the section's snapshot (runs in a worker thread): what the columns show."""
        return self.kind.read_columns(self.store)

    def rows(
        self,
        data: Listing[Any],
        before: KindRows | None = None,
        sort: tuple[int, bool] | None = None,
    ) -> KindRows:
        """The table's rows of ``data`` (in the worker thread too): rows as they were in
        ``before`` keep their very tuples; sorted by ``sort`` (column index, reverse)."""
        return KindRows(self.kind, data, before, sort)

    def revision(self) -> object:
        """A token that changes whenever what this section shows may have changed (one tiny
        query: in the read's worker, and on ``e``; None: unknown, always read): the store's
        change counter of the kind's domain (``Kind.domain``),
        else any commit to the store (which a collector makes every second)."""
        domain = self.kind.domain
        if domain is not None:
            with contextlib.suppress(NodekeeperError):  # an older schema, opened read-only
                return self.store.revision(domain)
        if self.watcher is None:
            return None
        try:
            return self.watcher.version()
        except Exception:  # noqa: BLE001  (unknown, then: the read that follows says what is wrong)
            self.watcher.reset()
            return None

    def detail(self, data: Listing[Any], key: str) -> Detail:
        """The detail pane of ``key``; ``data`` holds it whole (``whole``)."""
        return self.look.detail(self.kind, data, key)

    def form(self, data: Listing[Any], key: str | None) -> FormModal[str] | None:
        """The create (key None) or edit form; its submit returns the key to select."""
        return self.look.form(self.store, data, key)

    def delete_plan(self, data: Listing[Any], key: str) -> DeletePlan | str:
        """What deleting ``key`` means, or why it cannot be deleted."""
        return self.kind.delete_plan(self.store, data, key)

    def document(self, key: str) -> editor.Document:
        return self.look.document(self.store, self.kind, key, self.label_of(key))

    def label_of(self, key: str) -> str:
        """How the notifications name a row."""
        return self.kind.label_of(self.data, key)

    # -- loading

    def activate(self) -> None:
        """Shown on screen: read now (shown before: only if the store changed meanwhile),
        then keep refreshing while shown."""
        self.load(if_changed=self.data is not None)

    @property
    def is_active(self) -> bool:
        """Whether this is the section on screen."""
        return getattr(self.app, "active_section", None) is self

    def load(self, *, if_changed: bool = False) -> None:
        """Read a snapshot in a thread worker; while one is under way, read once more after it
        (reads never overlap, and none is cancelled half-way). ``if_changed``: only when
        ``revision()`` differs from the one the data on screen was read at."""
        if self._loading:  # a timed refresh asks only if changed, r or a save always
            self._again = if_changed and self._again is not False
            return
        self._loading, self._again = True, None
        first = self._first_size()
        shown = first > 0 and self._show_first(first)
        self._read(if_changed, self.all_rows, self.table.sort_index, after_a_frame=shown)

    def _first_size(self) -> int:
        """How many rows to show at once, before the whole snapshot is read (0: none): a
        large kind's first read, its rows sorted by name and not filtered: a screenful and a
        margin. At 20,000 containers the whole read takes half a second and more; the first
        screen's rows, a few milliseconds, so they are in the section's first frame."""
        sort = self.table.sort_index
        if self.data is not None or not self.kind.large or self.filter_text:
            return 0
        if sort != (0, False):  # by name, A to Z: what the section shows first
            return 0
        return self.app.size.height + FIRST_MARGIN

    def _show_first(self, size: int) -> bool:
        """A large kind's first ``size`` rows by name, read in a thread that the main thread
        waits for (FIRST_WAIT at most: a slow store never holds the screen longer), so that
        they are in the section's first frame (a worker would start after it, and after the
        footer's and the focus's work on showing a section); shown with the number there are
        in all until the whole snapshot replaces them (``_apply``). Whether they are shown."""
        found: list[tuple[Listing[Any], int] | None] = []

        def read() -> None:
            with contextlib.suppress(Exception):  # the whole read that follows says what is wrong
                found.append(self.kind.read_first(self.store, size))

        reader = threading.Thread(target=read, name="first rows", daemon=True)
        reader.start()
        reader.join(FIRST_WAIT)  # too slow: it ends on its own, the whole read shows the rows
        if not found or found[0] is None:
            return False
        data, total = found[0]
        self.data, self._first_of = data, total
        self.all_rows = self.rows(data, None, self.table.sort_index)
        self.show_rows()
        return True

    @work(thread=True, group="load", description="read the store")
    def _read(
        self,
        if_changed: bool,
        before: KindRows,
        sort: tuple[int, bool] | None,
        after_a_frame: bool = False,
    ) -> None:
        worker = get_current_worker()
        paused = False
        if after_a_frame:  # the first rows' frame drawn before this read takes the GIL too
            self._wait_for_a_frame()
        try:
            # Taken before the read: a commit in between only costs one more read next time.
            version = self.revision()
            if if_changed and version is not None and version == self.version:
                self._hand_over(worker, self._unchanged, None)
                return
            # A large kind's snapshot: its many objects kept out of the collector's passes,
            # and the one pass it makes before freezing them after the rows are on screen.
            paused = self.kind.large
            if paused:
                gc_pause.pause()
            data = self.fetch()
            rows = self.rows(data, before, sort)  # here too: off the main thread
        except Exception as exc:  # noqa: BLE001  (a driver error core did not translate too)
            self._hand_over(worker, self._load_failed, self._read_error(exc))
        else:
            if self._hand_over(worker, self._apply, (data, rows, version)) and paused:
                self._wait_for_a_frame()
        finally:
            if paused:
                gc_pause.resume()

    def _hand_over(self, worker: Worker[None], callback: Callable[..., None], arg: object) -> bool:
        """Run ``callback(worker, arg)`` on the main thread; False when the app has stopped."""
        try:
            self.app.call_from_thread(callback, worker, arg)
        except RuntimeError:  # the app stopped while we were reading
            return False
        return True

    def _wait_for_a_frame(self) -> None:
        """In a worker: wait until the screen has been drawn (at most FRAME_WAIT seconds)."""
        drawn = threading.Event()
        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(self.call_after_refresh, drawn.set)
        drawn.wait(FRAME_WAIT)

    def _apply(self, worker: Worker[None], read: tuple[Listing[Any], KindRows, object]) -> None:
        try:
            self.data, self.all_rows, self.version = read
            self._failed_with = None
            self._first_of = None
            self._wholes = {}  # read from the store as it was: read again
            self.loads += 1
            self.show_rows()
        finally:
            self._loaded()

    def _unchanged(self, worker: Worker[None], _: None) -> None:
        self._loaded()

    def _load_failed(self, worker: Worker[None], message: str) -> None:
        self.version = None  # read again next time, whatever revision() says
        # Said once while it lasts (a database away fails every refresh until it is back).
        if message != self._failed_with:
            self._failed_with = message
            self.app.notify(message, title="Cannot load", severity="error", markup=False)
        self._loaded()
        if self._first_of is not None:  # a large kind's first rows stay, said to be only those
            self.update_status()

    def _loaded(self) -> None:
        """A read finished: read again if asked meanwhile, else schedule the next refresh (and
        open the edit form asked for before the read)."""
        self._loading = False
        if self._again is not None:
            self.load(if_changed=self._again)
            return
        edit, self._edit_after_load = self._edit_after_load, None
        if edit is not None:
            self._edit(edit)
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.refresh_every:
            self._timer = self.set_timer(self.refresh_every, self._tick)

    def _tick(self) -> None:
        self._timer = None
        if self.is_active:
            self.load(if_changed=True)

    # -- showing

    def show_rows(self) -> None:
        rows = self.all_rows
        shown = partial(rows.matching, self.filter_text) if self.filter_text else None
        table = self.table
        with self.app.batch_update():
            table.show(rows, shown)
            if self.pending_key is not None and table.select(self.pending_key):
                self.pending_key = None
            self.set_class(not table.row_count, "-empty")
            if not rows:
                self.hint.update(Content(self.kind.empty_hint))
            elif not table.row_count:
                self.hint.update(
                    Content.assemble(
                        "No match for ", safe(repr(self.filter_text)), " (Escape clears)."
                    )
                )
            self.update_status()
            self.update_detail()

    def update_status(self) -> None:
        table = self.table
        total, shown = len(self.all_rows), table.row_count
        if self._first_of is not None:  # the first rows of a read still under way
            total = self._first_of
        count = f"{shown}/{total}" if self.filter_text else f"{total}"
        parts = [f"{self.kind.title} {count}", f"sort {table.sort_label}"]
        if self._first_of is not None:  # the whole read under way, or failed (it said why)
            parts.append("reading…" if self._loading else "first rows only: r reads again")
        if self.read_only:
            parts.append("read-only")
        status = self.query_one("#status", Static)
        # Too narrow for every part (80 columns, read-only): the sort goes first (its mark is
        # in the table's header too), whole parts only, never a dangling " ·".
        room = status.content_region.width
        while room and len(parts) > 1 and cell_len(" · ".join(parts)) > room:
            parts.pop(1)
        # Its width is the bar's rest (1fr): new text never changes the layout.
        status.update(Content(" · ".join(parts)), layout=False)

    def update_detail(self) -> None:
        key = self.table.current_key
        shown_key, shown_data = self._detail_of
        if key == shown_key and self.data is shown_data:
            return  # shown already (a filter keystroke that leaves the cursor where it was)
        self._detail_of = (key, self.data)
        pane = self.detail_pane
        if key != shown_key:  # another resource: from its top (a refresh keeps the place)
            pane.scroll_home(animate=False, immediate=True)
        if self.data is None or key is None:
            pane.show(Detail().line("Nothing selected.", "dim"))
            return
        try:
            data = self.whole(key)
            if data is None:  # a large kind's resource not read whole yet: read, shown then
                self._detail_of = (key, None)
                if key != shown_key:  # the same one, from a newer snapshot: stays until then
                    title = self.kind.display(self.data.items[key])
                    pane.show(Detail(title).line("Reading it from the store…", "dim"))
            elif isinstance(data, Unreadable):
                pane.show(Detail().line(data.message, "red"))
            else:
                pane.show(self.detail(data, key))
        except (KeyError, LookupError):  # the row went away between two reads
            pane.show(Detail().line("Nothing selected.", "dim"))
        self._read_wholes_soon()

    # -- a large kind's resources, whole

    def whole(self, key: str) -> Listing[Any] | Unreadable | None:
        """``data`` holding ``key``'s resource whole, for the detail pane: a small kind's
        snapshot as it is; a large kind's with the resource read whole in a worker
        (``_read_wholes_near``), None until it is, or what reading it met instead."""
        data = self.data
        if data is None or not self.kind.large:
            return data
        found = self._wholes.get(key)
        if found is None or isinstance(found, Unreadable):
            return found
        return replace(data, items={**data.items, key: found})

    def _read_wholes_soon(self) -> None:
        """``_read_wholes_near`` once the screen is drawn: a keystroke's frame first, then the
        read (a worker's Python holds the GIL too)."""
        if self.kind.large:
            self.call_after_refresh(self._read_wholes_near)

    def _read_wholes_near(self) -> None:
        """A large kind: read whole, in a worker, the resource under the cursor and those
        around it not read yet (moving the cursor shows them at once). One read at a time: when
        it ends, the next one reads around where the cursor is then."""
        if not self.kind.large or self._reading_wholes or self.data is None:
            return
        keys = [key for key in self.table.keys_near(WHOLE_AROUND) if key not in self._wholes]
        if keys:
            self._reading_wholes = True
            self._read_wholes(self.data, keys)

    @work(thread=True, group="wholes", description="read resources whole")
    def _read_wholes(self, data: Listing[Any], keys: list[str]) -> None:
        worker = get_current_worker()
        found: dict[str, object] = {}
        try:
            with self.store.reading():  # one snapshot
                for key in keys:
                    try:
                        found[key] = self.kind.get(self.store, key)
                    except NotFound:
                        found[key] = Unreadable(f"{self.label_of(key)} is gone from the store.",
                                                gone=True)  # fmt: skip
        except Exception as exc:  # noqa: BLE001  (said in the pane, never a traceback)
            message = self._read_error(exc)
            found = {key: Unreadable(message) for key in keys}
        self._hand_over(worker, self._wholes_read, (data, found))

    def _wholes_read(self, worker: Worker[None], read: tuple[Listing[Any], dict[str, object]]):
        self._reading_wholes = False
        data, found = read
        if data is self.data:  # else read from an older snapshot: read again
            self._wholes.update(found)
            while len(self._wholes) > WHOLE_KEPT:
                del self._wholes[next(iter(self._wholes))]
            if any(isinstance(v, Unreadable) and v.gone for v in found.values()):
                self.load(if_changed=True)  # the rows are older than the store
        self.update_detail()  # shows it if under the cursor, else reads where the cursor is
        self._read_wholes_soon()  # (and if shown already, reads around it)

    def _whole_now(
        self, key: str, document: editor.Document | None = None
    ) -> tuple[Listing[Any], str | None]:
        """``data`` holding ``key``'s resource whole, read now for a key press (one resource, a
        few milliseconds), with ``document``'s export from the same snapshot (None without
        one). A small kind's snapshot holds its resources whole already."""
        assert self.data is not None
        if not self.kind.large:
            return self.data, document.export() if document is not None else None
        with self.store.reading():
            item = self.kind.get(self.store, key)
            opened = document.export() if document is not None else None
        return replace(self.data, items={**self.data.items, key: item}), opened

    def _cannot_read(self, key: str, exc: NodekeeperError) -> None:
        if isinstance(exc, NotFound):
            self.app.notify(f"{self.label_of(key)} is gone from the store.", markup=False)
            self.load()
        else:
            self.app.notify(error_text(exc), title="Cannot read", severity="error", markup=False)

    def _read_error(self, exc: Exception) -> str:
        """What a read that failed says: core's words, or the driver's error it did not
        translate (still no traceback)."""
        if isinstance(exc, NodekeeperError):
            return error_text(exc)
        detail = getattr(exc, "orig", None) or exc
        return f"cannot read {self.store.location.display}: {error_text(detail)}"

    @on(ResourceTable.RowHighlighted)
    def _highlighted(self, event: ResourceTable.RowHighlighted) -> None:
        self.update_detail()

    @on(ResourceTable.SortChanged)
    def _sorted(self, event: ResourceTable.SortChanged) -> None:
        self.update_status()
        self.update_detail()

    # -- filter and sort

    def action_filter(self) -> None:
        # At once, not with focus() (which waits for the next turn of the loop): keys typed
        # right after "/" (a fast typist, a paste) are filter text, never bindings such as d.
        self.screen.set_focus(self.filter_input)

    def on_mount(self) -> None:
        # As wide as the screen, most likely: the class set now, not on the first Resize, when
        # it would restyle and lay out the section again as it is first shown.
        self.set_class(self.app.size.width >= self.WIDE, "-wide")
        # Watched, not through Input.Changed: the rows change with the key's own frame instead
        # of a frame later (Textual draws at most 60 frames a second).
        self.watch(self.filter_input, "value", self._filter_changed, init=False)

    def _filter_changed(self, value: str) -> None:
        self.filter_text = value
        if self.data is not None:
            self.show_rows()

    @on(Input.Changed, "#filter")
    def _filter_message(self, event: Input.Changed) -> None:
        event.stop()  # handled by the watcher above

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            return bool(self.filter_text) or self.filter_input.has_focus
        return True

    def action_clear_filter(self) -> None:
        self.filter_input.value = ""  # the value watcher shows every row again
        self.table.focus()

    def action_scroll_detail(self, lines: int) -> None:
        self.detail_pane.scroll_relative(y=lines, animate=False)

    def action_page_detail(self, direction: int) -> None:
        self.detail_pane.scroll_page(direction)

    def action_sort(self) -> None:
        self.table.cycle_sort()

    def action_sort_reverse(self) -> None:
        self.table.reverse_sort()

    def focus_table(self) -> None:
        self.table.focus()

    def jump(self, key: str) -> None:
        """Put the cursor on ``key`` (clearing a filter that hides it), loading if need be."""
        if self.filter_text and key in self.all_rows and self.table.position(key) is None:
            self.action_clear_filter()
        if not self.table.select(key):
            self.pending_key = key
            self.load()
        self.table.focus()

    # -- writes

    def _ready(self) -> bool:
        ready = self.data is not None and self._first_of is None
        if not ready and self._first_of is not None and not self._loading:
            self.app.notify(
                "Only the first rows could be read: press r to read the store again.",
                severity="warning",
            )
        elif not ready:
            self.app.notify("Still reading the store: try again in a moment.", severity="warning")
        return ready

    def _selected(self) -> str | None:
        if not self._ready():
            return None
        key = self.table.current_key
        if key is None:
            self.app.notify(f"No {self.kind.name} selected.", severity="warning")
        return key

    def action_new(self) -> None:
        if self.read_only or not self._ready():
            return
        modal = self.form(self.data, None)  # type: ignore[arg-type]
        if modal is None:
            self._no_form("add one with `nodekeeper apply FILE`")
        else:
            self.app.push_screen(modal, self._saved)

    def _no_form(self, instead: str) -> None:
        self.app.notify(f"{self.kind.title} have no form: {instead}.", severity="warning")

    def action_edit(self) -> None:
        if self.read_only or (key := self._selected()) is None:
            return
        version = self.revision()
        if version is not None and version == self.version and not self._loading:
            self._edit(key)
            return
        # The store changed since the rows were read: the form is filled from a fresh read.
        self._edit_after_load = key
        self.load()

    def _edit(self, key: str) -> None:
        if self.data is None or key not in self.all_rows:
            self.app.notify(f"{self.label_of(key)} is gone from the store.", markup=False)
            return
        document = self.document(key)
        try:  # the resource as the form shows it and as the save checks it, in one snapshot
            data, opened = self._whole_now(key, document)
        except NodekeeperError as exc:
            self._cannot_read(key, exc)
            return
        modal = self.form(data, key)
        if modal is None:
            self._no_form("edit it with E ($EDITOR)")
        else:
            modal.submit = self._unless_changed(document, opened, modal.submit)  # type: ignore[arg-type]
            self.app.push_screen(modal, self._saved)

    def _unless_changed(
        self, document: editor.Document, opened: str, submit: Callable[[dict[str, Any]], str]
    ):
        """``submit``, run in one transaction with a check that the resource is still as it
        was when the form opened (``opened``: its document then): a change made meanwhile
        (another admin, a script, the collector) is not overwritten without a word, as ``E``
        does not either."""
        store = self.store

        def guarded(values: dict[str, Any]) -> str:
            with store.transaction():
                if document.export() != opened:
                    raise NodekeeperError(
                        f"{document.title} changed in the store since this form opened; "
                        "nothing was saved: cancel (Escape) and edit it again"
                    )
                return submit(values)

        return guarded

    def _saved(self, key: str | None) -> None:
        if key is None:
            return  # cancelled
        self.app.notify(f"Saved {self.label_of(key)}.", markup=False)
        self.pending_key = key
        self.load()

    def action_delete(self) -> None:
        if self.read_only or (key := self._selected()) is None:
            return
        try:
            data, _ = self._whole_now(key)
        except NodekeeperError as exc:
            self._cannot_read(key, exc)
            return
        plan = self.delete_plan(data, key)
        if isinstance(plan, str):
            self.app.notify(plan, title="Cannot delete", severity="error", markup=False)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._delete(plan)

        self.app.push_screen(ConfirmModal(plan.title, message_content(plan.message)), confirmed)

    @work(thread=True, group="write", description="delete through core")
    def _delete(self, plan: DeletePlan) -> None:
        try:
            plan.delete()
        except NodekeeperError as exc:
            self.app.call_from_thread(
                self.app.notify,
                error_text(exc),
                title="Not deleted",
                severity="error",
                markup=False,
            )
        else:
            self.app.call_from_thread(self.app.notify, plan.done, markup=False)
        self.app.call_from_thread(self.load)

    def action_edit_document(self) -> None:
        if self.read_only or self._editing or (key := self._selected()) is None:
            return
        self._editing = True
        self._edit_document(self.document(key))

    @work(thread=True, group="editor", description="edit in $EDITOR")
    def _edit_document(self, document: editor.Document) -> None:
        try:
            outcome = editor.edit(document, self._open_editor)
        except Exception as exc:  # the store failed under us: say so, no traceback
            detail = getattr(exc, "orig", None) or exc
            outcome = editor.Outcome(f"{document.title}: {error_text(detail)}", "error")
        finally:
            self._editing = False
        self.app.call_from_thread(
            self.app.notify, outcome.message, severity=outcome.severity, markup=False
        )
        if outcome.written:
            self.app.call_from_thread(self.load)

    def _open_editor(self, text: str) -> str:
        """Run the editor on the main thread, the app suspended (called from the worker)."""
        return self.app.call_from_thread(self.app.run_editor, text)
