"""The generic look of a kind, and what every look shares: the colour of a tone, a delete
plan's message as styled text."""

from __future__ import annotations

from typing import Any

from textual.content import Content

from core import Store
from core.kinds import Kind
from core.kinds.base import Emphasis, Listing, Message, Value, as_text

from .. import editor
from ..widgets.detail_pane import Detail
from ..widgets.form import FormModal
from ..widgets.safe import safe

# A column's tone (core.kinds.base.Column.tones) as the console colours it.
TONE_STYLE = {"good": "green", "muted": "dim", "bad": "red", "warn": "yellow",
              "alert": "yellow bold", "busy": "cyan"}  # fmt: skip


def tone_style(kind: Kind[Any], column: str, value: object) -> str:
    """The style of ``value`` in the column ``column`` of ``kind`` (a state in green)."""
    found = next(c for c in kind.columns if c.key == column)
    return TONE_STYLE.get(found.tone(value), "")


def message_content(message: Message) -> Content:
    """A sentence of a delete plan as text: store values literal and escaped (an Emphasis in
    bold), our own words as they are (never parsed as markup)."""

    def part(text: str) -> Content:
        if isinstance(text, Emphasis):
            return safe(text, "bold")
        return safe(text) if isinstance(text, Value) else Content(text)

    return Content.assemble(*(part(text) for text in message))


class Look:
    """How a section shows one kind; the generic look, which subclasses refine."""

    def detail(self, kind: Kind[Any], listing: Listing[Any], key: str) -> Detail:
        """The detail pane: the resource's JSON form, tables under headings of their own."""
        data = kind.listed_json(listing.items[key], listing)
        d = Detail(kind.display(listing.items[key]))
        tables = {k: v for k, v in data.items() if isinstance(v, dict)}
        for name, value in data.items():
            if name not in tables:
                shown = as_text(value) if isinstance(value, list) else value
                d.field(name.replace("_", " "), shown)
        for name, table in tables.items():
            d.heading(name.replace("_", " ").capitalize(), len(table)).fields(table)
        return d

    @property
    def has_form(self) -> bool:
        return type(self).form is not Look.form

    def form(self, store: Store, listing: Listing[Any], key: str | None) -> FormModal[str] | None:
        """The create (key None) or edit form; its submit returns the key to select. None: the
        kind has no form (``E`` edits it as a document)."""
        return None

    def document(self, store: Store, kind: Kind[Any], key: str, label: str) -> editor.Document:
        """The resource as ``nodekeeper export`` writes it, for ``E``; ``label`` names it."""
        return editor.core_document(store, kind.name, key, label)
