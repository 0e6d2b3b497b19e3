"""A TCP proxy on 127.0.0.1 that a test can take down and bring back: a store outage."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading


class Proxy:
    """Forwards connections from its own port to `target`; `down()` cuts and refuses them.

    The port is the one the system gave the listening socket, which stays open until
    `close()`: while the proxy is down it still accepts, and resets each connection at once,
    so no other process can take the port between an outage and the recovery.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port: int = self._listener.getsockname()[1]
        self._up = False
        self._closed = False
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> None:
        with self._lock:
            self._up = True

    def down(self) -> None:
        with self._lock:
            self._up = False
            connections, self._connections = self._connections, []
        for conn in connections:
            _reset(conn)

    def close(self) -> None:
        self.down()
        with self._lock:
            self._closed = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() below
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed by close()
            with self._lock:
                up, closed = self._up, self._closed
            if closed:
                _reset(client)
                return
            if not up:
                _reset(client)  # the store is down: the connection is reset at once
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _reset(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                if not self._up:
                    _reset(client)
                    _reset(upstream)
                    continue
                self._connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)


def _reset(conn: socket.socket) -> None:
    """Close with a TCP reset, as a host whose service is gone answers."""
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)
    conn.close()
