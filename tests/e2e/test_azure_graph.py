"""End to end: deleted role-assignment principals, told by Microsoft Graph's ``getByIds``.

The real ``cspm scan azure --services authorization`` against the HTTPS fake of ARM, which also
answers ``POST /v1.0/directoryObjects/getByIds`` (cspm/demo/azure_graph.py) from the principals its
role assignments name. ARM keeps a deleted principal's old type, so only Graph can tell it is gone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cspm.providers.azure.graph import GET_BY_IDS, GraphReadOnlyPolicy, graph_endpoint
from support.azure import (
    SUB,
    TENANT,
    FakeArm,
    clean_env,
    make_cert,
    role_assignment,
    run_cli,
    serve_https,
    subscription,
)

pytestmark = pytest.mark.e2e

ALIVE = "11111111-0000-0000-0000-00000000000a"
GONE = "11111111-0000-0000-0000-00000000000b"  # deleted after the assignment: ARM still says User
CHECK = "azure.authorization.principal_is_resolved"


@pytest.fixture
def fake() -> FakeArm:
    fake = FakeArm(subscriptions=[subscription(SUB, "ml-prod")])
    fake.add_rbac(
        SUB,
        [
            role_assignment(ALIVE, "Owner", f"/subscriptions/{SUB}", principal_type="User"),
            role_assignment(GONE, "Reader", f"/subscriptions/{SUB}", principal_type="User"),
        ],
    )
    fake.deleted_principals.add(GONE)
    return fake


@pytest.fixture
def arm(fake: FakeArm, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    cert, key = make_cert(tmp_path)
    with serve_https(fake, cert, key) as base:
        yield base, cert


def scan(tmp_path: Path, base: str, cert: Path, *, graph: bool = True) -> dict[str, Any]:
    env = clean_env(
        tmp_path,
        AZURE_CLIENT_ID="22222222-2222-2222-2222-222222222222",
        AZURE_CLIENT_SECRET="not-a-real-secret",
        AZURE_TENANT_ID=TENANT,
        AZURE_AUTHORITY_HOST=base,
        CSPM_AZURE_ARM_ENDPOINT=base,
        REQUESTS_CA_BUNDLE=str(cert),
        **({"CSPM_AZURE_GRAPH_ENDPOINT": base} if graph else {}),
    )
    out = tmp_path / "out"
    done = run_cli(["scan", "azure", "--services", "authorization", "--output-dir", str(out), "--quiet"], env)
    assert done.returncode in (0, 3), done.stderr
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    return report


def verdicts(report: dict[str, Any], check: str = CHECK) -> dict[str, tuple[str, str]]:
    return {
        f["resource_uid"].rsplit("/", 1)[-1]: (f["status"], f["message"])
        for f in report["findings"]
        if f["check_id"] == check
    }


def graph_requests(fake: FakeArm) -> list[tuple[str, str]]:
    return [r for r in fake.requests if r[1].lower() == GET_BY_IDS.lower()]


def test_graph_tells_the_deleted_principal_that_arm_still_types_as_user(
    fake: FakeArm, arm: tuple[str, Path], tmp_path: Path
) -> None:
    report = scan(tmp_path, *arm)
    found = verdicts(report)
    assert found[ALIVE][0] == "PASS"
    assert found[GONE] == ("FAIL", "The principal does not exist in the directory (deleted).")
    assert graph_requests(fake) == [("POST", GET_BY_IDS)]  # one request for the subscription's principals
    assert fake.violations == []
    assert report["errors"] == []


def test_graph_denied_is_an_error_for_that_check_only(fake: FakeArm, arm: tuple[str, Path], tmp_path: Path) -> None:
    fake.graph_denied = True
    report = scan(tmp_path, *arm)
    found = verdicts(report)
    assert {status for status, _ in found.values()} == {"ERROR"}
    assert "Directory.Read.All" in found[GONE][1]
    assert [(e["operation"], e["code"]) for e in report["errors"]] == [
        ("DirectoryObjects_GetByIds", "Authorization_RequestDenied")
    ]
    # the other RBAC checks are judged as usual
    escalation = verdicts(report, "azure.authorization.principal_cannot_escalate_privileges")
    assert (escalation[ALIVE][0], escalation[GONE][0]) == ("FAIL", "PASS")  # Owner can; Reader cannot


def test_no_graph_endpoint_no_request_and_an_error_naming_the_setting(
    fake: FakeArm, arm: tuple[str, Path], tmp_path: Path
) -> None:
    report = scan(tmp_path, *arm, graph=False)
    found = verdicts(report)
    assert {status for status, _ in found.values()} == {"ERROR"}
    assert "CSPM_AZURE_GRAPH_ENDPOINT" in found[ALIVE][1]
    assert graph_requests(fake) == []


def test_the_graph_endpoint_follows_the_national_cloud(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CSPM_AZURE_GRAPH_ENDPOINT", raising=False)
    assert graph_endpoint("https://management.azure.com/") == "https://graph.microsoft.com"
    assert graph_endpoint("https://management.usgovcloudapi.net") == "https://graph.microsoft.us"
    assert graph_endpoint("https://127.0.0.1:8443") is None  # a token never goes to a host nobody named
    monkeypatch.setenv("CSPM_AZURE_GRAPH_ENDPOINT", "http://graph.example")
    with pytest.raises(Exception, match="must be an https:// URL"):
        graph_endpoint("https://management.azure.com")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", "/v1.0/directoryObjects/getByIds", True),
        ("GET", "/v1.0/users", True),
        ("POST", "/v1.0/users", False),
        ("PATCH", "/v1.0/directoryObjects/getByIds", False),
        ("POST", "/v1.0/directoryObjects/getByIds/x", False),
    ],
)
def test_the_graph_guard_lets_only_reads_through(method: str, path: str, allowed: bool) -> None:
    from azure.core.pipeline import PipelineContext, PipelineRequest
    from azure.core.rest import HttpRequest

    from cspm.providers.azure.context import ReadOnlyViolation

    request = PipelineRequest(HttpRequest(method, f"https://graph.microsoft.com{path}"), PipelineContext(None))
    if allowed:
        GraphReadOnlyPolicy().on_request(request)
    else:
        with pytest.raises(ReadOnlyViolation):
            GraphReadOnlyPolicy().on_request(request)
