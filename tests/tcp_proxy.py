"""A TCP proxy in front of the PostgreSQL server, to take the database away from a client and give
it back, as a restart or a network outage would, without touching the server the other tests use.

``cut()`` closes every connection through it and refuses new ones (the port stays bound, so
nothing else takes it); ``restore()`` accepts again. ``url(pg_url)`` is ``pg_url`` pointed at
the proxy.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from urllib.parse import urlsplit, urlunsplit


class TcpProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._open = threading.Event()
        self._open.set()
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="tcp proxy", daemon=True)
        self._thread.start()

    @classmethod
    def for_url(cls, pg_url: str) -> TcpProxy:
        parts = urlsplit(pg_url)
        return cls((parts.hostname or "127.0.0.1", parts.port or 5432))

    def url(self, pg_url: str) -> str:
        parts = urlsplit(pg_url)
        user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        return urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{self.port}"))

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._open.is_set():
                client.close()  # refused while cut: the client sees its connection closed
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        sockets = [client, server]
        try:
            while True:
                ready, _, _ = select.select(sockets, [], [], 0.5)
                for each in ready:
                    data = each.recv(65536)
                    if not data:
                        return
                    (server if each is client else client).sendall(data)
        except (OSError, ValueError):  # ValueError: a socket closed by cut() meanwhile
            return
        finally:
            for each in sockets:
                with contextlib.suppress(OSError):
                    each.close()

    @property
    def connections(self) -> int:
        with self._lock:
            return sum(1 for c, _ in self._pairs if c.fileno() != -1)

    def cut(self) -> None:
        """Close every connection through the proxy and refuse new ones until ``restore``."""
        self._open.clear()
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for client, server in pairs:
            for each in (client, server):
                with contextlib.suppress(OSError):
                    each.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    each.close()

    def restore(self) -> None:
        self._open.set()

    def stop_listening(self) -> None:
        """Close every connection and the port itself: connecting is refused (nothing listens)
        until ``listen_again``."""
        self._closed = True
        self.cut()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() under way
        with contextlib.suppress(OSError):
            self._listener.close()
        self._thread.join(5)

    def listen_again(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._closed = False
        self._open.set()
        self._thread = threading.Thread(target=self._accept, name="tcp proxy", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed = True
        self.cut()
        with contextlib.suppress(OSError):
            self._listener.close()
