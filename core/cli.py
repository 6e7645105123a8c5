"""The ``nodekeeper`` command. With no command it opens the TUI (imported lazily, so scripted
commands start fast); every command takes ``--db``. Errors print ``error: ...`` and exit 1."""

from __future__ import annotations

import argparse
import csv
import gc
import json
import logging
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import kinds, open_store
from .errors import DocumentError, NodekeeperError
from .kinds.base import Column, Filter, Kind
from .log_words import ACTIONS, LEVELS
from .table import PADDING, cell_len, fit_widths, fitted
from .text import JsonText, escape_control, human_size, in_number, json_lines
from .times import HELP as TIME_HELP

# What a command needs beyond the kinds' declarations (the store, SQLAlchemy, the documents,
# the console) is imported by that command: the parser, and so `--help`, is built without it.
if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from .store import Store

LIST_KINDS = tuple(kind.plural for kind in kinds.LISTED)
SHOW_KINDS = tuple(kind.name for kind in kinds.KINDS)
DELETABLE = tuple(kind for kind in kinds.KINDS if kind.deletable)
DELETE_KINDS = tuple(kind.name for kind in DELETABLE)
EXIT_ERROR = 1
EXIT_USAGE = 2


def _spoken(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return " and ".join(names) if len(names) < 3 else f"{', '.join(names[:-1])} and {names[-1]}"


def _filters() -> dict[str, tuple[Filter, list[Kind[Any]]]]:
    """Every ``list`` filter option, with the kinds that take it."""
    found: dict[str, tuple[Filter, list[Kind[Any]]]] = {}
    for kind in kinds.LISTED:
        for option in kind.filters:
            found.setdefault(option.name, (option, []))[1].append(kind)
    return found


def _scopes() -> dict[str, list[Kind[Any]]]:
    """Every scope option (``--service`` of a user), with the kinds named with it."""
    found: dict[str, list[Kind[Any]]] = {}
    for kind in kinds.KINDS:
        if kind.scope is not None:
            found.setdefault(kind.scope.name, []).append(kind)
    return found


def _named_help(verb: str) -> str:
    """The NAME argument's help: how each kind is named."""
    return f"what to {verb}: " + "; ".join(
        f"{kind.name}: {kind.names_help}" for kind in kinds.KINDS if not kind.singleton
    )


def _db_options(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    # On the top parser and on every command, so `nodekeeper --db X list` and
    # `nodekeeper list --db X` both work; a command's own value wins.
    default = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--db",
        metavar="PATH|URL",
        default=default,
        help="database: a file path, :memory:, or an SQLAlchemy URL such as "
        "postgresql+psycopg://user@host/db (default: $NODEKEEPER_DB, then "
        "/var/lib/nodekeeper/nodekeeper.db as root or ~/.local/share/nodekeeper/nodekeeper.db)",
    )
    parser.add_argument(
        "--read-only", action="store_true", default=False if top else argparse.SUPPRESS,
        help="open the database read-only: every change is refused",
    )  # fmt: skip
    parser.add_argument(
        "--node", metavar="NAME", default=default,
        help="the node whose resources to read and edit, in a database a fleet shares "
        "(default: $NODEKEEPER_NODE, then this host's name; a SQLite file's one node)",
    )  # fmt: skip


def _refresh_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0.1 <= seconds <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r}: give between 0.1 and 3600 seconds")
    return seconds


# core.collect.logs.parse.FORMATS (a test keeps them equal), named here so that the parser
# and its regular expressions are not imported by every command's start.
LOG_FORMATS = ("rfc3164", "rfc5424", "iso8601", "fail2ban")
COUNT_FIELDS = ("source", "level", "action", "ip", "user", "hour", "day")  # store.logs'


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give 1 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nodekeeper",
        description="The state database and admin console of one node. "
        "Without a command, opens the TUI.",
    )
    parser.add_argument("--version", action=_VersionAction)
    _db_options(parser, top=True)
    parser.add_argument(
        "--no-collect", action="store_true",
        help="TUI: do not start the background collector (it never runs read-only)",
    )  # fmt: skip
    parser.add_argument(
        "--refresh", metavar="SECONDS", type=_refresh_seconds, default=None,
        help="TUI: how often the dashboard and the section shown re-read the store "
        "(default: the dashboard every 2 s, the other sections every 5 s)",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str, func: Callable[..., int]) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        _db_options(p)
        p.set_defaults(func=func)
        return p

    listed = _spoken(list(LIST_KINDS))
    p = command("list", f"list {listed.replace(' and ', ' or ')}", cmd_list)
    p.add_argument("kind", choices=LIST_KINDS)
    for option, takers in _filters().values():
        p.add_argument(
            option.option, dest=option.name, metavar=option.metavar,
            help=f"{_spoken([k.plural for k in takers])}: {option.help}",
        )  # fmt: skip
    p.add_argument(
        "-c", "--columns", metavar="A,B,...", help="the columns to show, in this order, by name "
        "(list KIND --columns help lists them); json: the keys of each object"
    )  # fmt: skip
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.add_argument(
        "--all-nodes", action="store_true",
        help="list every node's resources, with a node column (a node key in json)",
    )  # fmt: skip

    def scope_options(p: argparse.ArgumentParser) -> None:
        for name, takers in _scopes().items():
            scope = takers[0].scope
            assert scope is not None
            p.add_argument(
                f"--{name}", metavar=scope.metavar,
                help=f"{', '.join(k.name for k in takers)}: {scope.means} "
                f"({scope.example.format(command=p.prog.split()[-1])})",
            )  # fmt: skip

    p = command("show", "show one resource", cmd_show)
    p.add_argument("kind", choices=SHOW_KINDS)
    p.add_argument("name", nargs="?", help=_named_help("show") + "; config: none")
    scope_options(p)
    p.add_argument(
        "--expanded",
        action="store_true",
        help="container: the effective config through its profiles",
    )
    p.add_argument("--format", choices=("toml", "json"), default="toml")

    p = command(
        "export", "print one resource as a TOML document (edit it, then apply it)", cmd_export
    )
    p.add_argument("kind", choices=SHOW_KINDS)
    p.add_argument("name", nargs="?", help=_named_help("export") + "; config: none")
    scope_options(p)

    p = command(
        "apply", "create or replace the resources of a TOML document, all or nothing", cmd_apply
    )
    p.add_argument("file", help="the TOML document, or - for standard input")

    p = command("delete", f"delete {_spoken([k.with_article for k in DELETABLE]).replace(' and ', ' or ')}",
                cmd_delete)  # fmt: skip
    p.add_argument("kind", choices=DELETE_KINDS)
    p.add_argument("name", help=_named_help("delete"))
    scope_options(p)
    forced = [k for k in DELETABLE if k.force_means]
    p.add_argument(
        "--force", action="store_true",
        help="; ".join(f"{k.name}: delete {k.force_means} too" for k in forced),
    )  # fmt: skip

    services = sub.add_parser("services", help="services: remove those whose time to live ended")
    services_sub = services.add_subparsers(dest="services_command", metavar="ACTION", required=True)
    p = services_sub.add_parser(
        "expire",
        help="remove the services whose time to live has ended",
        description="Remove the services whose start_at + ttl days has passed and that the "
        "current claim set does not use, with their claim set bindings. The current claim set is "
        "--users, else the server config key users.current; without one, none is protected.",
    )
    _db_options(p)
    p.add_argument(
        "--dry-run", action="store_true", help="print what would be removed, change nothing"
    )
    p.add_argument(
        "--users",
        metavar="CLAIMS_JSON",
        help="the current claim set as a JSON list, such as '[\"user1\"]' (default: the server "
        "config key users.current)",
    )
    p.set_defaults(func=cmd_services_expire)

    p = command(
        "import-lxc", "import traditional LXC containers (DIR/<name>/config)", cmd_import_lxc
    )
    p.add_argument("directory", metavar="DIR")

    p = command(
        "threats",
        "IPs by threat score now, with their counts (derived from the log events)",
        cmd_threats,
    )
    p.add_argument("--min-score", type=float, default=0.0, metavar="N",
                   help="only IPs scoring at least N (0-100) now")  # fmt: skip
    p.add_argument("--limit", type=int, metavar="N", help="at most N IPs, the highest first")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")

    p = command(
        "collect", "run the collector: metrics, traffic accounting, systemd states", cmd_collect
    )
    p.add_argument("--interval", type=float, metavar="S", help="seconds between readings (default: the "
                   "store's collector.interval, 2)")  # fmt: skip
    p.add_argument("--once", action="store_true", help="take one reading and exit (for cron)")
    p.add_argument(
        "--procfs", metavar="DIR", help="read another /proc, e.g. the host's from a container"
    )
    p.add_argument(
        "--log", action="append", metavar="PATH", dest="logs",
        help="a log file to read each interval (repeatable; default: those of /var/log's "
        "auth.log, syslog, messages, secure, kern.log and fail2ban.log that exist)",
    )  # fmt: skip
    p.add_argument(
        "--journal", action="store_true",
        help="read the systemd journal too (the default when journalctl works and none of the "
        "default log files exists)",
    )  # fmt: skip
    p.add_argument("--no-logs", action="store_true", help="read no log files and no journal")

    p = command(
        "demo", "fill the store with realistic demo data (an empty store, unless --force)", cmd_demo
    )
    p.add_argument(
        "--containers", type=int, default=50, metavar="N", help="containers (default 50)"
    )
    p.add_argument("--days", type=int, default=3, metavar="D", help="days of history (default 3)")
    p.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default 1)")
    p.add_argument(
        "--force", action="store_true", help="fill a store that is not empty: same-named "
        "resources are replaced, history is added only where there is none"
    )  # fmt: skip

    nodes = command(
        "nodes",
        "the nodes of the database: status, CPU and memory now, what each holds",
        cmd_nodes,
    )
    nodes.add_argument("--format", choices=("table", "json", "csv"), default="table")
    nodes_sub = nodes.add_subparsers(dest="nodes_command", metavar="ACTION")
    p = nodes_sub.add_parser(
        "remove",
        help="delete a node and every row it owns (its containers, services, samples...)",
        description="Delete a node and every row it owns, after naming what goes. Asks "
        "first on a terminal; elsewhere --yes is required.",
    )
    _db_options(p)
    p.add_argument("name", metavar="NAME", help="the node to remove")
    p.add_argument("--yes", action="store_true", help="remove without asking")
    p.add_argument("--dry-run", action="store_true", help="name what would go, change nothing")
    p.set_defaults(func=cmd_nodes_remove)

    logs = command(
        "logs", "log events, filtered, counted or followed; 'logs import' reads log files", cmd_logs
    )
    logs.add_argument("--source", metavar="S", help="events of this log (auth.log, syslog, ...)")
    logs.add_argument(
        "--level", metavar="L", choices=LEVELS,
        help=f"events of this severity or a more severe one ({', '.join(LEVELS)})",
    )  # fmt: skip
    logs.add_argument("--action", metavar="A", choices=ACTIONS, help=f"one of {', '.join(ACTIONS)}")
    logs.add_argument("--ip", metavar="IP", help="events of this IP address (IPv4 or IPv6)")
    logs.add_argument("--user", metavar="U", help="events of this user name")
    logs.add_argument("--since", metavar="T", help=f"events from T on: {TIME_HELP}")
    logs.add_argument("--until", metavar="T", help="events before T (same forms)")
    logs.add_argument(
        "--grep", metavar="TEXT", help="events whose message holds TEXT (case-insensitive)"
    )
    logs.add_argument(
        "--limit", type=_positive, metavar="N",
        help="the latest N events (default 50), or the N largest counts with --count-by",
    )  # fmt: skip
    logs.add_argument(
        "--follow", "-f", action="store_true",
        help="then print new events as they are stored, until Ctrl-C",
    )  # fmt: skip
    logs.add_argument(
        "--count-by", choices=COUNT_FIELDS, metavar="FIELD",
        help=f"print how many events per value instead ({', '.join(COUNT_FIELDS)})",
    )  # fmt: skip
    logs.add_argument("--format", choices=("table", "json", "csv"), default="table")
    logs_sub = logs.add_subparsers(dest="logs_command", metavar="ACTION")
    p = logs_sub.add_parser(
        "import",
        help="read log files into the store, each from where the last read stopped",
        description="Read log files (auth.log, syslog, fail2ban.log, ...) into the store's log "
        "events, one event per non-empty line, each timed from its line. Each file is read "
        "from where the last import or collector stopped: importing the same files again "
        "adds only what was written since.",
    )
    _db_options(p)
    p.add_argument("paths", nargs="*", metavar="PATH", help="log files to read")
    p.add_argument(
        "--journal", action="store_true",
        help="read the systemd journal too (journalctl -o json), from its stored cursor",
    )  # fmt: skip
    p.add_argument(
        "--format", choices=LOG_FORMATS, default=None,
        help="the files' format (default: told from each file's first lines)",
    )  # fmt: skip
    p.set_defaults(func=cmd_logs_import)

    db = sub.add_parser("db", help="schema version, upgrade, integrity, retention and size")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    for name, help, func in (
        ("status", "show the schema version and its history", cmd_db_status),
        (
            "upgrade",
            "upgrade the schema (a SQLite file is backed up to FILE.bak first)",
            cmd_db_upgrade,
        ),
        ("check", "check integrity, foreign keys and the schema", cmd_db_check),
        (
            "cleanup",
            "delete what is older than each table's retention (after rolling it up)",
            cmd_db_cleanup,
        ),
        ("stats", "rows per table and the database size", cmd_db_stats),
    ):
        p = db_sub.add_parser(name, help=help, description=help)
        _db_options(p)
        p.set_defaults(func=func)
    return parser


class _VersionAction(argparse.Action):
    """``--version``: the installed version, read from the package metadata only when asked
    (importlib.metadata costs a tenth of the 150 ms that ``--help`` may take)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show program's version number and exit")  # fmt: skip

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(f"{parser.prog} {_version()}")
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nodekeeper")
    except PackageNotFoundError:
        return "unknown"


class _SafeFormatter(logging.Formatter):
    """``warning: ...`` lines, with control characters in messages shown escaped."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {escape_control(record.getMessage(), one_line=False)}"


def _setup_logging(level: int = logging.WARNING) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_SafeFormatter())
    logger = logging.getLogger("nodekeeper")
    logger.handlers[:] = [handler]
    logger.setLevel(level)


def _relative_times(argv: Sequence[str]) -> list[str]:
    """``--since -1h`` as ``--since=-1h``: argparse takes a value that starts with a dash for
    an option (journalctl's users type it so)."""
    out: list[str] = []
    pending = None
    for arg in argv:
        if pending is not None and arg[:1] == "-" and arg[1:2].isdigit():
            out[-1] = f"{pending}={arg}"
        else:
            out.append(arg)
        pending = arg if arg in ("--since", "--until") else None
    return out


def main(argv: Sequence[str] | None = None) -> int:
    _setup_logging()
    args = build_parser().parse_args(_relative_times(sys.argv[1:] if argv is None else argv))
    try:
        if args.command is None:
            return run_tui(args)
        return args.func(args)
    except NodekeeperError as exc:
        print(f"error: {_error_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `nodekeeper list containers | head`
        return 0


def _error_line(exc: NodekeeperError) -> str:
    """An error as the CLI prints it: one line, a newline in it (a path, a driver's message)
    escaped so that it cannot fake a line of its own. A DocumentError alone keeps its lines:
    it lists each problem of a document on a line of its own."""
    return escape_control(exc, one_line=not isinstance(exc, DocumentError))


@contextmanager
def _open(
    args: argparse.Namespace, *, create: bool, announce_early: bool = False, **kwargs: Any
) -> Iterator[Store]:
    """The store of ``--db``, closed at the end of the block. ``create``: the command writes, so
    a database that does not exist yet is made; a command that only reads refuses one.

    A database made here is announced once (``created a new database at PATH``): when the
    command has succeeded, or at once with ``announce_early`` for those that run on (the
    console, the collector). A command that fails with an error takes the file it made with
    it, so a refused ``apply`` leaves no empty database behind a mistyped path; a file that was
    there before (even empty) stays.

    The node is ``--node``, else ``$NODEKEEPER_NODE``, else this host's. A node named so must be
    in the database already (a typo must not make a node), unless the command says that it adds
    one (``add_node``: the collector, demo); this host's node is added by a command that writes."""
    from .settings import resolve_node

    kwargs.setdefault("read_only", args.read_only)
    node = resolve_node(getattr(args, "node", None))
    kwargs.setdefault("add_node", create and node is None)
    with _loading():
        store = open_store(args.db, create=create, node=node, **kwargs)
    created = f"created a new database at {store.location.display}" if store.created else None
    if created and announce_early:
        print(created, file=sys.stderr)
    try:
        with store:
            yield store
    except NodekeeperError:  # not on ^C: whatever the command wrote meanwhile may be kept
        if store.made_file and not announce_early:  # never a file that was there before
            from .db.engine import remove_sqlite_files

            remove_sqlite_files(store.location.path)
        raise
    if created and not announce_early:
        print(created, file=sys.stderr)


@contextmanager
def _loading() -> Iterator[None]:
    """Around what loads the modules a command runs on (opening the store imports SQLAlchemy
    and the tables; the console, Textual): a few hundred thousand objects that live as long as
    the process. The garbage collector's full passes over them find nothing to free, yet one
    while they load and one more at exit took a fifth of ``list`` on an empty store. So nothing
    is collected while they load, and then they are frozen out of every later pass (the one at
    exit too); what the command makes from then on is collected as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if "alembic" in sys.modules:  # a migration ran: Alembic leaves cycles worth freeing
            gc.collect()
        gc.freeze()
        if enabled:
            gc.enable()


def _streams_without_terminal() -> list[str]:
    """The streams the console needs that are not a terminal: Textual reads keys from standard
    input and draws on standard error."""
    streams = {"input": sys.__stdin__, "error": sys.__stderr__}
    return [name for name, stream in streams.items() if stream is None or not stream.isatty()]


# The console (tui.app:run) registers itself under this entry point group in pyproject.toml:
# core never imports tui, and the CLI finds the console only when it opens it.
CONSOLE_GROUP = "nodekeeper.console"


def _console_entry_point() -> EntryPoint | None:
    """The console's entry point. nodekeeper's own distribution is read first (one file, where
    scanning every installed package costs milliseconds of start-up); a console that another
    distribution provides is found after."""
    from importlib import metadata

    try:
        own = metadata.distribution("nodekeeper").entry_points.select(group=CONSOLE_GROUP)
    except metadata.PackageNotFoundError:
        own = metadata.EntryPoints(())
    return next(iter(own or metadata.entry_points(group=CONSOLE_GROUP)), None)


def run_tui(args: argparse.Namespace) -> int:
    if missing := _streams_without_terminal():
        # Without a terminal (cron, `ssh host nodekeeper` without -t, input from a file) the
        # console would draw escape codes into a pipe forever, waiting for keys that never come.
        # Naming the stream tells `nodekeeper </dev/null` from `nodekeeper 2>log`.
        which = " and ".join(missing)
        print(
            f"error: the console needs a terminal (standard {which} "
            f"{'is' if len(missing) == 1 else 'are'} not one); "
            "use `ssh -t` for a remote console, or a command such as `nodekeeper list containers`",
            file=sys.stderr,
        )
        return EXIT_USAGE
    console = _console_entry_point()  # before the store is opened: no database made for nothing
    if console is None:
        print(
            f"error: no console is installed (no {CONSOLE_GROUP} entry point); reinstall "
            "nodekeeper with its tui package, or give a command such as `nodekeeper list containers`",
            file=sys.stderr,
        )
        return EXIT_USAGE
    with _open(args, create=True, announce_early=True) as store:
        with _loading():
            run = console.load()  # imports Textual: after a new database is announced
        run(store, read_only=args.read_only, collect=not args.no_collect, refresh=args.refresh)
    return 0


# -- list --------------------------------------------------------------------------------------


def _column_name(text: str) -> str:
    """How ``--columns`` compares names: any case, spaces as underscores (``"used by"``)."""
    return "_".join(text.casefold().split())


def columns_help(kind: Kind[Any]) -> str:
    """``list KIND --columns help``: each column's name and header, in table order."""
    lines = [f"the columns of {kind.plural} (--columns takes the name or the header):"]
    lines += [f"  {column.key:<16} {column.header}" for column in kind.columns]
    return "\n".join(lines)


def _chosen_columns(kind: Kind[Any], wanted: str | None) -> list[Column[Any]]:
    """The columns ``--columns`` names (by key, or by header in any case), in its order; every
    column without it. An unknown name, an empty list or a column named twice is an error."""
    if wanted is None:
        return list(kind.columns)
    by_name: dict[str, Column[Any]] = {}
    for column in reversed(kind.columns):  # a key wins over another column's header
        by_name[_column_name(column.header)] = column
    by_name |= {column.key: column for column in kind.columns}
    names = [name.strip() for name in wanted.split(",") if name.strip()]
    known = ", ".join(column.key for column in kind.columns)
    if not names:
        raise NodekeeperError(f"--columns: name at least one column of {kind.plural}: {known}")
    unknown = [name for name in names if _column_name(name) not in by_name]
    if unknown:
        raise NodekeeperError(
            f"--columns: {', '.join(map(repr, unknown))} "
            f"{'is not a column' if len(unknown) == 1 else 'are not columns'} of {kind.plural} "
            f"(columns: {known}; --columns help describes them)"
        )
    chosen = [by_name[_column_name(name)] for name in names]
    twice = sorted({c.key for c in chosen if chosen.count(c) > 1})
    if twice:
        raise NodekeeperError(f"--columns: {', '.join(twice)} named more than once")
    return chosen


def _filters_given(kind: Kind[Any], args: argparse.Namespace) -> dict[str, Any]:
    """The filters given that narrow the listing; a filter the kind does not take is an error
    naming those that do."""
    given = {}
    for name, (option, takers) in _filters().items():
        value = getattr(args, name, None)
        if value is None:
            continue
        if kind not in takers:
            raise NodekeeperError(
                f"{option.option} filters {_spoken([k.plural for k in takers])} only, "
                f"not {kind.plural}"
            )
        given[name] = value
    return given


def csv_text(column: Column[Any], value: object) -> str:
    """A value as CSV holds it: exact (bytes, not 1.0 KiB; a date in ISO 8601), a list or a
    table's keys joined with commas, controls escaped."""
    if value is None:
        return ""
    if column.format in ("count", "yes_no"):  # a number of entries, yes or no: as a table shows
        return column.text(value)
    if type(value) is str:  # most values: first
        return escape_control(value)
    if isinstance(value, list | tuple | dict):
        return escape_control(",".join(map(str, value)))
    if isinstance(value, datetime):
        return value.isoformat()
    return escape_control(value)


def table_width() -> int | None:
    """The width a table is fitted to: the terminal's (``COLUMNS`` overrides it, as in ``ls``)
    when standard output is one; None (every column whole) when the table goes to a pipe or a
    file, so that scripts get every value whole whatever their environment says."""
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def format_table(
    columns: list[Column[Any]], rows: list[list[str]], width: int | None = None
) -> str:
    """Aligned columns, headers in capitals; numbers aligned right so that their units line up.
    Fitted to ``width`` as the console fits its tables (``core.table.fit_widths``): the least
    important columns dropped first, then text cut with an ellipsis, numbers never cut."""
    # In capitals, as lxc and kubectl print them; a one-letter unit stays as written ("TTL d").
    headers = [" ".join(w if len(w) == 1 else w.upper() for w in c.header.split()) for c in columns]
    header_widths = [cell_len(h) for h in headers]
    natural = [
        max([header_widths[i]] + [cell_len(row[i]) for row in rows]) for i in range(len(columns))
    ]
    drawn: list[int | None] = list(natural)
    if width is not None:
        # The console pads each cell on both sides; here columns are two spaces apart.
        room = width + 2 * PADDING
        drawn = fit_widths(columns, natural, header_widths, room)

    def line(values: list[str]) -> str:
        cells = [
            fitted(value, size, column.numeric)
            for value, size, column in zip(values, drawn, columns, strict=True)
            if size is not None
        ]
        return "  ".join(cells).rstrip()

    return "\n".join([line(headers)] + [line(row) for row in rows])


def cmd_list(args: argparse.Namespace) -> int:
    kind = kinds.by_name(args.kind)
    if args.columns is not None and _column_name(args.columns) == "help":
        print(columns_help(kind))
        return 0
    columns = _chosen_columns(kind, args.columns)
    # One state of the database for every column (and every node). JSON and CSV are written as
    # they are read: a large kind's rows are never all held at once for them.
    with _open(args, create=False) as store, store.reading():
        given = _filters_given(kind, args)
        # (node name or None, the store seen as that node): the node in use, or each node.
        views = store.nodes.views() if args.all_nodes else [(None, store)]
        if args.format == "json":
            write_json(kind, columns if args.columns is not None else None, views, given)
            return 0
        if args.format == "csv":
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow(["node"] * args.all_nodes + [column.key for column in columns])
            for node, view in views:
                first = [escape_control(node)] if node is not None else []
                for page in kind.column_pages(view, **given):
                    writer.writerows(
                        first + [csv_text(column, column.value(item, page)) for column in columns]
                        for item in page.items.values()
                    )
            return 0
        # A table needs every row before its first line: the widths of its columns.
        rows = []
        for node, view in views:
            listing = kind.read_columns(view, **given)
            first = [escape_control(node)] if node is not None else []
            rows += [
                first + [escape_control(c.text(c.value(item, listing), listing)) for c in columns]
                for item in listing.items.values()
            ]
    if rows:
        shown = [NODE_COLUMN, *columns] if args.all_nodes else columns
        print(format_table(shown, rows, table_width()))
    else:
        print(f"no {kind.plural}" + (" on any node" if args.all_nodes else ""), file=sys.stderr)
    return 0


# The node of each row of ``list --all-nodes``: shown first and never dropped.
NODE_COLUMN: Column[Any] = Column("node", "Node", lambda item, listing: None, priority=1, width=12)


def write_json(
    kind: Kind[Any],
    columns: list[Column[Any]] | None,
    views: list[tuple[str | None, Store]],
    filters: dict[str, Any],
) -> None:
    """``list --format json``: the resources whole (as ``listed_json``), or only ``columns``,
    written a page at a time as a JSON array (the same text as ``json.dumps(indent=2)``). Each
    of ``views`` is (node, the store seen as it): with a node named, each object begins with
    its ``node`` key."""

    def chosen(store: Store, columns: list[Column[Any]]) -> Iterator[dict[str, Any]]:
        for page in kind.pages(store, **filters):
            for item in page.items.values():
                data = kind.listed_json(item, page)
                yield {c.key: data[c.key] for c in columns}

    def of_node(node: str | None, store: Store) -> Iterator[object]:
        objects = kind.json_texts(store, **filters) if columns is None else chosen(store, columns)
        if node is None:
            yield from objects
            return
        key = '{\n    "node": ' + json.dumps(node) + ","
        for each in objects:
            if isinstance(each, JsonText):  # '{\n    "name": ...': the key goes before the first
                yield JsonText(key + each[1:])
            else:
                yield {"node": node, **each}  # type: ignore[dict-item]

    objects: Iterable[object] = (each for node, store in views for each in of_node(node, store))
    out = sys.stdout
    # Each page's objects (tuples of rows, dicts, containers) form no cycle: reference counting
    # frees them as the next page comes. The collector's passes over them freed nothing and cost
    # a twentieth of the command at 20,000 containers (211 passes).
    enabled = gc.isenabled()
    gc.disable()
    try:
        for text in json_lines(objects, default=lambda v: v.isoformat()):
            out.write(text)
    finally:
        if enabled:
            gc.enable()
    out.write("\n")


# -- show / export / apply / delete ------------------------------------------------------------


def cmd_show(args: argparse.Namespace) -> int:
    from . import documents

    with _open(args, create=False) as store:
        if args.expanded:
            if args.kind != "container":
                raise NodekeeperError("--expanded applies to containers only")
            if not args.name:
                raise NodekeeperError("a container name is required")
            print(render_expanded(store, args.name, args.format), end="")
            return 0
        resource = documents.fetch(store, args.kind, args.name, _scope(args))
    if args.format == "json":
        table = documents.to_table(resource)
        print(json.dumps(table, indent=2, default=lambda v: v.isoformat()))
    else:
        print(escape_control(documents.dump(resource, header=False), one_line=False), end="")
    return 0


def render_expanded(store: Store, name: str, fmt: str) -> str:
    """A container's effective config; each key and device says where it came from."""
    import tomli_w

    view = store.containers.expanded(name)
    if fmt == "json":
        data = {
            "name": view.name,
            "profiles": view.profiles,
            "config": {
                k: {"value": v, "from": view.config_origin[k]} for k, v in view.config.items()
            },
            "devices": {
                n: {"device": d, "from": view.device_origin[n]} for n, d in view.devices.items()
            },
        }
        return json.dumps(data, indent=2) + "\n"
    out = [f"# expanded config of container {name!r}: profiles in order, then its own config",
           tomli_w.dumps({"name": view.name, "profiles": view.profiles}).rstrip()]  # fmt: skip
    out.append("\n[config]")
    for key, value in view.config.items():
        out.append(f"{tomli_w.dumps({key: value}).rstrip()}  # from {view.config_origin[key]}")
    for dev_name, device in view.devices.items():
        header = tomli_w.dumps({"devices": {dev_name: device}}).rstrip()
        first, _, rest = header.partition("\n")
        out.append(f"\n{first}  # from {view.device_origin[dev_name]}\n{rest}")
    return escape_control("\n".join(out), one_line=False) + "\n"


def _scope(args: argparse.Namespace) -> str | None:
    """The scope option of a kind named with one (``--service`` of a user): required there,
    refused for the other kinds."""
    kind = kinds.by_name(args.kind)
    for name, takers in _scopes().items():
        if kind not in takers and getattr(args, name, None) is not None:
            raise NodekeeperError(
                f"--{name} applies to {_spoken([k.plural for k in takers])} only "
                f"({takers[0].scope.means}), not to {kind.with_article}"  # type: ignore[union-attr]
            )
    if kind.scope is None:
        return None
    scope = kind.scope
    value = getattr(args, scope.name, None)
    if not args.name:
        raise NodekeeperError(
            f"which {kind.name}? name it by {kind.names_help}, such as "
            f"{scope.example.format(command=args.command)}"
        )
    if not value:
        raise NodekeeperError(
            f"--{scope.name} {scope.metavar} is required: {kind.with_article} is named with {scope.means}, "
            f"such as {scope.example.format(command=args.command)}"
        )
    return value


def cmd_export(args: argparse.Namespace) -> int:
    from . import documents

    scope = _scope(args)
    with _open(args, create=False) as store:
        text = documents.export(store, args.kind, args.name, scope)
    print(escape_control(text, one_line=False), end="")
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    from . import documents

    text, source = documents.read(args.file)
    data = documents.load(text, source)  # not TOML, too large or too deep: before the store opens
    with _open(args, create=True) as store:
        results = documents.apply_data(store, data, source)
    for r in results:
        print(f"{r.outcome} {r.kind} {escape_control(r.name)}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    kind = kinds.by_name(args.kind)
    if args.force and not kind.force_means:
        forced = [k for k in DELETABLE if k.force_means]
        raise NodekeeperError(
            f"--force applies to {_spoken([k.plural for k in forced])} only "
            f"({forced[0].force_means}), not to {kind.with_article}"
        )
    scope = _scope(args)
    spoken = kind.spoken(args.name, scope)  # a user's claims checked before the store opens
    with _open(args, create=False) as store:
        kind.delete(store, args.name, scope, force=args.force)
    print(f"deleted {kind.name} {escape_control(spoken)}")
    return 0


def cmd_services_expire(args: argparse.Namespace) -> int:
    from .claims import parse_claims

    current = None if args.users is None else parse_claims(args.users, "--users")
    with _open(args, create=False) as store:
        if args.dry_run:
            ids = [s.id for s in store.services.expired(current_users=current)]
        else:
            ids = store.services.remove_expired(current_users=current)
    verb = "would remove" if args.dry_run else "removed"
    for sid in ids:
        print(f"{verb} service {escape_control(sid)}")
    if not ids:
        print("no service has expired", file=sys.stderr)
    return 0


THREAT_FIELDS = (
    "ip", "score", "failed_logins", "invalid_users", "bans", "firewall_blocks",
    "accepted_logins", "first_seen", "last_seen",
)  # fmt: skip


def cmd_threats(args: argparse.Namespace) -> int:
    """The IPs by score now. On a store open for writing, the events stored since the last
    update are taken in first (``store.threats.update()``); a read-only one is shown as is."""
    if args.limit is not None and args.limit < 0:
        raise NodekeeperError(f"--limit {args.limit}: must be 0 or more")
    if not 0 <= args.min_score <= 100:
        raise NodekeeperError(f"--min-score {args.min_score:g}: must be from 0 to 100")
    with _open(args, create=False) as store:
        if not store.read_only and store.node_id:
            store.threats.update()
        found = store.threats.threats(min_score=args.min_score, limit=args.limit)

    records = [
        {"ip": t.ip, "score": t.score, "failed_logins": t.failed_logins,
         "invalid_users": t.invalid_users, "bans": t.bans, "firewall_blocks": t.firewall_blocks,
         "accepted_logins": t.accepted_logins, "first_seen": _iso(t.first_seen),
         "last_seen": _iso(t.last_seen)}
        for t in found
    ]  # fmt: skip
    if args.format == "json":
        print(json.dumps(records, indent=2))
        return 0
    if args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(THREAT_FIELDS)
        for record in records:
            writer.writerow([escape_control(v) for v in record.values()])
        return 0
    if not records:
        print("no IP scores that much" if args.min_score else "no IP in the log events",
              file=sys.stderr)  # fmt: skip
        return 0
    shown = [
        Column("ip", "IP", lambda *_: None, priority=1, width=15),
        Column("score", "Score", lambda *_: None, numeric=True, priority=1),
        Column("failed", "Failed", lambda *_: None, numeric=True),
        Column("invalid", "Invalid users", lambda *_: None, numeric=True, priority=3),
        Column("bans", "Bans", lambda *_: None, numeric=True),
        Column("blocks", "Blocks", lambda *_: None, numeric=True, priority=3),
        Column("accepted", "Accepted", lambda *_: None, numeric=True, priority=4),
        Column("last", "Last seen", lambda *_: None, priority=2, width=20),
        Column("first", "First seen", lambda *_: None, priority=5, width=20),
    ]
    rows = [
        [escape_control(r["ip"]), f"{r['score']:.1f}", str(r["failed_logins"]),
         str(r["invalid_users"]), str(r["bans"]), str(r["firewall_blocks"]),
         str(r["accepted_logins"]), r["last_seen"], r["first_seen"]]
        for r in records
    ]  # fmt: skip
    print(format_table(shown, rows, table_width()))
    return 0


def cmd_import_lxc(args: argparse.Namespace) -> int:
    from .importers.lxc import import_lxc
    from .progress import terminal_progress

    with _open(args, create=True) as store, terminal_progress() as bar:

        def progress(done: int, total: int, name: str) -> None:
            if bar is not None:
                bar.update("importing", done, total, item=name)

        report = import_lxc(store, args.directory, progress=progress)
    for name, message in sorted(report.failed.items()):
        print(f"error: {escape_control(name)}: {escape_control(message)}", file=sys.stderr)
    print(
        f"{len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.failed)} failed"
    )
    return 0 if report.ok else EXIT_ERROR


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import fill
    from .progress import terminal_progress

    with _open(args, create=True, add_node=True) as store, terminal_progress() as bar:
        summary = fill(store, containers=args.containers, days=args.days, seed=args.seed,
                       force=args.force, progress=None if bar is None else bar.update)  # fmt: skip
    print(summary.describe())
    return 0


# -- nodes -------------------------------------------------------------------------------------


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}%"


def cmd_nodes(args: argparse.Namespace) -> int:
    from .models.base import utcnow

    with _open(args, create=False) as store:
        nodes = store.nodes.list()
    now = utcnow()
    records = []
    for n in nodes:
        up = n.up(now)
        records.append({
            "node": n.name,
            "status": n.status(now),
            "up": up,
            # A node that is down has no "now": its last sample is history, not shown as current.
            "cpu_percent": n.cpu_percent if up else None,
            "memory_percent": n.memory_percent if up else None,
            "cpu_count": n.cpu_count,
            "memory_total": n.memory_total,
            "containers": n.containers,
            "services": n.services,
            "services_over_limit": n.over_limit,
            "hostname": n.hostname,
            "version": n.version,
            "last_heartbeat": n.last_heartbeat.isoformat() if n.last_heartbeat else None,
        })  # fmt: skip
    if args.format == "json":
        print(json.dumps(records, indent=2))
        return 0
    if args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(list(records[0]) if records else ["node"])
        for record in records:
            writer.writerow(["" if v is None else escape_control(v) for v in record.values()])
        return 0
    if not records:
        print("no nodes: a node is added by its collector (nodekeeper collect)", file=sys.stderr)
        return 0
    shown = [
        Column("node", "Node", lambda *_: None, priority=1, width=12),
        Column("status", "Status", lambda *_: None, priority=1, width=10),
        Column("cpu", "CPU", lambda *_: None, numeric=True),
        Column("memory", "Memory", lambda *_: None, numeric=True),
        Column("containers", "Containers", lambda *_: None, numeric=True),
        Column("services", "Services", lambda *_: None, numeric=True),
        Column("over", "Over limit", lambda *_: None, numeric=True),
        Column("hostname", "Hostname", lambda *_: None, priority=4),
        Column("version", "Version", lambda *_: None, priority=5),
    ]
    rows = [
        [escape_control(r["node"]), r["status"], _percent(r["cpu_percent"]),
         _percent(r["memory_percent"]), str(r["containers"]), str(r["services"]),
         str(r["services_over_limit"]), escape_control(r["hostname"]),
         escape_control(r["version"] or "")]
        for r in records
    ]  # fmt: skip
    print(format_table(shown, rows, table_width()))
    return 0


def cmd_nodes_remove(args: argparse.Namespace) -> int:
    name = escape_control(args.name)
    with _open(args, create=False) as store:
        what = store.nodes.remove(args.name, dry_run=True)  # checks the name, counts the rows
        print(f"node {name} holds {what.described()}")
        if store.nodes.get(args.name).up():
            print(f"node {name}'s collector is running: it stops at its next reading")
        if args.dry_run:
            print("nothing was changed (--dry-run)", file=sys.stderr)
            return 0
        if not args.yes:
            if not sys.stdin.isatty():
                raise NodekeeperError(
                    f"not removing node {name}: give --yes when not asked on a terminal"
                )
            if input(f"remove node {name} and all of it? [y/N] ").strip().lower() not in (
                "y",
                "yes",
            ):
                print("nothing was changed", file=sys.stderr)
                return EXIT_ERROR
        store.nodes.remove(args.name)
    print(f"removed node {name}")
    return 0


# -- db ----------------------------------------------------------------------------------------


def cmd_db_status(args: argparse.Namespace) -> int:
    from .db.migrate import read_status

    with _open(args, create=False, read_only=True, upgrade_schema=False) as store:
        status = read_status(store.engine)
        print(f"database: {store.location.display}")
        current = status.current if status.current is not None else "none (empty database)"
        print(f"schema version: {current} (this nodekeeper: {status.head})")
        if status.up_to_date:
            print("status: up to date")
        else:
            print(f"status: {len(status.pending)} pending: {', '.join(map(str, status.pending))}")
        if status.history:
            print("history:")
            for version, at in status.history:
                print(f"  version {version}  applied {at:%Y-%m-%d %H:%M:%S} UTC")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from .db.migrate import read_status, upgrade

    with _open(args, create=True, upgrade_schema=False) as store:
        if store.read_only:
            raise NodekeeperError(f"{store.location.display} is read-only: cannot upgrade it")
        before = read_status(store.engine).current
        applied = upgrade(store.engine, store.location.path)
        if not applied:
            print(f"schema version {before}: already up to date")
            return 0
        if before is None:  # the schema was made here: say where, as _open does for the others
            print(f"created a new database at {store.location.display}", file=sys.stderr)
        elif store.location.path is not None:
            print(f"backed up the database to {store.location.path}.bak")
        print(
            f"upgraded schema {before or 0} -> {applied[-1]} (applied {', '.join(map(str, applied))})"
        )
    return 0


def cmd_db_check(args: argparse.Namespace) -> int:
    from .db.check import check

    with _open(args, create=False, read_only=True, upgrade_schema=False) as store:
        problems = check(store)
    for problem in problems:
        print(f"problem: {problem}")
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return EXIT_ERROR
    print("ok")
    return 0


def cmd_db_cleanup(args: argparse.Namespace) -> int:
    with _open(args, create=False) as store:
        deleted = store.telemetry.cleanup(time.time())
    for table, count in deleted.items():
        print(f"{table:<20} {count:>10} deleted")
    return 0


def cmd_db_stats(args: argparse.Namespace) -> int:
    with _open(args, create=False) as store:
        rows, size = store.telemetry.stats()
        print(f"database: {store.location.display}")
    for table, count in rows.items():
        print(f"{table:<26} {count:>12} {in_number(count, 'row')}")
    print(f"{'size':<26} {human_size(size) if size is not None else 'in memory':>12}")
    return 0


LOG_KEYS = (
    "time", "level", "source", "program", "pid", "host", "ip", "user", "action", "message",
    "metadata",
)  # fmt: skip
FOLLOW_EVERY = 1.0  # seconds between reads of new events (--follow)


def _event_record(e: Any) -> dict[str, Any]:
    return {
        "time": _iso(e.timestamp), "level": e.level, "source": e.source, "program": e.program,
        "pid": e.pid, "host": e.host, "ip": e.ip, "user": e.user, "action": e.action,
        "message": e.message, "metadata": e.metadata,
    }  # fmt: skip


def _iso(ts: int, day: bool = False) -> str:
    """Unix seconds as ISO 8601 in UTC, ``2026-12-04T10:00:05Z`` (or the day alone)."""
    when = datetime.fromtimestamp(ts, UTC)
    return when.strftime("%Y-%m-%d") if day else when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _event_line(e: Any, zone: Any) -> str:
    """One event as a log line (journalctl's short form): local time, level, the log it came
    from, program[pid], message; untrusted text escaped."""
    when = datetime.fromtimestamp(e.timestamp, zone).strftime("%Y-%m-%d %H:%M:%S")
    who = escape_control(e.program or "-") + (f"[{e.pid}]" if e.pid is not None else "")
    return f"{when} {e.level:<8} {escape_control(e.source)} {who}: {escape_control(e.message)}"


class _EventWriter:
    """Events written out as they come, in ``fmt`` (json: an array, or one object per line
    while following)."""

    def __init__(self, fmt: str, zone: Any, *, lines: bool) -> None:
        self.fmt, self.zone, self.lines = fmt, zone, lines
        self.count = 0
        self._csv = csv.writer(sys.stdout, lineterminator="\n") if fmt == "csv" else None
        if self._csv is not None:
            self._csv.writerow(LOG_KEYS)
        elif fmt == "json" and not lines:
            sys.stdout.write("[")

    def write(self, events: Iterable[Any]) -> None:
        for e in events:
            if self.fmt == "table":
                print(_event_line(e, self.zone))
            elif self._csv is not None:
                record = _event_record(e)
                record["metadata"] = json.dumps(e.metadata) if e.metadata else None
                self._csv.writerow(
                    ["" if v is None else escape_control(str(v)) for v in record.values()]
                )
            elif self.lines:
                print(json.dumps(_event_record(e)))
            else:
                sys.stdout.write(
                    ("," if self.count else "") + "\n  " + json.dumps(_event_record(e))
                )
            self.count += 1
        sys.stdout.flush()

    def close(self) -> None:
        if self.fmt == "json" and not self.lines:
            sys.stdout.write("\n]\n" if self.count else "]\n")


def cmd_logs(args: argparse.Namespace) -> int:
    from .store.logs import EventFilter
    from .times import local_zone, parse_time

    zone, now = local_zone(), time.time()

    def when(option: str, text: str | None) -> int | None:
        return None if text is None else parse_time(text, now=now, zone=zone, option=option)

    wanted = EventFilter(
        source=args.source, level=args.level, action=args.action, ip=args.ip, user=args.user,
        since=when("--since", args.since), until=when("--until", args.until), text=args.grep,
    )  # fmt: skip
    with _open(args, create=False) as store:
        if args.count_by:
            return _print_counts(args, store.logs.count_by(args.count_by, wanted, limit=args.limit))
        # Following goes on from the last event stored before the first page was read.
        last = store.logs.last_id() if args.follow else 0
        events = store.logs.events(wanted, limit=args.limit or 50)
        out = _EventWriter(args.format, zone, lines=args.follow)
        out.write(events)
        if not args.follow:
            out.close()
            if not events and args.format == "table":
                print("no events" + (" match" if wanted != EventFilter() else ""), file=sys.stderr)
            return 0
        shown = {e.id for e in events if e.id > last}
        try:
            while True:
                new = [e for e in store.logs.newer(last, wanted) if e.id not in shown]
                out.write(new)
                last = max([last, *(e.id for e in new)])
                shown.clear()
                time.sleep(FOLLOW_EVERY)
        except KeyboardInterrupt:
            return 0


def _print_counts(args: argparse.Namespace, counts: list[tuple[Any, int]]) -> int:
    field = args.count_by
    by_time = field in ("hour", "day")
    shown = [(_iso(v, day=field == "day") if by_time else v, n) for v, n in counts]
    if args.format == "json":
        print(json.dumps([{field: v, "count": n} for v, n in shown], indent=2))
    elif args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([field, "count"])
        writer.writerows(["" if v is None else escape_control(str(v)), n] for v, n in shown)
    else:
        width = max((len(escape_control(str(v))) for v, _ in shown), default=0)
        for v, n in shown:
            print(f"{escape_control('-' if v is None else str(v)):<{width}}  {n:>10,}")
        if not shown:
            print("no events", file=sys.stderr)
    return 0


def cmd_logs_import(args: argparse.Namespace) -> int:
    from .collect.logs.ingest import import_files
    from .progress import terminal_progress

    if not args.paths and not args.journal:
        raise NodekeeperError("give the log files to read, or --journal")
    for path in args.paths:
        if not os.path.isfile(path):
            what = "is not a file" if os.path.exists(path) else "does not exist"
            raise NodekeeperError(f"{escape_control(path)} {what}; nothing was imported")
    with _open(args, create=True, add_node=True) as store, terminal_progress() as bar:
        summary = import_files(
            store, args.paths, fmt=args.format, progress=None if bar is None else bar.update
        )
        if args.journal:
            from .collect.logs.journal import import_journal

            summary.add(import_journal(store))
    for f in summary.files:
        print(
            f"{escape_control(f.path)}: {f.lines:,} {in_number(f.lines, 'line')}, "
            f"{f.events:,} {in_number(f.events, 'event')} ({f.format})"
        )
    print(
        f"{summary.lines:,} {in_number(summary.lines, 'line')}, {summary.events:,} "
        f"{in_number(summary.events, 'event')}, {summary.bytes:,} bytes in "
        f"{summary.seconds:.2f} s ({summary.lines_per_second:,.0f} lines/s)"
    )
    if summary.derived is not None:
        d = summary.derived
        print(
            f"then {d.ips:,} IP {in_number(d.ips, 'reputation')} and {d.patterns:,} trace "
            f"{in_number(d.patterns, 'pattern')} brought up to date, {summary.indexed:,} "
            f"{in_number(summary.indexed, 'event')} indexed for text search, in "
            f"{summary.derive_seconds:.2f} s"
        )
    return 0


def _collected_logs(args: argparse.Namespace) -> tuple[tuple[str, ...], bool]:
    """The log files the collector reads, and whether it reads the journal."""
    if args.no_logs:
        return (), False
    if args.logs:
        return tuple(args.logs), args.journal
    from .collect.logs.ingest import existing_default_logs
    from .collect.logs.journal import journal_available

    found = tuple(existing_default_logs())
    # A journal beside files rsyslog writes from it would give each line twice: the files win.
    return found, args.journal or (not found and journal_available())


def cmd_collect(args: argparse.Namespace) -> int:
    from .collect.daemon import Collector

    if args.interval is not None and args.interval <= 0:
        raise NodekeeperError(f"--interval: {args.interval} must be greater than 0")
    if args.procfs is not None and not Path(args.procfs, "stat").is_file():
        raise NodekeeperError(f"--procfs: {args.procfs} is not a /proc (it has no stat file)")
    _setup_logging(logging.INFO)
    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        logging.getLogger("nodekeeper").info(
            "%s: finishing the reading under way", signal.Signals(signum).name
        )
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, request_stop)
    with _open(args, create=True, announce_early=True, add_node=True) as store:
        logs, journal = _collected_logs(args)
        collector = Collector(store, interval=args.interval, procfs=args.procfs,
                              logs=logs, journal=journal)  # fmt: skip
        cycles = collector.run(stop, once=args.once)
    logging.getLogger("nodekeeper").info("%d %s written", cycles, in_number(cycles, "reading"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
