"""The AWS session, shared clients, the read-only guard and the one error classifier.

Collectors call the SDK only through :class:`AwsContext`:

- ``ctx.client("s3", region)``: one client per (service, region), created once, shared by threads.
- ``ctx.call(client, "get_bucket_policy", absent={"NoSuchBucketPolicy"}, Bucket=name)``: the
  response, :data:`ABSENT` when the error code says the thing does not exist, or ``None`` when
  the call failed; failures are recorded in the report's ``errors``.
- ``ctx.paginate(client, "list_roles", "Roles", affects=(IamRole,))``: every item, or ``None``.

A scan of several accounts (``--org``, ``--role-arn``) shares one set of clients between the
accounts: every request is signed with the credentials of the account it is made for
(:class:`AccountCredentials`, set around each call by :class:`AwsContext`). One client per
(service, region) for the whole organization, instead of one per account, is what keeps the CPU
and memory of a 50-account scan close to those of one account (measured: each botocore client
costs 5-25 ms of CPU and 1-3 MB, and an account needs about 24 of them).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Final, TypeVar

import boto3
import botocore.credentials
import botocore.exceptions
import botocore.parsers
import botocore.session
from botocore.config import Config

from cspm import __version__
from cspm.providers.aws.resilience import (
    DEFAULT_MAX_RESPONSE_BYTES,
    THROTTLING_ATTEMPTS,
    TRANSIENT_ATTEMPTS,
    Breakers,
    CircuitOpen,
    MalformedBody,
    install_bounded_reads,
    install_retries,
)
from cspm.providers.base import ABSENT, one_line
from cspm.resources.base import Resource

if TYPE_CHECKING:
    from cspm.engine import UnitContext

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


# ---------------------------------------------------------------------------------------------
# Read-only guard
# ---------------------------------------------------------------------------------------------

READ_PREFIXES: Final = ("List", "Get", "Describe", "Head", "BatchGet", "Search", "Lookup")
# Not prefixed like a read but needed and harmless: the credential report must be generated
# before it can be read; AssumeRole only issues credentials.
READ_EXCEPTIONS: Final = frozenset({"GenerateCredentialReport", "AssumeRole"})


class ReadOnlyViolation(RuntimeError):
    """The scanner tried to call an API that is not read-only. Always a bug."""


class AssumeRoleFailed(botocore.exceptions.BotoCoreError):
    """The credentials of an assumed-role session could not be obtained or renewed: AssumeRole
    was denied, the account is suspended, or the role was deleted during the scan. Raised by the
    session's credential refresh, so from inside whatever API call needed fresh credentials."""

    fmt = "cannot assume {role_arn} ({code}): {message}"

    @property
    def code(self) -> str:
        return str(self.kwargs["code"])

    @property
    def reason(self) -> str:
        return str(self.kwargs["message"])


def is_read_only(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES) or operation in READ_EXCEPTIONS


# Reads of object *contents*: sent only when the scan was asked to (--inspect-artifacts).
OBJECT_READS: Final = frozenset({"GetObject"})


def read_only_guard(model: Any, **_: Any) -> None:
    """botocore ``before-call`` handler: refuse any operation that could change the account, and
    reads of object contents (see :func:`read_objects_guard`)."""
    if not is_read_only(model.name) or model.name in OBJECT_READS:
        raise ReadOnlyViolation(f"refusing to call {model.service_model.service_name}:{model.name}")


def read_objects_guard(model: Any, **_: Any) -> None:
    """The guard of a scan with ``--inspect-artifacts``: read-only operations, object contents included."""
    if not is_read_only(model.name):
        raise ReadOnlyViolation(f"refusing to call {model.service_model.service_name}:{model.name}")


# ---------------------------------------------------------------------------------------------
# Sessions and clients
# ---------------------------------------------------------------------------------------------


def client_config(
    workers: int, *, max_attempts: int = THROTTLING_ATTEMPTS - 1, connect_timeout: float = 5, read_timeout: float = 20
) -> Config:
    """Shared client settings. ``max_attempts`` counts *retries* (botocore adds the first attempt).

    These are the *throttling* retries: :class:`ClientFactory` replaces botocore's retry handler
    by one with a budget per error class (:mod:`cspm.providers.aws.resilience`): server errors,
    connection errors and broken bodies get ``TRANSIENT_ATTEMPTS`` attempts in all.

    10 retries: with 30 % of requests throttled a call fails 0.3**11 ≈ 2e-6 of the time (6 retries:
    2e-4, so a 1,500-call scan would lose a call one time in four); a throttled retry waits at
    most min(2**(n-1), 20) s, so one call gives up after 131 s at worst. See docs/resilience.md.

    Timeouts: ``connect_timeout`` to open a connection, ``read_timeout`` for each wait for bytes
    (not the whole body: :data:`~cspm.providers.aws.resilience.BODY_SECONDS` bounds that).
    """
    return Config(
        retries={"mode": "adaptive", "max_attempts": max_attempts},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        max_pool_connections=max(10, workers * 2),
        user_agent_extra=f"cspm/{__version__}",
    )


def _strip_account_host_prefix(request: Any, **_: Any) -> None:
    """s3control prefixes the host with ``{AccountId}.``. A custom ``--endpoint-url`` (a local
    emulator or proxy) serves one host name, so the prefix is removed for it — before signing,
    so that the signature covers the host actually contacted."""
    request.url = re.sub(r"^(https?://)\d{12}\.", r"\1", request.url)


_ACTING_AS: ContextVar[botocore.credentials.Credentials | None] = ContextVar("cspm_aws_acting_as", default=None)


@contextmanager
def acting_as(credentials: botocore.credentials.Credentials) -> Iterator[None]:
    """Within this block (and this thread), requests of shared clients are signed with
    ``credentials``: those of the account the calls are for."""
    token = _ACTING_AS.set(credentials)
    try:
        yield
    finally:
        _ACTING_AS.reset(token)


class AccountCredentials(botocore.credentials.Credentials):
    """The credentials of the account the current call is made for (see :func:`acting_as`).

    The clients of a multi-account scan are created with these. A request made outside
    :func:`acting_as` fails with NoCredentials: it never falls back to another account's
    credentials."""

    method = "cspm-account"

    def __init__(self) -> None:  # no keys of its own
        pass

    @staticmethod
    def current() -> botocore.credentials.Credentials:
        credentials = _ACTING_AS.get()
        if credentials is None:
            raise botocore.exceptions.NoCredentialsError()
        return credentials

    def get_frozen_credentials(self) -> botocore.credentials.ReadOnlyCredentials:
        try:
            frozen: botocore.credentials.ReadOnlyCredentials = self.current().get_frozen_credentials()
        except RuntimeError as exc:  # botocore: "... the refreshed credentials are still expired."
            raise AssumeRoleFailed(role_arn="the account's role", code="ExpiredToken", message=str(exc)) from exc
        return frozen

    @property
    def access_key(self) -> str:
        return str(self.get_frozen_credentials().access_key)

    @property
    def secret_key(self) -> str:
        return str(self.get_frozen_credentials().secret_key)

    @property
    def token(self) -> str | None:
        token: str | None = self.get_frozen_credentials().token
        return token


class _AccountCredentialResolver(botocore.credentials.CredentialResolver):
    """A session's credential resolver that always answers :class:`AccountCredentials`."""

    def __init__(self) -> None:
        super().__init__(providers=[])

    def load_credentials(self) -> botocore.credentials.Credentials:
        return AccountCredentials()


def accounts_session(base: botocore.session.Session, region: str) -> boto3.Session:
    """A session for the clients that every account of a scan shares: the caller's profile
    configuration and service models, and :class:`AccountCredentials`."""
    core = botocore.session.Session(profile=base.profile)
    core.register_component("data_loader", base.get_component("data_loader"))
    core.register_component("credential_provider", _AccountCredentialResolver())
    return boto3.Session(botocore_session=core, region_name=region)


class ClientFactory:
    """One boto3 session, one client per (service, region); safe to share across threads.

    With :func:`accounts_session`, the clients serve every account of the scan, each call made
    under :func:`acting_as` with that account's credentials.
    """

    def __init__(
        self,
        session: boto3.Session,
        config: Config,
        endpoint_url: str | None = None,
        *,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        transient_attempts: int = TRANSIENT_ATTEMPTS,
        breakers: Breakers | None = None,
        read_objects: bool = False,
    ) -> None:
        self.session = session
        self.config = config
        self.endpoint_url = endpoint_url
        self.max_response_bytes = max_response_bytes
        self.transient_attempts = transient_attempts
        self.breakers = breakers or Breakers()
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        session.events.register("before-call", read_objects_guard if read_objects else read_only_guard)

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
                    client.meta.events.register("before-sign.s3-control.*", _strip_account_host_prefix)
                retries = self.config.retries or {}
                install_retries(
                    client,
                    throttling_attempts=int(retries.get("max_attempts", THROTTLING_ATTEMPTS - 1)) + 1,
                    transient_attempts=self.transient_attempts,
                )
                install_bounded_reads(client, self.max_response_bytes)
                self._clients[key] = client
        return client

    def __len__(self) -> int:
        """How many clients were created."""
        return len(self._clients)

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
        message = str(error.get("Message") or exc)
        if message.lstrip().startswith("<"):  # an HTML error page (a proxy, an emulator's 500), not a message
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            message = f"HTTP {status} with an HTML error page" if status else "an HTML error page"
        return code, one_line(message)
    if isinstance(exc, ReadOnlyViolation):
        return "ReadOnlyViolation", str(exc)
    if isinstance(exc, AssumeRoleFailed):
        return exc.code, one_line(exc.reason)
    if isinstance(exc, botocore.exceptions.NoCredentialsError | botocore.exceptions.PartialCredentialsError):
        return "NoCredentials", one_line(str(exc))
    return type(exc).__name__, one_line(str(exc))


# botocore's parsers raise ResponseParserError (not a BotoCoreError) for a body they cannot
# read: an error of that one call, like any other.
SDK_ERRORS = (
    botocore.exceptions.BotoCoreError,
    botocore.exceptions.ClientError,
    botocore.parsers.ResponseParserError,
    ReadOnlyViolation,
)


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
        credentials: botocore.credentials.Credentials | None = None,
    ) -> None:
        self.unit = unit
        self.clients = clients
        self.credentials = credentials  # the account's, when the clients are shared by accounts
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
        """Call one API. Returns the response, ABSENT (error code in ``absent``) or None (recorded).

        Not sent (and recorded) while the breaker of this (account, region, service) is open."""
        skipped = self._breaker_check(client)
        if skipped is not None:
            self._record(client, method, skipped, affects)
            return None
        try:
            with self._acting():
                response = getattr(client, method)(**params)
        except SDK_ERRORS as exc:
            self._breaker_record(client, exc)
            code, _ = classify(exc)
            if code in set(absent) and not isinstance(exc, AssumeRoleFailed):
                return ABSENT
            self._record(client, method, exc, affects)
            return None
        self._breaker_record(client, None)
        return response

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
        skipped = self._breaker_check(client)
        if skipped is not None:
            self._record(client, method, skipped, affects)
            return None
        items: list[Any] = []
        try:
            with self._acting():
                for page in client.get_paginator(method).paginate(**params):
                    found = page.get(result_key, [])
                    if not isinstance(found, list):
                        raise MalformedBody(reason=f"{result_key} is a {type(found).__name__}, not a list")
                    items.extend(found)
        except SDK_ERRORS as exc:
            self._breaker_record(client, exc)
            self._record(client, method, exc, affects)
            return None
        self._breaker_record(client, None)
        return items

    def _breaker_check(self, client: Any) -> CircuitOpen | None:
        region, service = client.meta.region_name, client.meta.service_model.service_name
        return self.clients.breakers.check(self.account, region, service)

    def _breaker_record(self, client: Any, exc: BaseException | None) -> None:
        region, service = client.meta.region_name, client.meta.service_model.service_name
        self.clients.breakers.record(self.account, region, service, exc)

    def _acting(self) -> Any:
        return nullcontext() if self.credentials is None else acting_as(self.credentials)

    def error(self, operation: str, code: str, message: str, *, affects: Iterable[type[Resource]] = ()) -> None:
        """Record a problem that is not an SDK exception (e.g. a malformed document)."""
        self.unit.error(operation, code, message, affects=affects)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        return self.unit.map(fn, items)

    def arn(self, service: str, resource: str, region: str = "", account: str | None = None) -> str:
        acct = self.account if account is None else account
        return f"arn:{self.partition}:{service}:{region}:{acct}:{resource}"

    def _record(self, client: Any, method: str, exc: Exception, affects: Iterable[type[Resource]]) -> None:
        # Errors of a global unit (IAM, S3) are filed under "global", where its listings live.
        region = "global" if self.region == "global" else client.meta.region_name
        code, message = classify(exc)
        log.debug("%s %s failed in %s: %s", self.unit.service, method, region, code)
        if isinstance(exc, AssumeRoleFailed):
            # The account's session expired and could not be renewed: what failed is STS, and the
            # call that needed the credentials is named in the message.
            message = f"{api_name(client, method)} not sent: {message}"
            self.unit.error("AssumeRole", code, message, region=region, affects=affects, service="sts")
            return
        self.unit.error(api_name(client, method), code, message, region=region, affects=affects)
