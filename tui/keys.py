"""Keys typed in one burst are handled one at a time, each by what has the focus when it comes.

Textual (8.2.8) hands a key to the widget focused at the moment the App reads it, while the
keys before it may still be on their way. A Tab goes to the focused Input, which does not use
it; it bubbles up to the App, and only there does its binding move the focus. Typed in one
burst (a fast typist, a terminal without bracketed paste, ``tmux send-keys "web1" Tab "2"``),
the keys after the Tab have all been handed to the first field by then, and the whole line
lands in it. "/" and then text (the filter), "n" and then text (the form opening), Tab and then
Enter (a select, not the field before it) go astray the same way.

``KeysInOrder`` holds a key while the previous one is being handled: until the widget that
used it, or the screen it bubbled up through, has processed it (each widget's message signal
says so), and then until what it set going has settled: the App's bindings, the messages they
sent (an Input's Submitted, whose handler moves the focus), a screen it opened mounting and
focusing its first field. The next key then goes to whatever has the focus, as if typed
slowly. A key typed alone is handed on at once.

A Textual limitation, with no setting to change it: its pilot waits for the app to be idle
after each key it presses, so tests written with it never meet it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from functools import partial
from typing import Any

from textual import events
from textual.app import App, ReturnType
from textual.message import Message
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.worker import Worker

# Seconds a key waits at most for the one before it (its way, then what it set going): only
# reached when a widget on its way was removed before handling it, a worker it started takes
# longer (a huge store), or the app never goes quiet; the key is handed on anyway.
KEY_PATIENCE = 2.0
WORKER_POLL = 0.005  # seconds between looks at what the key set going (a thread: no event)

Typed = events.Key | events.Paste


class KeysInOrder(App[ReturnType]):
    """An App whose keys (and pastes) are handled one after the other, in the order typed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._typed_ahead: deque[Typed] | None = None  # None: no key being handled
        self._key_waiter: asyncio.Task[None] | None = None

    @property
    def keys_pending(self) -> bool:
        """Whether a key typed is still being handled, or waits for the one before it."""
        return self._typed_ahead is not None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, Typed) and not event.is_forwarded:  # from the terminal
            if self._typed_ahead is not None:
                self._typed_ahead.append(event)
            else:
                self._typed_ahead = deque()
                await self._hand_on(event)
            return
        await super().on_event(event)

    async def _hand_on(self, event: Typed) -> None:
        """Let Textual handle ``event`` (priority bindings, else the focused widget, which
        passes it up to the App's bindings unless it uses it); the next key waits for that."""
        running = {worker for worker in self.workers if worker.is_running}
        await super().on_event(event)
        if not self.is_running:  # the key closed the app (q): nothing is left to hand keys to
            self._typed_ahead = None
            return
        handled = asyncio.Event()
        way: list[MessagePump] = []  # the widgets it goes through, the focused one first
        if not event.is_forwarded:  # a priority binding took it
            handled.set()
        else:
            # No await from here on: the key is in the focused widget's queue, not handled.
            for node in (self.focused or self.screen).ancestors_with_self:
                way.append(node)
                if isinstance(node, Screen):
                    break
            for pump in way:
                pump.message_signal.subscribe(
                    self, partial(self._seen, event, pump is way[-1], handled), immediate=True
                )
        self._key_waiter = asyncio.create_task(self._settled(handled, way, running))

    @staticmethod
    def _seen(event: Typed, last: bool, handled: asyncio.Event, message: Message) -> None:
        """A widget on the key's way has processed a message: is it the key, and its end?"""
        # Private: Message has no public "stopped" (the widget used the key).
        if message is event and (last or message._stop_propagation):
            handled.set()

    async def _settled(
        self, handled: asyncio.Event, way: list[MessagePump], running: set[Worker[Any]]
    ) -> None:
        """Wait for the key to be handled, then for what it set going: the workers it
        started (the rows of the section it showed: "2" then "n" is a new container, not
        "Still reading the store"), the messages it caused (an Input's Submitted whose
        handler focuses the table), a screen it opened mounting (and focusing its first
        field): until none of these is left."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + KEY_PATIENCE
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(handled.wait(), KEY_PATIENCE)
            for pump in way:
                pump.message_signal.unsubscribe(self)
            await asyncio.sleep(0)  # the messages the key posted are queued by now
            # Polled, not spun: each look walks the screen, and a spin would take the CPU from
            # the very handlers it waits for.
            while loop.time() < deadline:
                started = any(w.is_running and w not in running for w in self.workers)
                if not started and self._quiet():
                    break
                await asyncio.sleep(WORKER_POLL)
        finally:
            self.call_later(self._next_key)

    def keys_wait_for(self) -> bool:
        """Whether the app has work under way, besides messages and workers, that the next
        key must wait for (a timer it retries on): for an App to override."""
        return False

    def _quiet(self) -> bool:
        screen = self.screen
        if not screen.is_mounted or self.keys_wait_for():
            return False
        # Private: Textual has no public "has messages waiting".
        return all(
            node._message_queue.empty() for node in (self, *screen.walk_children(with_self=True))
        )

    def _next_key(self) -> None:
        if self._typed_ahead:
            self.call_next(self._hand_on, self._typed_ahead.popleft())
        else:
            self._typed_ahead = None

    def _on_unmount(self) -> None:
        if self._key_waiter is not None:
            self._key_waiter.cancel()
