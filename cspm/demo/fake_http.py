"""A JSON API fake served on 127.0.0.1: the HTTP server under the Azure and Cloud Storage fakes.

:func:`serve` runs a :class:`JsonApi` (anything with a ``handle`` method that turns a request
into a status and a JSON body) on 127.0.0.1 and a free port, over plain HTTP or over TLS, in a
background thread, until the ``with`` block ends. Every connection is answered in its own
thread and closed after one response (HTTP/1.0); the TLS handshake also runs in that thread,
so a client that connects and never speaks holds up no one else. Request logging and failed
handshakes go to this module's logger at DEBUG.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, Protocol, TypeVar

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
MAX_BODY = 1 << 20  # bytes; the fakes only ever receive token requests
SOCKET_TIMEOUT = 30.0  # seconds a connection may stay silent


class JsonApi(Protocol):
    """A fake API: one request in, (HTTP status, JSON body) out. Called from several threads."""

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]: ...


A = TypeVar("A", bound=JsonApi)


@dataclass(frozen=True)
class Simulated(Generic[A]):
    """A running fake: its base URL, the fake itself (its state and request log), and the
    documented settings that send a provider to it."""

    url: str
    fake: A
    environment: dict[str, str]


@dataclass(frozen=True)
class Raw:
    """An answer written as given, for fault injection in tests: ``headers``, then each chunk
    of ``body`` written and flushed as the iterable yields it (slowly, hugely, cut short)."""

    headers: dict[str, str]
    body: Iterable[bytes]


def drip(data: bytes, pause: float, counts: dict[str, int], key: str, lock: threading.Lock) -> Iterator[bytes]:
    """A body for :class:`Raw` that drips: ``data`` one byte at a time, each after ``pause``
    seconds, counting the bytes handed to the server in ``counts[key]`` (bounded: len(data)
    bytes; the server's write fails soon after the client hangs up)."""
    for i in range(len(data)):
        time.sleep(pause)
        with lock:
            counts[key] = counts.get(key, 0) + 1
        yield data[i : i + 1]


class _Server(ThreadingHTTPServer):
    """A threading HTTP server bound to 127.0.0.1 that wraps each connection in TLS when given
    a context."""

    daemon_threads = True

    def __init__(self, api: JsonApi, tls: ssl.SSLContext | None) -> None:
        super().__init__((HOST, 0), _Handler)
        self.api = api
        self.tls = tls
        self.base = f"{'https' if tls else 'http'}://{HOST}:{self.server_address[1]}"

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(SOCKET_TIMEOUT)
        with self.tls.wrap_socket(request, server_side=True) as connection:  # handshake in this thread
            super().finish_request(connection, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("request from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    """Reads the request, asks the server's API, writes its JSON answer."""

    server: _Server
    timeout = SOCKET_TIMEOUT

    def _answer(self) -> None:
        length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
        body = self.rfile.read(length) if length else b""
        status, payload = self.server.api.handle(self.command, self.server.base + self.path, dict(self.headers), body)
        if isinstance(payload, Raw):
            self._raw(status, payload)
            return
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _raw(self, status: int, answer: Raw) -> None:
        self.send_response(status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        for chunk in answer.body:
            self.wfile.write(chunk)
            self.wfile.flush()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


@contextmanager
def serve(api: JsonApi, *, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve ``api`` on 127.0.0.1 and a free port; yields the base URL (``http://`` or
    ``https://127.0.0.1:PORT``). The server is shut down and its socket closed on exit."""
    server = _Server(api, tls)
    thread = threading.Thread(target=server.serve_forever, name=f"cspm-fake-{server.base}", daemon=True)
    thread.start()
    try:
        yield server.base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
