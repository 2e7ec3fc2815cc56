"""Failing APIs, through the real process and the real wire protocol.

- ``ListFeatureGroups`` is one of the SageMaker APIs the collector calls that moto does not
  implement (with ListMonitoringSchedules, ListNotebookInstanceLifecycleConfigs and
  ListInferenceExperiments): moto answers HTTP 500 with an HTML page, botocore retries, and the
  scan records the failure. That is the real wire behaviour, proven here for one of them.
- Denied permissions are injected by :class:`e2e.harness.WireProxy`, a proxy in front of moto that
  answers chosen operations with the error AWS sends for a missing permission:
  ``GetBucketPolicy`` on one bucket (a per-resource read: that bucket's policy checks answer ERROR,
  the rest is assessed normally) and ``ListNotebookInstances`` (a listing: notebooks are unknown
  in the region, so every notebook check answers one ERROR for the whole scope, and so does every
  check that needs to know all notebooks).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from e2e.harness import BASELINES, Fault, Report, Run, design_score, proxies, same_score, scan_aws

from support.aws import reset_moto

pytestmark = pytest.mark.e2e

ACCOUNT = "123456789012"
DENIED_BUCKET = "e2e-denied-policy"
NOTEBOOKS_UNLISTED = f"aws.sagemaker.notebook_instance:{ACCOUNT}:us-east-1:*"
UNIMPLEMENTED = "ListFeatureGroups"
FEATURE_GROUPS_UNLISTED = f"aws.sagemaker.feature_group:{ACCOUNT}:us-east-1:*"
FAULTS = (
    Fault("GetBucketPolicy", code="AccessDenied", message="Access Denied", target=DENIED_BUCKET),
    Fault(
        "ListNotebookInstances",
        code="AccessDeniedException",
        status=400,
        message="User is not authorized to perform: sagemaker:ListNotebookInstances",
    ),
)


@dataclass
class Scans:
    strict: Run
    lenient: Run
    operations: list[str]


@pytest.fixture(scope="module")
def scans(moto_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scans]:
    reset_moto(moto_server_url)
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_server_url)
    for bucket in (DENIED_BUCKET, "e2e-readable"):
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    boto3.client("sagemaker", region_name="us-east-1", endpoint_url=moto_server_url).create_notebook_instance(
        NotebookInstanceName="e2e-unseen-nb",
        InstanceType="ml.t3.medium",
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/e2e",
        DirectInternetAccess="Enabled",
    )
    services = ("--services", "s3,sagemaker,ec2")
    with proxies(moto_server_url) as start:
        # moto's own answer for ListFeatureGroups (HTTP 500, retried by botocore: a few seconds).
        proxy = start(*FAULTS, forward=(UNIMPLEMENTED,))
        strict = scan_aws(proxy.url, tmp_path_factory.mktemp("strict"), *services, "--strict", "--quiet")
        lenient = scan_aws(start(*FAULTS).url, tmp_path_factory.mktemp("lenient"), *services, "--quiet")
        yield Scans(strict, lenient, proxy.operations())


@pytest.fixture(scope="module")
def report(scans: Scans) -> Report:
    return scans.strict.report


def test_the_faults_were_injected_on_the_wire(scans: Scans) -> None:
    assert "GetBucketPolicy" in scans.operations
    assert "ListNotebookInstances" in scans.operations
    assert scans.operations.count(UNIMPLEMENTED) > 1, "botocore retried moto's HTTP 500"


def test_strict_exits_4_on_an_incomplete_scan(scans: Scans) -> None:
    assert scans.strict.returncode == 4, scans.strict.explain()


def test_without_strict_an_incomplete_scan_exits_0(scans: Scans) -> None:
    assert scans.lenient.returncode == 0, scans.lenient.explain()
    assert scans.lenient.report.scan["complete"] is False


def test_exit_4_is_explained_on_stderr(scans: Scans) -> None:
    # DESIGN: a one-line message on stderr explains every non-zero exit, --quiet or not.
    assert "cspm: the scan is incomplete: 3 collection error(s) (exit 4, --strict)" in scans.strict.stderr.splitlines()


def test_the_report_is_marked_incomplete_with_the_failed_calls(report: Report) -> None:
    assert report.scan["complete"] is False
    errors = {(e["service"], e["operation"], e["code"], e["region"]) for e in report.errors}
    assert ("s3", "GetBucketPolicy", "AccessDenied", "global") in errors, report.errors
    assert ("sagemaker", "ListNotebookInstances", "AccessDeniedException", "us-east-1") in errors, report.errors
    assert ("sagemaker", UNIMPLEMENTED, "500", "us-east-1") in errors, report.errors
    assert len(report.errors) == 3, report.errors
    for error in report.errors:
        assert error["account"] == ACCOUNT
        assert error["message"]


def test_a_denied_detail_read_gives_error_findings_for_that_resource_only(report: Report) -> None:
    assert report.status("aws.s3.bucket_requires_tls", DENIED_BUCKET) == "ERROR"
    assert report.status("aws.s3.bucket_is_not_public", DENIED_BUCKET) == "ERROR"
    # What was readable is still assessed, on the same bucket and on the others.
    assert report.status("aws.s3.bucket_versioning_enabled", DENIED_BUCKET) == "PASS"
    assert report.status("aws.s3.bucket_encrypted_with_kms", DENIED_BUCKET) in ("PASS", "FAIL")
    assert report.status("aws.s3.bucket_requires_tls", "e2e-readable") == "FAIL"
    assert report.status("aws.s3.bucket_is_not_public", "e2e-readable") == "PASS"


def test_a_denied_listing_gives_one_error_per_check_for_the_scope(report: Report) -> None:
    notebook_checks = [f for f in report.findings if f["resource_type"] == "aws.sagemaker.notebook_instance"]
    assert notebook_checks, "notebook checks still report, as ERROR"
    for finding in notebook_checks:
        assert finding["status"] == "ERROR", finding
        assert finding["resource_uid"] == NOTEBOOKS_UNLISTED
        assert finding["region"] == "us-east-1"
        assert "ListNotebookInstances" in finding["message"]
    assert len(notebook_checks) == len({f["check_id"] for f in notebook_checks}), "one per check"
    assert not [r for r in report.resources if r["type"] == "aws.sagemaker.notebook_instance"]


def test_an_api_moto_does_not_implement_gives_error_findings_for_its_type(report: Report) -> None:
    feature_group_checks = [f for f in report.findings if f["resource_type"] == "aws.sagemaker.feature_group"]
    assert feature_group_checks, "the feature group checks report, as ERROR"
    for finding in feature_group_checks:
        assert finding["status"] == "ERROR", finding
        assert finding["resource_uid"] == FEATURE_GROUPS_UNLISTED
        assert UNIMPLEMENTED in finding["message"]
    # The other SageMaker kinds are unaffected.
    assert report.of_check("aws.sagemaker.training_job_runs_in_vpc") == []  # no jobs: nothing to assess
    assert [f for f in report.findings if f["resource_type"] == "aws.sagemaker.model"] == []


def test_lenient_scan_without_moto_gaps_records_only_the_denials(scans: Scans) -> None:
    errors = {(e["service"], e["operation"]) for e in scans.lenient.report.errors}
    assert errors == {("s3", "GetBucketPolicy"), ("sagemaker", "ListNotebookInstances")}


def test_checks_that_need_every_notebook_do_not_pass_without_them(report: Report) -> None:
    vpc_checks = report.of_check("aws.sagemaker.ai_vpc_has_private_endpoints")
    assert vpc_checks, "the default VPC is still assessed"
    assert {f["status"] for f in vpc_checks} == {"ERROR"}


def test_error_findings_are_counted_and_left_out_of_the_scores(report: Report) -> None:
    errors = [f for f in report.findings if f["status"] == "ERROR"]
    assert report.summary["error"] == len(errors) > 0
    assert same_score(report.summary["scores"]["overall"], design_score(report.findings))
    for baseline in BASELINES:
        expected = design_score([f for f in report.findings if f["baseline"] == baseline])
        assert same_score(report.summary["scores"][baseline], expected), baseline
