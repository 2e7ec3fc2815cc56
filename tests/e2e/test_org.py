"""End to end: whole organizations through the real ``cspm`` process.

AWS: an organization in one moto server (moto keeps each account's resources apart by the account
of the credentials): the management account (the caller, moto's default account) and three
member accounts made with ``organizations:CreateAccount``, each seeded through ``sts:AssumeRole``
into its ``OrganizationAccountAccessRole``. moto lets anyone assume any role, so
:class:`AssumeRoleGate`, a WSGI layer in front of moto, plays the part of each role's trust
policy: it answers AccessDenied for the roles a test locks, optionally only after their first
session (a session that can no longer be renewed in the middle of a scan), can make the sessions
it grants short-lived, and records what each AssumeRole asked for (the ExternalId).

Azure: every subscription of the tenant, each with its own scores. GCP: every project under an
organization and its folders, through a fake Resource Manager.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from e2e.harness import BASELINES, Report, Run, design_score, run_cspm, same_score

from support.aws import ACCOUNT as MANAGEMENT
from support.aws import reset_moto
from support.azure import (
    SUB,
    SUB2,
    TENANT,
    FakeArm,
    blob_service,
    clean_env,
    hardened_account,
    make_cert,
    run_cli,
    serve_https,
    storage_account,
    subscription,
)
from support.faults import QUERY, FaultServer, error_response
from support.gcp import FakeGcs, hardened_bucket, serve_http, service_account_file

pytestmark = pytest.mark.e2e

REGION = "us-east-1"
ROLE = "OrganizationAccountAccessRole"
MEMBERS = ("research", "platform", "sandbox")

StartResponse = Callable[..., Any]


# ---------------------------------------------------------------------------------------------
# The organization's server
# ---------------------------------------------------------------------------------------------


@dataclass
class AssumeRoleGate:
    """WSGI layer in front of moto for ``sts:AssumeRole`` (other requests pass untouched)."""

    app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
    locked: set[str] = field(default_factory=set)  # account ids whose role cannot be assumed
    sessions_before_lock: int = 0  # locked accounts still get this many sessions, then no renewal
    short_lived: bool = False  # grant sessions that expire in 5 minutes (renewed at every use)
    requests: list[dict[str, str]] = field(default_factory=list)  # the parameters of each AssumeRole
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.locked, self.sessions_before_lock, self.short_lived = set(), 0, False
            self.requests.clear()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        params = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if params.get("Action") != "AssumeRole":
            return self.app(environ, start_response)
        account = params.get("RoleArn", "").split(":")[4] if params.get("RoleArn", "").count(":") >= 5 else ""
        with self._lock:
            earlier = sum(1 for r in self.requests if r.get("RoleArn") == params.get("RoleArn"))
            self.requests.append(params)
            deny = account in self.locked and earlier >= self.sessions_before_lock
            short = self.short_lived
        if deny:
            status, headers, payload = error_response(
                QUERY, 403, "AccessDenied", f"User is not authorized to perform: sts:AssumeRole on {params['RoleArn']}"
            )
            start_response(f"{status} Forbidden", [*headers, ("Content-Length", str(len(payload)))])
            return [payload]
        if not short:
            return self.app(environ, start_response)
        return self._shortened(environ, start_response)

    def _shortened(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], *args: Any) -> Callable[[bytes], None]:
            captured.update(status=status, headers=headers)
            return lambda _: None

        payload = b"".join(self.app(environ, capture))
        soon = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        payload = re.sub(rb"<Expiration>[^<]*</Expiration>", f"<Expiration>{soon}</Expiration>".encode(), payload)
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(payload)))])
        return [payload]


@dataclass
class Organization:
    url: str
    gate: AssumeRoleGate
    members: dict[str, str]  # name -> account id

    def id(self, name: str) -> str:
        return self.members[name]


def _member_client(url: str, account: str, service: str) -> Any:
    sts = boto3.client("sts", region_name=REGION, endpoint_url=url)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="e2e-seed")["Credentials"]
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


@pytest.fixture(scope="module")
def organization() -> Iterator[Organization]:
    server = FaultServer().start()
    gate = AssumeRoleGate(server.faults.app)
    server.faults.app = gate  # moto <- gate <- the fault middleware (which answers moto's SageMaker gaps)
    try:
        # moto keeps one state per process, and an earlier module in this worker (e.g. test_demo's
        # in-process demo) may have left buckets in it: start from an empty account too.
        reset_moto(server.url)
        orgs = boto3.client("organizations", region_name=REGION, endpoint_url=server.url)
        orgs.create_organization(FeatureSet="ALL")
        members = {
            name: orgs.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]["AccountId"]
            for name in MEMBERS
        }
        boto3.client("s3", region_name=REGION, endpoint_url=server.url).create_bucket(Bucket="mgmt-audit")
        for name, account in members.items():
            _member_client(server.url, account, "s3").create_bucket(Bucket=f"{name}-data")
            s3 = _member_client(server.url, account, "s3")
            s3.put_bucket_versioning(Bucket=f"{name}-data", VersioningConfiguration={"Status": "Enabled"})
        yield Organization(server.url, gate, members)
    finally:
        # moto keeps one state per process: empty it, so that the next module in this process
        # (test_distributed shares this fixture) can create its organization again.
        reset_moto(server.url)
        server.stop()


@pytest.fixture
def org(organization: Organization) -> Iterator[Organization]:
    organization.gate.reset()
    yield organization
    organization.gate.reset()


def scan_org(org: Organization, out: Path, *args: str) -> Run:
    regions = [] if "--region" in args else ["--region", REGION]
    return run_cspm("scan", "aws", "--endpoint-url", org.url, *regions, "--quiet", *args, output_dir=out, timeout=180)


def buckets_by_account(report: Report) -> dict[str, str]:
    return {r["name"]: r["account"] for r in report.resources if r["type"] == "aws.s3.bucket"}


# ---------------------------------------------------------------------------------------------
# AWS: --org
# ---------------------------------------------------------------------------------------------


def test_org_scans_every_account_and_records_the_one_whose_role_is_denied(org: Organization, tmp_path: Path) -> None:
    org.gate.locked.add(org.id("sandbox"))
    run = scan_org(org, tmp_path, "--org")
    assert run.returncode == 0, run.explain()
    report = run.report
    scanned = [org.id("research"), org.id("platform")]
    assert {s["account"] for s in report.scan["scopes"]} == {MANAGEMENT, *scanned}
    assert report.scan["complete"] is False
    denied = [e for e in report.errors if e["account"] == org.id("sandbox")]
    assert [(e["service"], e["operation"], e["code"]) for e in denied] == [("sts", "AssumeRole", "AccessDenied")]
    assert f"arn:aws:iam::{org.id('sandbox')}:role/{ROLE}" in denied[0]["message"]
    # each account's resources are its own; nothing of the denied account
    assert buckets_by_account(report) == {
        "mgmt-audit": MANAGEMENT,
        "research-data": org.id("research"),
        "platform-data": org.id("platform"),
    }
    assert not [f for f in report.findings if f["account"] == org.id("sandbox")]
    # the caller's own account is read with its own credentials: no role is assumed into it
    assert {r["RoleArn"].split(":")[4] for r in org.gate.requests} == {org.id(n) for n in MEMBERS}
    assert {r["RoleSessionName"] for r in org.gate.requests} == {"cspm-scan"}


def test_org_reports_each_accounts_scores(org: Organization, tmp_path: Path) -> None:
    run = scan_org(org, tmp_path, "--org")
    assert run.returncode == 0, run.explain()
    report = run.report
    assert report.scan["complete"] is True, report.errors
    assert len(report.scan["scopes"]) == 4
    for scope in report.scan["scopes"]:
        mine = [f for f in report.findings if f["account"] == scope["account"]]
        assert mine, scope["account"]
        assert set(scope["scores"]) == {"overall", *BASELINES}
        assert same_score(scope["scores"]["overall"], design_score(mine))
        for baseline in BASELINES:
            assert same_score(scope["scores"][baseline], design_score([f for f in mine if f["baseline"] == baseline]))
    # the members' buckets are versioned, the management account's is not
    versioning = {f["resource_uid"]: f["status"] for f in report.of_check("aws.s3.bucket_versioning_enabled")}
    assert versioning == {
        "arn:aws:s3:::mgmt-audit": "FAIL",
        **{f"arn:aws:s3:::{name}-data": "PASS" for name in MEMBERS},
    }


def test_org_reads_the_organizations_scps_and_no_scp_turns_it_off(org: Organization, tmp_path: Path) -> None:
    # The organization has not enabled SCPs (EnablePolicyType): read, nothing to apply, no error.
    run = scan_org(org, tmp_path / "with", "--org", "--services", "iam", "--checks", "aws.iam.role_is_not_admin")
    assert run.returncode == 0, run.explain()
    assert not [e for e in run.report.errors if e["service"] == "organizations"], run.report.errors
    notes = {f["evidence"]["scps"]["note"] for f in run.report.of_check("aws.iam.role_is_not_admin")}
    assert notes == {"SCPs are not enabled in the organization"}
    assert "aws.organizations.policies" in {r["type"] for r in run.report.resources}
    off = scan_org(
        org, tmp_path / "off", "--org", "--no-scp", "--services", "iam", "--checks", "aws.iam.role_is_not_admin"
    )
    assert off.returncode == 0, off.explain()
    notes = {f["evidence"]["scps"]["note"] for f in off.report.of_check("aws.iam.role_is_not_admin")}
    assert len(notes) == 1 and "--scp" in notes.pop()


def test_a_session_that_cannot_be_renewed_mid_scan_is_recorded_and_the_rest_goes_on(
    org: Organization, tmp_path: Path
) -> None:
    org.gate.short_lived = True  # every session needs renewing at its next use
    org.gate.sessions_before_lock = 2  # connecting renews once (DescribeRegions); then the role refuses
    org.gate.locked.add(org.id("platform"))
    run = scan_org(org, tmp_path, "--org", "--services", "s3,kms")
    assert run.returncode == 0, run.explain()
    report = run.report
    platform = org.id("platform")
    assert platform in {s["account"] for s in report.scan["scopes"]}  # it was reached...
    failed = [e for e in report.errors if e["account"] == platform]
    assert failed and {(e["service"], e["operation"], e["code"]) for e in failed} == {
        ("sts", "AssumeRole", "AccessDenied")
    }
    assert any("ListBuckets not sent" in e["message"] for e in failed)
    # ... but could not be read: its checks answer ERROR, never PASS or FAIL
    statuses = {f["status"] for f in report.findings if f["account"] == platform}
    assert statuses == {"ERROR"}
    # once renewing failed, the account's other calls fail at once, without asking again
    platform_requests = [r for r in org.gate.requests if platform in r["RoleArn"]]
    assert len(platform_requests) == 3  # two sessions while connecting, and the renewal that was refused
    # the other members renewed their sessions and were scanned
    assert buckets_by_account(report)["research-data"] == org.id("research")
    assert not [e for e in report.errors if e["account"] != platform]


def test_accounts_and_exclude_accounts_choose_the_accounts(org: Organization, tmp_path: Path) -> None:
    chosen = f"{org.id('research')},{org.id('platform')}"
    run = scan_org(org, tmp_path, "--org", "--services", "s3", "--accounts", chosen,
                   "--exclude-accounts", org.id("platform"))  # fmt: skip
    assert run.returncode == 0, run.explain()
    assert [s["account"] for s in run.report.scan["scopes"]] == [org.id("research")]
    assert buckets_by_account(run.report) == {"research-data": org.id("research")}


def test_external_id_and_role_name_are_passed_to_assume_role(org: Organization, tmp_path: Path) -> None:
    run = scan_org(org, tmp_path, "--org", "--services", "s3", "--accounts", org.id("research"),
                   "--role-name", "AuditRole", "--external-id", "cspm-e2e-4711")  # fmt: skip
    assert run.returncode == 0, run.explain()
    assert [(r["RoleArn"], r.get("ExternalId")) for r in org.gate.requests] == [
        (f"arn:aws:iam::{org.id('research')}:role/AuditRole", "cspm-e2e-4711")
    ]


def test_role_arn_scans_that_one_account(org: Organization, tmp_path: Path) -> None:
    arn = f"arn:aws:iam::{org.id('platform')}:role/{ROLE}"
    run = scan_org(org, tmp_path, "--role-arn", arn, "--external-id", "ext-123", "--services", "s3")
    assert run.returncode == 0, run.explain()
    assert [s["account"] for s in run.report.scan["scopes"]] == [org.id("platform")]
    assert buckets_by_account(run.report) == {"platform-data": org.id("platform")}
    assert [(r["RoleArn"], r.get("ExternalId")) for r in org.gate.requests] == [(arn, "ext-123")]


def test_role_arn_that_cannot_be_assumed_exits_1(org: Organization, tmp_path: Path) -> None:
    org.gate.locked.add(org.id("platform"))
    run = scan_org(org, tmp_path, "--role-arn", f"arn:aws:iam::{org.id('platform')}:role/{ROLE}")
    assert run.returncode == 1, run.explain()
    assert "cannot assume" in run.stderr and "AccessDenied" in run.stderr


def test_a_region_not_enabled_is_recorded_for_every_account(org: Organization, tmp_path: Path) -> None:
    run = scan_org(org, tmp_path, "--org", "--services", "s3,kms", "--region", REGION, "--region", "ap-east-1")
    assert run.returncode == 0, run.explain()
    report = run.report
    assert {s["account"]: s["regions"] for s in report.scan["scopes"]} == {
        a: [REGION] for a in (MANAGEMENT, *org.members.values())
    }
    disabled = {(e["account"], e["region"], e["code"]) for e in report.errors if e["code"] == "RegionNotEnabled"}
    assert disabled == {(a, "ap-east-1", "RegionNotEnabled") for a in (MANAGEMENT, *org.members.values())}
    assert report.scan["complete"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--org", "--accounts", "999999999999"), "not in the organization: 999999999999"),
        (("--org", "--accounts", "12345"), "is not an AWS account id"),
        (("--accounts", "123456789012"), "only apply with --org"),
        (("--org", "--role-arn", "arn:aws:iam::123456789012:role/x"), "cannot be combined"),
        (("--external-id", "abc"), "only applies with --org or --role-arn"),
        (("--role-arn", "not-an-arn"), "is not an IAM role ARN"),
    ],
)
def test_bad_account_options_exit_2(org: Organization, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    run = scan_org(org, tmp_path, *args)
    assert run.returncode == 2, run.explain()
    assert message in run.stderr
    assert not (tmp_path / "report.json").exists()


# ---------------------------------------------------------------------------------------------
# Azure: every subscription of the tenant
# ---------------------------------------------------------------------------------------------

SUB3 = "00000000-0000-0000-0000-000000000003"


def test_azure_scans_every_readable_subscription_each_with_its_scores(tmp_path: Path) -> None:
    fake = FakeArm(
        subscriptions=[subscription(SUB, "prod"), subscription(SUB2, "dev"), subscription(SUB3, "old", "Disabled")]
    )
    fake.add_account(hardened_account("prodhardened"), blob=blob_service("prodhardened"))
    fake.add_account(
        storage_account("devopen", sub=SUB2),
        blob=blob_service("devopen", sub=SUB2, blob_days=None, container_days=None, versioning=None),
    )
    cert, key = make_cert(tmp_path)
    with serve_https(fake, cert, key) as base:
        env = clean_env(
            tmp_path,
            AZURE_CLIENT_ID="22222222-2222-2222-2222-222222222222",
            AZURE_CLIENT_SECRET="not-a-real-secret",
            AZURE_TENANT_ID=TENANT,
            AZURE_AUTHORITY_HOST=base,
            CSPM_AZURE_ARM_ENDPOINT=base,
            REQUESTS_CA_BUNDLE=str(cert),
        )
        done = run_cli(
            ["scan", "azure", "--services", "storage", "--output-dir", str(tmp_path / "out"), "--quiet"], env
        )
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    scopes = {s["account"]: s for s in report["scan"]["scopes"]}
    assert set(scopes) == {SUB, SUB2}  # the disabled subscription is skipped
    for sub, scope in scopes.items():
        mine = [f for f in report["findings"] if f["account"] == sub]
        assert mine and same_score(scope["scores"]["overall"], design_score(mine))
    assert scopes[SUB]["scores"]["overall"] > scopes[SUB2]["scores"]["overall"]


# ---------------------------------------------------------------------------------------------
# GCP: every project under an organization or a folder
# ---------------------------------------------------------------------------------------------

ORG_ID = "111122223333"


@dataclass
class FakeHierarchy(FakeGcs):
    """FakeGcs plus Resource Manager v3 ``projects.search`` with ``parent:`` and ``folders.list``:
    organizations/111122223333 holds project ml-prod and folder 20, which holds ml-dev and folder
    21 (ml-research, and ml-gone that is being deleted); folder 30 cannot be listed."""

    parents: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # node -> [(project, state)]
    folders: dict[str, list[str]] = field(default_factory=dict)  # node -> sub-folders
    hierarchy_denied: set[str] = field(default_factory=set)
    searches: list[str] = field(default_factory=list)

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        parsed = urlparse(url)
        query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        if parsed.path == "/v3/projects:search" and "parent:" in query.get("query", ""):
            node = re.search(r"parent:(\S+)", query["query"]).group(1)  # type: ignore[union-attr]
            self.searches.append(query["query"])
            if node in self.hierarchy_denied:
                return 403, {"error": {"code": 403, "message": f"The caller does not have permission on {node}"}}
            wanted = "ACTIVE" if "state:ACTIVE" in query["query"] else None
            found = [p for p, state in self.parents.get(node, []) if wanted in (None, state)]
            return 200, {"projects": [{"projectId": p, "name": f"projects/{p}", "state": "ACTIVE"} for p in found]}
        if parsed.path == "/v3/folders":
            node = query.get("parent", "")
            if node in self.hierarchy_denied:
                return 403, {"error": {"code": 403, "message": f"The caller does not have permission on {node}"}}
            return 200, {"folders": [{"name": f, "state": "ACTIVE"} for f in self.folders.get(node, [])]}
        return super().handle(method, url, headers, body)


def gcp_hierarchy() -> FakeHierarchy:
    fake = FakeHierarchy()
    fake.parents = {
        f"organizations/{ORG_ID}": [("ml-prod", "ACTIVE")],
        "folders/20": [("ml-dev", "ACTIVE")],
        "folders/21": [("ml-research", "ACTIVE"), ("ml-gone", "DELETE_REQUESTED")],
        "folders/30": [("ml-hidden", "ACTIVE")],
    }
    fake.folders = {f"organizations/{ORG_ID}": ["folders/20", "folders/30"], "folders/20": ["folders/21"]}
    fake.hierarchy_denied = {"folders/30"}
    for project in ("ml-prod", "ml-dev", "ml-research", "ml-hidden"):
        fake.add_bucket(hardened_bucket(f"{project}-data"), project=project)
    return fake


def test_gcp_organization_scans_every_project_at_any_depth(tmp_path: Path) -> None:
    fake = gcp_hierarchy()
    with serve_http(fake) as base:
        env = clean_env(
            tmp_path,
            GOOGLE_APPLICATION_CREDENTIALS=str(service_account_file(tmp_path, token_uri=f"{base}/token")),
            STORAGE_EMULATOR_HOST=base,
            CSPM_GCP_VERTEX_ENDPOINT=base,
            CSPM_GCP_NOTEBOOKS_ENDPOINT=base,
            CSPM_GCP_CRM_ENDPOINT=base,
            CSPM_GCP_IAM_ENDPOINT=base,
            CSPM_GCP_COMPUTE_ENDPOINT=base,
            CSPM_GCP_ACM_ENDPOINT=base,
            CLOUDSDK_CONFIG=str(tmp_path / "gcloud"),
        )
        done = run_cli(["scan", "gcp", "--organization", ORG_ID, "--output-dir", str(tmp_path / "out"), "--quiet"], env)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert sorted(s["account"] for s in report["scan"]["scopes"]) == ["ml-dev", "ml-prod", "ml-research"]
    assert all(s["scores"] is not None for s in report["scan"]["scopes"])
    # the folder that could not be listed is recorded: its projects were not scanned
    assert [(e["account"], e["service"], e["code"]) for e in report["errors"]] == [
        ("folders/30", "resourcemanager", "Forbidden"),
        ("folders/30", "resourcemanager", "Forbidden"),
    ]
    assert report["scan"]["complete"] is False
    projects = {"ml-prod", "ml-dev", "ml-research"}  # each also as VPC Service Controls sees it
    # (and each project's IAM hierarchy, gcp.iam.hierarchy: docs/gcp-iam.md)
    named = {r["name"] for r in report["resources"] if r["type"] != "gcp.iam.hierarchy"}
    assert named == {"ml-prod-data", "ml-dev-data", "ml-research-data", *projects}
    assert not fake.violations


def test_gcp_folder_scans_its_subtree_only(tmp_path: Path) -> None:
    fake = gcp_hierarchy()
    with serve_http(fake) as base:
        env = clean_env(
            tmp_path,
            GOOGLE_APPLICATION_CREDENTIALS=str(service_account_file(tmp_path, token_uri=f"{base}/token")),
            STORAGE_EMULATOR_HOST=base,
            CSPM_GCP_VERTEX_ENDPOINT=base,
            CSPM_GCP_NOTEBOOKS_ENDPOINT=base,
            CSPM_GCP_CRM_ENDPOINT=base,
            CSPM_GCP_IAM_ENDPOINT=base,
            CSPM_GCP_COMPUTE_ENDPOINT=base,
            CSPM_GCP_ACM_ENDPOINT=base,
            CLOUDSDK_CONFIG=str(tmp_path / "gcloud"),
        )
        done = run_cli(["scan", "gcp", "--folder", "20", "--output-dir", str(tmp_path / "out"), "--quiet"], env)
        bad = run_cli(["scan", "gcp", "--folder", "20", "--project", "ml-dev"], env)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert sorted(s["account"] for s in report["scan"]["scopes"]) == ["ml-dev", "ml-research"]
    assert report["scan"]["complete"] is True
    assert bad.returncode == 2 and "cannot be combined" in bad.stderr
