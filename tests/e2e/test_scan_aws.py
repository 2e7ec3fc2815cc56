"""The real ``cspm scan aws`` process against a moto server holding a known account.

One account is built once for the module (two regions, every service), then scanned twice:

1. through a recording wire proxy with ``--fail-on high --quiet``: findings, statuses, evidence,
   scores, exit code 3, and what went over the wire (read-only, requests per bucket);
2. with ``--json - --fail-on none``: only JSON on stdout, exit code 0, and the same finding ids as
   the first scan.

Both go through :class:`e2e.harness.WireProxy`, which also answers the SageMaker listings moto
does not implement with an empty page (as the demo's server does), so the scan is complete.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from e2e.harness import (
    BASELINES,
    WEIGHTS,
    Report,
    Run,
    WireProxy,
    design_score,
    proxies,
    run_cspm,
    same_score,
    scan_aws,
)

from cspm.artifacts.options import is_artifact_check
from support.aws import reset_moto, s3control_client

pytestmark = pytest.mark.e2e

ACCOUNT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1")
ALL_BLOCKED = {k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


SAGEMAKER_TRUST = _doc(
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
)


# ---------------------------------------------------------------------------------------------
# The account
# ---------------------------------------------------------------------------------------------


def _seed_s3(url: str) -> None:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=url)
    kms = boto3.client("kms", region_name="us-east-1", endpoint_url=url)
    key = kms.create_key(Description="e2e data key")["KeyMetadata"]["Arn"]

    s3.create_bucket(Bucket="e2e-access-logs")
    s3.put_bucket_policy(
        Bucket="e2e-access-logs",
        Policy=_doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::e2e-access-logs/*",
            }
        ),
    )
    # Hardened: KMS, versioning, all four BPA flags, ACLs disabled, TLS-only policy, access logs.
    s3.create_bucket(Bucket="e2e-hardened-data")
    s3.put_bucket_ownership_controls(
        Bucket="e2e-hardened-data", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    s3.put_bucket_encryption(
        Bucket="e2e-hardened-data",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]
        },
    )
    s3.put_bucket_versioning(Bucket="e2e-hardened-data", VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(Bucket="e2e-hardened-data", PublicAccessBlockConfiguration=ALL_BLOCKED)
    s3.put_bucket_policy(
        Bucket="e2e-hardened-data",
        Policy=_doc(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::e2e-hardened-data", "arn:aws:s3:::e2e-hardened-data/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ),
    )
    s3.put_bucket_logging(
        Bucket="e2e-hardened-data",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "e2e-access-logs", "TargetPrefix": "data/"}},
    )
    # Public through its ACL and its policy; SSE-S3; nothing else.
    s3.create_bucket(Bucket="e2e-public-datasets", ObjectOwnership="ObjectWriter")
    s3.put_bucket_encryption(
        Bucket="e2e-public-datasets",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_acl(Bucket="e2e-public-datasets", ACL="public-read")
    s3.put_bucket_policy(
        Bucket="e2e-public-datasets",
        Policy=_doc(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::e2e-public-datasets/*",
            }
        ),
    )
    # In the second region.
    eu = boto3.client("s3", region_name="eu-west-1", endpoint_url=url)
    eu.create_bucket(Bucket="e2e-eu-features", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    # Account-level Block Public Access: half on.
    s3control_client(url).put_public_access_block(
        AccountId=ACCOUNT,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": False,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": False,
        },
    )


def _seed_iam(url: str) -> None:
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=url)
    star = iam.create_policy(
        PolicyName="e2e-star-star", PolicyDocument=_doc({"Effect": "Allow", "Action": "*:*", "Resource": "*"})
    )["Policy"]["Arn"]
    iam.create_policy(
        PolicyName="e2e-sagemaker-all",
        PolicyDocument=_doc({"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}),
    )
    read = iam.create_policy(
        PolicyName="e2e-read-one-bucket",
        PolicyDocument=_doc(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::e2e-hardened-data/*"}
        ),
    )["Policy"]["Arn"]
    iam.create_user(UserName="e2e-admin-user")
    iam.attach_user_policy(UserName="e2e-admin-user", PolicyArn=star)
    iam.create_user(UserName="e2e-plain-user")
    iam.attach_user_policy(UserName="e2e-plain-user", PolicyArn=read)
    iam.create_role(RoleName="e2e-admin-exec", AssumeRolePolicyDocument=SAGEMAKER_TRUST)
    iam.put_role_policy(
        RoleName="e2e-admin-exec",
        PolicyName="everything",
        PolicyDocument=_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    )
    iam.create_login_profile(UserName="e2e-plain-user", Password="e2e-Password-1")  # and no MFA
    iam.create_user(UserName="e2e-ci-user")
    iam.create_access_key(UserName="e2e-ci-user")
    iam.create_access_key(UserName="e2e-ci-user")
    iam.update_account_password_policy(MinimumPasswordLength=8, RequireSymbols=False)
    vendor = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"}, "Action": "sts:AssumeRole"}
    iam.create_role(RoleName="e2e-vendor-no-external-id", AssumeRolePolicyDocument=_doc(vendor))
    guarded = {**vendor, "Condition": {"StringEquals": {"sts:ExternalId": "e2e-7f3c"}}}
    iam.create_role(RoleName="e2e-vendor-external-id", AssumeRolePolicyDocument=_doc(guarded))
    anyone = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    iam.create_role(RoleName="e2e-assumable-by-anyone", AssumeRolePolicyDocument=_doc(anyone))
    iam.create_role(RoleName="e2e-scoped-exec", AssumeRolePolicyDocument=SAGEMAKER_TRUST)
    iam.put_role_policy(
        RoleName="e2e-scoped-exec",
        PolicyName="read-data",
        PolicyDocument=_doc(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::e2e-hardened-data/*"}
        ),
    )


def _seed_network_and_sagemaker(url: str) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=url)
    vpc = ec2.create_vpc(
        CidrBlock="10.9.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "e2e-vpc"}]}],
    )["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    open_ssh = ec2.create_security_group(GroupName="e2e-open-ssh", Description="ssh from anywhere", VpcId=vpc)[
        "GroupId"
    ]
    ec2.authorize_security_group_ingress(
        GroupId=open_ssh,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    restricted = ec2.create_security_group(GroupName="e2e-restricted", Description="https from the VPC", VpcId=vpc)[
        "GroupId"
    ]
    ec2.authorize_security_group_ingress(
        GroupId=restricted,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}],
    )
    role = f"arn:aws:iam::{ACCOUNT}:role/e2e-scoped-exec"
    sm = boto3.client("sagemaker", region_name="us-east-1", endpoint_url=url)
    sm.create_notebook_instance(
        NotebookInstanceName="e2e-open-nb",
        InstanceType="ml.t3.medium",
        RoleArn=role,
        DirectInternetAccess="Enabled",
        RootAccess="Enabled",
    )
    sm.create_notebook_instance(
        NotebookInstanceName="e2e-private-nb",
        InstanceType="ml.t3.medium",
        RoleArn=role,
        SubnetId=subnet,
        SecurityGroupIds=[restricted],
        DirectInternetAccess="Disabled",
        RootAccess="Disabled",
    )
    boto3.client("sagemaker", region_name="eu-west-1", endpoint_url=url).create_notebook_instance(
        NotebookInstanceName="e2e-eu-nb", InstanceType="ml.t3.medium", RoleArn=role, DirectInternetAccess="Enabled"
    )


@dataclass
class Scans:
    wire: Run  # through the recording proxy, --fail-on high --quiet
    wire_calls: WireProxy
    stdout_json: Run  # --json - --fail-on none


@pytest.fixture(scope="module")
def scans(moto_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scans]:
    reset_moto(moto_server_url)
    _seed_s3(moto_server_url)
    _seed_iam(moto_server_url)
    _seed_network_and_sagemaker(moto_server_url)
    regions = [arg for region in REGIONS for arg in ("--region", region)]
    with proxies(moto_server_url) as start:
        proxy = start()
        wire = scan_aws(
            proxy.url, tmp_path_factory.mktemp("wire"), *regions, "--fail-on", "high", "--quiet", "--workers", "4"
        )
        assert wire.returncode in (0, 3), wire.explain()
        stdout_json = scan_aws(
            start().url, tmp_path_factory.mktemp("json"), *regions, "--json", "-", "--fail-on", "none"
        )
        yield Scans(wire, proxy, stdout_json)


@pytest.fixture(scope="module")
def report(scans: Scans) -> Report:
    return scans.wire.report


# ---------------------------------------------------------------------------------------------
# Findings
# ---------------------------------------------------------------------------------------------

EXPECTED = [
    # S3
    ("aws.s3.bucket_is_not_public", "e2e-public-datasets", "FAIL"),
    ("aws.s3.bucket_is_not_public", "e2e-hardened-data", "PASS"),
    ("aws.s3.bucket_blocks_public_access", "e2e-public-datasets", "FAIL"),
    ("aws.s3.bucket_blocks_public_access", "e2e-hardened-data", "PASS"),
    ("aws.s3.bucket_encrypted_with_kms", "e2e-hardened-data", "PASS"),
    ("aws.s3.bucket_encrypted_with_kms", "e2e-public-datasets", "FAIL"),
    ("aws.s3.bucket_versioning_enabled", "e2e-hardened-data", "PASS"),
    ("aws.s3.bucket_versioning_enabled", "e2e-public-datasets", "FAIL"),
    ("aws.s3.bucket_access_logging_enabled", "e2e-hardened-data", "PASS"),
    ("aws.s3.bucket_access_logging_enabled", "e2e-public-datasets", "FAIL"),
    ("aws.s3.bucket_requires_tls", "e2e-hardened-data", "PASS"),
    ("aws.s3.bucket_requires_tls", "e2e-public-datasets", "FAIL"),
    ("aws.s3.bucket_disables_acls", "e2e-hardened-data", "PASS"),
    ("aws.s3.bucket_disables_acls", "e2e-public-datasets", "FAIL"),
    ("aws.s3.account_blocks_public_access", ACCOUNT, "FAIL"),
    # IAM
    ("aws.iam.policy_grants_no_admin", "e2e-star-star", "FAIL"),
    ("aws.iam.policy_grants_no_admin", "e2e-sagemaker-all", "PASS"),
    ("aws.iam.policy_has_no_service_wildcards", "e2e-sagemaker-all", "FAIL"),
    ("aws.iam.policy_has_no_service_wildcards", "e2e-read-one-bucket", "PASS"),
    ("aws.iam.user_is_not_admin", "e2e-admin-user", "FAIL"),
    ("aws.iam.user_is_not_admin", "e2e-plain-user", "PASS"),
    ("aws.iam.role_is_not_admin", "e2e-admin-exec", "FAIL"),
    ("aws.iam.role_is_not_admin", "e2e-scoped-exec", "PASS"),
    ("aws.iam.role_inline_policies_grant_no_admin", "e2e-admin-exec", "FAIL"),
    ("aws.iam.role_inline_policies_grant_no_admin", "e2e-scoped-exec", "PASS"),
    ("aws.iam.role_trust_guards_cross_account", "e2e-vendor-no-external-id", "FAIL"),
    ("aws.iam.role_trust_guards_cross_account", "e2e-vendor-external-id", "PASS"),
    ("aws.iam.role_trust_is_not_public", "e2e-assumable-by-anyone", "FAIL"),
    ("aws.iam.role_trust_is_not_public", "e2e-vendor-external-id", "PASS"),
    ("aws.iam.console_user_has_mfa", "e2e-plain-user", "FAIL"),
    ("aws.iam.user_has_one_active_key", "e2e-ci-user", "FAIL"),
    ("aws.iam.user_has_no_attached_policies", "e2e-admin-user", "FAIL"),
    ("aws.iam.user_has_no_attached_policies", "e2e-ci-user", "PASS"),
    ("aws.iam.password_policy_is_strong", ACCOUNT, "FAIL"),
    # EC2
    ("aws.ec2.security_group_restricts_admin_ports", "e2e-open-ssh", "FAIL"),
    ("aws.ec2.security_group_restricts_admin_ports", "e2e-restricted", "PASS"),
    ("aws.ec2.security_group_restricts_high_risk_ports", "e2e-open-ssh", "FAIL"),
    ("aws.ec2.security_group_restricts_high_risk_ports", "e2e-restricted", "PASS"),
    ("aws.ec2.vpc_flow_logs_enabled", "e2e-vpc", "FAIL"),
    # SageMaker
    ("aws.sagemaker.notebook_has_no_direct_internet_access", "e2e-open-nb", "FAIL"),
    ("aws.sagemaker.notebook_has_no_direct_internet_access", "e2e-private-nb", "PASS"),
    ("aws.sagemaker.notebook_has_no_direct_internet_access", "e2e-eu-nb", "FAIL"),
    ("aws.sagemaker.notebook_runs_in_vpc", "e2e-open-nb", "FAIL"),
    ("aws.sagemaker.notebook_runs_in_vpc", "e2e-private-nb", "PASS"),
    ("aws.sagemaker.notebook_has_no_root_access", "e2e-open-nb", "FAIL"),
    ("aws.sagemaker.notebook_has_no_root_access", "e2e-private-nb", "PASS"),
]


@pytest.mark.parametrize(("check_id", "resource", "status"), EXPECTED, ids=[f"{c}:{r}" for c, r, _ in EXPECTED])
def test_known_resources_get_the_expected_status(report: Report, check_id: str, resource: str, status: str) -> None:
    finding = report.finding(check_id, resource)
    assert finding["status"] == status, finding["message"]
    assert finding["message"]
    assert finding["remediation"]


def test_findings_carry_offenders_and_metadata_as_data(report: Report) -> None:
    public = report.finding("aws.s3.bucket_is_not_public", "e2e-public-datasets")
    assert public["severity"] == "critical"
    assert public["baseline"] == "least-privilege"
    assert public["evidence"]["public_policy"] is True
    assert {"grantee": "AllUsers", "permission": "READ"} in public["evidence"]["public_acl_grants"]
    assert public["compliance"]["aws-fsbp"] == ["S3.2", "S3.3"]
    assert public["attack"], "ATLAS techniques are listed"
    assert public["region"] == "us-east-1"
    assert public["account"] == ACCOUNT

    ssh = report.finding("aws.ec2.security_group_restricts_admin_ports", "e2e-open-ssh")
    assert "22" in json.dumps(ssh["evidence"]), ssh["evidence"]
    assert "0.0.0.0/0" in json.dumps(ssh["evidence"]), ssh["evidence"]

    admin_role = report.finding("aws.iam.role_is_not_admin", "e2e-admin-exec")
    assert admin_role["severity"] == "critical"
    assert admin_role["evidence"], "the granting policy is named in the evidence"


def test_every_finding_is_well_formed(report: Report) -> None:
    resource_types = {r["uid"]: r["type"] for r in report.resources}
    for f in report.findings:
        assert f["status"] in ("PASS", "FAIL", "ERROR")
        assert f["severity"] in WEIGHTS
        assert f["baseline"] in BASELINES
        assert f["check_id"].count(".") == 2 and f["check_id"].startswith("aws."), f
        assert resource_types.get(f["resource_uid"]) == f["resource_type"], f
    uids = [f["uid"] for f in report.findings]
    assert len(uids) == len(set(uids)), "finding uids are unique"


def test_report_header_scopes_and_completeness(report: Report) -> None:
    assert report.data["schema_version"] == "1"
    assert report.data["tool"]["name"] == "cspm"
    assert report.scan["provider"] == "aws"
    assert report.scan["complete"] is True
    assert report.errors == []
    # Contract fields (the schema may gain fields, never lose or change these).
    assert [(s["account"], s["regions"]) for s in report.scan["scopes"]] == [(ACCOUNT, list(REGIONS))]
    catalog = json.loads(run_cspm("checks", "list", "--provider", "aws", "--json").stdout)
    # every check but those that read object contents (they run only with --inspect-artifacts)
    assert report.scan["checks_run"] == len([c for c in catalog if not is_artifact_check(c["id"])])
    assert report.scan["started_at"] <= report.scan["finished_at"]


def test_regional_resources_are_attributed_to_their_region(report: Report) -> None:
    assert report.finding("aws.sagemaker.notebook_has_no_direct_internet_access", "e2e-eu-nb")["region"] == "eu-west-1"
    eu_bucket = report.finding("aws.s3.bucket_versioning_enabled", "e2e-eu-features")
    assert eu_bucket["region"] == "eu-west-1"
    regions = {f["region"] for f in report.findings}
    assert {"us-east-1", "eu-west-1"} <= regions


# ---------------------------------------------------------------------------------------------
# Scores and summary, recomputed with the DESIGN formula
# ---------------------------------------------------------------------------------------------


def test_account_scores_follow_the_design_formula(report: Report) -> None:
    scores = report.summary["scores"]
    assert set(scores) == {"overall", *BASELINES}
    assert same_score(scores["overall"], design_score(report.findings))
    for baseline in BASELINES:
        expected = design_score([f for f in report.findings if f["baseline"] == baseline])
        assert same_score(scores[baseline], expected), (baseline, scores[baseline], expected)
    assert 0 < scores["overall"] < 100, "the account has both passing and failing findings"


def test_scope_scores_if_reported_follow_the_design_formula(report: Report) -> None:
    if not all("scores" in scope for scope in report.scan["scopes"]):
        pytest.skip("this report version has no per-scope scores")
    for scope in report.scan["scopes"]:
        mine = [f for f in report.findings if f["account"] == scope["account"]]
        assert same_score(scope["scores"]["overall"], design_score(mine))
        for baseline in BASELINES:
            expected = design_score([f for f in mine if f["baseline"] == baseline])
            assert same_score(scope["scores"][baseline], expected), (baseline, scope["scores"], expected)


def test_resource_scores_follow_the_design_formula(report: Report) -> None:
    by_resource: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in report.findings:
        by_resource[f["resource_uid"]].append(f)
    checked = 0
    for resource in report.resources:
        findings = by_resource.get(resource["uid"], [])
        baselines = {f["baseline"] for f in findings}
        assert set(resource["scores"]) == baselines, resource
        for baseline in baselines:
            expected = design_score([f for f in findings if f["baseline"] == baseline])
            assert same_score(resource["scores"][baseline], expected), (resource["uid"], baseline)
            checked += 1
    assert checked > 20


def test_summary_counts_match_the_findings(report: Report) -> None:
    unmuted = [f for f in report.findings if not f["muted"]]
    statuses = Counter(f["status"] for f in unmuted)
    assert report.summary["pass"] == statuses["PASS"] > 0
    assert report.summary["fail"] == statuses["FAIL"] > 0
    assert report.summary["error"] == statuses["ERROR"]
    # The only ERROR findings come from a field moto never returns (DescribeNotebookInstance has no
    # PlatformIdentifier): missing data is reported as ERROR, never PASS.
    unassessed = {f["check_id"] for f in unmuted if f["status"] == "ERROR"}
    assert unassessed <= {"aws.sagemaker.notebook_runs_on_supported_platform"}, unassessed
    assert report.summary["muted"] == len(report.findings) - len(unmuted)
    failing = Counter(f["severity"] for f in unmuted if f["status"] == "FAIL")
    assert report.summary["fail_by_severity"] == {s: failing[s] for s in WEIGHTS}


# ---------------------------------------------------------------------------------------------
# Exit codes, stdout, stability, the wire
# ---------------------------------------------------------------------------------------------


def test_fail_on_high_exits_3_when_a_high_failure_exists(scans: Scans, report: Report) -> None:
    assert any(f["status"] == "FAIL" and f["severity"] in ("high", "critical") for f in report.findings)
    assert scans.wire.returncode == 3, scans.wire.explain()
    assert scans.wire.stdout == "", "--quiet without --json prints nothing on stdout"
    # One line on stderr explains the exit code, even with --quiet.
    reasons = [line for line in scans.wire.stderr.splitlines() if line.endswith("at or above high (exit 3)")]
    assert len(reasons) == 1 and reasons[0].startswith("cspm: "), scans.wire.stderr


def test_fail_on_none_exits_0_despite_failures(scans: Scans) -> None:
    assert scans.stdout_json.returncode == 0, scans.stdout_json.explain()


def test_json_dash_puts_only_the_report_on_stdout(scans: Scans) -> None:
    run = scans.stdout_json
    printed = json.loads(run.stdout)  # the whole of stdout is one JSON document
    assert printed == run.report.data, "stdout carries the same report as report.json"
    assert run.stderr.strip(), "the summary goes to stderr instead"


def test_finding_ids_are_stable_across_scans(scans: Scans, report: Report) -> None:
    second = scans.stdout_json.report
    assert second.scan["id"] != report.scan["id"]
    assert {f["uid"] for f in second.findings} == {f["uid"] for f in report.findings}
    assert {(f["uid"], f["status"]) for f in second.findings} == {(f["uid"], f["status"]) for f in report.findings}


def test_report_is_written_without_leftover_temporary_files(scans: Scans) -> None:
    for run in (scans.wire, scans.stdout_json):
        assert run.output_dir is not None
        assert sorted(p.name for p in Path(run.output_dir).iterdir()) == ["report.json"]


def test_the_scanner_sends_only_read_operations(scans: Scans) -> None:
    calls = scans.wire_calls.calls
    operations = {c.operation for c in calls}
    # The recording saw every service (so an empty or partial recording cannot pass).
    assert {"GetCallerIdentity", "ListBuckets", "GetAccountAuthorizationDetails"} <= operations, operations
    assert {"DescribeSecurityGroups", "ListNotebookInstances"} <= operations, operations
    writes = sorted({f"{c.service}:{c.operation}" for c in calls if not c.is_read})
    assert writes == [], f"non-read operations on the wire: {writes}"


def test_requests_per_bucket_stay_within_budget(scans: Scans, report: Report) -> None:
    per_bucket = Counter(c.target for c in scans.wire_calls.calls if c.service == "s3" and c.target)
    buckets = {r["name"] for r in report.resources if r["type"] == "aws.s3.bucket"}
    assert set(per_bucket) == buckets
    # providers/aws/s3.py: 8 per bucket on AWS, 9 only for a versioned bucket without MFA delete with ACLs
    # enabled, a policy and RestrictPublicBuckets off (the lifecycle read S3.20 needs); one more on moto
    # (no BucketRegion in ListBuckets).
    assert max(per_bucket.values()) <= 9, per_bucket
