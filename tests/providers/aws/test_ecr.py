"""The ECR collector against moto (in-process mock_aws): snapshots, request counts and error handling.

moto gap worked around here (never in production code): DescribeImages never returns
``imageScanStatus`` / ``imageScanFindingsSummary``. :func:`set_scan_summary` sets them on moto's
image object, the way ``support.aws.patch_sagemaker`` patches SageMaker objects. Without it every
image goes down the DescribeImageScanFindings path, where moto answers ScanNotFoundException for
an image never scanned and a canned COMPLETE result with 1 HIGH finding after StartImageScan.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto import mock_aws

from cspm.checks.aws import ecr as ecr_checks
from cspm.engine import evaluate
from cspm.models import Status
from cspm.providers.aws import SERVICE_MODULES
from cspm.providers.aws import ecr as ecr_provider
from cspm.providers.base import ABSENT
from cspm.resources.aws.ecr import NOT_SCANNED, EcrRepository, ImageScan
from cspm.resources.aws.sagemaker import TrainingJob
from support.aws import ACCOUNT, collect_aws, one

REGION = "us-east-1"
OTHER = "210987654321"


def manifest(layer: str) -> str:
    """An image manifest; moto derives the image digest from the layer digests."""
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023, "digest": layer},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1, "digest": layer}],
        }
    )


LIFECYCLE = {
    "rules": [
        {
            "rulePriority": 1,
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 7,
            },
            "action": {"type": "expire"},
        }
    ]
}
CROSS_ACCOUNT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Pull",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        }
    ],
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(SERVICE_MODULES, "ecr", "cspm.providers.aws.ecr")
    with mock_aws():
        yield


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every API operation the scanner (and the test) sends, counted."""
    seen: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        seen[operation_name] += 1
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    return seen


def _deny(monkeypatch: pytest.MonkeyPatch, operation: str) -> None:
    original = BaseClient._make_api_call

    def denied(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if operation_name == operation:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", denied)


def set_scan_summary(repository: str, tag: str, status: str, counts: dict[str, int]) -> None:
    """moto gap: give an image the scan summary real DescribeImages responses carry."""
    from moto.ecr.models import ecr_backends

    image = next(i for i in ecr_backends[ACCOUNT][REGION].repositories[repository].images if tag in i.image_tags)
    missing = {
        "image_scan_status": {"status": status},
        "image_scan_findings_summary": {"findingSeverityCounts": counts},
    }
    for attribute, value in missing.items():
        setattr(image, attribute, value)


def _seed() -> dict[str, str]:
    ecr = boto3.client("ecr", region_name=REGION)
    key = boto3.client("kms", region_name=REGION).create_key(Description="ecr")["KeyMetadata"]["Arn"]
    ecr.create_repository(
        repositoryName="trainer",
        imageScanningConfiguration={"scanOnPush": True},
        imageTagMutability="IMMUTABLE",
        encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key},
    )
    ecr.put_lifecycle_policy(repositoryName="trainer", lifecyclePolicyText=json.dumps(LIFECYCLE))
    ecr.set_repository_policy(repositoryName="trainer", policyText=json.dumps(CROSS_ACCOUNT))
    ecr.put_image(repositoryName="trainer", imageManifest=manifest("sha256:" + "0" * 64), imageTag="v0")
    ecr.put_image(repositoryName="trainer", imageManifest=manifest("sha256:" + "1" * 64), imageTag="v1")
    ecr.start_image_scan(repositoryName="trainer", imageId={"imageTag": "v1"})
    ecr.create_repository(repositoryName="legacy")
    ecr.create_repository(
        repositoryName="serving",
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "latest*"}],
    )
    ecr.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[
            {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "train*", "filterType": "WILDCARD"}]}
        ],
    )
    return {"key": key}


def test_repositories_snapshot_every_setting(aws: None, calls: Counter[str]) -> None:
    seeded = _seed()
    calls.clear()

    inventory = collect_aws(EcrRepository)

    assert not inventory.errors
    trainer = one(inventory, EcrRepository, "trainer")
    assert trainer.uid == f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/trainer"
    assert trainer.uri == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/trainer"
    assert trainer.scan_on_push and trainer.tag_mutability == "IMMUTABLE"
    assert trainer.encryption.encryption_type == "KMS" and trainer.encryption.kms_key == seeded["key"]
    assert trainer.encryption.key_manager == "CUSTOMER"
    assert trainer.registry_scanning is not None and trainer.registry_scanning.scan_type == "ENHANCED"
    assert trainer.registry_scanning.frequency_for("trainer") == "CONTINUOUS_SCAN"
    assert trainer.lifecycle_policy == LIFECYCLE
    assert trainer.policy == CROSS_ACCOUNT and trainer.policy_error is None
    assert trainer.images is not None and not trainer.images_truncated
    scans = {i.tags: i.scan for i in trainer.images}
    assert set(scans) == {("v0",), ("v1",)}
    assert scans[("v1",)] is not None and scans[("v1",)].status == "COMPLETE"
    assert scans[("v1",)].severity_counts == {"HIGH": 1}  # moto's canned DescribeImageScanFindings
    assert scans[("v0",)] is not None and scans[("v0",)].status == NOT_SCANNED

    legacy = one(inventory, EcrRepository, "legacy")
    assert not legacy.scan_on_push and legacy.tag_mutability == "MUTABLE"
    assert legacy.encryption.encryption_type == "AES256" and legacy.encryption.key_manager is None
    assert legacy.lifecycle_policy == {} and legacy.policy == {} and legacy.images == ()
    assert legacy.registry_scanning is not None and legacy.registry_scanning.frequency_for("legacy") is None

    serving = one(inventory, EcrRepository, "serving")
    assert serving.tag_mutability == "IMMUTABLE_WITH_EXCLUSION"
    assert serving.tag_mutability_exclusions == ("latest*",)

    # Per region: 1 DescribeRepositories, 1 GetRegistryScanningConfiguration, 1 DescribeKey per key;
    # per repository: GetLifecyclePolicy, GetRepositoryPolicy, DescribeImages; one
    # DescribeImageScanFindings per image without a summary.
    scanner = {op: n for op, n in calls.items() if op not in ("GetCallerIdentity", "DescribeRegions")}
    assert scanner == {
        "DescribeRepositories": 1,
        "GetRegistryScanningConfiguration": 1,
        "DescribeKey": 1,
        "GetLifecyclePolicy": 3,
        "GetRepositoryPolicy": 3,
        "DescribeImages": 3,
        "DescribeImageScanFindings": 2,
    }


def test_scan_summaries_from_describe_images_need_no_extra_call(aws: None, calls: Counter[str]) -> None:
    _seed()
    set_scan_summary("trainer", "v0", "COMPLETE", {"CRITICAL": 2, "LOW": 1})
    set_scan_summary("trainer", "v1", "ACTIVE", {})
    calls.clear()

    trainer = one(collect_aws(EcrRepository), EcrRepository, "trainer")

    assert trainer.images is not None
    scans = {i.tags: i.scan for i in trainer.images}
    assert scans[("v0",)] is not None and scans[("v0",)].severity_counts == {"CRITICAL": 2, "LOW": 1}
    assert scans[("v1",)] is not None and scans[("v1",)].status == "ACTIVE" and scans[("v1",)].severity_counts == {}
    assert calls["DescribeImageScanFindings"] == 0


def test_scan_lookups_are_bounded_newest_first(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed()
    monkeypatch.setattr(ecr_provider, "MAX_SCAN_LOOKUPS", 1)
    trainer = one(collect_aws(EcrRepository), EcrRepository, "trainer")
    assert trainer.images is not None
    looked_up = [i for i in trainer.images if i.scan is not None]
    newest = max(trainer.images, key=lambda i: i.pushed_at or datetime.min.replace(tzinfo=UTC))
    assert looked_up == [newest]


def test_image_listing_is_bounded(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed()
    monkeypatch.setattr(ecr_provider, "MAX_IMAGES", 1)
    trainer = one(collect_aws(EcrRepository), EcrRepository, "trainer")
    assert trainer.images is not None and len(trainer.images) == 1 and trainer.images_truncated


def test_more_repositories_than_workers_do_not_deadlock_the_fan_out(aws: None) -> None:
    """Scan lookups run inside the per-repository task; they must not wait on the same pool."""
    ecr = boto3.client("ecr", region_name=REGION)
    for n in range(6):  # collect_aws runs 4 workers
        ecr.create_repository(repositoryName=f"repo-{n}")
        ecr.put_image(repositoryName=f"repo-{n}", imageManifest=manifest(f"sha256:{n:064d}"), imageTag="v1")
    done: list[Any] = []
    worker = threading.Thread(target=lambda: done.append(collect_aws(EcrRepository)), daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert done, "collection did not finish"
    repos = done[0].of_type(EcrRepository)
    assert len(repos) == 6 and all(r.images and r.images[0].scan is not None for r in repos)


@pytest.mark.parametrize(
    ("operation", "field"),
    [
        ("GetRepositoryPolicy", "policy"),
        ("GetLifecyclePolicy", "lifecycle_policy"),
        ("DescribeImages", "images"),
        ("GetRegistryScanningConfiguration", "registry_scanning"),
    ],
)
def test_a_denied_call_leaves_its_field_unknown(
    aws: None, monkeypatch: pytest.MonkeyPatch, operation: str, field: str
) -> None:
    _seed()
    _deny(monkeypatch, operation)
    inventory = collect_aws(EcrRepository)
    trainer = one(inventory, EcrRepository, "trainer")
    assert getattr(trainer, field) is None
    assert trainer.encryption.key_manager == "CUSTOMER" and trainer.tag_mutability == "IMMUTABLE"  # the rest is read
    assert {(e.service, e.operation, e.code) for e in inventory.errors} == {("ecr", operation, "AccessDeniedException")}
    assert not inventory.incomplete_scopes(EcrRepository)


def test_a_denied_describe_key_leaves_the_key_manager_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed()
    _deny(monkeypatch, "DescribeKey")
    inventory = collect_aws(EcrRepository)
    trainer = one(inventory, EcrRepository, "trainer")
    assert trainer.encryption.kms_key is not None and trainer.encryption.key_manager is None
    assert [(e.operation, e.code) for e in inventory.errors] == [("DescribeKey", "AccessDeniedException")]
    assert ecr_checks.repository_encrypted_with_kms(trainer).status is Status.ERROR


def test_a_denied_listing_marks_repositories_incomplete(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed()
    _deny(monkeypatch, "DescribeRepositories")
    inventory = collect_aws(EcrRepository)
    assert inventory.of_type(EcrRepository) == []
    assert inventory.incomplete_scopes(EcrRepository) == [
        (ACCOUNT, REGION, "DescribeRepositories failed: AccessDeniedException")
    ]


def test_images_sagemaker_uses_are_judged_through_the_engine(aws: None) -> None:
    """The lineage the check follows: a training job's image URI -> this repository -> the image's
    scan. The repositories come from the real collector; the job is a snapshot (the SageMaker
    collector has its own tests)."""
    _seed()
    job = TrainingJob(
        uid=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/fine-tune",
        name="fine-tune",
        account=ACCOUNT,
        region=REGION,
        training_image=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/trainer:v1",
    )
    spec = ecr_checks.images_in_use_have_no_critical_or_high_findings.__cspm_check__  # type: ignore[attr-defined]
    inventory = collect_aws(EcrRepository)
    inventory.add(job)
    findings = {f.resource_uid.rsplit("/", 1)[-1]: f for f in evaluate([spec], inventory, datetime.now(UTC))}
    assert set(findings) == {"trainer"}  # the other repositories are not used: no finding
    assert findings["trainer"].status is Status.FAIL
    (vulnerable,) = findings["trainer"].evidence["vulnerable"]
    assert vulnerable["high"] == 1 and vulnerable["used_by"] == [job.uid]


# ---------------------------------------------------------------------------------------------
# Translation of recorded responses (shapes moto does not produce)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"imageDigest": "d"}, None),  # no scan reported (enhanced scanning, new basic scanner)
        (
            {"imageScanStatus": {"status": "COMPLETE"}, "imageScanFindingsSummary": {}},
            ImageScan(status="COMPLETE", severity_counts={}),
        ),
        (
            {
                "imageScanStatus": {"status": "COMPLETE"},
                "imageScanFindingsSummary": {"findingSeverityCounts": {"CRITICAL": 1}},
            },
            ImageScan(status="COMPLETE", severity_counts={"CRITICAL": 1}),
        ),
        ({"imageScanStatus": {"status": "FAILED"}}, ImageScan(status="FAILED")),
    ],
)
def test_scan_from_a_describe_images_entry(raw: dict[str, Any], expected: ImageScan | None) -> None:
    assert ecr_provider.image_scan_from_summary(raw) == expected


ENHANCED = {"imageScanStatus": {"status": "ACTIVE", "description": "Continuous scan is selected for image."}}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        (ABSENT, ImageScan(status=NOT_SCANNED)),
        (
            {**ENHANCED, "imageScanFindings": {"findingSeverityCounts": {"HIGH": 2}, "enhancedFindings": []}},
            ImageScan(status="ACTIVE", severity_counts={"HIGH": 2}),
        ),
        (
            {
                **ENHANCED,
                "imageScanFindings": {"enhancedFindings": [{"severity": "HIGH"}, {"severity": "CRITICAL"}]},
            },
            ImageScan(status="ACTIVE", severity_counts={"HIGH": 1, "CRITICAL": 1}),
        ),
        (  # no counts and more pages: the listed findings are not all of them
            {**ENHANCED, "nextToken": "t", "imageScanFindings": {"enhancedFindings": [{"severity": "LOW"}]}},
            ImageScan(status="ACTIVE", severity_counts=None),
        ),
        ({**ENHANCED, "imageScanFindings": {}}, ImageScan(status="ACTIVE", severity_counts={})),
        ({"imageScanStatus": {"status": "UNSUPPORTED_IMAGE"}}, ImageScan(status="UNSUPPORTED_IMAGE")),
    ],
)
def test_scan_from_describe_image_scan_findings(raw: Any, expected: ImageScan | None) -> None:
    assert ecr_provider.image_scan_from_findings(raw) == expected


def test_registry_scanning_from_a_recorded_response() -> None:
    scanning = ecr_provider.registry_scanning_from_api(
        {
            "registryId": ACCOUNT,
            "scanningConfiguration": {
                "scanType": "ENHANCED",
                "rules": [
                    {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]},
                    {
                        "scanFrequency": "CONTINUOUS_SCAN",
                        "repositoryFilters": [{"filter": "prod-*", "filterType": "WILDCARD"}],
                    },
                ],
            },
        }
    )
    assert scanning is not None and scanning.scan_type == "ENHANCED"
    assert scanning.frequency_for("prod-serving") == "CONTINUOUS_SCAN"
    assert scanning.frequency_for("scratch") == "SCAN_ON_PUSH"
    assert ecr_provider.registry_scanning_from_api(None) is None


def test_a_kms_repository_without_a_key_and_policy_documents() -> None:
    fields = ecr_provider.repository_from_api(
        {
            "repositoryArn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/r",
            "repositoryName": "r",
            "repositoryUri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/r",
            "imageTagMutability": "MUTABLE",
            "imageScanningConfiguration": {"scanOnPush": False},
            "encryptionConfiguration": {"encryptionType": "KMS"},
        },
        ACCOUNT,
        REGION,
        {},
    )
    assert fields["encryption"].kms_key is None and fields["encryption"].key_manager is None
    assert ecr_provider.document_from_api(ABSENT, "policyText", "repository policy") == ({}, None)
    document, problem = ecr_provider.document_from_api({"policyText": "[1]"}, "policyText", "repository policy")
    assert document is None and problem == "the repository policy is not a JSON object"
