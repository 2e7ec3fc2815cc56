"""Issue 11 for Azure: retries by error class, the breaker, and bodies that cannot be trusted.

The real provider and SDK pipelines against the HTTPS fake of ARM on 127.0.0.1, behind a hostile
front (``tests/support/hostile.py``) that answers chosen routes with faults. Attempts are
counted, never timed.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from cspm.engine import CollectorUnit, Inventory, UnitContext, collect
from cspm.providers.azure import AzureOptions, AzureProvider
from cspm.providers.azure.context import AzureClients, AzureContext, ErrorClassRetryPolicy
from cspm.providers.resilience import BREAKER_THRESHOLD, TRANSIENT_ATTEMPTS
from cspm.resources.azure.storage import StorageAccount, StorageContainer
from support.azure import SUB, FakeArm, FakeCredential, blob_service, container, make_cert, serve_https, storage_account
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
    arm_error_body,
)

ACCOUNTS = r"/providers/Microsoft\.Storage/storageAccounts$"
BLOB_SERVICE = r"/blobServices/default$"


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hostile]:
    fake = FakeArm()
    for i in range(BREAKER_THRESHOLD + 3):
        name = f"acct{i}"
        fake.add_account(storage_account(name), blob=blob_service(name), containers=[container(name, "data")])
    front = Hostile(fake, arm_error_body)
    cert, key = make_cert(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    with serve_https(front, cert, key):
        yield front


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ErrorClassRetryPolicy, "get_backoff_time", lambda self, settings: 0.0)


def _scan(front: Hostile, **options: Any) -> Inventory:
    provider = AzureProvider(
        AzureOptions(subscriptions=(SUB,), credential=FakeCredential(), endpoint=front.base, **options)
    )
    provider.connect()
    return collect(provider.plan({StorageAccount, StorageContainer}), workers=2)


def _errors(inventory: Inventory) -> list[tuple[str, str]]:
    return [(e.operation, e.code) for e in inventory.errors]


def test_a_listing_that_always_fails_gets_few_attempts(hostile: Hostile) -> None:
    hostile.faults[ACCOUNTS] = ServerError()
    inventory = _scan(hostile)
    assert hostile.outcomes() == [SERVER_ERROR] * TRANSIENT_ATTEMPTS
    assert _errors(inventory) == [("StorageAccounts_List", "InternalServerError")]
    assert inventory.incomplete_reason(StorageAccount, SUB, "global")


def test_throttling_keeps_its_long_retries(hostile: Hostile, no_backoff: None) -> None:
    throttles = TRANSIENT_ATTEMPTS + 3  # more than a server error is allowed
    hostile.faults[ACCOUNTS] = Throttle(first=throttles, retry_after="0")
    inventory = _scan(hostile)
    assert hostile.outcomes() == [THROTTLED] * throttles + [ANSWERED]
    assert inventory.errors == []
    assert len(inventory.of_type(StorageAccount)) == BREAKER_THRESHOLD + 3


def test_retry_after_is_capped() -> None:
    class _Http:
        headers = {"Retry-After": "3600"}

    class _Response:
        http_response = _Http()

    assert ErrorClassRetryPolicy().get_retry_after(_Response()) == 20.0  # type: ignore[arg-type]


def test_the_breaker_stops_calling_a_service_that_keeps_failing(hostile: Hostile) -> None:
    hostile.faults[BLOB_SERVICE] = ServerError()
    clients = AzureClients(FakeCredential(), hostile.base)
    inventory = Inventory()
    unit = CollectorUnit(SUB, "global", "storage", (StorageAccount,), lambda ctx: [])
    calls = BREAKER_THRESHOLD + 3
    with ThreadPoolExecutor(max_workers=1) as pool:
        ctx = AzureContext(UnitContext(unit, inventory, pool), clients, lambda sub, where: None)
        blob_services = ctx.client("storage").blob_services
        for i in range(calls):
            got = ctx.call(
                blob_services.get_service_properties, "ml-rg", f"acct{i}", operation="BlobServices_GetServiceProperties"
            )
            assert got is None
    assert hostile.outcomes() == [SERVER_ERROR] * (BREAKER_THRESHOLD * TRANSIENT_ATTEMPTS), "then nothing is sent"
    codes = [e.code for e in inventory.errors]
    assert codes == ["InternalServerError"] * BREAKER_THRESHOLD + ["CircuitOpen"] * 3, "every skipped call recorded"
    assert "not sent: storage in global answered 5 calls in a row" in inventory.errors[-1].message


@pytest.mark.parametrize(
    ("fault", "outcome", "code"),
    [(Truncated(), TRUNCATED, "MalformedBody"), (Blank(), BLANK, "MalformedBody")],
)
def test_a_broken_json_answer_is_an_error_not_an_empty_listing(
    hostile: Hostile, no_backoff: None, fault: Any, outcome: str, code: str
) -> None:
    hostile.faults[ACCOUNTS] = fault
    inventory = _scan(hostile)
    assert hostile.outcomes() == [outcome] * TRANSIENT_ATTEMPTS, "retried as a transient error"
    assert _errors(inventory) == [("StorageAccounts_List", code)]
    assert inventory.of_type(StorageAccount) == []
    assert inventory.incomplete_reason(StorageAccount, SUB, "global"), "complete: false"


def test_a_body_over_the_cap_is_not_read_and_is_an_error(hostile: Hostile) -> None:
    huge = Huge(256 * 2**20)
    hostile.faults[ACCOUNTS] = huge
    inventory = _scan(hostile, max_response_bytes=2**20)
    assert hostile.outcomes() == [HUGE], "not retried: it would not be smaller"
    [error] = inventory.errors
    assert (error.operation, error.code) == ("StorageAccounts_List", "ResponseTooLarge")
    assert error.message == "the answer is larger than 1 MB; not read"
    assert huge.sent < 64 * 2**20, "reading stopped near the cap; the rest was never sent"


def test_a_dripping_answer_is_cut_off(hostile: Hostile, monkeypatch: pytest.MonkeyPatch) -> None:
    from cspm.providers import bounded_http

    original = bounded_http.bound
    monkeypatch.setattr(bounded_http, "bound", lambda session, limit: original(session, limit=limit, body_seconds=0.3))
    hostile.faults[ACCOUNTS] = Drip(0.05)  # the answer needs several seconds at this pace
    inventory = _scan(hostile)
    assert hostile.outcomes() == [DRIPPED], "not retried: it would drip as long again"
    assert _errors(inventory) == [("StorageAccounts_List", "SlowBody")]
