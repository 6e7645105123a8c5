"""The nodekeeper console: a Textual App over a ``core.Store``.

This module keeps the App, the sections registry (the dashboard, then a section for each kind of
``core.kinds``), the key bindings and the command palette provider; the sections live in
``tui/screens/``, what a kind shows beyond its declaration in ``tui/looks/``, and the shared
components in ``tui/widgets/``.
Data flow (DESIGN.md): sections read snapshots from ``core`` in thread workers and apply them on
the main thread; every write is one core call (one transaction) in a thread worker. Nothing here
talks SQL.

Bindings are the App's, so that they work wherever the focus is (a table, the filter line, a
tab) and ``check_action`` can hide them: the table and edit keys on the dashboard, the edit keys
(n, e, E, d) when the store is read-only (pressed, they then say why). Modal screens (forms,
confirmations, help) cut the chain, so these keys never fire behind a dialog. Keys typed in one
burst are handled one at a time, each where the focus is by then (``keys.KeysInOrder``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, TypeGuard

from textual import constants as textual_constants
from textual import events, work
from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.css.query import NoMatches
from textual.driver import Driver
from textual.widget import Widget
from textual.widgets import Footer, Header, TabbedContent, TabPane

from core import NodekeeperError, Store, kinds
from core.kinds import Kind
from core.store.dashboard import ChangeWatcher
from core.text import escape_control

from .keys import KeysInOrder

# What only the resource sections, the help, the forms and the editor need is imported when
# first used: none of it is on the way to the dashboard's first full frame (~80 ms of imports).
if TYPE_CHECKING:
    from .screens.dashboard import ReadAhead
    from .screens.resource import ResourceSection
RESOURCE_MODULE = f"{__package__}.screens.resource"


@dataclass(frozen=True)
class Section:
    label: str  # on its tab
    make: Callable[[NodekeeperApp], Widget]
    title: str = ""  # in the help and the palette, when it differs from the label
    short: str = ""  # on its tab when the full labels do not fit the terminal (80 columns)

    @property
    def name(self) -> str:
        return self.title or self.label


def _dashboard(app: NodekeeperApp) -> Widget:
    from .screens.dashboard import DashboardView

    return DashboardView(
        app.store, clock=app.clock, interval=app.dashboard_every,
        # The console's collector writes the node it was opened on, not one opened from Fleet.
        console_collects=lambda: app.collects and app.store is app.home_store,
        other_node=None if app.store is app.home_store else app.store.node,
        ahead=app.dashboard_ahead,
    )  # fmt: skip


def _resources(kind: Kind[Any]) -> Callable[[NodekeeperApp], Widget]:
    def make(app: NodekeeperApp) -> Widget:
        from .screens.resource import ResourceSection

        return ResourceSection(app.store, kind, refresh_every=app.refresh_every,
                               watcher=app.watcher)  # fmt: skip

    return make


def _fleet(app: NodekeeperApp) -> Widget:
    from .screens.fleet import FleetView

    return FleetView(app.home_store, current=lambda: app.store.node,
                     interval=app.dashboard_every, clock=app.clock)  # fmt: skip


def _logs(app: NodekeeperApp) -> Widget:
    from .screens.logs import LogsView

    return LogsView(app.store, interval=app.dashboard_every, clock=app.clock)


def _threats(app: NodekeeperApp) -> Widget:
    from .screens.threats import ThreatsView

    return ThreatsView(app.store, interval=app.dashboard_every, clock=app.clock)


def section_key(number: int) -> str:
    """The key of the section ``number`` (from 1): its digit, 0 for the tenth."""
    assert 1 <= number <= 10, number
    return str(number % 10)


def is_resources(widget: object) -> TypeGuard[ResourceSection]:
    """Whether ``widget`` is a resource section (none exists before its module is imported)."""
    module = sys.modules.get(RESOURCE_MODULE)
    return module is not None and isinstance(widget, module.ResourceSection)


def error_text(exc: BaseException) -> str:
    from .widgets.form import error_text

    return error_text(exc)


# The tab labels of kinds' sections in a terminal too narrow for the full ones: with these, the
# ten tabs take 79 columns (see ``SectionTabs.fit_labels``).
SHORT_LABELS = {"containers": "Ctrs", "profiles": "Profs", "services": "Svcs"}
# Section id -> label and factory, in tab order; the number keys 1.. follow this order: the
# dashboard, then a section for each kind listed (core.kinds), in the kinds' order, then the
# fleet's nodes, present only when the database holds more than one node (its number kept when
# it is not), then the node's log events, then its threats (key 0: ``section_key``).
SECTIONS: dict[str, Section] = {
    "dashboard": Section("Dashboard", _dashboard, short="Dash"),
    **{
        kind.plural: Section(
            kind.tab or kind.title, _resources(kind), kind.title, SHORT_LABELS.get(kind.plural, "")
        )
        for kind in kinds.LISTED
    },
    "fleet": Section("Fleet", _fleet),
    "logs": Section("Logs", _logs),  # after the Fleet: the keys 1-8 keep their sections
    "threats": Section("Threats", _threats),  # key 0, after the Logs (9)
}
FLEET = "fleet"
EDIT_BINDINGS = (
    Binding("n", "new", "New"),
    Binding("e", "edit", "Edit"),
    Binding("E", "edit_document", "$EDITOR", key_display="E"),
    Binding("d", "delete", "Delete"),
)
EDIT_ACTIONS = frozenset(binding.action for binding in EDIT_BINDINGS)
FORM_ACTIONS = frozenset({"new", "edit"})
NOTE_LINES = 4  # a notification's message at most: at 80x24 a long error hid the console
LAZY_RETRY = 0.02  # seconds: how soon a key for a section still being mounted is tried again
TABLE_ACTIONS = EDIT_ACTIONS | {"filter", "sort", "sort_reverse"}


def resource_index(store: Store) -> list[tuple[str, str, str]]:
    """(section, row key, label) of every resource, read in one go, for the command palette."""
    with store.reading():
        return [
            (kind.plural, key, label) for kind in kinds.LISTED for key, label in kind.index(store)
        ]


class ResourceProvider(Provider):
    """Jump to any section, or to any resource by name (``ctrl+p``)."""

    async def startup(self) -> None:
        app = self.app
        assert isinstance(app, NodekeeperApp)
        try:
            self.index = await asyncio.to_thread(resource_index, app.store)
        except NodekeeperError as exc:
            app.notify(error_text(exc), title="Cannot list resources", severity="error",
                       markup=False)  # fmt: skip
            self.index = []

    def _jump(self, section: str, key: str | None = None) -> Callable[[], None]:
        app = self.app
        assert isinstance(app, NodekeeperApp)
        return partial(app.jump_to, section, key)

    async def discover(self) -> Hits:
        for number, (section, info) in self._sections():
            yield DiscoveryHit(
                f"{section_key(number)} {info.name}", self._jump(section),
                help="Go to this section",
            )  # fmt: skip

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for number, (section, info) in self._sections():
            label = f"{section_key(number)} {info.name}"
            if score := matcher.match(label):
                yield Hit(score, self._highlight(matcher, label), self._jump(section),
                          text=label, help="Go to this section")  # fmt: skip
        for section, key, label in self.index:
            shown = escape_control(label)  # store text: escaped, and never parsed as markup
            if score := matcher.match(shown):
                yield Hit(score, self._highlight(matcher, shown), self._jump(section, key),
                          text=shown)  # fmt: skip

    def _sections(self) -> list[tuple[int, tuple[str, Section]]]:
        app = self.app
        assert isinstance(app, NodekeeperApp)
        return [
            (number, each)
            for number, each in enumerate(SECTIONS.items(), start=1)
            if each[0] in app.sections
        ]

    @staticmethod
    def _highlight(matcher: Any, text: str) -> Content:
        # Matcher.highlight() parses its argument as markup: do it on plain Content instead.
        content = Content(text)
        _, offsets = matcher.fuzzy_search.match(matcher.query, text)
        for offset in offsets:
            content = content.stylize(matcher.match_style, offset, offset + 1)
        return content


class SectionTabs(TabbedContent):
    """The sections' tabs. Only the app switches sections (keys, clicks, the palette): a
    widget of a hidden section that gets the focus late (the dashboard focusing its first
    panel just as "2" switched away) must not switch back to it, as TabbedContent does for a
    widget focused in a hidden pane. The app focuses the section it shows."""

    DEFAULT_CSS = """
    SectionTabs.-narrow Tab {
        padding: 0 1 0 0;
    }
    """

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        event.stop()
        event.prevent_default()  # TabbedContent's own handler (the switch) is the default

    def on_resize(self, event: events.Resize) -> None:
        self.fit_labels(event.size.width)

    def fit_labels(self, width: int) -> None:
        """The full labels ("1 Dashboard") when every tab fits ``width`` columns with them;
        else the short ones ("1 Dash"), a space between two tabs: at 80 columns every tab
        shows, none scrolled out of the row."""
        numbered = [
            (section, section_key(number), info)
            for number, (section, info) in enumerate(SECTIONS.items(), start=1)
        ]
        shown = self.app.sections  # type: ignore[attr-defined]
        present = [(s, key, info) for s, key, info in numbered if s in shown]
        full = sum(len(f"{key} {info.label}") + 2 for _, key, info in present)
        narrow = full > width
        if narrow == self.has_class("-narrow"):
            return
        self.set_class(narrow, "-narrow")
        for section, key, info in present:
            tab = self.get_tab(section)
            tab.label = f"{key} {(info.short or info.label) if narrow else info.label}"


class NodekeeperApp(KeysInOrder[None]):
    """Browse and edit a node's store: the dashboard, and a section for each kind of resource."""

    CSS_PATH = "app.tcss"
    TITLE = "nodekeeper"
    COMMANDS = App.COMMANDS | {ResourceProvider}

    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(
                section_key(number),
                f"show_section('{section}')",
                info.label,
                show=False,
                id=f"section.{section}",
            )  # fmt: skip
            for number, (section, info) in enumerate(SECTIONS.items(), start=1)
        ),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("s", "sort", "Sort"),
        Binding("S", "sort_reverse", "Reverse", key_display="S", show=False),  # the footer is full
        *EDIT_BINDINGS,
        Binding("a", "all_nodes", "All nodes"),  # a fleet's database: this kind on every node
        Binding("r", "reload", "Refresh"),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        # Read-only, the edit keys are hidden and off (check_action); these then say why.
        *(Binding(binding.key, "say_read_only", show=False) for binding in EDIT_BINDINGS),
    ]

    def __init__(
        self,
        store: Store,
        *,
        read_only: bool = False,
        collect: bool = False,
        section: str = "dashboard",
        refresh_every: float | None = 5.0,
        dashboard_every: float = 2.0,
        clock: Callable[[], float] = time.time,
        dashboard_ahead: ReadAhead | None = None,
    ) -> None:
        """``refresh_every``: seconds between re-reads of the resource section shown (None:
        only on ``r``); ``dashboard_every``: seconds between dashboard rounds, counted from
        the end of the previous one; ``dashboard_ahead``: the dashboard's first snapshot,
        being read already (``read_ahead``)."""
        super().__init__()
        self.dashboard_ahead = dashboard_ahead
        # The store the sections show (``open_node`` makes it another node's) and the one the
        # console was opened on, whose node the background collector writes.
        self.store = store
        self.home_store = store
        self.read_only = read_only or store.read_only
        self.collect = collect
        self.initial = section
        self.refresh_every = refresh_every
        self.dashboard_every = dashboard_every
        # One change watcher (one small connection) for every resource section's timed refresh.
        self.watcher = ChangeWatcher(store)
        self.clock = clock
        self.collector: Any = None
        # The background collector is to be started (on_mount, in a thread) until then.
        self.collector_pending = collect and not self.read_only
        self.pending_section_waits = 0  # see _when_mounted
        self.made_sections: set[str] = set()  # see mount_sections
        self.gc_paused = False  # the cyclic collector, paused by start-up (on_load)
        self.hostname = socket.gethostname()
        self.sections = [s for s in SECTIONS if s != FLEET or self._is_fleet(store)]
        self.title = f"nodekeeper @ {escape_control(store.node)}"
        self.sub_title = escape_control(store.location.display)
        self.read_only_reason = (
            "the console was started with --read-only"
            if read_only
            else f"you cannot write {escape_control(store.location.display)}"
        )

    @staticmethod
    def _is_fleet(store: Store) -> bool:
        """Whether the database holds more than one node (then the Fleet section is there)."""
        try:
            return store.nodes.count() > 1
        except NodekeeperError:  # unreadable now: the sections say so as they read
            return False

    def format_title(self, title: str, sub_title: str) -> Content:
        """The header's line. The read-only mark comes first: a narrow terminal cuts the end
        of the line (the database path), never the mark."""
        line = super().format_title(title, sub_title)
        if self.read_only:
            return Content.assemble(("read-only", "bold $text-warning"), " · ", line)
        return line

    def notify(self, message: str, **kwargs: Any) -> None:
        """Every notification, its message cut to NOTE_LINES lines (``and N more``)."""
        super().notify(at_most_lines(message, NOTE_LINES), **kwargs)

    def get_driver_class(self) -> type[Driver]:
        driver = super().get_driver_class()
        if driver.__name__ == "LinuxDriver" and textual_constants.DRIVER is None:
            from .driver import IdleInputDriver  # termios: not importable everywhere

            return IdleInputDriver
        return driver  # another platform's, or the one $TEXTUAL_DRIVER named at import

    def compose(self) -> ComposeResult:
        yield Header()
        with SectionTabs(initial=self.initial, id="sections"):
            for number, (section, info) in enumerate(SECTIONS.items(), start=1):
                if section not in self.sections:
                    continue
                with TabPane(f"{section_key(number)} {info.label}", id=section):
                    if section == self.initial:
                        yield self._make_section(section)
        yield Footer(compact=True, show_command_palette=False)  # ctrl+p: in the help

    def _make_section(self, section: str) -> Widget:
        self.made_sections.add(section)
        widget = SECTIONS[section].make(self)
        widget.id = f"section-{section}"
        return widget

    def mount_sections(self, *sections: str) -> None:
        """Mount ``sections`` (every one by default) that are not yet. Only the section shown
        first is composed: the hidden ones (their widgets, styles and layout: as many again as
        the dashboard's) mount once it has shown its first data, or at once when asked for
        (a number key, a jump) before that, so that nothing of theirs runs on the main thread
        on the way to the first full frame."""
        for section in sections or tuple(self.sections):
            if section not in self.made_sections and section in self.sections:
                pane = self.query_one("#sections", TabbedContent).get_pane(section)
                pane.mount(self._make_section(section))

    def on_dashboard_view_first_round(self) -> None:
        if self.initial == "dashboard":
            self.call_after_refresh(self._started)  # once its data is drawn

    def on_load(self) -> None:
        # Start-up makes objects that live as long as the console (widgets, styles, compiled
        # CSS): the cyclic collector's passes over them meanwhile, which find nothing to free,
        # were some 120 on the way to the first full frame, 30-100 ms on the loaded 2-core
        # machine. Paused until then (_started).
        self.gc_paused = gc.isenabled()
        gc.disable()

    def on_mount(self) -> None:
        self._start_collector()  # the initial section loads on its TabActivated
        if self.initial != "dashboard":  # the dashboard says when (on_dashboard_view_first_round)
            self.call_after_refresh(self._started)

    def _started(self) -> None:
        """The section shown first has drawn its data: the hidden sections mount, then what
        exists (modules, classes, widgets: some 140,000 objects) is kept out of the garbage
        collector's full passes, each of which paused the console for about 80 ms (a
        keystroke's frame late), and the collector runs again."""
        self.mount_sections()
        self.call_after_refresh(self._resume_gc)

    def _resume_gc(self) -> None:
        gc.freeze()
        if self.gc_paused:
            self.gc_paused = False
            gc.enable()

    def on_unmount(self) -> None:
        if self.gc_paused:  # quit before the first full frame
            self.gc_paused = False
            gc.enable()
        self.watcher.close()
        if self.collector is not None:
            self.collector.stop()  # finishes the reading under way and flushes

    @work(thread=True, group="collector", description="start the collector")
    def _start_collector(self) -> None:
        """The background collector, unless --no-collect or read-only (it writes). Started in
        a thread: it first reads the heartbeat, to leave a running collector alone."""
        if not self.collector_pending:
            return
        from .collector_thread import start_background_collector  # psutil: only when needed

        try:
            self.collector = start_background_collector(
                self.store, on_failure=self._collector_failed
            )
        except NodekeeperError as exc:
            self.call_from_thread(
                self.notify, error_text(exc), title="Collector not started", severity="warning",
                markup=False,
            )  # fmt: skip
        finally:
            self.collector_pending = False  # after self.collector is set: `collects` holds

    @property
    def collects(self) -> bool:
        """Whether the console is starting its own collector or runs it: the dashboard then
        says the collector is starting, rather than advise to start one (that would be refused,
        the console's one holding the lock). False with --no-collect, read-only, when another
        collector ran at the start, or once the console's one has ended."""
        return self.collector_pending or (self.collector is not None and self.collector.alive)

    def _collector_failed(self, handle: Any) -> None:
        """On the collector's thread: it ended by itself; say why (the dashboard's collector
        line then tells no collector runs)."""
        with contextlib.suppress(RuntimeError):  # the console is closing
            self.call_from_thread(
                self.notify, handle.error or "it ended", title="The background collector stopped",
                severity="warning", markup=False, timeout=30,
            )  # fmt: skip

    # -- sections

    @property
    def active_id(self) -> str:
        return self.query_one("#sections", TabbedContent).active

    def section(self, section: str) -> Widget:
        return self.query_one(f"#section-{section}")

    def resources(self, section: str) -> ResourceSection:
        widget = self.section(section)
        assert is_resources(widget)
        return widget

    @property
    def active_section(self) -> Widget | None:
        try:
            return self.section(self.active_id)
        except NoMatches:  # not composed yet
            return None

    def active_resources(self) -> ResourceSection | None:
        widget = self.active_section
        return widget if is_resources(widget) else None

    def action_show_section(self, section: str) -> None:
        if section not in self.sections:  # the Fleet of a one-node database
            return
        tabs = self.query_one("#sections", TabbedContent)
        if tabs.active != section:
            tabs.active = section  # TabActivated follows
        else:
            self._focus(section)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.tabbed_content.id == "sections" and event.pane.id:
            self._shown(event.pane.id)

    def _left(self, section: str) -> bool:
        """Whether ``section`` is no longer the one shown. Keys typed in one burst, or a key
        typed before the first TabActivated arrived, are all handled before the TabActivated
        each causes: those of the sections passed over come late, as may a wait for a section
        still being mounted. Acting on one would focus a widget of a hidden pane, and
        TabbedContent switches to the pane that holds the focus: the newer key would be lost."""
        return section != self.active_id

    def _when_mounted(self, section: str, then: Callable[[], None]) -> bool:
        """Whether ``section`` is mounted; if not (one asked for before the hidden sections
        mounted, see ``mount_sections``: it is mounted now), ``then`` runs again once it may
        be (``pending_section_waits`` counts those waiting, so that tests can wait for none)."""
        try:
            mounted = self.section(section).is_mounted  # its own widgets too
        except NoMatches:
            mounted = False
            self.mount_sections(section)  # asked for before the hidden sections mounted
        if not mounted:
            self.pending_section_waits += 1
            self.set_timer(LAZY_RETRY, partial(self._retry, then), name=f"wait for {section}")
        return mounted

    def keys_wait_for(self) -> bool:
        # A key typed just after one that showed a section still being mounted ("2" then "n"
        # before the first frame) waits for that section, or it would find no table to act on.
        return self.pending_section_waits > 0

    def _retry(self, then: Callable[[], None]) -> None:
        self.pending_section_waits -= 1
        then()

    def _shown(self, section: str) -> None:
        if self._left(section) or not self._when_mounted(section, partial(self._shown, section)):
            return
        widget = self.section(section)
        if is_resources(widget):
            widget.activate()
        self._focus(section)
        self.refresh_bindings()

    def _focus(self, section: str) -> None:
        if self._left(section) or not self._when_mounted(section, partial(self._focus, section)):
            return
        widget = self.section(section)
        if is_resources(widget) or hasattr(widget, "focus_table"):  # the Fleet, the Logs
            widget.focus_table()
        else:  # the dashboard: its first focusable panel, if any
            focusable = next((w for w in widget.query("*") if w.focusable), None)
            self.set_focus(focusable)

    def jump_to(self, section: str, key: str | None = None) -> None:
        """Show ``section`` and, when given, put the cursor on the resource ``key``."""
        self.action_show_section(section)
        if key is not None:
            self._jump(section, key)

    def _jump(self, section: str, key: str) -> None:
        if self._left(section):
            return
        if self._when_mounted(section, partial(self._jump, section, key)):
            self.resources(section).jump(key)

    # -- bindings

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_section" and parameters and parameters[0] not in self.sections:
            return False
        if action == "all_nodes":
            return FLEET in self.sections and self.active_resources() is not None
        if action == "say_read_only":
            return self.read_only and self.active_resources() is not None
        if action in TABLE_ACTIONS:
            section = self.active_resources()
            if section is None:
                return False  # the dashboard has no table
            if action in EDIT_ACTIONS and self.read_only:
                return False  # hidden, and pressing the key does nothing
            if action in FORM_ACTIONS and not section.look.has_form:
                return False  # a kind without a form (certificates): E edits it
        return True

    def _on_section(self, action: str) -> None:
        section = self.active_resources()
        if section is None or (action in EDIT_ACTIONS and self.read_only):
            return
        getattr(section, f"action_{action}")()

    def action_filter(self) -> None:
        self._on_section("filter")

    def action_sort(self) -> None:
        self._on_section("sort")

    def action_sort_reverse(self) -> None:
        self._on_section("sort_reverse")

    def action_new(self) -> None:
        self._on_section("new")

    def action_edit(self) -> None:
        self._on_section("edit")

    def action_edit_document(self) -> None:
        self._on_section("edit_document")

    def action_delete(self) -> None:
        self._on_section("delete")

    def action_say_read_only(self) -> None:
        self.notify(
            f"read-only: {self.read_only_reason}; nothing can be created, changed or deleted",
            severity="warning", markup=False,
        )  # fmt: skip

    def action_reload(self) -> None:
        section = self.active_section
        if is_resources(section):
            section.load()
        elif section is not None and hasattr(section, "refresh_now"):
            section.refresh_now()

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        self.push_screen(HelpScreen(self.help_keys()))

    def help_keys(self) -> list[tuple[str, str, str]]:
        """(keys, description, note) of every App binding, for the help screen."""
        keys: list[tuple[str, str, str]] = []
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.action == "say_read_only":
                continue  # the edit keys, listed once
            fleet_only = (f"show_section('{FLEET}')", "all_nodes")
            if binding.action in fleet_only and FLEET not in self.sections:
                continue
            shown = "? F1" if binding.action == "help" else self.get_key_display(binding)
            off = binding.action in EDIT_ACTIONS and self.read_only
            description = HELP_TEXT.get(binding.action, binding.description)
            keys.append((shown, description, "off: read-only" if off else ""))
        return keys

    # -- the threats

    def on_threats_view_open_ip(self, message: Any) -> None:
        """Enter on an IP in Threats: the Logs section, only that IP's events."""
        self.action_show_section("logs")
        self._show_ip(message.ip)

    def _show_ip(self, ip: str) -> None:
        if self._left("logs") or not self._when_mounted("logs", partial(self._show_ip, ip)):
            return
        self.section("logs").show_ip(ip)  # type: ignore[attr-defined]

    # -- the fleet

    async def on_fleet_view_open_node(self, message: Any) -> None:
        await self.open_node(message.name)

    def action_all_nodes(self) -> None:
        """The kind of the section shown, on every node (a screen of its own, read-only)."""
        section = self.active_resources()
        if section is None or FLEET not in self.sections:
            return
        from .screens.fleet_listing import FleetListing

        async def chosen(picked: tuple[str, str] | None) -> None:
            if picked is not None:
                node, key = picked
                await self.open_node(node, section=self.active_id)
                self.jump_to(self.active_id, key)

        self.push_screen(FleetListing(self.home_store, section.kind), chosen)

    async def open_node(self, name: str, section: str = "dashboard") -> None:
        """Show node ``name`` in every section (the header names it), then ``section``; the
        background collector goes on writing this host's node. The sections are made again on
        the new store."""
        if name == self.store.node:
            self.action_show_section(section)
            return
        try:
            store = (
                self.home_store if name == self.home_store.node else self.home_store.for_node(name)
            )
        except NodekeeperError as exc:
            self.notify(error_text(exc), title="Cannot open the node", severity="error",
                        markup=False)  # fmt: skip
            return
        self.store = store
        self.dashboard_ahead = None  # read from the node shown before
        self.title = f"nodekeeper @ {escape_control(store.node)}"
        tabs = self.query_one("#sections", TabbedContent)
        for made in [s for s in self.made_sections if s != FLEET]:
            await self.section(made).remove()
            self.made_sections.discard(made)
        self.mount_sections()  # those just removed: the Fleet stays as it is
        tabs.active = section
        self.notify(f"showing node {escape_control(name)}", markup=False, timeout=3)

    # -- the external editor

    def run_editor(self, text: str) -> str:
        """Run $VISUAL/$EDITOR on ``text`` with the app suspended (main thread only)."""
        from . import editor

        try:
            with self.suspend():
                # Caught inside: App.suspend() gives the terminal back to the app only when
                # its block ends without an exception (a failed editor left the console dead).
                try:
                    return editor.run_editor(text)
                except editor.EditorFailed as exc:
                    failed = exc
        except SuspendNotSupported:  # headless (tests): nothing to give the terminal back
            return editor.run_editor(text)
        raise failed


HELP_TEXT = {
    "filter": "filter the rows (incremental, any column, any case)",
    "sort": "sort by the next column (click a header to sort by it)",
    "sort_reverse": "reverse the order of the sorted column",
    "new": "create a resource (a form)",
    "edit": "edit the highlighted resource (a form)",
    "edit_document": "edit it as a TOML document in $VISUAL / $EDITOR",
    "delete": "delete it, once confirmed (it names what goes with it)",
    "reload": "refresh the section now",
    "all_nodes": "a fleet's database: this kind on every node, a Node column first; Enter opens one",
    "help": "this help",
    "quit": "quit",
}
HELP_TEXT.update({f"show_section('{s}')": f"go to {info.name}" for s, info in SECTIONS.items()})


def at_most_lines(text: str, most: int) -> str:
    """``text`` in at most ``most`` lines: past that, its first ``most - 1`` and ``and N more``
    (a document with 35 problems is not 36 lines high)."""
    lines = text.splitlines()
    if len(lines) <= most:
        return text
    kept = lines[: most - 1]
    return "\n".join([*kept, f"and {len(lines) - len(kept)} more"])


def run(
    store: Store, *, read_only: bool = False, collect: bool = True, refresh: float | None = None
) -> None:
    """Run the console on ``store`` until the user quits (the caller closes the store).

    The background collector runs while the console is open, unless ``collect`` is False or
    the store is read-only. ``refresh`` (seconds) sets how often both the dashboard and the
    resource section shown re-read the store; by default every 2 s and 5 s."""
    from .screens.dashboard import read_ahead

    every = {} if refresh is None else {"refresh_every": refresh, "dashboard_every": refresh}
    # The dashboard, shown first, starts reading now: its data is then in the first frame.
    ahead = read_ahead(store)
    app = NodekeeperApp(store, read_only=read_only, collect=collect, dashboard_ahead=ahead,
                        **every)  # fmt: skip
    try:
        app.run()
    finally:
        if app.collector is not None and app.collector.alive:  # started as the app stopped
            app.collector.stop()
