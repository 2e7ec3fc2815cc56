"""What every provider shares: the service declaration, the ABSENT marker, error text, and the
collector context of the SDKs whose calls are plain functions (Azure, Google Cloud)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal, TypeVar

from cspm.resources.base import Resource

if TYPE_CHECKING:
    from cspm.engine import UnitContext
    from cspm.providers.resilience import Breakers

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class _Absent(Enum):
    """The resource or setting does not exist (an explicit NOT_FOUND-like answer from the API)."""

    ABSENT = "ABSENT"

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Final = _Absent.ABSENT
Absent = Literal[_Absent.ABSENT]


def one_line(text: str) -> str:
    """The first non-blank line of an error message, at most 500 characters."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0][:500] if lines else ""


@dataclass(frozen=True)
class ServiceSpec:
    """A service collector.

    ``permissions`` are the read-only API permissions the collector needs; ``cspm permissions``
    builds the scanner's own least-privilege policy from them.
    """

    name: str
    produces: tuple[type[Resource], ...]
    regional: bool
    permissions: tuple[str, ...]
    collect: Callable[[Any], Iterable[Resource]]


def with_deadline(fn: Callable[[], T], seconds: float, *, name: str = "cspm-deadline") -> T:
    """Run ``fn`` in a daemon thread; raise TimeoutError if it has not returned in ``seconds``.

    A daemon thread, because an SDK blocked on a silent endpoint (a cloud metadata service that
    accepts connections and never answers) cannot be interrupted and must not keep the process
    alive once the CLI has given up. Used to bound credential discovery.
    """
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # handed to the caller below, never dropped
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name=name, daemon=True).start()
    if not done.wait(seconds):
        raise TimeoutError(f"no answer within {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


class SdkContext:
    """A collector's view of one (account, service) unit, for SDKs whose operations are plain
    calls: every failure is classified (``classify``), recorded on the unit with the operation's
    name, and answered with ``None``, or with :data:`ABSENT` when its code is one of ``absent``.

    A subclass sets ``sdk_errors`` (the exceptions a call may raise) and implements
    :meth:`classify`.

    With ``breakers`` (:class:`cspm.providers.resilience.Breakers`, shared by the provider's
    units), a call is not sent while the breaker of this (scope, region, service) is open: it is
    recorded in ``errors`` (code ``CircuitOpen``) and answered ``None``, like a failed call.
    """

    sdk_errors: ClassVar[tuple[type[BaseException], ...]]

    def __init__(
        self, unit: UnitContext, saw_location: Callable[[str, str], None], breakers: Breakers | None = None
    ) -> None:
        self.unit = unit
        self.scope = unit.account  # the subscription, the project
        self._saw_location = saw_location
        self._breakers = breakers

    def classify(self, exc: BaseException) -> tuple[str, str]:
        """The error code and a one-line message of a failed call."""
        raise NotImplementedError

    def saw_location(self, location: str | None) -> str:
        """Note a location for the report's scopes; returns it lower-cased ("global" when unknown)."""
        where = (location or "global").lower()
        self._saw_location(self.scope, where)
        return where

    def call(
        self,
        fn: Callable[..., T],
        *args: Any,
        operation: str,
        absent: Iterable[str] = (),
        affects: Iterable[type[Resource]] = (),
        **kwargs: Any,
    ) -> T | Absent | None:
        """Call one operation. Returns the result, ABSENT (code in ``absent``) or None (recorded)."""
        if self._skipped(operation, affects):
            return None
        try:
            result = fn(*args, **kwargs)
        except self.sdk_errors as exc:
            self._breaker_record(exc)
            return self._failed(exc, operation, absent, affects)
        self._breaker_record(None)
        return result

    def list_items(
        self,
        fn: Callable[..., Iterable[T]],
        *args: Any,
        operation: str,
        absent: Iterable[str] = (),
        affects: Iterable[type[Resource]] = (),
        **kwargs: Any,
    ) -> list[T] | None:
        """Every item of a paged listing (all pages are read inside the call); [] when an
        ``absent`` code says there is nothing; None when any page failed (recorded)."""
        if self._skipped(operation, affects):
            return None
        try:
            items = list(fn(*args, **kwargs))
        except self.sdk_errors as exc:
            self._breaker_record(exc)
            return None if self._failed(exc, operation, absent, affects) is None else []
        self._breaker_record(None)
        return items

    def _skipped(self, operation: str, affects: Iterable[type[Resource]]) -> bool:
        """True (and recorded) when the breaker of this unit's (scope, region, service) is open."""
        if self._breakers is None:
            return False
        unit = self.unit
        skipped = self._breakers.check(self.scope, unit.region, unit.service)
        if skipped is None:
            return False
        self.unit.error(operation, "CircuitOpen", one_line(str(skipped)), affects=affects)
        return True

    def _breaker_record(self, exc: BaseException | None) -> None:
        if self._breakers is not None:
            self._breakers.record(self.scope, self.unit.region, self.unit.service, exc)

    def error(self, operation: str, code: str, message: str, *, affects: Iterable[type[Resource]] = ()) -> None:
        """Record a problem that is not an SDK exception (e.g. a malformed resource id)."""
        self.unit.error(operation, code, message, affects=affects)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        return self.unit.map(fn, items)

    def _failed(
        self, exc: BaseException, operation: str, absent: Iterable[str], affects: Iterable[type[Resource]]
    ) -> Absent | None:
        code, message = self.classify(exc)
        if code in set(absent):
            return ABSENT
        log.debug("%s %s failed in %s: %s %s", self.unit.service, operation, self.scope, code, message)
        self.unit.error(operation, code, message, affects=affects)
        return None


def json_document(text: Any, what: str) -> tuple[dict[str, Any] | None, str | None]:
    """(document, problem) for a JSON object that an API returns as a string (a bucket, key, VPC
    endpoint or repository policy). The text is the account's: parsed with :func:`cspm.inputs.parse_json`'s
    limits (no NaN, no huge numbers, no deep nesting), so a hostile or broken document is a problem
    for that resource, never an exception in the collector."""
    from cspm.inputs import InputError, parse_json

    if not isinstance(text, str | bytes):
        return None, f"the {what} is not a JSON string"
    try:
        document = parse_json(text.decode("utf-8", "replace") if isinstance(text, bytes) else text, what)
    except InputError as exc:
        return None, f"the {what} is not valid JSON: {exc.message}"
    if not isinstance(document, dict):
        return None, f"the {what} is not a JSON object"
    return document, None
