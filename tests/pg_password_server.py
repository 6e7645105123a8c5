"""A PostgreSQL server that asks for a password and keeps it: what libpq sends when the URL has
no password (PGPASSWORD, ~/.pgpass), which the local test server, trusting every connection,
never asks for. It speaks the protocol's start (SSL refused, a cleartext password asked for),
then refuses the login as a real server refuses a wrong password."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading


class PasswordServer:
    """Listens on 127.0.0.1 at ``port``; ``passwords`` holds, per connection, what was sent."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.passwords: list[str] = []
        self.users: list[str] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._sock.close()
        self._thread.join(5)

    def __enter__(self) -> PasswordServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # closed
            with conn:
                conn.settimeout(5)
                with contextlib.suppress(OSError, struct.error):  # the client gave up
                    self._login(conn)

    def _login(self, conn: socket.socket) -> None:
        while True:  # SSL and GSS encryption requests first, each refused with "N"
            length, code = struct.unpack("!ii", _read(conn, 8))
            body = _read(conn, length - 8)
            if code in (80877103, 80877104):
                conn.sendall(b"N")
                continue
            break
        fields = body.split(b"\0")
        params = dict(zip(fields[0::2], fields[1::2], strict=False))
        self.users.append(params.get(b"user", b"").decode())
        conn.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
        kind = _read(conn, 1)
        (length,) = struct.unpack("!i", _read(conn, 4))
        payload = _read(conn, length - 4)
        if kind == b"p":
            self.passwords.append(payload.rstrip(b"\0").decode())
        error = b"SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed\0\0"
        conn.sendall(b"E" + struct.pack("!i", len(error) + 4) + error)


def _read(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data
