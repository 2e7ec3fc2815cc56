"""Issue 11, bounded retries and response integrity: a service that keeps answering 5xx costs a
few attempts and then nothing (the breaker); a broken, huge or dripping answer is an error for
that call, never an empty listing; ``--timeout`` bounds the process even when a read is stuck.

The answers are broken on the wire by the fault middleware (``tests/support/faults.py``), in
front of moto; the scanner's clients are the production ones (``ClientFactory``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import botocore.retries.standard
import pytest
from botocore.config import Config
from resilience.scans import cspm_command

from cspm.engine import CollectorUnit, Inventory, UnitContext
from cspm.providers.aws.context import AwsContext, ClientFactory, client_config
from cspm.providers.aws.resilience import (
    BREAKER_THRESHOLD,
    TRANSIENT_ATTEMPTS,
    BoundedReads,
    Breakers,
    CircuitOpen,
    IncompleteBody,
    MalformedBody,
)
from cspm.resources.aws.kms import KmsKey
from support.faults import DRIPPED, HUGE, SERVER_ERROR, THROTTLED, TRUNCATED, Faults, FaultServer

pytestmark = pytest.mark.xdist_group("resilience-moto")

REGION = "us-east-1"
ACCOUNT = "123456789012"
LIST_KEYS = "kms:ListKeys"


@pytest.fixture
def server(fault_server: FaultServer) -> Iterator[FaultServer]:
    fault_server.set_iam_enforcement(False)
    fault_server.faults.configure(Faults())
    boto3.client("kms", region_name=REGION, endpoint_url=fault_server.url).create_key(Description="rs-bounded")
    yield fault_server
    fault_server.faults.configure(Faults())


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.0)


def _factory(url: str, **kw: Any) -> ClientFactory:
    session = boto3.Session(region_name=REGION)
    return ClientFactory(session, client_config(2), endpoint_url=url, **kw)


def _context(factory: ClientFactory) -> tuple[AwsContext, Inventory, ThreadPoolExecutor]:
    inventory = Inventory()
    pool = ThreadPoolExecutor(max_workers=1)
    unit = CollectorUnit(ACCOUNT, REGION, "kms", (KmsKey,), lambda ctx: [])
    ctx = AwsContext(
        UnitContext(unit, inventory, pool), factory, partition="aws", regions=(REGION,), home_region=REGION
    )
    return ctx, inventory, pool


# ---------------------------------------------------------------------------------------------
# Retries by error class
# ---------------------------------------------------------------------------------------------


def test_a_server_error_gets_few_attempts(server: FaultServer, no_backoff: None) -> None:
    server.faults.configure(Faults(server_errors=frozenset({LIST_KEYS})))
    ctx, inventory, pool = _context(_factory(server.url))
    with pool:
        assert ctx.paginate(ctx.client("kms"), "list_keys", "Keys", affects=(KmsKey,)) is None
    assert [r.outcome for r in server.faults.calls()] == [SERVER_ERROR] * TRANSIENT_ATTEMPTS
    assert [(e.operation, e.code) for e in inventory.errors] == [("ListKeys", "InternalFailure")]
    assert not inventory.complete


def test_throttling_keeps_its_long_retries(server: FaultServer, no_backoff: None) -> None:
    throttles = TRANSIENT_ATTEMPTS + 3  # more than a server error is allowed
    server.faults.configure(Faults(throttle_first={LIST_KEYS: throttles}))
    # standard mode: the same budgets, without adaptive mode's client-side rate limiter (seconds here)
    config = client_config(2).merge(Config(retries={"mode": "standard", "max_attempts": 10}))
    ctx, inventory, pool = _context(ClientFactory(boto3.Session(region_name=REGION), config, endpoint_url=server.url))
    with pool:
        keys = ctx.paginate(ctx.client("kms"), "list_keys", "Keys", affects=(KmsKey,))
    assert keys, "answered after the throttling"
    assert [r.outcome for r in server.faults.calls()].count(THROTTLED) == throttles
    assert inventory.errors == []


def test_the_breaker_stops_calling_a_service_that_keeps_failing(server: FaultServer, no_backoff: None) -> None:
    server.faults.configure(Faults(server_errors=frozenset({LIST_KEYS, "kms:DescribeKey"})))
    ctx, inventory, pool = _context(_factory(server.url))
    kms = ctx.client("kms")
    calls = BREAKER_THRESHOLD + 3
    with pool:
        for i in range(calls):
            assert ctx.call(kms, "describe_key", KeyId=f"key-{i}") is None
    sent = server.faults.calls()
    assert len(sent) == BREAKER_THRESHOLD * TRANSIENT_ATTEMPTS, "after the threshold nothing more is sent"
    codes = [e.code for e in inventory.errors]
    assert codes == ["InternalFailure"] * BREAKER_THRESHOLD + ["CircuitOpen"] * 3, "every skipped call is recorded"
    assert "not sent: kms in us-east-1" in inventory.errors[-1].message
    # Another service in the same account and region is not affected.
    assert ctx.call(ctx.client("sts"), "get_caller_identity") is not None


def test_an_answer_closes_the_breaker_again() -> None:
    now = [0.0]
    breakers = Breakers(threshold=2, cooldown=10, clock=lambda: now[0])
    server_error = botocore.exceptions.ConnectionClosedError(endpoint_url="http://x")
    where = (ACCOUNT, REGION, "kms")
    breakers.record(*where, server_error)
    breakers.record(*where, None)  # an answer resets the count
    breakers.record(*where, server_error)
    assert breakers.check(*where) is None
    breakers.record(*where, server_error)
    assert isinstance(breakers.check(*where), CircuitOpen)
    assert breakers.check(ACCOUNT, "eu-west-1", "kms") is None, "per region"
    assert breakers.check("210987654321", REGION, "kms") is None, "per account"
    now[0] = 10.0
    assert breakers.check(*where) is None, "after the cooldown one call probes"
    assert isinstance(breakers.check(*where), CircuitOpen), "the others wait for its verdict"
    breakers.record(*where, None)
    assert breakers.check(*where) is None


def test_a_denial_or_a_missing_thing_is_not_a_server_fault() -> None:
    breakers = Breakers(threshold=1)
    denied = botocore.exceptions.ClientError(
        {"Error": {"Code": "AccessDenied"}, "ResponseMetadata": {"HTTPStatusCode": 403}}, "ListKeys"
    )
    slow_down = botocore.exceptions.ClientError(
        {"Error": {"Code": "SlowDown"}, "ResponseMetadata": {"HTTPStatusCode": 503}}, "ListBuckets"
    )
    for exc in (denied, slow_down):
        breakers.record(ACCOUNT, REGION, "s3", exc)
        assert breakers.check(ACCOUNT, REGION, "s3") is None, exc


# ---------------------------------------------------------------------------------------------
# Response integrity
# ---------------------------------------------------------------------------------------------


def test_a_truncated_json_answer_is_an_error_not_an_empty_listing(server: FaultServer, no_backoff: None) -> None:
    server.faults.configure(Faults(truncated=frozenset({LIST_KEYS})))
    ctx, inventory, pool = _context(_factory(server.url))
    with pool:
        assert ctx.paginate(ctx.client("kms"), "list_keys", "Keys", affects=(KmsKey,)) is None
    assert [r.outcome for r in server.faults.calls()] == [TRUNCATED] * TRANSIENT_ATTEMPTS
    [error] = inventory.errors
    assert (error.operation, error.code) == ("ListKeys", "MalformedBody")
    assert "not valid JSON" in error.message
    assert inventory.incomplete_reason(KmsKey, ACCOUNT, REGION)


def test_a_body_over_the_cap_is_not_read_and_is_an_error(server: FaultServer) -> None:
    size = 8 * 2**20
    server.faults.configure(Faults(huge={LIST_KEYS: size}))
    ctx, inventory, pool = _context(_factory(server.url, max_response_bytes=2**20))
    with pool:
        assert ctx.paginate(ctx.client("kms"), "list_keys", "Keys", affects=(KmsKey,)) is None
    assert [r.outcome for r in server.faults.calls()] == [HUGE], "not retried: it would not be smaller"
    [error] = inventory.errors
    assert (error.code, error.message) == ("ResponseTooLarge", "the answer is larger than 1 MB; not read")


def test_blank_json_is_malformed_not_empty(server: FaultServer, no_backoff: None) -> None:
    server.faults.configure(Faults(huge={LIST_KEYS: 1000}))  # 1,000 spaces
    ctx, inventory, pool = _context(_factory(server.url))
    with pool:
        assert ctx.paginate(ctx.client("kms"), "list_keys", "Keys") is None
    assert [e.code for e in inventory.errors] == ["MalformedBody"]


def test_a_dripping_answer_is_cut_off(server: FaultServer) -> None:
    server.faults.configure(Faults(drip={LIST_KEYS: 0.05}))
    factory = _factory(server.url)
    ctx, inventory, pool = _context(factory)
    kms = ctx.client("kms")
    kms._endpoint.http_session.body_seconds = 0.3  # the answer needs several seconds at this pace
    with pool:
        assert ctx.paginate(kms, "list_keys", "Keys") is None
    assert [r.outcome for r in server.faults.calls()] == [DRIPPED], "not retried: it would drip as long again"
    assert [e.code for e in inventory.errors] == ["SlowBody"]


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.chunks = [body]

    def read1(self, _: int) -> bytes:
        return self.chunks.pop() if self.chunks else b""

    def release_conn(self) -> None:
        pass


class _Response:
    def __init__(self, body: bytes, headers: dict[str, str], status: int = 200) -> None:
        self.raw = _Raw(body)
        self.headers = headers
        self.status_code = status
        self._content: bytes | None = None


class _Session:
    def __init__(self, response: _Response) -> None:
        self.response = response

    def send(self, request: Any) -> _Response:
        return self.response


class _Request:
    def __init__(self, method: str = "POST") -> None:
        self.url = "http://127.0.0.1/"
        self.method = method
        self.stream_output = False


@pytest.mark.parametrize(
    ("protocol", "body", "headers", "status", "error"),
    [
        ("json", b'{"Keys": []}', {"content-length": "40"}, 200, IncompleteBody),
        ("query", b"<A/>", {"content-length": "40"}, 200, IncompleteBody),
        ("json", b'{"Keys": [', {}, 200, MalformedBody),
        ("json", b"[]", {}, 200, MalformedBody),
        ("rest-json", b"null", {}, 200, MalformedBody),
        ("json", b'{"Keys": []}', {"content-length": "12"}, 200, None),
        ("json", b'{"Keys": [', {"transfer-encoding": "chunked", "content-length": "99"}, 400, None),
        ("json", b"", {"content-length": "0"}, 200, None),
        ("query", b"not xml", {}, 200, None),  # botocore's XML parser refuses it itself
        ("rest-json", b"%PDF-1.7", {"content-type": "application/pdf"}, 200, None),  # a payload, not JSON
        ("rest-json", b'{"a": ', {"content-type": "application/json"}, 200, MalformedBody),
    ],
)
def test_bodies_are_checked(
    protocol: str, body: bytes, headers: dict[str, str], status: int, error: type[Exception] | None
) -> None:
    reads = BoundedReads(_Session(_Response(body, headers, status)), protocol=protocol)
    head = BoundedReads(_Session(_Response(b"", {"content-length": "40"})), protocol=protocol)
    assert head.send(_Request("HEAD"))._content == b"", "a HEAD answer announces a length it does not send"
    if error is None:
        assert reads.send(_Request())._content == body
    else:
        with pytest.raises(error):
            reads.send(_Request())


# ---------------------------------------------------------------------------------------------
# The real process
# ---------------------------------------------------------------------------------------------


def _scan(url: str, out: Path, *args: str, key: str, prefix: tuple[str, ...] = (), timeout: float = 120) -> Any:
    argv = [*cspm_command(), "scan", "aws", "--endpoint-url", url, "--region", REGION, "--services", "kms"]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": "rs"}
    return subprocess.run(
        [*prefix, *argv, "--quiet", "--output-dir", str(out), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def test_the_timeout_ends_the_process_while_an_answer_still_drips(server: FaultServer, tmp_path: Path) -> None:
    """ListKeys drips one byte every 2 s (minutes for the whole answer, each byte well within
    the read timeout): the partial report is written at the deadline and the process exits
    without waiting for the stuck collector thread."""
    key = "AKIARSDRIP0000000001"
    server.faults.configure(Faults(), per_key={key: Faults(drip={LIST_KEYS: 2.0})})
    done = _scan(server.url, tmp_path, "--timeout", "2", key=key, timeout=40)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["scan"]["complete"] is False
    assert [(e["operation"], e["code"]) for e in report["errors"]] == [("collect", "Unfinished")]
    assert "the report is incomplete" in done.stderr
    assert [r.outcome for r in server.faults.calls(access_key=key) if r.call.name == LIST_KEYS] == [DRIPPED]


LIMITED = (
    sys.executable,
    "-c",
    "import os, resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20,) * 2); "
    "os.execv(sys.argv[1], sys.argv[1:])",
)


def test_a_300_mb_answer_under_a_1_5_gb_address_space(server: FaultServer, tmp_path: Path) -> None:
    key = "AKIARSHUGE0000000001"
    server.faults.configure(Faults(), per_key={key: Faults(huge={LIST_KEYS: 300 * 2**20})})
    command = cspm_command()
    if len(command) > 1:
        pytest.skip("needs the installed console script")
    done = _scan(server.url, tmp_path, key=key, prefix=LIMITED)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert [(e["operation"], e["code"]) for e in report["errors"]] == [("ListKeys", "ResponseTooLarge")]
    assert report["scan"]["complete"] is False
    statuses = {f["status"] for f in report["findings"]}
    assert statuses == {"ERROR"}, "no KMS check passes on a listing that could not be read"
