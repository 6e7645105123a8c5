"""Edit a resource as a TOML document in ``$VISUAL`` / ``$EDITOR``, the way ``lxc config edit``
works.

The editor opens on the exported document (its commented header first). When the file comes
back:

- unchanged: nothing is written, and the user is told so;
- invalid (not TOML, a rule broken, another resource named): the editor reopens on the user's
  text with the problems as ``# !`` comments at the top;
- the resource changed in the store while the editor was open: the editor reopens on the new
  version, with the user's text kept below it as comments to copy from;
- otherwise it is applied through core in one transaction, which first checks, inside that
  transaction, that the store still holds the version the user started from.

Saving a file unchanged after a problem (or empty) cancels. ``edit()`` is the loop; it runs in a
thread worker and gets the editor through a callable that runs it on the main thread.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from core import DocumentError, NodekeeperError, NotFound, Store
from core import documents as docs
from core.text import escape_control

NOTICE = "# ! "
KEPT = "# | "


class ChangedMeanwhile(Exception):
    """The store's version is no longer the one the user started from."""

    def __init__(self, current: str) -> None:
        super().__init__("changed in the store meanwhile")
        self.current = current


class EditorFailed(Exception):
    """The editor could not run or exited with an error; nothing is applied."""


@dataclass
class Document:
    """One resource as a document: ``export()`` reads it, ``apply(original, text)`` writes it in
    one transaction (raising ChangedMeanwhile when the store no longer holds ``original``) and
    returns ``"updated"`` or ``"unchanged"``. Both run in a worker thread."""

    title: str  # "container 'web1'"
    export: Callable[[], str]
    apply: Callable[[str, str], str]


@dataclass(frozen=True)
class Outcome:
    message: str
    severity: str = "information"  # as App.notify takes it
    written: bool = False


def core_document(store: Store, kind: str, name: str, title: str | None = None) -> Document:
    """A resource of ``kind`` as ``nodekeeper export`` writes it, applied as
    ``nodekeeper apply`` would, limited to that one resource. ``title`` names it in messages
    (a certificate by its name, not its fingerprint)."""
    title = title or f"{kind} {name!r}"

    def export() -> str:
        return docs.export(store, kind, name)

    def apply(original: str, text: str) -> str:
        data = docs.load(text, title)
        with store.transaction():
            resources = docs.check(store, data, title)  # every problem, as `apply` lists them
            if len(resources) != 1 or (docs.kind_of(resources[0]), docs.name_of(resources[0])) != (
                kind,
                name,
            ):
                raise DocumentError(
                    [
                        f"this document edits {title} only: keep its kind and name "
                        f"(to create other resources use `nodekeeper apply FILE`)"
                    ],
                    title,
                )
            current = docs.export(store, kind, name)
            if current != original:
                raise ChangedMeanwhile(current)
            [applied] = docs.apply(store, resources, title)
        return applied.outcome

    return Document(title, export, apply)


def editor_command() -> list[str]:
    """``$VISUAL``, else ``$EDITOR`` (either may hold arguments), else ``vi``."""
    for variable in ("VISUAL", "EDITOR"):
        value = os.environ.get(variable, "").strip()
        if value:
            return shlex.split(value)
    return ["vi"]


def run_editor(text: str, suffix: str = ".toml") -> str:
    """Write ``text`` to a private temporary file, run the editor on it, return what it holds
    then. EditorFailed when the editor cannot start or exits with an error."""
    command = editor_command()
    fd, name = tempfile.mkstemp(prefix="nodekeeper-", suffix=suffix)  # mode 0600
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            result = subprocess.run([*command, str(path)], check=False)
        except OSError as exc:
            raise EditorFailed(
                f"cannot run the editor {shlex.join(command)!r}: {exc.strerror or exc}; "
                "set $VISUAL or $EDITOR"
            ) from None
        if result.returncode != 0:
            raise EditorFailed(
                f"the editor {shlex.join(command)!r} exited with status {result.returncode}"
            )
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise EditorFailed("the edited file is not UTF-8 text") from None
    finally:
        path.unlink(missing_ok=True)


def with_notice(notice: Iterable[str], body: str) -> str:
    """``body`` under ``# !`` comment lines (each escaped: a message can hold any text)."""
    lines = [
        NOTICE + escape_control(part)
        for message in notice
        for part in (str(message).splitlines() or [""])
    ]
    return "\n".join(lines) + "\n" + body if lines else body


def strip_notice(text: str) -> str:
    """``text`` without the ``# !`` lines at its top (the last round's problems)."""
    lines = text.splitlines(keepends=True)
    start = 0
    while start < len(lines) and lines[start].startswith(NOTICE.rstrip()):
        start += 1
    return "".join(lines[start:])


def kept(text: str) -> str:
    """The user's text as comments, to copy from."""
    return "".join(f"{KEPT}{line}\n" for line in text.splitlines())


def edit(document: Document, open_editor: Callable[[str], str]) -> Outcome:
    """The edit loop (see the module docstring). ``open_editor(text)`` returns the edited text
    or raises EditorFailed; nothing is written unless an Outcome says ``written``."""
    title = document.title
    try:
        original = document.export()
    except NotFound as exc:
        return Outcome(f"{exc}: nothing to edit", "error")
    shown = original
    first = True
    while True:
        try:
            edited = open_editor(shown)
        except EditorFailed as exc:
            return Outcome(f"{exc}; nothing was changed", "error")
        if edited == shown:
            message = "No change" if first else "Edit cancelled"
            return Outcome(f"{message}: {title} was not changed")
        first = False
        body = strip_notice(edited)
        if not body.strip():
            return Outcome(f"Empty document: edit cancelled, {title} was not changed")
        try:
            outcome = document.apply(original, body)
        except ChangedMeanwhile as changed:
            original = changed.current
            shown = with_notice(
                [
                    f"{title} changed in the store while you were editing: this is the new",
                    "version. Your edit was NOT applied; it is kept at the end, commented out.",
                    "Edit this version and save, or save it unchanged to cancel.",
                ],
                original + "\n" + NOTICE + "your edit:\n" + kept(body),
            )
            continue
        except NotFound as exc:
            return Outcome(f"{exc} (deleted meanwhile); your edit was not applied", "error")
        except DocumentError as exc:
            problems = exc.problems
        except NodekeeperError as exc:
            problems = str(exc).splitlines()
        else:
            if outcome == "unchanged":
                return Outcome(f"No change: {title} already holds this")
            return Outcome(f"{title[0].upper()}{title[1:]} {outcome}", written=True)
        shown = with_notice(
            [
                "The document was not applied:",
                *(f"  {problem}" for problem in problems),
                "Fix it and save, or save it unchanged to cancel. (Line numbers count from the",
                "first line after these '# !' lines, which are removed before reading.)",
            ],
            body,
        )
