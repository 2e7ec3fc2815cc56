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

Against input nobody here wrote (issue 11; docs/resilience.md): each call gets a fresh
:func:`call_retry` (throttling 11 attempts, server errors, connection errors and broken bodies
3, anything else 1; within ``retry_deadline``); the session reads every body bounded and
checked (:mod:`cspm.providers.bounded_http`); the breaker of each (project, "global", service)
stops calling after 5 server faults in a row (:class:`GcpContext`, via ``SdkContext``).

Every request goes through :class:`ReadOnlySession`, which refuses any HTTP method but GET and
HEAD before it is sent, and Cloud Storage object media reads (``alt=media``) unless the scan was
asked to ``--inspect-artifacts``, with a few exceptions, reads that Google defines as POSTs:
Resource Manager's ``projects.getIamPolicy`` (``POST /v3/projects/{id}:getIamPolicy``, its body
only asks for policy version 3), ``folders.getIamPolicy`` / ``organizations.getIamPolicy`` (v3),
``projects.getAncestry`` (v1), IAM's ``serviceAccounts.getIamPolicy`` and Vertex AI's
``featureOnlineStores`` / ``featurestores.getIamPolicy`` (v1) and ``endpoints.getIamPolicy``
(v1beta1). The path must match
:data:`READ_ONLY_POSTS` exactly; ``:setIamPolicy``
or any other POST is refused. Token refreshes use google-auth's own separate session.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import urlsplit

import google.api_core.exceptions as api_errors
import google.auth.exceptions as auth_errors
import requests
import urllib3.exceptions
from google.auth.transport.requests import AuthorizedSession

from cspm.providers import bounded_http
from cspm.providers.base import SdkContext, one_line
from cspm.providers.resilience import (
    DEFAULT_MAX_RESPONSE_BYTES,
    THROTTLING_ATTEMPTS,
    THROTTLING_BACKOFF_MAX,
    TRANSIENT_ATTEMPTS,
    TRANSIENT_BACKOFF,
    Breakers,
)

if TYPE_CHECKING:
    from cspm.engine import UnitContext
    from cspm.resources.base import Resource

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

READ_METHODS: Final = frozenset({"GET", "HEAD"})
# The POSTs that only read (matched against the URL's path, no query): projects.getIamPolicy.
READ_ONLY_POSTS: Final = (
    re.compile(r"/v3/projects/[a-z0-9.:-]+:getIamPolicy"),
    # Resource Manager v1 projects.getAncestry; v3 folders/organizations getIamPolicy; IAM v1
    # serviceAccounts.getIamPolicy (cspm.providers.gcp.iam). Each only reads.
    re.compile(r"/v1/projects/[a-z0-9.:-]+:getAncestry"),
    re.compile(r"/v3/(?:folders|organizations)/[0-9]+:getIamPolicy"),
    re.compile(r"/v1/projects/[a-z0-9.:-]+/serviceAccounts/[A-Za-z0-9@._-]+:getIamPolicy"),
    # Vertex AI resources' own policies (cspm.providers.gcp.vertex_iam): feature online stores and
    # featurestores in v1, endpoints in v1beta1 (the only version that has endpoints.getIamPolicy).
    re.compile(
        r"/v1/projects/[a-z0-9.:-]+/locations/[a-z0-9-]+/(?:featureOnlineStores|featurestores)/[A-Za-z0-9_-]+:getIamPolicy"
    ),
    re.compile(r"/v1beta1/projects/[a-z0-9.:-]+/locations/[a-z0-9-]+/endpoints/[A-Za-z0-9_-]+:getIamPolicy"),
)
TIMEOUT: Final = (5.0, 30.0)  # (connect, read) seconds per request
# google-cloud-storage 3.x starts a background thread per bucket to fetch its metadata for
# tracing spans (one extra, unbounded GET per bucket) unless this is set; a user's value wins.
_NO_BUCKET_METADATA_FETCH: Final = ("DISABLE_GCS_PYTHON_CLIENT_OTEL_BUCKET_METADATA", "true")


class ReadOnlyViolation(RuntimeError):
    """The scanner tried to send a request that could change the project. Always refused."""


def is_read(method: str, url: str) -> bool:
    """GET, HEAD, or a POST to one of the :data:`READ_ONLY_POSTS` (exactly, path only)."""
    if method.upper() in READ_METHODS:
        return True
    path = urlsplit(url).path
    return method.upper() == "POST" and any(p.fullmatch(path) for p in READ_ONLY_POSTS)


def reads_object_contents(url: str, params: Any = None) -> bool:
    """A Cloud Storage media read (``alt=media``): the contents of an object, not its metadata."""
    query = urlsplit(url).query
    if "alt=media" in query.split("&"):
        return True
    return isinstance(params, dict) and params.get("alt") == "media"


class ReadOnlySession(AuthorizedSession):
    """google-auth's authorized session that refuses every method but GET and HEAD (and the
    read-only POSTs of :func:`is_read`), and object media reads unless ``read_objects``
    (``--inspect-artifacts``)."""

    read_objects: bool = False

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if not is_read(method, url):
            raise ReadOnlyViolation(f"refusing to send {method.upper()} {url.split('?', maxsplit=1)[0]}")
        if not self.read_objects and reads_object_contents(url, kwargs.get("params")):
            raise ReadOnlyViolation(
                f"refusing to read object contents {url.split('?', maxsplit=1)[0]} without --inspect-artifacts"
            )
        return super().request(method, url, *args, **kwargs)


# ---------------------------------------------------------------------------------------------
# Retries by error class
# ---------------------------------------------------------------------------------------------

_TRANSIENT_TYPES: Final = (
    *bounded_http.TRANSIENT,
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.Timeout,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.TimeoutError,
    ConnectionError,
)


def error_class(exc: BaseException) -> str | None:
    """ "throttling" (HTTP 429), "transient" (5xx, 408, no connection, a timeout, a broken body)
    or None (not retried: a denial, a missing thing, a body over the size or time cap)."""
    if isinstance(exc, auth_errors.TransportError) and exc.args and isinstance(exc.args[0], BaseException):
        return error_class(exc.args[0])
    if isinstance(exc, api_errors.GoogleAPICallError):
        code = int(exc.code or 0)
        if code == 429:
            return "throttling"
        return "transient" if code >= 500 or code == 408 else None
    if isinstance(exc, bounded_http.FINAL):
        return None
    return "transient" if isinstance(exc, _TRANSIENT_TYPES) else None


def call_retry(
    deadline: float,
    *,
    throttling_attempts: int = THROTTLING_ATTEMPTS,
    transient_attempts: int = TRANSIENT_ATTEMPTS,
) -> Any:
    """A google.api_core ``Retry`` for one call, with an attempt budget per error class.

    google-cloud-storage's ``DEFAULT_RETRY`` has one predicate and a deadline only: a call that
    keeps answering 500 is re-sent for its whole deadline. Here the predicate counts the call's
    failures by :func:`error_class` (so a Retry is made per call). The backoff starts short
    (``TRANSIENT_BACKOFF`` * 2, full jitter, doubling, at most ``THROTTLING_BACKOFF_MAX``): two
    transient retries wait at most 0.3 s; throttling keeps doubling until ``deadline``."""
    from google.api_core.retry import Retry

    failures = {"throttling": 0, "transient": 0}
    limits = {"throttling": throttling_attempts, "transient": transient_attempts}

    def predicate(exc: Exception) -> bool:
        kind = error_class(exc)
        if kind is None:
            return False
        failures[kind] += 1
        return failures[kind] < limits[kind]

    return Retry(
        predicate=predicate,
        initial=TRANSIENT_BACKOFF * 2,
        maximum=THROTTLING_BACKOFF_MAX,
        multiplier=2.0,
        timeout=deadline,
    )


def is_server_fault(exc: BaseException) -> bool:
    """A failure that says the service (or the way to it) is broken, not that the call was
    wrong: HTTP 5xx, no connection, a timeout, a broken or dripping body (not one over the cap)."""
    if isinstance(exc, api_errors.RetryError) and exc.cause is not None:
        return is_server_fault(exc.cause)
    if isinstance(exc, bounded_http.SlowBody):
        return True
    return error_class(exc) == "transient"


# ---------------------------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------------------------


class GcpClients:
    """One authorized session; one storage client per project, shared across threads."""

    def __init__(
        self,
        credentials: Any,
        *,
        retry_deadline: float | None = 30.0,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        breakers: Breakers | None = None,
        read_objects: bool = False,
    ) -> None:
        os.environ.setdefault(*_NO_BUCKET_METADATA_FETCH)
        self.credentials = credentials
        session = ReadOnlySession(credentials)
        session.read_objects = read_objects  # object media reads: only with --inspect-artifacts
        self.session = bounded_http.bound(session, limit=max_response_bytes)
        self.retry_deadline = retry_deadline
        self.organizations: tuple[str, ...] = ()  # organizations/ID given with --organization
        self.breakers = breakers or Breakers(is_fault=is_server_fault)
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        # Answers that are the same for every project of a scan, read once (IAM role definitions).
        self.shared: dict[str, Any] = {}

    def options(self) -> dict[str, Any]:
        """``timeout=`` and ``retry=`` for one google-cloud-storage call (a fresh retry budget)."""
        retry = None if self.retry_deadline is None else call_retry(self.retry_deadline)
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


PAGE_SIZE: Final = 500


def rest_pages(session: Any, url: str, params: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """Every item under ``key`` of a paged Google REST listing (``pageSize`` / ``pageToken`` /
    ``nextPageToken``, as Resource Manager and Vertex AI page); raises api-core errors, whose
    class comes from the HTTP status (403 ``Forbidden``, also for ``SERVICE_DISABLED``)."""
    from google.api_core.exceptions import from_http_response

    items: list[dict[str, Any]] = []
    query = {"pageSize": PAGE_SIZE, **params}  # a caller may ask for a smaller page (an API maximum)
    while True:
        response = session.get(url, params=query, timeout=TIMEOUT)
        if response.status_code != 200:
            raise from_http_response(response)
        page = response.json()
        found = page.get(key, []) if isinstance(page, dict) else None
        if not isinstance(found, list):
            raise api_errors.GoogleAPICallError(f"{url.split('?', maxsplit=1)[0]}: '{key}' is not a list in the answer")
        items.extend(item for item in found if isinstance(item, dict))
        token = page.get("nextPageToken")
        if not token:
            return items
        query["pageToken"] = token


def rest_read(
    session: Any, method: str, url: str, *, params: dict[str, Any] | None = None, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON object of one unpaged REST read (a GET, or a read-only POST with ``body``);
    raises api-core errors as :func:`rest_pages` does."""
    from google.api_core.exceptions import from_http_response

    response = session.request(method, url, params=params, json=body, timeout=TIMEOUT)
    if response.status_code != 200:
        raise from_http_response(response)
    answer = response.json()
    if not isinstance(answer, dict):
        raise api_errors.GoogleAPICallError(f"{url.split('?', maxsplit=1)[0]}: the answer is not a JSON object")
    return answer


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
        # The ErrorInfo reason (SERVICE_DISABLED, IAM_PERMISSION_DENIED, ...) when the API gave one.
        reason = exc.reason if isinstance(exc.reason, str) and exc.reason else None
        message = one_line(exc.message or str(exc))
        return type(exc).__name__, f"{message} (reason {reason})" if reason else message
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
        super().__init__(unit, saw_location, clients.breakers)
        self.clients = clients
        self.project = unit.account

    @property
    def options(self) -> dict[str, Any]:
        """``timeout=`` and ``retry=`` for one call: read it once per call (each has its own budget)."""
        return self.clients.options()

    def storage(self) -> Any:
        return self.clients.storage(self.project)

    def rest_list(
        self,
        url: str,
        key: str,
        *,
        operation: str,
        affects: tuple[type[Resource], ...] = (),
        params: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]] | None:
        """Every item of a paged REST listing through the read-only session (with the call's
        retry budget), or None when it failed (recorded against ``affects``)."""
        fn = partial(rest_pages, self.clients.session, url, params or {}, key)
        retry = self.options["retry"]
        return self.list_items(retry(fn) if retry is not None else fn, operation=operation, affects=affects)

    def rest_get(
        self,
        url: str,
        *,
        operation: str,
        affects: tuple[type[Resource], ...] = (),
        method: str = "GET",
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """The JSON object of one unpaged read (``method="POST"`` only for the read-only POSTs),
        or None when it failed (recorded against ``affects``)."""
        fn = partial(rest_read, self.clients.session, method, url, params=params, body=body)
        retry = self.options["retry"]
        result = self.call(retry(fn) if retry is not None else fn, operation=operation, affects=affects)
        return result if isinstance(result, dict) else None
