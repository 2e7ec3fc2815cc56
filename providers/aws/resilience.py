"""What stands between the AWS SDK and input nobody here wrote: retries by error class, a circuit
breaker per (account, region, service), and bounded, checked response bodies.

- **Retries** (:class:`ErrorClassRetries`, installed on each client by :func:`install`): throttling
  keeps botocore's adaptive retries (``THROTTLING_ATTEMPTS`` attempts, backoff up to 20 s, the
  client-side rate limiter); server errors (5xx), connection errors, timeouts and broken bodies get
  ``TRANSIENT_ATTEMPTS`` attempts with botocore's short backoff (50 ms * 2^n, jittered); anything
  else is not retried. botocore's ``retries`` configuration has one attempt budget for every error
  class, so the standard handler is replaced by one with the same parts and a budget per class.
- **The breaker** (:class:`Breakers`): after ``BREAKER_THRESHOLD`` calls in a row to one
  (account, region, service) failed with a server fault, further calls there are not sent for
  ``BREAKER_COOLDOWN`` seconds; each skipped call is recorded in ``errors`` (code
  ``CircuitOpen``). Any answer that is not a server fault closes it again.
- **Bodies** (:class:`BoundedReads`, wrapped around each client's HTTP session): a body is read
  with a size cap (over it: :class:`ResponseTooLarge`) and a time cap for the whole body
  (``BODY_SECONDS``: a dripping answer cannot keep a call alive); a body shorter than its
  ``Content-Length`` is :class:`IncompleteBody`; a successful answer of a JSON protocol that is
  not a JSON object is :class:`MalformedBody` (botocore's JSON parser would read it as ``{}``:
  an empty listing). The last two are retried as transient errors, then recorded.

See docs/resilience.md for the measurements behind the numbers.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Final

import botocore.exceptions
import botocore.parsers
import urllib3.exceptions
from botocore.retries import quota, standard
from botocore.retries.base import BaseRetryableChecker

from cspm.providers import resilience as neutral
from cspm.providers.resilience import (
    BODY_SECONDS,
    BREAKER_COOLDOWN,
    BREAKER_THRESHOLD,
    DEFAULT_MAX_RESPONSE_BYTES,
    THROTTLING_ATTEMPTS,
    TRANSIENT_ATTEMPTS,
    json_object_problem,
    length_problem,
    read_bounded,
)

__all__ = [
    "BODY_SECONDS",
    "BREAKER_COOLDOWN",
    "BREAKER_THRESHOLD",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "THROTTLING_ATTEMPTS",
    "TRANSIENT_ATTEMPTS",
    "BoundedReads",
    "Breakers",
    "CircuitOpen",
    "ErrorClassRetries",
    "IncompleteBody",
    "MalformedBody",
    "ResponseIntegrityError",
    "ResponseTooLarge",
    "SlowBody",
    "install_bounded_reads",
    "install_retries",
    "is_server_fault",
]

log = logging.getLogger(__name__)

JSON_PROTOCOLS: Final = frozenset({"json", "rest-json"})


# ---------------------------------------------------------------------------------------------
# Errors of a response body
# ---------------------------------------------------------------------------------------------


class ResponseIntegrityError(botocore.exceptions.HTTPClientError):
    """An answer that cannot be trusted as what the service meant to send."""

    fmt = "{reason}"


class IncompleteBody(ResponseIntegrityError):
    """Fewer bytes than the answer's Content-Length announced (the connection broke)."""


class MalformedBody(ResponseIntegrityError):
    """A successful answer whose body is not what its protocol sends (e.g. truncated JSON)."""


class ResponseTooLarge(ResponseIntegrityError):
    """The body is larger than the cap (``--max-response-mb``); reading stopped there."""


class SlowBody(ResponseIntegrityError):
    """The body kept arriving for longer than ``BODY_SECONDS`` (a dripping answer)."""


class CircuitOpen(botocore.exceptions.BotoCoreError):
    """Not sent: the service answered server errors to too many calls in a row here."""

    fmt = "not sent: {service} in {region} answered {failures} calls in a row with server errors"


def is_server_fault(exc: BaseException) -> bool:
    """A failure that says the service (or the way to it) is broken, not that the call was
    wrong: HTTP 5xx other than throttling, no connection, a timeout, a broken body."""
    if isinstance(exc, botocore.exceptions.ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return int(status) >= 500 and code not in _THROTTLING_CODES
    if isinstance(exc, ResponseTooLarge):
        return False
    return isinstance(
        exc,
        botocore.exceptions.ConnectionError
        | botocore.exceptions.HTTPClientError
        | botocore.parsers.ResponseParserError,
    )


_THROTTLING_CODES: Final = frozenset(standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES)


# ---------------------------------------------------------------------------------------------
# Retries by error class
# ---------------------------------------------------------------------------------------------


class ErrorClassRetries(BaseRetryableChecker):
    """botocore's standard retry conditions, with an attempt budget per error class."""

    def __init__(self, throttling_attempts: int, transient_attempts: int) -> None:
        adapter = standard.RetryEventAdapter()
        self._throttling = standard.ThrottlingErrorDetector(adapter)
        self._transient = standard.OrRetryChecker(
            [standard.TransientRetryableChecker(), standard.ModeledRetryableChecker()]
        )
        self.throttling_attempts = throttling_attempts
        self.transient_attempts = transient_attempts

    def is_retryable(self, context: standard.RetryContext) -> bool:
        if isinstance(context.caught_exception, ResponseTooLarge | SlowBody):
            return False  # it will not be smaller next time; a retry would drip as long again
        if self._throttling.is_throttling_error_from_context(context):
            limit = self.throttling_attempts
        elif self._transient.is_retryable(context):
            limit = self.transient_attempts
        else:
            return False
        retries = context.request_context.get("retries")
        if retries is not None:  # the amz-sdk-request header's "max"
            retries["max"] = max(retries.get("max", 0), limit)
        if context.attempt_number >= limit:
            context.add_retry_metadata(MaxAttemptsReached=True)
            return False
        return True


def install_retries(client: Any, *, throttling_attempts: int, transient_attempts: int) -> None:
    """Replace the client's standard retry handler (botocore's ``retry-config-<service>``) by one
    with an attempt budget per error class. The adaptive rate limiter, registered apart, stays."""
    service = client.meta.service_model.service_id.hyphenize()
    events = client.meta.events
    unique_id = f"retry-config-{service}"
    events.unregister(f"needs-retry.{service}", unique_id=unique_id)
    adapter = standard.RetryEventAdapter()
    throttling = standard.ThrottlingErrorDetector(adapter)
    retry_quota = standard.RetryQuotaChecker(quota.RetryQuota(), throttling)
    handler = standard.RetryHandler(
        retry_policy=standard.RetryPolicy(
            retry_checker=ErrorClassRetries(throttling_attempts, transient_attempts),
            retry_backoff=standard.ExponentialBackoff(service_name=service, throttling_detector=throttling),
        ),
        retry_event_adapter=adapter,
        retry_quota=retry_quota,
        service_name=service,
    )
    # botocore registered its own quota's release on after-call; this handler's quota is released too.
    events.register(f"after-call.{service}", retry_quota.release_retry_quota)
    events.register(f"needs-retry.{service}", handler.needs_retry, unique_id=unique_id)


# ---------------------------------------------------------------------------------------------
# The circuit breaker
# ---------------------------------------------------------------------------------------------


class Breakers(neutral.Breakers):
    """One breaker per (account, region, service), shared by every thread of a scan
    (:class:`cspm.providers.resilience.Breakers` with botocore's server faults and :class:`CircuitOpen`)."""

    def __init__(
        self, threshold: int = BREAKER_THRESHOLD, cooldown: float = BREAKER_COOLDOWN, clock: Any = time.monotonic
    ) -> None:
        super().__init__(
            threshold,
            cooldown,
            clock,
            is_fault=is_server_fault,
            opened=lambda service, region, failures: CircuitOpen(service=service, region=region, failures=failures),
        )

    def check(self, account: str, region: str, service: str) -> CircuitOpen | None:
        skipped = super().check(account, region, service)
        assert skipped is None or isinstance(skipped, CircuitOpen)
        return skipped


# ---------------------------------------------------------------------------------------------
# Bounded, checked bodies
# ---------------------------------------------------------------------------------------------


class BoundedReads:
    """Wraps a botocore HTTP session: every body that botocore would read whole is read here,
    at most ``limit`` bytes and ``body_seconds`` long, and checked (see the module docstring).
    Streamed bodies (S3 GetObject) are left to their reader."""

    def __init__(
        self, inner: Any, *, protocol: str, limit: int = DEFAULT_MAX_RESPONSE_BYTES, body_seconds: float = BODY_SECONDS
    ) -> None:
        self.inner = inner
        self.protocol = protocol
        self.json = protocol in JSON_PROTOCOLS
        self.limit = limit
        self.body_seconds = body_seconds

    def send(self, request: Any) -> Any:
        if request.stream_output:
            return self.inner.send(request)
        request.stream_output = True
        try:
            response = self.inner.send(request)
        finally:
            request.stream_output = False
        try:
            body = self._read(response.raw, request.url)
        finally:
            response.raw.release_conn()
        response._content = body  # what AWSResponse.content returns from now on
        if request.method != "HEAD" and response.status_code not in (204, 304):  # no body by definition
            self._check(response, body, request.url)
        return response

    def close(self) -> None:
        self.inner.close()

    def _read(self, raw: Any, url: str) -> bytes:
        def read(n: int) -> bytes:
            try:
                chunk: bytes = raw.read1(n)
            except urllib3.exceptions.ReadTimeoutError as exc:
                raise botocore.exceptions.ReadTimeoutError(endpoint_url=url, error=exc) from exc
            except (urllib3.exceptions.ProtocolError, OSError) as exc:
                raise botocore.exceptions.ConnectionClosedError(endpoint_url=url, error=exc) from exc
            return chunk

        try:
            abort = lambda: raw.close()  # noqa: E731, PLW0108 (looked up only when a limit is hit)
            return read_bounded(read, abort, limit=self.limit, seconds=self.body_seconds)
        except neutral.BodyTooLarge as exc:
            raise ResponseTooLarge(reason=str(exc)) from exc
        except neutral.BodySlow as exc:
            raise SlowBody(reason=str(exc)) from exc

    def _check(self, response: Any, body: bytes, url: str) -> None:
        headers = response.headers
        short = length_problem(body, headers)
        if short is not None:
            raise IncompleteBody(reason=f"{short} ({url})")
        if not self.json or not 200 <= response.status_code < 300:
            return
        if self.protocol == "rest-json" and "json" not in headers.get("content-type", "json").lower():
            return  # a REST operation whose payload is not JSON (a blob, a document)
        problem = json_object_problem(body, allow_empty=True)  # botocore reads an empty body as {}
        if problem is not None:
            raise MalformedBody(reason=problem)


def install_bounded_reads(client: Any, limit: int = DEFAULT_MAX_RESPONSE_BYTES) -> None:
    endpoint = client._endpoint  # botocore keeps the HTTP session there; no public hook reads bodies
    if not isinstance(endpoint.http_session, BoundedReads):
        protocol = client.meta.service_model.protocol
        endpoint.http_session = BoundedReads(endpoint.http_session, protocol=protocol, limit=limit)
