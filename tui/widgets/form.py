"""A modal form that validates as you type with core's rules and writes through core.

``FormModal[T]`` shows ``Field``s, one per line. Every change parses each field (``check``: the
text as core wants it, a number, a list, a table) and then runs ``validate(values)``: core's own
validation of the whole resource (``ContainerRepo.validated`` and the like, no write). Every
problem core reports (``FieldErrors``: each field at once) is shown under the field its error
names (``config.limits cpu`` is the config field), as core words it; a field shows its
problems once it has been changed or left, every field on a save. Saving runs
``submit(values)`` in a thread worker, where it calls core (one
transaction); an error core raises then (a name taken meanwhile) is shown the same way. On
success the modal is dismissed with what ``submit`` returned; Escape cancels (None).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, TypeVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static, TextArea
from textual.worker import get_current_worker

from core import AlreadyExists, InUse, NodekeeperError, NotFound, ValidationError
from core.errors import FieldErrors

from .safe import plain, safe, text_of

T = TypeVar("T")
Check = Callable[[Any], Any]  # raw widget value -> value for core; raises NodekeeperError


def same(value: Any) -> Any:
    return value


@dataclass
class Field:
    """One form field. ``check`` turns the widget's value into the value core gets, raising core's
    error when it breaks a rule; ``errors`` are the words of core's error fields that point here
    (``"config"`` for ``container web1 config key``)."""

    name: str
    label: str
    value: str | bool = ""
    kind: Literal["text", "lines", "select", "check"] = "text"
    options: Sequence[str] = ()
    placeholder: str = ""
    check: Check = same
    disabled: bool = False
    errors: tuple[str, ...] = ()
    help: str = ""


def error_text(exc: BaseException) -> str:
    """An error's message, safe to show: control characters escaped line by line."""
    return "\n".join(text_of(line) for line in str(exc).splitlines()) or repr(exc)


def each_error(exc: NodekeeperError) -> list[NodekeeperError]:
    """The errors one error from core stands for: each field's, when it reports several."""
    return list(exc.errors) if isinstance(exc, FieldErrors) else [exc]


def error_words(exc: BaseException) -> list[str]:
    """The words of the field an error names, the field of the form first: a ValidationError
    names its field's path in the resource (``config.user.name``: the config field, not the
    name), another error a kind of resource, last word first (``image alias``: the aliases)."""
    if isinstance(exc, ValidationError):
        return [w for w in re.split(r"[\s.]+", str(exc.field)) if w]
    if isinstance(exc, AlreadyExists | NotFound | InUse):
        return list(reversed([w for w in re.split(r"[\s.]+", str(exc.kind)) if w]))
    return []


class YesNo(Checkbox):
    """A checkbox that says its state in words, ``yes`` or ``no``: the tick alone is told apart
    by its colour only, which a terminal (or a reader) may not show."""

    def __init__(self, value: bool, **kwargs: Any) -> None:
        super().__init__(self.word(value), value, **kwargs)

    @staticmethod
    def word(value: bool) -> str:
        return "yes" if value else "no"

    def watch_value(self) -> None:
        self.label = self.word(self.value)
        super().watch_value()


class TypeToPick(Select[str]):
    """A list of choices that, closed, takes typed text as select boxes do: it picks the
    first choice starting with what was typed since it got the focus (else the first holding
    it); Backspace takes the last character back. Text that matches no choice is said, not
    dropped. Space, Enter and the arrows open the list as in any Select."""

    def __init__(self, choices: Sequence[str], **kwargs: Any) -> None:
        # store text: shown literally
        super().__init__([(plain(choice), choice) for choice in choices], **kwargs)
        self.choices = list(choices)
        self.typed = ""

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        return self.takes(character) or super().check_consume_key(key, character)

    def takes(self, character: str | None) -> bool:
        printable = character is not None and character.isprintable()
        return printable and character != " " and not self.expanded  # Space opens the list

    def match(self, typed: str) -> str | None:
        wanted = typed.casefold()
        folded = [(choice.casefold(), choice) for choice in self.choices]
        return next((c for f, c in folded if f.startswith(wanted)), None) or next(
            (c for f, c in folded if wanted in f), None
        )

    def on_key(self, event: events.Key) -> None:
        if self.takes(event.character):
            typed = self.typed + str(event.character)
        elif event.key == "backspace" and not self.expanded and self.typed:
            typed = self.typed[:-1]
        else:
            return
        event.stop()
        event.prevent_default()
        matched_before = not self.typed or self.match(self.typed) is not None
        self.typed = typed
        choice = self.match(typed) if typed else None
        if choice is not None:
            self.value = choice
        elif typed and matched_before:  # said once, when the text stops matching
            self.notify(f"no choice matches {typed!r}", severity="warning", markup=False)

    def on_focus(self) -> None:
        self.typed = ""

    def on_blur(self) -> None:
        self.typed = ""


class FormModal(ModalScreen[T | None], Generic[T]):
    DEFAULT_CSS = """
    FormModal {
        align: center middle;
    }
    FormModal > #dialog {
        width: 86;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary 60%;
        background: $surface;
        padding: 0 1;
    }
    FormModal #title {
        text-style: bold;
        padding-bottom: 1;
    }
    FormModal #fields {
        height: auto;
        max-height: 1fr;
    }
    FormModal .field {
        height: auto;
    }
    FormModal .field > Label {
        width: 16;
        color: $text-muted;
    }
    FormModal .field Input, FormModal .field Select {
        width: 1fr;
    }
    FormModal .field TextArea {
        width: 1fr;
        height: 4;
        background: $boost;
    }
    FormModal .field Checkbox {
        width: auto;
    }
    FormModal .field-help {
        padding-left: 16;
        color: $text-muted;
        text-style: italic;
    }
    FormModal .field-error, FormModal #form-error {
        display: none;
        color: $text-error;
        padding-left: 16;
    }
    FormModal #form-error {
        padding-left: 0;
    }
    FormModal .field-error.-shown, FormModal #form-error.-shown {
        display: block;
    }
    FormModal #buttons {
        height: auto;
        align-horizontal: right;
        padding-top: 1;
    }
    FormModal Button {
        margin-left: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        title: object,
        fields: Sequence[Field],
        submit: Callable[[dict[str, Any]], T],
        *,
        validate: Callable[[dict[str, Any]], object] | None = None,
        save_label: str = "Save",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.fields = {field.name: field for field in fields}
        self.submit = submit
        self.validate = validate
        self.save_label = save_label
        self.errors: dict[str, str] = {}  # field name ("" for the form) -> message shown
        self.touched: set[str] = set()
        self.ready = False  # Changed messages before the first refresh are the initial values

    # -- layout

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(safe(self.title_text), id="title")
            with VerticalScroll(id="fields"):
                for field in self.fields.values():
                    with Horizontal(classes="field", id=f"row-{field.name}"):
                        yield Label(Content(field.label))
                        yield self._widget(field)
                    if field.help:
                        yield Static(Content(field.help), classes="field-help")
                    yield Static("", classes="field-error", id=f"error-{field.name}")
            yield Static("", id="form-error")
            with Horizontal(id="buttons"):
                yield Button(f"{self.save_label} (ctrl+s)", variant="primary", id="save",
                             compact=True)  # fmt: skip
                yield Button("Cancel (esc)", id="cancel", compact=True)
        yield Footer(compact=True)  # this form's keys, over the App's (not in force here)

    def _widget(self, field: Field) -> Widget:
        wid = f"field-{field.name}"
        if field.kind == "check":
            return YesNo(bool(field.value), id=wid, disabled=field.disabled, compact=True)
        if field.kind == "select":
            return TypeToPick(
                field.options,
                value=field.value if field.value in field.options else Select.NULL,
                allow_blank=field.value not in field.options,
                id=wid,
                disabled=field.disabled,
                compact=True,
            )
        if field.kind == "lines":
            area = TextArea(
                str(field.value), id=wid, disabled=field.disabled, compact=True, soft_wrap=False
            )
            area.placeholder = field.placeholder
            return area
        return Input(
            str(field.value),
            placeholder=field.placeholder,
            id=wid,
            disabled=field.disabled,
            compact=True,
        )  # entered with Tab, its text is selected: typing replaces it

    def on_mount(self) -> None:
        first = next((f for f in self.fields.values() if not f.disabled), None)
        if first is not None:
            self.widget(first.name).focus()
        self.call_after_refresh(self._ready)

    def _ready(self) -> None:
        self.ready = True

    # -- values and checks

    def widget(self, name: str) -> Widget:
        return self.query_one(f"#field-{name}")

    def raw(self, name: str) -> Any:
        widget = self.widget(name)
        if isinstance(widget, TextArea):
            return widget.text
        if isinstance(widget, Select):
            return None if widget.value is Select.NULL else widget.value
        if isinstance(widget, Checkbox | Input):
            return widget.value
        raise AssertionError(widget)

    def problems(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Every field parsed, then the whole checked by core: (values, problems by field name,
        "" for a problem that names no field)."""
        values: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for name, field in self.fields.items():
            try:
                values[name] = field.check(self.raw(name))
            except NodekeeperError as exc:
                problems[name] = error_text(exc)
                # core still checks the other fields: this one counts as it was at the start
                values[name] = self.start_value(field)
        if self.validate is not None:
            try:
                self.validate(dict(values))
            except FieldErrors as exc:  # several fields broken: each shown under its own
                for error in exc.errors:
                    problems.setdefault(self.field_for(error) or "", error_text(error))
            except NodekeeperError as exc:
                for error in each_error(exc):  # a field's own parse problem comes first
                    problems.setdefault(self.field_for(error) or "", error_text(error))
        return values, problems

    @staticmethod
    def start_value(field: Field) -> Any:
        """The field's value as the form opened with it (None if even that does not parse)."""
        try:
            return field.check(field.value)
        except NodekeeperError:
            return None

    def revalidate(self, *, everything: bool = False) -> dict[str, Any] | None:
        """Show the problems of the touched fields (of all, on a save); the values when none."""
        values, problems = self.problems()
        for name in self.fields:
            shown = everything or name in self.touched
            self.show_error(name, problems.get(name) if shown else None)
        self.show_error(None, problems.get("") if everything else None)
        return None if problems else values

    def show_error(self, name: str | None, message: str | None) -> None:
        target = self.query_one(f"#error-{name}" if name else "#form-error", Static)
        target.update(Content(message or ""))
        target.set_class(bool(message), "-shown")
        if name is not None:
            self.query_one(f"#row-{name}").set_class(bool(message), "-invalid")
        if message:
            self.errors[name or ""] = message
        else:
            self.errors.pop(name or "", None)

    def field_for(self, exc: BaseException) -> str | None:
        """The field an error from core is about, if any."""
        # A ValidationError names a field ("ttl", "config.limits cpu"): a field of that
        # very name first. Other errors name a kind of resource ("service 'x' already exists"):
        # the field that declares it in ``errors`` (the id), never one that happens to share it.
        by_name = isinstance(exc, ValidationError)
        for word in error_words(exc):
            if by_name and word in self.fields:
                return word
            for field in self.fields.values():
                if word in field.errors:
                    return field.name
        return None

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _changed(self, event: Input.Changed) -> None:
        widget = event.control
        if self.ready and widget.id and widget.id.startswith("field-"):
            self.touched.add(widget.id.removeprefix("field-"))
            self.revalidate()

    @on(events.DescendantBlur)
    def _left(self, event: events.DescendantBlur) -> None:
        """A field left (Tab past it, say) shows its problems, changed or not."""
        name = (event.widget.id or "").removeprefix("field-")
        if self.ready and self.is_attached and name in self.fields and name not in self.touched:
            self.touched.add(name)
            self.revalidate()

    # -- saving

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        if self.query_one("#save", Button).disabled:
            return  # a save is under way
        values = self.revalidate(everything=True)
        if values is None:
            bad = next((name for name in self.fields if name in self.errors), None)
            if bad is not None:
                self.widget(bad).focus()
            return
        self.query_one("#save", Button).disabled = True
        self._save(values)

    @work(thread=True, exclusive=True, group="save", description="write through core")
    def _save(self, values: Mapping[str, Any]) -> None:
        worker = get_current_worker()
        try:
            result = self.submit(dict(values))
        except NodekeeperError as exc:
            self.app.call_from_thread(self._failed, exc)
        except Exception as exc:  # a driver error core did not translate: no traceback
            detail = getattr(exc, "orig", None) or exc
            self.app.call_from_thread(self._failed, RuntimeError(f"cannot save: {detail}"))
        else:
            if not worker.is_cancelled:
                self.app.call_from_thread(self.dismiss, result)

    def _failed(self, exc: BaseException) -> None:
        self.query_one("#save", Button).disabled = False
        errors = each_error(exc) if isinstance(exc, NodekeeperError) else [exc]
        names = [self.field_for(error) for error in errors]
        for name, error in reversed(list(zip(names, errors, strict=True))):  # the first wins
            if name is not None:
                self.touched.add(name)
            self.show_error(name, error_text(error))
        first = next((name for name in names if name is not None), None)
        if first is not None:
            self.widget(first).focus()
