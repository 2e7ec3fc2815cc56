"""A hostile front for the Azure and Cloud Storage fakes (issue 11): chosen routes answer with a
fault, served on 127.0.0.1 by :mod:`cspm.demo.fake_http` (which writes :class:`Raw` answers
byte for byte, slowly or hugely).

``Hostile(fake, error=...)`` wraps a ``FakeArm`` or ``FakeGcs``; ``hostile.faults[regex] = fault``
sends every request whose path matches ``regex`` to ``fault``; every such request is counted in
``hostile.calls`` (path, outcome). Everything else (sign-in, the other routes) is the fake's.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from cspm.demo.fake_http import Raw

Answer = tuple[int, Any]
ErrorBody = Callable[[int, str, str], dict[str, Any]]  # (status, code, message) -> the cloud's error JSON

SERVER_ERROR, THROTTLED, ANSWERED, TRUNCATED, BLANK, HUGE, DRIPPED = (
    "server-error", "throttled", "answered", "truncated", "blank", "huge", "dripped",
)  # fmt: skip


def arm_error_body(status: int, code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def gcs_error_body(status: int, code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "errors": [{"message": message, "reason": code}]}}


class Fault:
    """What a faulty route answers; ``n`` counts this route's requests from 1."""

    def answer(self, n: int, real: Callable[[], Answer], error: ErrorBody) -> tuple[str, Answer]:
        raise NotImplementedError


class ServerError(Fault):
    def answer(self, n: int, real: Callable[[], Answer], error: ErrorBody) -> tuple[str, Answer]:
        return SERVER_ERROR, (500, error(500, "InternalServerError", "an injected server error"))


@dataclass
class Throttle(Fault):
    """HTTP 429 with ``Retry-After`` for the first ``first`` requests, then the real answer."""

    first: int
    retry_after: str = "0"

    def answer(self, n: int, real: Callable[[], Answer], error: ErrorBody) -> tuple[str, Answer]:
        if n > self.first:
            return ANSWERED, real()
        body = json.dumps(error(429, "TooManyRequests", "an injected throttle")).encode()
        headers = {
            "Content-Type": "application/json",
            "Content-Length": str(len(body)),
            "Retry-After": self.retry_after,
        }
        return THROTTLED, (429, Raw(headers, [body]))


class Truncated(Fault):
    """HTTP 200 with the first half of the real JSON, and a Content-Length that matches it."""

    def answer(self, n: int, real: Callable[[], Answer], error: ErrorBody) -> tuple[str, Answer]:
        status, payload = real()
        data = json.dumps(payload).encode()
        half = data[: len(data) // 2]
        return TRUNCATED, (status, Raw({"Content-Type": "application/json", "Content-Length": str(len(half))}, [half]))


class Blank(Fault):
    def answer(self, n: int, real: Callable[[], Answer], error: ErrorBody) -> tuple[str, Answer]:
        return BLANK, (200, Raw({"Content-Type": "application/json", "Content-Length": "0"}, []))


@dataclass
class Huge(Fault):
    """HTTP 200, ``size`` bytes of spaces, generated as they are sent; ``sent`` counts them."""

    size: int
    sent: int = 0

    def _body(self) -> Iterator[bytes]:
        chunk = b" " * 2**20
        while self.sent < self.size:
            piece = chunk[: self.size - self.sent]
            self.sent += len(piece)
            yield piece

    def answer(self, n: int, real: Callable[[], Answer], error: ErrorBody) -> tuple[str, Answer]:
        return HUGE, (200, Raw({"Content-Type": "application/json"}, self._body()))


@dataclass
class Drip(Fault):
    """The real answer, one byte every ``seconds`` (each byte well within any read timeout)."""

    seconds: float

    def answer(self, n: int, real: Callable[[], Answer], error: ErrorBody) -> tuple[str, Answer]:
        status, payload = real()
        data = json.dumps(payload).encode()

        def body() -> Iterator[bytes]:
            for i in range(len(data)):
                yield data[i : i + 1]
                time.sleep(self.seconds)

        return DRIPPED, (status, Raw({"Content-Type": "application/json", "Content-Length": str(len(data))}, body()))


@dataclass
class Hostile:
    """A fake API whose chosen routes answer with faults."""

    inner: Any  # FakeArm or FakeGcs
    error: ErrorBody
    faults: dict[str, Fault] = field(default_factory=dict)  # path regex -> fault
    calls: list[tuple[str, str]] = field(default_factory=list)  # (path, outcome) of faulty routes
    _counts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return str(self.inner.base)

    @base.setter
    def base(self, value: str) -> None:  # serve_https sets it; links and sign-in point back at it
        self.inner.base = value

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Answer:
        path = urlparse(url).path

        def real() -> Answer:
            answer: Answer = self.inner.handle(method, url, headers, body)
            return answer

        for pattern, fault in self.faults.items():
            if re.search(pattern, path, re.IGNORECASE):
                with self._lock:
                    n = self._counts[pattern] = self._counts.get(pattern, 0) + 1
                outcome, answer = fault.answer(n, real, self.error)
                with self._lock:
                    self.calls.append((path, outcome))
                return answer
        return real()

    def outcomes(self, pattern: str = "") -> list[str]:
        with self._lock:
            return [outcome for path, outcome in self.calls if re.search(pattern, path, re.IGNORECASE)]
