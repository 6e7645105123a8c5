"""The terminal driver: Textual's Linux driver, with an input thread that sleeps while idle.

Textual's input thread wakes every 0.1 s whether or not a key came, to let its escape-sequence
parser give up on a lone Escape after a timeout. On this console, refreshing once a second, those
ten wake-ups a second cost about 3.5 ms of CPU per second on a small VM: a sixth of the CPU the
dashboard may use while a collector writes, and most of what an idle section costs.

This input thread waits for input with no timeout, except while the parser holds an unfinished
sequence (a lone Escape waiting to be told from the start of a key code): then only until the
parser's own deadline. Stopping it (``exit_event.set()``, as the driver does when the app quits or
is suspended) writes to a pipe the thread also waits on, so it wakes at once.

Also unlike Textual's: a SIGCONT that comes without a SIGTSTP first does not start a second input
thread, and a terminal that hangs up while SIGHUP is ignored (``nohup``) ends the console instead
of leaving it running without a terminal.

Everything else (terminal modes, output, resizing, suspending) is Textual's ``LinuxDriver``. The
parser's deadline is read from its ``_timeout_time``, a private attribute: Textual is pinned to one
version in pyproject.toml, and ``tests/tui/test_driver.py`` runs the real driver in a
pseudo-terminal.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import threading
from codecs import getincrementaldecoder

from textual import messages
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

READ_SIZE = 4096


class _WakingEvent(threading.Event):
    """An Event whose ``set()`` also writes to a pipe, to wake a thread waiting in select()."""

    def __init__(self, wake_fd: int) -> None:
        super().__init__()
        self._wake_fd: int | None = wake_fd

    def set(self) -> None:
        super().set()
        if self._wake_fd is not None:
            # A full pipe (BlockingIOError) has a byte waiting already: the thread wakes anyway.
            with contextlib.suppress(BlockingIOError):
                os.write(self._wake_fd, b"\0")

    def close(self) -> None:
        """Close the pipe's write end; ``set()`` then only sets the flag."""
        fd, self._wake_fd = self._wake_fd, None
        if fd is not None:
            os.close(fd)


class IdleInputDriver(LinuxDriver):
    """``LinuxDriver`` whose input thread sleeps until a key, the parser's deadline or a stop."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._wake_read: int | None = None

    def start_application_mode(self) -> None:
        if self._key_thread is not None and self._key_thread.is_alive():
            # Started already: a SIGCONT without a SIGTSTP first (kill -CONT, a hangup) would
            # otherwise start a second input thread beside the first.
            return
        # A new pipe each time: suspending (Ctrl+Z) closes the driver, resuming starts it again.
        self._close_pipe()
        self._wake_read, wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(wake_write, False)
        self.exit_event = _WakingEvent(wake_write)
        super().start_application_mode()

    def run_input_thread(self) -> None:
        """Read the terminal and post its events until ``exit_event`` is set."""
        selector = selectors.PollSelector()  # select() refuses descriptors from 1024 on
        selector.register(self.fileno, selectors.EVENT_READ)
        wake = self._wake_read
        assert wake is not None  # start_application_mode made the pipe before this thread
        selector.register(wake, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode
        try:
            while not self.exit_event.is_set():
                for key, _ in selector.select(_wait(parser)):
                    if key.fd == wake:
                        _drain(wake)
                        continue
                    raw = os.read(self.fileno, READ_SIZE)
                    if not raw:  # the terminal hung up, or stdin (a pipe) closed
                        if self.input_tty:  # nobody left to type: quit (SIGHUP was ignored)
                            self._app.post_message(messages.ExitApp())
                        self.exit_event.wait()
                        break
                    data = decode(raw)  # "" while a character's bytes are split by reads
                    if data:  # (and feeding "" would tell the parser the input ended)
                        for event in parser.feed(data):
                            self.process_message(event)
                for event in parser.tick():
                    self.process_message(event)
        finally:
            selector.close()

    def close(self) -> None:
        super().close()
        self._close_pipe()

    def _close_pipe(self) -> None:
        # Both taken first: a signal handler restarting the driver in between must not have
        # its new pipe closed here.
        event, read = self.exit_event, self._wake_read
        self._wake_read = None
        if isinstance(event, _WakingEvent):
            event.close()
        if read is not None:
            os.close(read)


def _drain(fd: int) -> None:
    with contextlib.suppress(BlockingIOError):  # nothing more to read
        while os.read(fd, READ_SIZE):
            pass


def _wait(parser: XTermParser) -> float | None:
    """Seconds until the parser's deadline for an unfinished sequence; None: no deadline."""
    deadline = getattr(parser, "_timeout_time", 0.0)  # 0.0 (absent): Textual's 0.1 s polling
    if deadline is None:
        return None
    if deadline == 0.0:
        return 0.1
    return max(0.0, deadline - get_time())
