"""The AWS session, shared clients, the read-only guard and the one error classifier.

Collectors call the SDK only through :class:`AwsContext`:

- ``ctx.client("s3", region)``: one client per (service, region), created once, shared by threads.
- ``ctx.call(client, "get_bucket_policy", absent={"NoSuchBucketPolicy"}, Bucket=name)``: the
  response, :data:`ABSENT` when the error code says the thing does not exist, or ``None`` when
  the call failed; failures are recorded in the report's ``errors``.
- ``ctx.paginate(client, "list_roles", "Roles", affects=(IamRole,))``: every item, or ``None``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final, TypeVar

import boto3
import botocore.exceptions
from botocore.config import Config

from cspm import __version__
from cspm.resources.base import Resource

if TYPE_CHECKING:
    from cspm.engine import UnitContext

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class _Absent:
    """The resource or setting does not exist (an explicit NOT_FOUND from the API)."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Final = _Absent()

# ---------------------------------------------------------------------------------------------
# Read-only guard
# ---------------------------------------------------------------------------------------------

READ_PREFIXES: Final = ("List", "Get", "Describe", "Head", "BatchGet", "Search", "Lookup")
# Not prefixed like a read but needed and harmless: the credential report must be generated
# before it can be read; AssumeRole only issues credentials.
READ_EXCEPTIONS: Final = frozenset({"GenerateCredentialReport", "AssumeRole"})


class ReadOnlyViolation(RuntimeError):
    """The scanner tried to call an API that is not read-only. Always a bug."""


def is_read_only(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES) or operation in READ_EXCEPTIONS


def read_only_guard(model: Any, **_: Any) -> None:
    """botocore ``before-call`` handler: refuse any operation that could change the account."""
    if not is_read_only(model.name):
        raise ReadOnlyViolation(f"refusing to call {model.service_model.service_name}:{model.name}")


# ---------------------------------------------------------------------------------------------
# Sessions and clients
# ---------------------------------------------------------------------------------------------


def client_config(workers: int, *, max_attempts: int = 6, connect_timeout: float = 5) -> Config:
    return Config(
        retries={"mode": "adaptive", "max_attempts": max_attempts},
        connect_timeout=connect_timeout,
        read_timeout=30,
        max_pool_connections=max(10, workers * 2),
        user_agent_extra=f"cspm/{__version__}",
    )


def _strip_account_host_prefix(request: Any, **_: Any) -> None:
    """s3control prefixes the host with ``{AccountId}.``. A custom ``--endpoint-url`` (a local
    emulator or proxy) serves one host name, so the prefix is removed for it."""
    request.url = re.sub(r"^(https?://)\d{12}\.", r"\1", request.url)


class ClientFactory:
    """One boto3 session, one client per (service, region); safe to share across threads."""

    def __init__(self, session: boto3.Session, config: Config, endpoint_url: str | None = None) -> None:
        self.session = session
        self.config = config
        self.endpoint_url = endpoint_url
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        session.events.register("before-call", read_only_guard)

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        client = self._clients.get(key)
        if client is not None:
            return client
        with self._lock:  # creating clients from one session is not thread-safe
            client = self._clients.get(key)
            if client is None:
                client = self.session.client(
                    service, region_name=region, config=self.config, endpoint_url=self.endpoint_url
                )
                if service == "s3control" and self._custom_endpoint(client):
                    client.meta.events.register("before-send.s3-control.*", _strip_account_host_prefix)
                self._clients[key] = client
        return client

    def _custom_endpoint(self, client: Any) -> bool:
        return self.endpoint_url is not None or "amazonaws.com" not in client.meta.endpoint_url


# ---------------------------------------------------------------------------------------------
# The classifier
# ---------------------------------------------------------------------------------------------


def classify(exc: Exception) -> tuple[str, str]:
    """(error code, one-line message) for an SDK exception."""
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "Unknown"))
        return code, _one_line(str(error.get("Message") or exc))
    if isinstance(exc, ReadOnlyViolation):
        return "ReadOnlyViolation", str(exc)
    if isinstance(exc, botocore.exceptions.NoCredentialsError | botocore.exceptions.PartialCredentialsError):
        return "NoCredentials", _one_line(str(exc))
    return type(exc).__name__, _one_line(str(exc))


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:500] if lines else ""


SDK_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, ReadOnlyViolation)


def api_name(client: Any, method: str) -> str:
    mapping: dict[str, str] = client.meta.method_to_api_mapping
    return mapping.get(method, method)


# ---------------------------------------------------------------------------------------------
# What collectors see
# ---------------------------------------------------------------------------------------------


class AwsContext:
    """A collector's view of one (account, region, service) unit."""

    def __init__(
        self,
        unit: UnitContext,
        clients: ClientFactory,
        *,
        partition: str,
        regions: tuple[str, ...],
        home_region: str,
    ) -> None:
        self.unit = unit
        self.clients = clients
        self.account = unit.account
        self.region = unit.region
        self.partition = partition
        self.regions = regions  # every region selected for this scan
        self.home_region = home_region  # where global services are called

    def client(self, service: str, region: str | None = None) -> Any:
        return self.clients.client(service, region or self._call_region())

    def _call_region(self) -> str:
        return self.home_region if self.region == "global" else self.region

    def call(
        self,
        client: Any,
        method: str,
        *,
        absent: Iterable[str] = (),
        affects: Iterable[type[Resource]] = (),
        **params: Any,
    ) -> Any:
        """Call one API. Returns the response, ABSENT (error code in ``absent``) or None (recorded)."""
        try:
            return getattr(client, method)(**params)
        except SDK_ERRORS as exc:
            code, message = classify(exc)
            if code in set(absent):
                return ABSENT
            self._record(client, method, code, message, affects)
            return None

    def paginate(
        self,
        client: Any,
        method: str,
        result_key: str,
        *,
        affects: Iterable[type[Resource]] = (),
        **params: Any,
    ) -> list[Any] | None:
        """Every item of a paginated listing, or None when any page failed (recorded)."""
        items: list[Any] = []
        try:
            for page in client.get_paginator(method).paginate(**params):
                items.extend(page.get(result_key, []))
        except SDK_ERRORS as exc:
            code, message = classify(exc)
            self._record(client, method, code, message, affects)
            return None
        return items

    def error(self, operation: str, code: str, message: str, *, affects: Iterable[type[Resource]] = ()) -> None:
        """Record a problem that is not an SDK exception (e.g. a malformed document)."""
        self.unit.error(operation, code, message, affects=affects)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        return self.unit.map(fn, items)

    def arn(self, service: str, resource: str, region: str = "", account: str | None = None) -> str:
        acct = self.account if account is None else account
        return f"arn:{self.partition}:{service}:{region}:{acct}:{resource}"

    def _record(self, client: Any, method: str, code: str, message: str, affects: Iterable[type[Resource]]) -> None:
        # Errors of a global unit (IAM, S3) are filed under "global", where its listings live.
        region = "global" if self.region == "global" else client.meta.region_name
        log.debug("%s %s failed in %s: %s %s", self.unit.service, method, region, code, message)
        self.unit.error(api_name(client, method), code, message, region=region, affects=affects)
