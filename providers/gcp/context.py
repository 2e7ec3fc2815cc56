"""Google Cloud: the shared HTTP session, the read-only guard and the one error classifier.

Collectors call the SDK only through :class:`GcpContext`:

- ``ctx.storage()``: the Cloud Storage client of the unit's project, created once and shared.
- ``ctx.call(fn, *args, operation="buckets.getIamPolicy", absent={...}, **kwargs)``: the result,
  :data:`ABSENT` when the error code says the thing does not exist, or ``None`` when the call
  failed (recorded in the report's ``errors``).
- ``ctx.list_items(fn, *args, operation=..., affects=(T,))``: every item of a paged listing, or ``None``.
- ``ctx.options``: the ``timeout=`` and ``retry=`` keywords every google-cloud-storage call takes.
  The library's default retry keeps re-sending a failing request for up to 120 s; the scanner
  caps it (:attr:`GcpContext.options`).

Every request goes through :class:`ReadOnlySession`, which refuses any HTTP method but GET and
HEAD before it is sent. Token refreshes use google-auth's own separate session.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar

import google.api_core.exceptions as api_errors
import google.auth.exceptions as auth_errors
import requests
from google.auth.transport.requests import AuthorizedSession

from cspm.providers.base import SdkContext, one_line

if TYPE_CHECKING:
    from cspm.engine import UnitContext

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

READ_METHODS: Final = frozenset({"GET", "HEAD"})
TIMEOUT: Final = (5.0, 30.0)  # (connect, read) seconds per request
# google-cloud-storage 3.x starts a background thread per bucket to fetch its metadata for
# tracing spans (one extra, unbounded GET per bucket) unless this is set; a user's value wins.
_NO_BUCKET_METADATA_FETCH: Final = ("DISABLE_GCS_PYTHON_CLIENT_OTEL_BUCKET_METADATA", "true")


class ReadOnlyViolation(RuntimeError):
    """The scanner tried to send a request that could change the project. Always refused."""


class ReadOnlySession(AuthorizedSession):
    """google-auth's authorized session that refuses every method but GET and HEAD."""

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if method.upper() not in READ_METHODS:
            raise ReadOnlyViolation(f"refusing to send {method.upper()} {url.split('?', maxsplit=1)[0]}")
        return super().request(method, url, *args, **kwargs)


# ---------------------------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------------------------


class GcpClients:
    """One authorized session; one storage client per project, shared across threads."""

    def __init__(self, credentials: Any, *, retry_deadline: float | None = 30.0) -> None:
        os.environ.setdefault(*_NO_BUCKET_METADATA_FETCH)
        self.credentials = credentials
        self.session = ReadOnlySession(credentials)
        self.retry_deadline = retry_deadline
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def options(self) -> dict[str, Any]:
        """``timeout=`` and ``retry=`` for google-cloud-storage calls."""
        from google.cloud.storage.retry import DEFAULT_RETRY

        retry = None if self.retry_deadline is None else DEFAULT_RETRY.with_timeout(self.retry_deadline)
        return {"timeout": TIMEOUT, "retry": retry}

    def storage(self, project: str) -> Any:
        key = ("storage", project)
        client = self._clients.get(key)
        if client is not None:
            return client
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                from google.cloud import storage

                # STORAGE_EMULATOR_HOST (the library's own setting) redirects the client.
                client = storage.Client(project=project, credentials=self.credentials, _http=self.session)
                self._clients[key] = client
        return client


# ---------------------------------------------------------------------------------------------
# The classifier
# ---------------------------------------------------------------------------------------------

SDK_ERRORS = (
    api_errors.GoogleAPICallError,
    api_errors.RetryError,
    auth_errors.GoogleAuthError,
    requests.RequestException,
    ReadOnlyViolation,
)


def classify(exc: BaseException) -> tuple[str, str]:
    """(error code, one-line message) for a Google client exception.

    API errors give the api-core class name (``Forbidden``, ``NotFound``, ``TooManyRequests``,
    ...); credential problems ``RefreshError``; a retry deadline ``RetryError``.
    """
    if isinstance(exc, api_errors.GoogleAPICallError):
        return type(exc).__name__, one_line(exc.message or str(exc))
    if isinstance(exc, api_errors.RetryError):
        cause = exc.cause
        return "RetryError", one_line(f"{exc.message}: {cause}" if cause else exc.message)
    return type(exc).__name__, one_line(str(exc))


# ---------------------------------------------------------------------------------------------
# What collectors see
# ---------------------------------------------------------------------------------------------


class GcpContext(SdkContext):
    """A collector's view of one (project, service) unit."""

    sdk_errors = SDK_ERRORS

    def classify(self, exc: BaseException) -> tuple[str, str]:
        return classify(exc)

    def __init__(self, unit: UnitContext, clients: GcpClients, saw_location: Callable[[str, str], None]) -> None:
        super().__init__(unit, saw_location)
        self.clients = clients
        self.project = unit.account
        self.options = clients.options()

    def storage(self) -> Any:
        return self.clients.storage(self.project)
