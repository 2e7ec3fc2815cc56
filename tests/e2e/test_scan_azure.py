"""End to end: the real ``cspm scan azure`` process against an HTTPS fake of ARM on 127.0.0.1.

The process signs in as a service principal (AZURE_CLIENT_ID/SECRET/TENANT_ID) through
azure-identity's real DefaultAzureCredential: ``AZURE_AUTHORITY_HOST`` points at the fake, which
answers the OpenID configuration and token requests; ``CSPM_AZURE_ARM_ENDPOINT`` points the
management clients at it; ``REQUESTS_CA_BUNDLE`` trusts its self-signed certificate. Nothing
leaves 127.0.0.1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.azure import (
    SUB,
    SUB2,
    TENANT,
    FakeArm,
    ai_account,
    ai_account_id,
    ai_deployment,
    blob_service,
    clean_env,
    compute,
    container,
    diagnostic_setting,
    hardened_account,
    hardened_ai_account,
    hardened_workspace,
    make_cert,
    role_assignment,
    run_cli,
    serve_https,
    silent_server,
    storage_account,
    subscription,
    workspace,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def fake() -> FakeArm:
    fake = FakeArm(subscriptions=[subscription(SUB, "ml-prod"), subscription(SUB2, "locked")])
    fake.add_account(
        hardened_account("hardened"), blob=blob_service("hardened"), containers=[container("hardened", "datasets")]
    )
    fake.add_account(
        storage_account("open"),
        blob=blob_service("open", blob_days=None, container_days=None, versioning=None),
        containers=[container("open", "public-models", "Container")],
    )
    fake.add_workspace(hardened_workspace("secure-ws"), [compute("secure-ws", "ci")])
    fake.add_workspace(workspace("open-ws"), [compute("open-ws", "ci-keys", disable_local_auth=False)])
    fake.add_ai_account(
        hardened_ai_account("secure-ai"),
        deployments=[ai_deployment("secure-ai", "chat")],
        diagnostic_settings=[diagnostic_setting(ai_account_id("secure-ai"))],
    )
    fake.add_ai_account(ai_account("open-ai"), deployments=[ai_deployment("open-ai", "chat-x", rai_policy="gone")])
    fake.add_rbac(
        SUB,
        [
            role_assignment("ai-principal", "Cognitive Services OpenAI User", ai_account_id("secure-ai")),
            role_assignment("p-1", "Contributor", f"/subscriptions/{SUB}"),  # the workspaces' identity
        ],
    )
    fake.deny(f"/subscriptions/{SUB2}/")  # listed, but nothing in it can be read
    return fake


@pytest.fixture
def arm(fake: FakeArm, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    cert, key = make_cert(tmp_path)
    with serve_https(fake, cert, key) as base:
        yield base, cert


def principal_env(home: Path, base: str, cert: Path) -> dict[str, str]:
    return clean_env(
        home,
        AZURE_CLIENT_ID="22222222-2222-2222-2222-222222222222",
        AZURE_CLIENT_SECRET="not-a-real-secret",
        AZURE_TENANT_ID=TENANT,
        AZURE_AUTHORITY_HOST=base,
        CSPM_AZURE_ARM_ENDPOINT=base,
        CSPM_AZURE_GRAPH_ENDPOINT=base,  # the fake answers Graph's getByIds too
        REQUESTS_CA_BUNDLE=str(cert),
    )


def findings_by(report: dict[str, Any], check: str) -> dict[str, str]:
    """resource name (last segment of the uid; "*" for resources that could not be listed) -> status."""
    return {
        "*" if f["resource_uid"].endswith(":*") else f["resource_uid"].rsplit("/", 1)[-1]: f["status"]
        for f in report["findings"]
        if f["check_id"] == check
    }


def test_scan_reports_every_subscription_and_records_the_unreadable_one(
    fake: FakeArm, arm: tuple[str, Path], tmp_path: Path
) -> None:
    base, cert = arm
    out = tmp_path / "out"
    done = run_cli(["scan", "azure", "--output-dir", str(out), "--quiet"], principal_env(tmp_path, base, cert))

    assert done.returncode == 0, done.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["scan"]["provider"] == "azure"
    assert report["scan"]["complete"] is False
    assert {s["account"]: s["regions"] for s in report["scan"]["scopes"]} == {
        SUB: ["eastus", "swedencentral", "westeurope"],
        SUB2: ["global"],
    }
    assert {(e["account"], e["operation"], e["code"]) for e in report["errors"]} == {
        (SUB2, "StorageAccounts_List", "AuthorizationFailed"),
        (SUB2, "Workspaces_ListBySubscription", "AuthorizationFailed"),
        (SUB2, "Accounts_List", "AuthorizationFailed"),
        (SUB2, "RoleAssignments_ListForSubscription", "AuthorizationFailed"),
        (SUB2, "Registries_ListBySubscription", "AuthorizationFailed"),
        (SUB2, "Vaults_ListBySubscription", "AuthorizationFailed"),
    }
    assert {r["type"] for r in report["resources"]} == {
        "azure.storage.account",
        "azure.storage.container",
        "azure.ml.workspace",
        "azure.cognitiveservices.account",
        "azure.cognitiveservices.deployment",
        "azure.authorization.principal",
    }
    assert findings_by(report, "azure.cognitiveservices.account_disables_local_auth") == {
        "secure-ai": "PASS",
        "open-ai": "FAIL",
        "*": "ERROR",
    }
    assert findings_by(report, "azure.cognitiveservices.deployment_blocks_prompt_attacks") == {
        "chat": "PASS",
        "chat-x": "FAIL",  # names a RAI policy the account does not have
        "*": "ERROR",
    }
    assert findings_by(report, "azure.ml.workspace_identity_is_not_privileged") == {
        "secure-ws": "FAIL",  # its identity p-1 is Contributor on the subscription
        "open-ws": "FAIL",
        "*": "ERROR",
    }
    assert findings_by(report, "azure.authorization.principal_cannot_escalate_privileges") == {
        "ai-principal": "PASS",
        "p-1": "FAIL",
        "*": "ERROR",
    }

    assert findings_by(report, "azure.storage.account_disallows_anonymous_blob_access") == {
        "hardened": "PASS",
        "open": "FAIL",
        "*": "ERROR",  # the unreadable subscription's accounts
    }
    assert findings_by(report, "azure.storage.container_is_not_public") == {
        "datasets": "PASS",
        "public-models": "FAIL",
        "*": "ERROR",
    }
    assert findings_by(report, "azure.storage.account_blob_soft_delete_enabled") == {
        "hardened": "PASS",
        "open": "FAIL",
        "*": "ERROR",
    }
    assert findings_by(report, "azure.ml.workspace_disables_public_network_access") == {
        "secure-ws": "PASS",
        "open-ws": "FAIL",
        "*": "ERROR",
    }
    assert findings_by(report, "azure.ml.workspace_computes_disable_local_auth") == {
        "secure-ws": "PASS",
        "open-ws": "FAIL",
        "*": "ERROR",
    }
    statuses = {f["status"] for f in report["findings"] if f["account"] == SUB}
    assert statuses == {"PASS", "FAIL"}

    assert fake.tokens_issued >= 1, "the service principal signed in at the fake authority"
    assert not fake.violations
    assert all(method == "GET" for method, path in fake.requests if "/oauth2/" not in path and "/v1.0/" not in path)
    assert ("POST", "/v1.0/directoryObjects/getByIds") in fake.requests  # the one read that is a POST


def test_exit_codes_follow_fail_on_and_strict(arm: tuple[str, Path], tmp_path: Path) -> None:
    base, cert = arm
    env = principal_env(tmp_path, base, cert)
    args = ["scan", "azure", "--subscription", SUB, "--output-dir", str(tmp_path / "out"), "--quiet"]

    assert run_cli([*args, "--fail-on", "high"], env).returncode == 3
    clean = run_cli([*args, "--checks", "azure.storage.account_requires_secure_transfer", "--strict"], env)
    assert clean.returncode == 0, clean.stderr
    incomplete = run_cli(
        ["scan", "azure", "--subscription", SUB2, "--output-dir", str(tmp_path / "o2"), "--quiet", "--strict"], env
    )
    assert incomplete.returncode == 4


def test_json_to_stdout(arm: tuple[str, Path], tmp_path: Path) -> None:
    base, cert = arm
    done = run_cli(
        [
            "scan",
            "azure",
            "--subscription",
            SUB,
            "--services",
            "ml",
            "--json",
            "-",
            "--output-dir",
            str(tmp_path / "o"),
            "--quiet",
        ],
        principal_env(tmp_path, base, cert),
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {f["resource_type"] for f in report["findings"]} == {"azure.ml.workspace"}


def test_no_credentials_exits_1_within_10_s_despite_a_silent_metadata_endpoint(tmp_path: Path) -> None:
    with silent_server() as imds:
        done = run_cli(
            ["scan", "azure", "--output-dir", str(tmp_path / "out"), "--quiet"],
            clean_env(tmp_path, AZURE_POD_IDENTITY_AUTHORITY_HOST=f"http://{imds}"),
            timeout=60,
        )
    assert done.returncode == 1
    assert done.elapsed < 10, f"took {done.elapsed:.1f} s"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cspm: error:"), done.stderr
    assert "did not answer" in lines[0]
    assert "az login" in lines[0] and "AZURE_CLIENT_ID" in lines[0]


def test_a_rejected_secret_is_one_line_with_the_reason(fake: FakeArm, arm: tuple[str, Path], tmp_path: Path) -> None:
    base, cert = arm
    fake.accepted_secret = "the-right-secret"
    done = run_cli(["scan", "azure", "--output-dir", str(tmp_path / "out")], principal_env(tmp_path, base, cert))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "AADSTS7000215" in lines[0], done.stderr
    assert not [p for _, p in fake.requests if p.startswith("/subscriptions")]


def test_no_credentials_off_azure_fails_fast(tmp_path: Path) -> None:
    done = run_cli(["scan", "azure", "--output-dir", str(tmp_path / "out")], clean_env(tmp_path))
    assert done.returncode == 1
    assert done.elapsed < 10
    assert done.stderr.strip().startswith("cspm: error: no usable Azure credentials"), done.stderr


def test_usage_errors_exit_2_before_any_sign_in(tmp_path: Path) -> None:
    done = run_cli(["scan", "azure", "--checks", "azure.nope.*"], clean_env(tmp_path))
    assert done.returncode == 2 and "unknown check" in done.stderr


# -- which SDKs each command imports ---------------------------------------------------------


def modules_loaded(args: list[str], tmp_path: Path, **env: str) -> list[str]:
    record = tmp_path / "modules.json"
    run_cli(args, clean_env(tmp_path, CSPM_TEST_MODULES=str(record), **env))
    loaded: list[str] = json.loads(record.read_text())
    return loaded


def test_help_imports_no_cloud_sdk(tmp_path: Path) -> None:
    assert modules_loaded(["--help"], tmp_path) == []
    assert modules_loaded(["scan", "azure", "--help"], tmp_path) == []


def test_scan_aws_imports_no_azure_or_google_module(tmp_path: Path) -> None:
    loaded = modules_loaded(
        ["scan", "aws", "--region", "us-east-1", "--output-dir", str(tmp_path / "o"), "--quiet"],
        tmp_path,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_ENDPOINT_URL="http://127.0.0.1:9",
        AWS_EC2_METADATA_DISABLED="true",
    )
    assert any(m.startswith("boto3") for m in loaded)
    assert not [m for m in loaded if m.startswith(("azure", "google", "msal"))]


def test_scan_azure_imports_only_the_azure_sdk(tmp_path: Path) -> None:
    loaded = modules_loaded(["scan", "azure", "--output-dir", str(tmp_path / "o")], tmp_path)
    assert any(m.startswith("azure.identity") for m in loaded)
    assert not [m for m in loaded if m.startswith(("google", "boto3", "botocore"))]
