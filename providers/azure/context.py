"""Azure management clients, the read-only guard and the one error classifier.

Collectors call the SDK only through :class:`AzureContext`:

- ``ctx.client("storage")``: one management client per (kind, subscription), created once and
  shared by threads.
- ``ctx.call(fn, *args, operation="BlobServices_GetServiceProperties", absent={...})``: the
  result, :data:`ABSENT` when the error code says the thing does not exist, or ``None`` when the
  call failed (recorded in the report's ``errors``).
- ``ctx.list_items(fn, *args, operation=..., affects=(T,))``: every item of a paged listing (all
  pages are read inside the guarded call); ``[]`` when an ``absent`` code says there is nothing;
  ``None`` when it failed.
- ``ctx.list_json(...)``: the same listing, as the raw ARM JSON of each item; for properties the
  SDK's models are older than (azure-mgmt-machinelearningservices models API 2020-08-01).
- ``ctx.client("arm")``: :class:`ArmJson`, plain ARM GETs (one resource, or a listing followed
  through ``nextLink``) for the resource providers cspm reads without a management SDK
  (Microsoft.CognitiveServices, Microsoft.Insights, Microsoft.Authorization): azure-mgmt-core's
  ``ARMPipelineClient`` with the same policies, transport and guard as the SDK clients.

Against input nobody here wrote (issue 11; docs/resilience.md): every client retries by error
class (:class:`ErrorClassRetryPolicy`: throttling 11 attempts honouring ``Retry-After``, server
errors, connection errors and broken bodies 3 with a short backoff), sends through a
``requests`` session whose bodies are read bounded and checked
(:mod:`cspm.providers.bounded_http`), and is stopped by the breaker of its (subscription,
"global", service) after 5 server faults in a row (:class:`AzureContext`, via ``SdkContext``).

Every client carries :class:`ReadOnlyPolicy`, which refuses any HTTP method but GET and HEAD
before the request is signed or sent. Its one expected trigger is the SDKs' automatic resource
provider registration (a POST to ``.../providers/<namespace>/register`` after a
``MissingSubscriptionRegistration`` answer): it is refused and reported as that error code, which
collectors treat as "nothing of this provider exists here".
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import urlparse

import azure.core.exceptions as azure_errors
import requests
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import RetryPolicy, SansIOHTTPPolicy
from azure.core.pipeline.transport import RequestsTransport

from cspm import __version__
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
from cspm.resources.base import Resource

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from cspm.engine import UnitContext

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

ML_API_VERSION: Final = "2024-10-01"

# kind -> (module, class, extra constructor arguments); "arm" is ArmJson (below), built by AzureClients
CLIENT_KINDS: Final[dict[str, tuple[str, str, dict[str, Any]]]] = {
    "storage": ("azure.mgmt.storage", "StorageManagementClient", {}),
    "ml": ("azure.mgmt.machinelearningservices", "MachineLearningServicesMgmtClient", {"api_version": ML_API_VERSION}),
}


# ---------------------------------------------------------------------------------------------
# Read-only guard
# ---------------------------------------------------------------------------------------------

READ_METHODS: Final = frozenset({"GET", "HEAD"})
_REGISTER = re.compile(r"/providers/(?P<namespace>[^/]+)/register$", re.IGNORECASE)


class ReadOnlyViolation(RuntimeError):
    """The scanner tried to send a request that could change the subscription. Always refused."""


class ProviderNotRegistered(ReadOnlyViolation):
    """The SDK tried to register a resource provider after MissingSubscriptionRegistration."""

    def __init__(self, namespace: str) -> None:
        super().__init__(f"the subscription is not registered for {namespace}; cspm does not register it")
        self.namespace = namespace


def is_blob_data_plane(url: str, headers: Any) -> bool:
    """A Blob Storage data-plane request (``x-ms-version``, or a ``*.blob.*`` host): blob contents."""
    host = (urlparse(url).hostname or "").lower()
    return ".blob." in host or any(str(k).lower() == "x-ms-version" for k in (headers or {}))


class ReadOnlyPolicy(SansIOHTTPPolicy):
    """Refuse every request that is not a GET or HEAD, before it is signed or sent; and any Blob
    Storage data-plane request unless ``read_blobs`` (``--inspect-artifacts``)."""

    def __init__(self, *, read_blobs: bool = False) -> None:
        super().__init__()
        self.read_blobs = read_blobs

    def on_request(self, request: PipelineRequest) -> None:
        http = request.http_request
        method = http.method.upper()
        if not self.read_blobs and is_blob_data_plane(http.url, http.headers):
            raise ReadOnlyViolation(
                f"refusing to read blob contents {http.url.split('?', maxsplit=1)[0]} without --inspect-artifacts"
            )
        if method in READ_METHODS:
            return
        path = urlparse(http.url).path
        registering = _REGISTER.search(path)
        if method == "POST" and registering:
            raise ProviderNotRegistered(registering.group("namespace"))
        raise ReadOnlyViolation(f"refusing to send {method} {path}")


# ---------------------------------------------------------------------------------------------
# Retries by error class
# ---------------------------------------------------------------------------------------------

THROTTLING_STATUS: Final = 429  # ARM's throttling answer (with Retry-After)


def _inner(error: BaseException | None) -> BaseException | None:
    """The exception azure-core wrapped (``ServiceResponseError(err, error=err)``)."""
    return getattr(error, "inner_exception", None) if error is not None else None


class ErrorClassRetryPolicy(RetryPolicy):
    """azure-core's retry policy with an attempt budget per error class.

    ``retry_total`` (and every per-kind count) is the *throttling* budget: HTTP 429 is retried
    up to ``retry_total`` times, after ``Retry-After`` (capped at ``retry_backoff_max``) or the
    exponential backoff. Server errors (5xx, 408), connection errors, timeouts and broken bodies
    get ``transient_attempts`` attempts in all with a short backoff (``TRANSIENT_BACKOFF`` * 2^n);
    a body over the size or time cap is not retried. azure-core's own policy has one budget for
    every error class, so 10 retries for throttling were also spent on a service answering 500.
    """

    def __init__(self, *, transient_attempts: int = TRANSIENT_ATTEMPTS, **kwargs: Any) -> None:
        total = kwargs.pop("retry_total", THROTTLING_ATTEMPTS - 1)
        for kind in ("retry_total", "retry_connect", "retry_read", "retry_status"):
            kwargs.setdefault(kind, total)
        kwargs.setdefault("retry_backoff_max", THROTTLING_BACKOFF_MAX)
        super().__init__(**kwargs)
        self.transient_retries = max(0, transient_attempts - 1)

    def configure_retries(self, options: dict[str, Any]) -> dict[str, Any]:
        settings: dict[str, Any] = super().configure_retries(options)
        settings["transient"] = self.transient_retries
        return settings

    def increment(self, settings: dict[str, Any], response: Any = None, error: Exception | None = None) -> bool:
        if isinstance(_inner(error), bounded_http.FINAL):
            return False
        if not self._throttled(response, error):
            settings["transient"] -= 1
            if settings["transient"] < 0:
                return False
        return bool(super().increment(settings, response=response, error=error))

    def get_backoff_time(self, settings: dict[str, Any]) -> float:
        history = settings["history"]
        last = history[-1] if history else None
        if last is not None and getattr(last.http_response, "status_code", None) == THROTTLING_STATUS:
            return float(super().get_backoff_time(settings))
        if len(history) <= 1:
            return 0.0 if not history else TRANSIENT_BACKOFF
        return float(TRANSIENT_BACKOFF * 2 ** (len(history) - 1))

    def get_retry_after(self, response: PipelineResponse[Any, Any]) -> float | None:
        """Retry-After, capped: a hostile or broken server cannot park a call for an hour."""
        after = super().get_retry_after(response)
        return None if after is None else min(float(after), self.backoff_max)

    @staticmethod
    def _throttled(response: Any, error: BaseException | None) -> bool:
        if error is not None:
            return False
        http = getattr(response, "http_response", None)
        return getattr(http, "status_code", None) == THROTTLING_STATUS


def is_server_fault(exc: BaseException) -> bool:
    """A failure that says ARM (or the way to it) is broken, not that the call was wrong: HTTP
    5xx, no connection, a timeout, a broken body (not one over the size cap)."""
    if isinstance(exc, azure_errors.HttpResponseError) and exc.status_code is not None:
        return int(exc.status_code) >= 500
    if isinstance(_inner(exc), bounded_http.ResponseTooLarge):
        return False
    return isinstance(
        exc, azure_errors.ServiceRequestError | azure_errors.ServiceResponseError | azure_errors.DeserializationError
    )


# ---------------------------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------------------------


class AzureClients:
    """Management clients, one per (kind, subscription); safe to share across threads."""

    def __init__(
        self,
        credential: TokenCredential,
        endpoint: str,
        *,
        retry_total: int = THROTTLING_ATTEMPTS - 1,
        transient_attempts: int = TRANSIENT_ATTEMPTS,
        connection_timeout: float = 10,
        read_timeout: float = 60,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        breakers: Breakers | None = None,
        graph_endpoint: str | None = None,
        read_blobs: bool = False,
    ) -> None:
        self.credential = credential
        self.read_blobs = read_blobs  # Blob Storage data-plane reads: only with --inspect-artifacts
        self.endpoint = endpoint
        self.graph_endpoint = graph_endpoint  # Microsoft Graph (providers/azure/graph.py); None: not asked
        self.scope = f"{endpoint}/.default"
        self.max_response_bytes = max_response_bytes
        self.connection_timeout = connection_timeout
        self.read_timeout = read_timeout
        self.breakers = breakers or Breakers(is_fault=is_server_fault)
        self._retry = {"retry_total": retry_total, "transient_attempts": transient_attempts}
        self._settings: dict[str, Any] = {
            "base_url": endpoint,
            "credential_scopes": [self.scope],
            "per_retry_policies": [ReadOnlyPolicy()],
            "connection_timeout": connection_timeout,
            "read_timeout": read_timeout,
            "user_agent": f"cspm/{__version__}",
        }
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def retry_policy(self) -> ErrorClassRetryPolicy:
        """A new retry policy: one per client. azure-core links a pipeline's policies by setting
        each one's ``next``, so a policy object shared by two clients would send the first
        client's requests down the second client's chain (its transport, its policies)."""
        return ErrorClassRetryPolicy(**self._retry)

    @property
    def user_agent(self) -> str:
        return str(self._settings["user_agent"])

    def transport(self) -> RequestsTransport:
        """A new bounded transport (one per client), for the data-plane reader."""
        return self._transport()

    def _transport(self) -> RequestsTransport:
        """A transport whose session reads every body bounded and checked."""
        session = bounded_http.bound(requests.Session(), limit=self.max_response_bytes)
        return RequestsTransport(
            session=session,
            session_owner=False,
            connection_timeout=self.connection_timeout,
            read_timeout=self.read_timeout,
        )

    def subscriptions(self) -> Any:
        """The subscription client (not cached: used once, while connecting)."""
        from azure.mgmt.resource.subscriptions import SubscriptionClient

        return SubscriptionClient(
            self.credential, **self._settings, retry_policy=self.retry_policy(), transport=self._transport()
        )

    def arm(self) -> ArmJson:
        """Plain ARM GETs through azure-core's pipeline with this client's policies (one per
        subscription, like the SDK clients, so each has its own transport)."""
        from azure.core.pipeline.policies import (
            ContentDecodePolicy,
            HeadersPolicy,
            ProxyPolicy,
            RedirectPolicy,
            RequestIdPolicy,
            SensitiveHeaderCleanupPolicy,
            UserAgentPolicy,
        )
        from azure.mgmt.core import ARMPipelineClient
        from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy

        policies = [
            RequestIdPolicy(),
            HeadersPolicy(),
            UserAgentPolicy(user_agent=self._settings["user_agent"]),
            ProxyPolicy(),
            ContentDecodePolicy(),
            RedirectPolicy(),
            self.retry_policy(),
            ReadOnlyPolicy(),  # after the retry policy, before the token is added: as the SDK clients
            ARMChallengeAuthenticationPolicy(self.credential, self.scope),
            SensitiveHeaderCleanupPolicy(),
            ARMHttpLoggingPolicy(),
        ]
        client: Any = ARMPipelineClient(base_url=self.endpoint, policies=policies, transport=self._transport())
        return ArmJson(client, self.endpoint)

    def graph(self) -> Any:
        """Microsoft Graph's ``directoryObjects/getByIds`` (only when an endpoint is known)."""
        from cspm.providers.azure.graph import graph_client

        assert self.graph_endpoint is not None
        return graph_client(
            self.credential, self.graph_endpoint, self.retry_policy(), self._transport(), self._settings["user_agent"]
        )

    def get(self, kind: str, subscription: str) -> Any:
        key = (kind, subscription)
        client = self._clients.get(key)
        if client is not None:
            return client
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                if kind == "arm":
                    client = self.arm()
                elif kind == "graph":
                    client = self.graph()
                else:
                    module, name, extra = CLIENT_KINDS[kind]
                    cls = getattr(importlib.import_module(module), name)
                    client = cls(
                        self.credential,
                        subscription,
                        **self._settings,
                        **extra,
                        retry_policy=self.retry_policy(),
                        transport=self._transport(),
                    )
                self._clients[key] = client
        return client


class UnexpectedArmResponse(azure_errors.DecodeError):
    """An ARM answer that is not the documented JSON shape (not JSON, no ``value`` list, a
    ``nextLink`` to another host). A DecodeError, so it is classified and retried like the SDKs'."""


class ArmJson:
    """GET an ARM path and return its JSON; list a collection following ``nextLink``.

    Errors are azure-core's (``HttpResponseError`` with ARM's error code, connection errors,
    the retry policy's verdicts), so :func:`classify` and the breakers treat them as the SDKs'.
    A ``nextLink`` must stay on the Resource Manager endpoint: the bearer token is never sent
    elsewhere.
    """

    def __init__(self, client: Any, endpoint: str) -> None:
        self._client = client
        self._endpoint = endpoint.rstrip("/")

    def url(self, path: str, api_version: str) -> str:
        return f"{self._endpoint}{path}?api-version={api_version}"

    def get(self, path: str, api_version: str) -> dict[str, Any]:
        return self._get(self.url(path, api_version))

    def list(self, path: str, api_version: str) -> Iterable[dict[str, Any]]:
        """Every item of a listing, page by page (a generator: pages are read as it is consumed)."""
        url: str | None = self.url(path, api_version)
        while url:
            page = self._get(url)
            items = page.get("value")
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise UnexpectedArmResponse(f"the listing at {urlparse(url).path} has no list of objects in 'value'")
            yield from items
            url = page.get("nextLink") or None
            if url is not None and not str(url).startswith(self._endpoint + "/"):
                raise UnexpectedArmResponse(f"refusing a nextLink outside {self._endpoint}: {str(url)[:200]}")

    def _get(self, url: str) -> dict[str, Any]:
        from azure.core.rest import HttpRequest
        from azure.mgmt.core.exceptions import ARMErrorFormat

        response = self._client.send_request(HttpRequest("GET", url))
        if response.status_code != 200:
            raise azure_errors.HttpResponseError(response=response, error_format=ARMErrorFormat)
        try:
            body = response.json()
        except ValueError as exc:
            raise UnexpectedArmResponse(f"the answer from {urlparse(url).path} is not JSON") from exc
        if not isinstance(body, dict):
            raise UnexpectedArmResponse(f"the answer from {urlparse(url).path} is not a JSON object")
        return body


# ---------------------------------------------------------------------------------------------
# The classifier
# ---------------------------------------------------------------------------------------------

SDK_ERRORS = (azure_errors.AzureError, azure_errors.DeserializationError, ReadOnlyViolation)


def classify(exc: BaseException) -> tuple[str, str]:
    """(error code, one-line message) for an Azure SDK exception.

    The code is ARM's own (``AuthorizationFailed``, ``ResourceNotFound``,
    ``MissingSubscriptionRegistration``, ...) when the response carried one, else the HTTP
    status, else the exception type.
    """
    if isinstance(exc, ProviderNotRegistered):
        return "MissingSubscriptionRegistration", str(exc)
    if isinstance(exc, ReadOnlyViolation):
        return "ReadOnlyViolation", str(exc)
    inner = _inner(exc)
    if isinstance(inner, bounded_http.ResponseIntegrityError):
        return type(inner).__name__, one_line(str(inner))
    if isinstance(exc, azure_errors.HttpResponseError):
        error = getattr(exc, "error", None)
        code = getattr(error, "code", None) or (str(exc.status_code) if exc.status_code else type(exc).__name__)
        message = getattr(error, "message", None) or exc.message or str(exc)
        return str(code), one_line(str(message))
    return type(exc).__name__, one_line(str(exc))


def text(value: Any) -> str | None:
    """An SDK enum member or string as plain text (``str()`` of an enum member is its name)."""
    if value is None:
        return None
    return str(getattr(value, "value", value))


def resource_group_of(resource_id: str) -> str | None:
    """The resource group named in an ARM resource id, or None."""
    match = re.search(r"/resourceGroups/([^/]+)", resource_id or "", re.IGNORECASE)
    return match.group(1) if match else None


# ---------------------------------------------------------------------------------------------
# What collectors see
# ---------------------------------------------------------------------------------------------


class AzureContext(SdkContext):
    """A collector's view of one (subscription, service) unit."""

    sdk_errors = SDK_ERRORS

    def classify(self, exc: BaseException) -> tuple[str, str]:
        return classify(exc)

    def __init__(self, unit: UnitContext, clients: AzureClients, saw_location: Callable[[str, str], None]) -> None:
        super().__init__(unit, saw_location, clients.breakers)
        self.clients = clients
        self.subscription = unit.account

    def client(self, kind: str) -> Any:
        return self.clients.get(kind, self.subscription)

    def list_json(
        self,
        fn: Callable[..., Iterable[Any]],
        *args: Any,
        operation: str,
        absent: Iterable[str] = (),
        affects: Iterable[type[Resource]] = (),
    ) -> list[dict[str, Any]] | None:
        """Like :meth:`list_items`, but the items are the raw ARM JSON objects of each page's ``value``.

        The SDK still pages, authenticates, retries and maps errors; ``raw_response_hook`` (an
        azure-core per-call option) hands over each successful page before it is deserialized.
        """
        pages: list[dict[str, Any]] = []

        def keep_page(response: Any) -> None:
            http = response.http_response
            if http.status_code == 200:
                pages.append(json.loads(http.text()))

        items = self.list_items(
            fn, *args, operation=operation, absent=absent, affects=affects, raw_response_hook=keep_page
        )
        if not items:
            return items  # None (failed) or [] (nothing there)
        raw = [item for page in pages for item in page.get("value", [])]
        if len(raw) != len(items):
            self.error(
                operation,
                "InconsistentResponse",
                f"{len(items)} items were listed but {len(raw)} were read from the pages",
                affects=affects,
            )
            return None
        return raw
