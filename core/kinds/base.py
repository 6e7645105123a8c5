"""What a kind of resource is, declared once: the CLI (``list``, ``show``, ``export``, ``apply``,
``delete`` and their help), the TOML documents and the console's sections (table, detail pane,
filter, sort, delete confirmation, command palette) are all drawn from these declarations.

A kind module in this package defines one ``Kind`` subclass and an instance of it named
``KIND``; the package finds it (see ``core/kinds/__init__.py``). What a kind declares:

- its names (singular, plural, the section title), how a resource is keyed and labelled, and
  its scope when a name alone is not unique (a user is a claim set *on a service*);
- its ``columns``: header, value, how the value is shown, whether it is numeric, how much it
  matters on a narrow terminal (``priority``) and a width hint; the same cells in the CLI's
  table, its CSV and JSON, and the console's table, by construction;
- its ``filters`` (``--using``, ``--profile``, ...), ``read`` (a snapshot of the kind in one
  ``store.reading()``), and the JSON form of one resource;
- its document form: the keys a TOML table may hold, which are required, how a table becomes a
  validated resource, how it is saved, its header, and the other kinds it refers to;
- what deleting one means (``delete_plan``: what goes with it, what stays, or why not).

Nothing here imports Textual: the console turns an ``Emphasis`` into bold text, a column's ``tones``
into colours. Nor does anything here import the store (and SQLAlchemy with it) when the kinds
load: ``nodekeeper --help`` is built from these declarations and must answer at once, so a kind
module imports what it needs of ``core.store`` in the methods that use it (annotations under
TYPE_CHECKING).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from ..text import human_size, short_id, utc_minutes, yes_no

if TYPE_CHECKING:
    from ..store import Store

Item = TypeVar("Item")
# A large kind's page: few enough to hold, many enough that queries are few. On PostgreSQL each
# page's child queries scan their tables whole (a hash join): 2,000 took 0.7x the time of 500 at
# 20,000 containers; `list --format json` peaks at 49 MiB against 45 MiB at 500 (SQLite).
PAGE_SIZE = 2000


# How a table (the CLI's and the console's) shows a value of each format; JSON and CSV keep the
# value itself (a size in bytes, a date in ISO 8601).
def as_text(value: object) -> str:
    """A list as ``a, b``; a table (devices, aliases) as its keys."""
    if isinstance(value, list | tuple | dict):
        return ", ".join(map(str, value))
    return str(value)


FORMATS: dict[str, Callable[[Any], str]] = {
    "text": as_text,
    "count": lambda v: str(len(v)),  # a table's or a list's number of entries
    "size": human_size,  # bytes in IEC units: 400 GiB
    "date": utc_minutes,  # UTC, to the minute
    "id": short_id,  # a fingerprint's first 12 hexadecimal digits
    "yes_no": yes_no,
}


FIXED_FORMATS = frozenset({"size", "date", "id", "yes_no", "count"})


@dataclass(frozen=True)
class Column(Generic[Item]):
    """One column of a kind's table.

    ``value(item, listing)`` is the value itself (JSON and CSV hold it, the table sorts by it);
    ``format`` says how a table shows it (``FORMATS``); a value of a fixed format (a size,
    a date, a fingerprint) is, like a number, shown whole or not at all. ``numeric``: right-aligned and never
    cut (shown whole or dropped on a narrow terminal). ``priority``: 1 matters most (a row's
    name), higher numbers are dropped and narrowed first. ``width``: a width hint, the
    narrowest a text column may be cut to on a narrow terminal (None: 8 cells); below that it
    is dropped instead. ``tones``: the tone of a value (``good``, ``muted``, ``bad``, ``warn``,
    ``alert``, ``busy``), the console's colour for it."""

    key: str  # its name in --columns, CSV headers and JSON objects
    header: str  # as the console shows it; the CLI shows it in capitals
    value: Callable[[Item, Any], object]
    format: str = "text"
    numeric: bool = False
    priority: int = 2
    width: int | None = None
    tones: Mapping[str, str] = field(default_factory=dict)
    # How a table shows the value when that needs the rest of the listing (an image by its
    # alias); overrides ``format``, and the column sorts by the text shown.
    text_of: Callable[[Any, Any], str] | None = None

    def text(self, value: object, listing: Any = None) -> str:
        """The value as a table shows it (not yet escaped): empty for None."""
        if value is None or value == "":
            return ""
        if self.text_of is not None:
            return self.text_of(value, listing)
        return FORMATS[self.format](value)

    @property
    def whole(self) -> bool:
        """Shown whole or dropped, never cut: numbers and values of a fixed format."""
        return self.numeric or self.format in FIXED_FORMATS

    def sort_value(self, value: object, listing: Any = None) -> object:
        """What the table sorts by: the value itself (a size as bytes, a date as a date), a
        count as its number, a table as its keys, or the text shown (``text_of``)."""
        if self.text_of is not None:
            return self.text(value, listing)
        if self.format == "count" and value is not None:
            return len(value)  # type: ignore[arg-type]
        if isinstance(value, dict):
            return list(value)
        return value

    def tone(self, value: object) -> str:
        return self.tones.get(value, "") if isinstance(value, str) else ""


@dataclass(frozen=True)
class Filter:
    """A ``list`` option that narrows a listing: ``--using br0``. ``help`` says what it keeps."""

    name: str  # the keyword ``read`` takes, and the option's name: --NAME
    metavar: str
    help: str

    @property
    def option(self) -> str:
        return f"--{self.name.replace('_', '-')}"


@dataclass(frozen=True)
class Scope:
    """What names a resource together with its name, when its name alone is not unique: a user
    (a claim set) is named with its service, ``--service ID``."""

    name: str  # the option: --NAME
    metavar: str
    means: str  # "the service a claim set is bound to"
    example: str  # a command that uses it; {command} is the command at hand (show, export)


@dataclass(frozen=True)
class Reference:
    """A document's key that names resources of another kind, which must exist in the store or
    in the same document: a container's ``profiles``, a user's ``service_id``."""

    key: str
    target: str  # the kind it names
    target_key: str  # the key that names a resource of that kind in a document


class Value(str):
    """Text from the store inside a sentence (a name, a folder): shown literally, on one line,
    control characters escaped. The other parts of a sentence are our own words."""


class Emphasis(Value):
    """A value that stands out (a resource's name in a delete confirmation): the console shows
    it bold."""


Message = tuple[str, ...]  # the parts of a sentence: our words, Values and Emphases


@dataclass(frozen=True)
class DeletePlan:
    """What deleting a resource means: the confirmation's title and message (what goes with
    it, what stays), the core call, and what is said once done."""

    title: str
    message: Message
    delete: Callable[[], None]
    done: str


def fields_table(resource: Any) -> dict[str, Any]:
    """The TOML table of a dataclass resource: every field in order, an unset one left out (TOML
    has no null), tables last so that the scalar keys stay at the top of the document."""
    table = {f.name: getattr(resource, f.name) for f in fields(resource)}
    table = {k: v for k, v in table.items() if v is not None}
    return {k: v for k, v in table.items() if not isinstance(v, dict)} | {
        k: v for k, v in table.items() if isinstance(v, dict)
    }


@dataclass(frozen=True)
class Listing(Generic[Item]):
    """A kind's snapshot: its resources by key, in the store's order, read in one
    ``store.reading()``, and whatever else its columns and detail need (``context``)."""

    items: dict[str, Item]
    context: Any = None


class Kind(Generic[Item]):
    """A kind of resource; see the module docstring. Subclasses set the class attributes and
    the methods their kind has; one that is not listed (the server config) has no columns."""

    name: ClassVar[str]  # singular: "container"
    plural: ClassVar[str]  # "containers": `nodekeeper list containers`, a document's [[containers]]
    title: ClassVar[str]  # the console's section: "Containers"
    tab: ClassVar[str | None] = None  # a shorter title for its tab, when the title is long
    order: ClassVar[int]  # its place among the kinds: sections, help and documents follow it
    apply_order: ClassVar[int]  # a document applies lower numbers first (what others name)
    article: ClassVar[str] = "a"  # "an image"
    domain: ClassVar[str | None] = None  # its change counter in the store (Store.revision)
    singleton: ClassVar[bool] = False  # one per store: a document's [NAME] table, not an array
    names_help: ClassVar[str] = "name"  # how `show`/`delete` name one
    empty_hint: ClassVar[str] = "Nothing here yet."
    columns: ClassVar[Sequence[Column[Any]]] = ()
    filters: ClassVar[Sequence[Filter]] = ()
    scope: ClassVar[Scope | None] = None
    # The document form: the keys a table may hold (None: the fields of ``resource_types[0]``),
    # those it must hold, and the kinds its keys name.
    known_keys: ClassVar[Sequence[str] | None] = None
    required: ClassVar[Sequence[str]] = ()
    references: ClassVar[Sequence[Reference]] = ()
    removed_on_apply: ClassVar[str] = "keys and devices"  # what a document leaving it out removes
    force_means: ClassVar[str] = ""  # what `delete --force` deletes too ("a running one")

    # -- names

    @property
    def resource_types(self) -> tuple[type, ...]:
        """The classes of its resources, a document's form first (``kinds.of_resource``).
        A property: most are the store's, imported only when asked for."""
        return ()

    @property
    def listed(self) -> bool:
        return bool(self.columns)

    @property
    def with_article(self) -> str:
        """``a container``, ``an image``."""
        return f"{self.article} {self.name}"

    def key(self, item: Item) -> str:
        """The row key of a resource in a listing (unique within the kind)."""
        return item.name  # type: ignore[attr-defined]

    def display(self, item: Item) -> str:
        """A resource's name as a person reads it: an image by its alias, not its key."""
        return self.key(item)

    def label(self, item: Item) -> str:
        """How messages name a resource: ``image 'ubuntu'``."""
        return f"{self.name} {self.display(item)!r}"

    def spoken(self, name: str, scope: str | None = None) -> str:
        """How messages name a resource given as the CLI names it (``deleted user ...``)."""
        return name

    def label_of(self, listing: Listing[Item] | None, key: str) -> str:
        item = listing.items.get(key) if listing is not None else None
        return self.label(item) if item is not None else f"{self.name} {key!r}"

    # -- reading

    # A large kind (containers: thousands, each with its config and devices) is never held whole
    # in memory: ``read_columns`` gives what its columns show and no more, and ``pages`` gives its
    # whole items a page at a time, in key order (keyset pagination: each page starts after the
    # last key of the one before). A small kind answers both with ``read``.
    large: ClassVar[bool] = False

    def read(self, store: Store, **filters: Any) -> Listing[Item]:
        """Every resource of the kind (narrowed by ``filters``), as one consistent snapshot."""
        raise NotImplementedError(f"{self.plural} are not listed")

    def read_columns(self, store: Store, **filters: Any) -> Listing[Item]:
        """What the columns show of every resource (a table, CSV, the console's section), as one
        snapshot. The items of a large kind lack what only their JSON and detail need: ``get``
        reads one whole."""
        return self.read(store, **filters)

    def column_pages(
        self, store: Store, *, size: int = PAGE_SIZE, **filters: Any
    ) -> Iterator[Listing[Item]]:
        """``read_columns`` a page at a time (``size`` in key order), all from one snapshot:
        what ``list --format csv`` writes as it reads. A small kind gives one page."""
        yield self.read_columns(store, **filters)

    def read_first(self, store: Store, count: int) -> tuple[Listing[Item], int] | None:
        """A large kind's first screen, read before the whole of ``read_columns``: what the
        columns show (as ``read_columns`` does) of the first ``count`` resources by name as
        a table sorts them (casefolded), and how many there are in all, from one snapshot.
        None: the kind reads whole as fast (a small kind)."""
        return None

    def pages(
        self, store: Store, *, size: int = PAGE_SIZE, **filters: Any
    ) -> Iterator[Listing[Item]]:
        """Every resource whole, as ``read`` gives them, ``size`` at a time in key order, all
        from one snapshot. A small kind gives one page."""
        yield self.read(store, **filters)

    def get(self, store: Store, name: str, scope: str | None = None) -> Any:
        """One resource, as ``show`` and ``export`` name it; NotFound when there is none."""
        raise NotImplementedError

    def to_json(self, item: Item, listing: Listing[Item]) -> dict[str, Any]:
        """A resource as a JSON object, ``name`` first."""
        raise NotImplementedError

    def listed_json(self, item: Item, listing: Listing[Item]) -> dict[str, Any]:
        """A resource as ``list --format json`` writes it: its JSON form, then the value of
        each column it lacks (``used_by``, ``networks``), so that every column is there."""
        data = self.to_json(item, listing)
        for column in self.columns:
            if column.key not in data:
                data[column.key] = column.value(item, listing)
        return data

    def json_texts(self, store: Store, **filters: Any) -> Iterator[object]:
        """Every resource (narrowed by ``filters``) as ``list --format json`` writes it
        (``listed_json``), for ``core.text.json_lines``, a page at a time from one snapshot: a
        kind of thousands may give each as its finished ``JsonText``."""
        for page in self.pages(store, **filters):
            for item in page.items.values():
                yield self.listed_json(item, page)

    def index(self, store: Store) -> list[tuple[str, str]]:
        """(row key, label) of every resource, for the command palette."""
        listing = self.read(store)
        return [(key, f"{self.name} {self.display(item)}") for key, item in listing.items.items()]

    # -- documents

    def to_table(self, resource: Any) -> dict[str, Any]:
        """The TOML table of a resource (its ``kind`` key is added by core.documents)."""
        raise NotImplementedError

    def from_table(self, body: Mapping[str, Any]) -> Any:
        """The validated resource of a table's known keys: a ValidationError (FieldErrors when
        several) for each field that breaks its rule."""
        raise NotImplementedError

    def document_name(self, resource: Any) -> str:
        """How a document's resource is named in messages and duplicates are found."""
        return resource.name

    def header(self, resource: Any) -> str:
        """The comment at the top of an exported document."""
        name = self.document_name(resource)
        return (
            f"# nodekeeper {self.name} {name!r}\n"
            "# Apply with: nodekeeper apply FILE\n"
            f"# Applying replaces the {self.name} whole: {self.removed_on_apply} removed here are "
            "removed from the store.\n"
        )

    def save(self, store: Store, resource: Any) -> str:
        """Create or replace the resource: ``created``, ``updated`` or ``unchanged``."""
        raise NotImplementedError

    def names_in_store(self, store: Store) -> set[str]:
        """The names other kinds' references may use (``Reference.target_key``)."""
        raise NotImplementedError

    # -- deleting

    def delete(self, store: Store, name: str, scope: str | None = None, force: bool = False):
        """Delete one resource as ``nodekeeper delete`` names it."""
        raise NotImplementedError(f"{self.plural} cannot be deleted")

    @property
    def deletable(self) -> bool:
        return type(self).delete is not Kind.delete

    def delete_plan(self, store: Store, listing: Listing[Item], key: str) -> DeletePlan | str:
        """What deleting ``key`` means, or why it cannot be deleted (the console asks first)."""
        raise NotImplementedError
