"""What every cloud's SDK layer shares against input nobody here wrote (issue 11): the attempt
budgets, the circuit breaker per (account, region, service), and the bounded, checked read of a
response body. No SDK is imported here; each cloud plugs in its own error classes:

- AWS: :mod:`cspm.providers.aws.resilience` (botocore retry handler, ``BoundedReads``);
- Azure and Google Cloud: :mod:`cspm.providers.bounded_http` (a ``requests`` adapter, under both
  azure-core's transport and google-auth's session) and their contexts' retry settings.

See docs/resilience.md for the measurements behind the numbers.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

log = logging.getLogger(__name__)

THROTTLING_ATTEMPTS: Final = 11  # 10 retries
TRANSIENT_ATTEMPTS: Final = 3  # 2 retries, with a short backoff
TRANSIENT_BACKOFF: Final = 0.05  # seconds, doubled per retry: at most 0.05 + 0.1 s in all
THROTTLING_BACKOFF_MAX: Final = 20.0  # the longest wait between two throttled attempts
BREAKER_THRESHOLD: Final = 5  # server faults in a row, each after its retries
BREAKER_COOLDOWN: Final = 30.0  # seconds before one call may try again
DEFAULT_MAX_RESPONSE_BYTES: Final = 64 * 2**20  # --max-response-mb; far above any real page
BODY_SECONDS: Final = 60.0  # the whole body of one answer, however slowly it arrives
READ_CHUNK: Final = 256 * 2**10


# ---------------------------------------------------------------------------------------------
# The circuit breaker
# ---------------------------------------------------------------------------------------------


def not_sent_message(service: str, region: str, failures: int) -> str:
    return f"not sent: {service} in {region} answered {failures} calls in a row with server errors"


class CircuitOpenError(RuntimeError):
    """Not sent: the service answered server errors to too many calls in a row here."""

    def __init__(self, service: str, region: str, failures: int) -> None:
        super().__init__(not_sent_message(service, region, failures))


@dataclass
class _State:
    failures: int = 0
    opened_at: float | None = None


class Breakers:
    """One breaker per (account, region, service), shared by every thread of a scan.

    ``is_fault(exc)`` says whether a failure is a server fault (HTTP 5xx other than throttling,
    no connection, a timeout, a broken body); ``opened(service, region, failures)`` builds the
    error recorded for a call that is not sent (the cloud's own exception type)."""

    def __init__(
        self,
        threshold: int = BREAKER_THRESHOLD,
        cooldown: float = BREAKER_COOLDOWN,
        clock: Callable[[], float] = time.monotonic,
        *,
        is_fault: Callable[[BaseException], bool],
        opened: Callable[[str, str, int], BaseException] = CircuitOpenError,
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._is_fault = is_fault
        self._opened = opened
        self._lock = threading.Lock()
        self._states: dict[tuple[str, str, str], _State] = {}

    def check(self, account: str, region: str, service: str) -> BaseException | None:
        """None when a call may be sent; else the error to record instead of sending it. After
        the cooldown one call is let through (the others still wait for its answer's verdict)."""
        with self._lock:
            state = self._states.get((account, region, service))
            if state is None or state.opened_at is None:
                return None
            if self._clock() - state.opened_at >= self.cooldown:
                state.opened_at = self._clock()  # half-open: this call probes, the next ones wait again
                return None
            return self._opened(service, region, state.failures)

    def record(self, account: str, region: str, service: str, exc: BaseException | None) -> None:
        """The outcome of a sent call: ``exc`` None (an answer), or the exception it raised."""
        fault = exc is not None and self._is_fault(exc)
        key = (account, region, service)
        with self._lock:
            state = self._states.setdefault(key, _State())
            if not fault:
                state.failures, state.opened_at = 0, None
                return
            state.failures += 1
            if state.failures >= self.threshold and state.opened_at is None:
                state.opened_at = self._clock()
                log.warning(
                    "%s in %s (%s): %d calls in a row failed with server errors; not calling it for %g s",
                    service, region, account, state.failures, self.cooldown,
                )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Bounded, checked bodies
# ---------------------------------------------------------------------------------------------


class BodyLimit(Exception):
    """Reading a body stopped at a limit; each cloud re-raises it as its own error type."""


class BodyTooLarge(BodyLimit):
    pass


class BodySlow(BodyLimit):
    pass


def read_bounded(read: Callable[[int], bytes], abort: Callable[[], None], *, limit: int, seconds: float) -> bytes:
    """Read a whole body with ``read(n)`` (returns b"" at the end): at most ``limit`` bytes and
    ``seconds`` long. Over either, ``abort()`` (drop the connection: the rest is never read) and
    raise :class:`BodyTooLarge` / :class:`BodySlow`, with the one-line reason."""
    body = bytearray()
    deadline = time.monotonic() + seconds
    while True:
        chunk = read(READ_CHUNK)
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > limit:
            abort()
            raise BodyTooLarge(f"the answer is larger than {mb(limit)} MB; not read")
        if time.monotonic() > deadline:
            abort()
            raise BodySlow(f"the answer was still arriving after {seconds:g} s; not read")


def length_problem(body: bytes, headers: Mapping[str, str]) -> str | None:
    """A body shorter (or longer) than its Content-Length (not chunked): the connection broke.
    ``headers`` look names up case-insensitively (botocore's and requests' headers do)."""
    declared = headers.get("content-length")
    chunked = "chunked" in (headers.get("transfer-encoding") or "").lower()
    if declared is not None and str(declared).isdigit() and not chunked and len(body) != int(declared):
        return f"the answer ended after {len(body)} of {declared} bytes"
    return None


def json_object_problem(body: bytes, *, allow_empty: bool) -> str | None:
    """Why a successful JSON answer is not a JSON object (truncated, blank, an array), or None."""
    if allow_empty and not body:
        return None
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        return f"the answer is not valid JSON ({exc})"
    if not isinstance(parsed, dict):
        return f"the answer is a JSON {type(parsed).__name__}, not an object"
    return None


def mb(n: int) -> str:
    return f"{n / 2**20:g}"
