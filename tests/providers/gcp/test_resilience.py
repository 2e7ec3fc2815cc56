"""Issue 11 for Google Cloud: retries by error class, the breaker, and bodies that cannot be trusted.

The real provider, google-cloud-storage and google-auth's session against the Cloud Storage fake
on 127.0.0.1 (``STORAGE_EMULATOR_HOST``), behind a hostile front (``tests/support/hostile.py``)
that answers chosen routes with faults. Attempts are counted, never timed.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from google.api_core import exceptions as api_errors

from cspm.engine import CollectorUnit, Inventory, UnitContext, collect
from cspm.providers import bounded_http
from cspm.providers.gcp import GcpOptions, GcpProvider
from cspm.providers.gcp.context import GcpClients, GcpContext, call_retry, error_class, is_server_fault
from cspm.providers.resilience import BREAKER_THRESHOLD, TRANSIENT_ATTEMPTS
from cspm.resources.gcp.storage import GcsBucket
from support.gcp import PROJECT, FakeGcs, fake_credentials, hardened_bucket, serve_http
from support.hostile import (
    ANSWERED,
    BLANK,
    DRIPPED,
    HUGE,
    SERVER_ERROR,
    THROTTLED,
    TRUNCATED,
    Blank,
    Drip,
    Hostile,
    Huge,
    ServerError,
    Throttle,
    Truncated,
    gcs_error_body,
)

BUCKETS = r"^/storage/v1/b$"
IAM = r"/iam$"
BUCKET_COUNT = BREAKER_THRESHOLD + 3


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hostile]:
    fake = FakeGcs()
    for i in range(BUCKET_COUNT):
        fake.add_bucket(hardened_bucket(f"bucket-{i}"))
    front = Hostile(fake, gcs_error_body)
    with serve_http(front) as base:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", base)
        yield front


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """api_core's retry sleeps with its module's ``time.sleep``: only that one is replaced."""
    import time
    import types

    from google.api_core.retry import retry_unary

    clock = types.SimpleNamespace(monotonic=time.monotonic, sleep=lambda seconds: None)
    monkeypatch.setattr(retry_unary, "time", clock)


def _scan(**options: Any) -> Inventory:
    provider = GcpProvider(GcpOptions(projects=(PROJECT,), credentials=fake_credentials(), **options))
    provider.connect()
    return collect(provider.plan({GcsBucket}), workers=2)


def _errors(inventory: Inventory) -> list[tuple[str, str]]:
    return [(e.operation, e.code) for e in inventory.errors]


def test_a_listing_that_always_fails_gets_few_attempts(hostile: Hostile, no_backoff: None) -> None:
    hostile.faults[BUCKETS] = ServerError()
    inventory = _scan()
    assert hostile.outcomes() == [SERVER_ERROR] * TRANSIENT_ATTEMPTS
    assert _errors(inventory) == [("buckets.list", "InternalServerError")]
    assert inventory.incomplete_reason(GcsBucket, PROJECT, "global")


def test_throttling_keeps_its_long_retries(hostile: Hostile, no_backoff: None) -> None:
    throttles = TRANSIENT_ATTEMPTS + 3  # more than a server error is allowed
    hostile.faults[BUCKETS] = Throttle(first=throttles, retry_after="1")
    inventory = _scan()
    assert hostile.outcomes() == [THROTTLED] * throttles + [ANSWERED]
    assert inventory.errors == []
    assert len(inventory.of_type(GcsBucket)) == BUCKET_COUNT


def test_error_classes() -> None:
    assert error_class(api_errors.TooManyRequests("slow down")) == "throttling"
    assert error_class(api_errors.ServiceUnavailable("backend")) == "transient"
    assert error_class(api_errors.Forbidden("no")) is None
    assert error_class(bounded_http.MalformedBody("half")) == "transient"
    assert error_class(bounded_http.ResponseTooLarge("big")) is None
    assert is_server_fault(bounded_http.SlowBody("drip")) and not is_server_fault(bounded_http.ResponseTooLarge("x"))
    assert not is_server_fault(api_errors.TooManyRequests("slow down"))
    retry = call_retry(30.0)
    assert [retry._predicate(api_errors.InternalServerError("x")) for _ in range(3)] == [True, True, False]
    assert call_retry(30.0)._predicate(api_errors.TooManyRequests("x")), "each call has its own budget"


def test_the_breaker_stops_calling_a_service_that_keeps_failing(hostile: Hostile, no_backoff: None) -> None:
    hostile.faults[IAM] = ServerError()
    clients = GcpClients(fake_credentials())
    inventory = Inventory()
    unit = CollectorUnit(PROJECT, "global", "storage", (GcsBucket,), lambda ctx: [])
    with ThreadPoolExecutor(max_workers=1) as pool:
        ctx = GcpContext(UnitContext(unit, inventory, pool), clients, lambda project, where: None)
        storage = ctx.storage()
        for i in range(BUCKET_COUNT):
            bucket = storage.bucket(f"bucket-{i}")
            assert ctx.call(bucket.get_iam_policy, operation="buckets.getIamPolicy", **ctx.options) is None
    assert hostile.outcomes() == [SERVER_ERROR] * (BREAKER_THRESHOLD * TRANSIENT_ATTEMPTS), "then nothing is sent"
    codes = [e.code for e in inventory.errors]
    assert codes == ["InternalServerError"] * BREAKER_THRESHOLD + ["CircuitOpen"] * 3, "every skipped call recorded"
    assert "not sent: storage in global answered 5 calls in a row" in inventory.errors[-1].message


@pytest.mark.parametrize(("fault", "outcome"), [(Truncated(), TRUNCATED), (Blank(), BLANK)])
def test_a_broken_json_answer_is_an_error_not_an_empty_listing(
    hostile: Hostile, no_backoff: None, fault: Any, outcome: str
) -> None:
    hostile.faults[BUCKETS] = fault
    inventory = _scan()
    assert hostile.outcomes() == [outcome] * TRANSIENT_ATTEMPTS, "retried as a transient error"
    assert _errors(inventory) == [("buckets.list", "MalformedBody")]
    assert inventory.of_type(GcsBucket) == []
    assert inventory.incomplete_reason(GcsBucket, PROJECT, "global"), "complete: false"


def test_a_body_over_the_cap_is_not_read_and_is_an_error(hostile: Hostile) -> None:
    huge = Huge(256 * 2**20)
    hostile.faults[BUCKETS] = huge
    inventory = _scan(max_response_bytes=2**20)
    assert hostile.outcomes() == [HUGE], "not retried: it would not be smaller"
    [error] = inventory.errors
    assert (error.operation, error.code) == ("buckets.list", "ResponseTooLarge")
    assert error.message == "the answer is larger than 1 MB; not read"
    assert huge.sent < 64 * 2**20, "reading stopped near the cap; the rest was never sent"


def test_a_dripping_answer_is_cut_off(hostile: Hostile, monkeypatch: pytest.MonkeyPatch) -> None:
    original = bounded_http.bound
    monkeypatch.setattr(bounded_http, "bound", lambda session, limit: original(session, limit=limit, body_seconds=0.3))
    hostile.faults[BUCKETS] = Drip(0.05)  # the answer needs several seconds at this pace
    inventory = _scan()
    assert hostile.outcomes() == [DRIPPED], "not retried: it would drip as long again"
    assert _errors(inventory) == [("buckets.list", "SlowBody")]
