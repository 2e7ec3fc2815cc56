"""ECR checks: a table of (case, snapshot(s), expected status) per check, plus the image-URI and
registry-rule helpers they rely on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cspm.checks.aws import ecr
from cspm.engine import Inventory, evaluate
from cspm.models import Status
from cspm.registry import CheckSpec
from cspm.resources.aws.ecr import (
    EcrImage,
    EcrRepository,
    ImageScan,
    RegistryScanning,
    RepositoryEncryption,
    ScanRule,
    parse_image_uri,
)
from cspm.resources.aws.sagemaker import Model, ModelContainer, TrainingJob

ACCOUNT = "123456789012"
OTHER = "210987654321"
NOW = datetime(2026, 11, 25, tzinfo=UTC)
REGISTRY = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
URI = f"{REGISTRY}/trainer"
DIGEST = "sha256:" + "a" * 64
OLD_DIGEST = "sha256:" + "b" * 64
CMK = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BASIC_ALL = RegistryScanning(scan_type="BASIC", rules=(ScanRule(frequency="SCAN_ON_PUSH", filters=("*",)),))


def image(digest: str = DIGEST, tags: tuple[str, ...] = ("v1",), scan: ImageScan | None = None) -> EcrImage:
    return EcrImage(digest=digest, tags=tags, scan=scan or ImageScan(status="COMPLETE", severity_counts={"LOW": 3}))


def repo(**fields: Any) -> EcrRepository:
    """A fully readable, well-configured repository; override fields per case."""
    base: dict[str, Any] = {
        "uid": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/trainer",
        "name": "trainer",
        "account": ACCOUNT,
        "region": "us-east-1",
        "registry_id": ACCOUNT,
        "uri": URI,
        "scan_on_push": False,
        "tag_mutability": "IMMUTABLE",
        "encryption": RepositoryEncryption(encryption_type="KMS", kms_key=CMK, key_manager="CUSTOMER"),
        "registry_scanning": BASIC_ALL,
        "lifecycle_policy": {"rules": [{"rulePriority": 1}]},
        "policy": {},
        "images": (image(),),
    }
    base.update(fields)
    return EcrRepository(**base)


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal: Any, action: Any = "ecr:BatchGetImage", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **extra}


def job(name: str = "train-1", image_uri: str | None = f"{URI}:v1", **fields: Any) -> TrainingJob:
    return TrainingJob(
        uid=f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/{name}",
        name=name,
        account=ACCOUNT,
        region="us-east-1",
        training_image=image_uri,
        **fields,
    )


def model(name: str = "model-1", *images: str | None, containers: bool = True) -> Model:
    return Model(
        uid=f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/{name}",
        name=name,
        account=ACCOUNT,
        region="us-east-1",
        containers=tuple(ModelContainer(image=i) for i in images) if containers else None,
    )


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (f"{URI}:v1", (ACCOUNT, "us-east-1", "trainer", "v1", None)),
        (URI, (ACCOUNT, "us-east-1", "trainer", "latest", None)),
        (f"{URI}@{DIGEST}", (ACCOUNT, "us-east-1", "trainer", None, DIGEST)),
        (f"{URI}:v1@{DIGEST}", (ACCOUNT, "us-east-1", "trainer", None, DIGEST)),
        (
            f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/team/llm-serving:2.0",
            (ACCOUNT, "eu-west-1", "team/llm-serving", "2.0", None),
        ),
        (f"{ACCOUNT}.dkr.ecr-fips.us-gov-west-1.amazonaws.com/x:1", (ACCOUNT, "us-gov-west-1", "x", "1", None)),
        (f"{ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/x:1", (ACCOUNT, "cn-north-1", "x", "1", None)),
        ("public.ecr.aws/docker/library/python:3.12", None),
        ("python:3.12", None),
        ("", None),
    ],
)
def test_parse_image_uri(uri: str, expected: tuple[str, str, str, str | None, str | None] | None) -> None:
    ref = parse_image_uri(uri)
    if expected is None:
        assert ref is None
    else:
        assert ref is not None
        assert (ref.registry, ref.region, ref.repository, ref.tag, ref.digest) == expected


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ((), None),
        ((ScanRule(frequency="SCAN_ON_PUSH", filters=("*",)),), "SCAN_ON_PUSH"),
        ((ScanRule(frequency="SCAN_ON_PUSH", filters=("train*",)),), "SCAN_ON_PUSH"),
        ((ScanRule(frequency="SCAN_ON_PUSH", filters=("prod-*",)),), None),
        ((ScanRule(frequency="SCAN_ON_PUSH", filters=("train",)),), None),  # filters match the whole name
        (
            (
                ScanRule(frequency="SCAN_ON_PUSH", filters=("*",)),
                ScanRule(frequency="CONTINUOUS_SCAN", filters=("*er",)),
            ),
            "CONTINUOUS_SCAN",
        ),
        ((ScanRule(frequency="MANUAL", filters=("*",)),), "MANUAL"),
    ],
)
def test_registry_rule_frequency(rules: tuple[ScanRule, ...], expected: str | None) -> None:
    assert RegistryScanning(scan_type="ENHANCED", rules=rules).frequency_for("trainer") == expected


# ---------------------------------------------------------------------------------------------
# Repository settings
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "r", "expected"),
    [
        ("basic rule covers", repo(), Status.PASS),
        (
            "basic, scan on push",
            repo(scan_on_push=True, registry_scanning=RegistryScanning(scan_type="BASIC")),
            Status.PASS,
        ),
        (
            "enhanced continuous",
            repo(
                registry_scanning=RegistryScanning(
                    scan_type="ENHANCED", rules=(ScanRule(frequency="CONTINUOUS_SCAN", filters=("*",)),)
                )
            ),
            Status.PASS,
        ),
        ("basic, nothing", repo(registry_scanning=RegistryScanning(scan_type="BASIC")), Status.FAIL),
        (
            "rule for other repositories",
            repo(
                registry_scanning=RegistryScanning(
                    scan_type="BASIC", rules=(ScanRule(frequency="SCAN_ON_PUSH", filters=("prod-*",)),)
                )
            ),
            Status.FAIL,
        ),
        (
            "manual rule only",
            repo(
                registry_scanning=RegistryScanning(
                    scan_type="BASIC", rules=(ScanRule(frequency="MANUAL", filters=("*",)),)
                )
            ),
            Status.FAIL,
        ),
        (
            "enhanced ignores the repository's scan on push",
            repo(scan_on_push=True, registry_scanning=RegistryScanning(scan_type="ENHANCED")),
            Status.FAIL,
        ),
        ("registry configuration unreadable", repo(scan_on_push=True, registry_scanning=None), Status.ERROR),
    ],
)
def test_repository_scans_images(case: str, r: EcrRepository, expected: Status) -> None:
    result = ecr.repository_scans_images(r)
    assert result.status is expected, case
    assert "scan_type" in result.evidence or expected is Status.ERROR


@pytest.mark.parametrize(
    ("case", "r", "expected"),
    [
        ("immutable", repo(), Status.PASS),
        ("mutable", repo(tag_mutability="MUTABLE"), Status.FAIL),
        (
            "immutable with exclusions",
            repo(tag_mutability="IMMUTABLE_WITH_EXCLUSION", tag_mutability_exclusions=("latest", "dev-*")),
            Status.FAIL,
        ),
        (
            "mutable with exclusions",
            repo(tag_mutability="MUTABLE_WITH_EXCLUSION", tag_mutability_exclusions=("release-*",)),
            Status.FAIL,
        ),
    ],
)
def test_repository_tags_are_immutable(case: str, r: EcrRepository, expected: Status) -> None:
    result = ecr.repository_tags_are_immutable(r)
    assert result.status is expected, case
    if r.tag_mutability_exclusions:
        assert result.evidence["exclusion_filters"] == list(r.tag_mutability_exclusions)


@pytest.mark.parametrize(
    ("case", "r", "expected"),
    [
        ("has one", repo(), Status.PASS),
        ("none", repo(lifecycle_policy={}), Status.FAIL),
        ("unreadable", repo(lifecycle_policy=None), Status.ERROR),
    ],
)
def test_repository_has_lifecycle_policy(case: str, r: EcrRepository, expected: Status) -> None:
    assert ecr.repository_has_lifecycle_policy(r).status is expected, case


def encryption(kind: str = "KMS", key: str | None = CMK, manager: str | None = "CUSTOMER") -> RepositoryEncryption:
    return RepositoryEncryption(encryption_type=kind, kms_key=key, key_manager=manager)


@pytest.mark.parametrize(
    ("case", "r", "expected"),
    [
        ("customer-managed key", repo(), Status.PASS),
        ("dual-layer with a customer key", repo(encryption=encryption("KMS_DSSE")), Status.PASS),
        (
            "key of another account",
            repo(encryption=encryption(key=CMK.replace(ACCOUNT, OTHER), manager=None)),
            Status.PASS,
        ),
        ("AES256", repo(encryption=encryption("AES256", None, None)), Status.FAIL),
        ("aws/ecr by key manager", repo(encryption=encryption(manager="AWS")), Status.FAIL),
        ("KMS without a key (aws/ecr)", repo(encryption=encryption(key=None, manager=None)), Status.FAIL),
        ("key manager unreadable", repo(encryption=encryption(manager=None)), Status.ERROR),
    ],
)
def test_repository_encrypted_with_kms(case: str, r: EcrRepository, expected: Status) -> None:
    assert ecr.repository_encrypted_with_kms(r).status is expected, case


@pytest.mark.parametrize(
    ("case", "r", "expected"),
    [
        ("no policy", repo(), Status.PASS),
        ("named account", repo(policy=policy(allow({"AWS": f"arn:aws:iam::{OTHER}:root"}))), Status.PASS),
        (
            "everyone within the organization",
            repo(policy=policy(allow("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}))),
            Status.PASS,
        ),
        ("everyone", repo(policy=policy(allow("*"))), Status.FAIL),
        (
            "everyone may push",
            repo(policy=policy(allow({"AWS": "*"}, ["ecr:PutImage", "ecr:BatchGetImage"]))),
            Status.FAIL,
        ),
        ("unreadable", repo(policy=None, policy_error="AccessDenied"), Status.ERROR),
        ("invalid", repo(policy={"Statement": [{"Effect": "Maybe"}]}), Status.ERROR),
    ],
)
def test_repository_is_not_public(case: str, r: EcrRepository, expected: Status) -> None:
    result = ecr.repository_is_not_public(r)
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert result.evidence["public_statements"][0]["index"] == 0
        assert result.evidence["allows_push"] is (case == "everyone may push")


@pytest.mark.parametrize(
    ("case", "r", "expected"),
    [
        ("no policy", repo(), Status.PASS),
        ("same account only", repo(policy=policy(allow({"AWS": f"arn:aws:iam::{ACCOUNT}:role/ci"}))), Status.PASS),
        (
            "other account with an organization condition",
            repo(
                policy=policy(
                    allow(
                        {"AWS": f"arn:aws:iam::{OTHER}:root"},
                        Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
                    )
                )
            ),
            Status.PASS,
        ),
        ("other account, unguarded", repo(policy=policy(allow({"AWS": OTHER}))), Status.FAIL),
        (
            "everyone from another account's source",
            repo(policy=policy(allow("*", Condition={"StringEquals": {"aws:SourceAccount": OTHER}}))),
            Status.FAIL,
        ),
        ("unreadable", repo(policy=None), Status.ERROR),
    ],
)
def test_repository_allows_no_unguarded_cross_account_access(case: str, r: EcrRepository, expected: Status) -> None:
    result = ecr.repository_allows_no_unguarded_cross_account_access(r)
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert OTHER in result.evidence["cross_account_without_guard"][0]["principal"]
    if case.startswith("other account with"):
        assert result.evidence["guarded"] == [f"arn:aws:iam::{OTHER}:root"]


# ---------------------------------------------------------------------------------------------
# Images in use
# ---------------------------------------------------------------------------------------------

VULNERABLE = ImageScan(status="COMPLETE", severity_counts={"CRITICAL": 2, "HIGH": 1, "LOW": 4})
HIGH_ONLY = ImageScan(status="ACTIVE", severity_counts={"HIGH": 1})
CLEAN = ImageScan(status="COMPLETE", severity_counts={})


@pytest.mark.parametrize(
    ("case", "r", "jobs", "models", "expected"),
    [
        ("clean image by tag", repo(images=(image(scan=CLEAN),)), [job()], [], Status.PASS),
        ("only low findings", repo(), [job()], [], Status.PASS),
        (
            "clean image by digest, in a model",
            repo(images=(image(tags=(), scan=CLEAN),)),
            [],
            [model("m", f"{URI}@{DIGEST}")],
            Status.PASS,
        ),
        (
            "latest when no tag",
            repo(images=(image(tags=("latest",), scan=CLEAN),)),
            [job(image_uri=URI)],
            [],
            Status.PASS,
        ),
        ("critical", repo(images=(image(scan=VULNERABLE),)), [job()], [], Status.FAIL),
        ("high (enhanced)", repo(images=(image(scan=HIGH_ONLY),)), [], [model("m", None, f"{URI}:v1")], Status.FAIL),
        ("never scanned", repo(images=(image(scan=ImageScan(status="NOT_SCANNED")),)), [job()], [], Status.FAIL),
        (
            "too old to be rescanned",
            repo(images=(image(scan=ImageScan(status="SCAN_ELIGIBILITY_EXPIRED")),)),
            [job()],
            [],
            Status.FAIL,
        ),
        (
            "vulnerable wins over unknown",
            repo(images=(image(scan=VULNERABLE), image(OLD_DIGEST, ("v0",), ImageScan(status="IN_PROGRESS")))),
            [job(), job("train-0", f"{URI}:v0")],
            [],
            Status.FAIL,
        ),
        ("scan in progress", repo(images=(image(scan=ImageScan(status="IN_PROGRESS")),)), [job()], [], Status.ERROR),
        (
            "scan not read",
            repo(images=(EcrImage(digest=DIGEST, tags=("v1",)),)),
            [job()],
            [],
            Status.ERROR,
        ),
        ("counts not reported", repo(images=(image(scan=ImageScan(status="ACTIVE")),)), [job()], [], Status.ERROR),
        ("tag no longer exists", repo(images=(image(tags=("v2",)),)), [job()], [], Status.ERROR),
        ("image beyond the listed ones", repo(images=(), images_truncated=True), [job()], [], Status.ERROR),
        ("images unreadable", repo(images=None), [job()], [], Status.ERROR),
        ("clean, but a job could not be described", repo(), [job(), job("x", None)], [], Status.ERROR),
        ("nothing known uses it, a model undescribed", repo(), [], [model("m", containers=False)], Status.ERROR),
        ("unused repository", repo(images=(image(scan=VULNERABLE),)), [job(image_uri=f"{URI}-other:v1")], [], None),
        (
            "same name, another region",
            repo(images=(image(scan=VULNERABLE),)),
            [job(image_uri=URI.replace("us-east-1", "us-west-2") + ":v1")],
            [],
            None,
        ),
        ("algorithm job (no image)", repo(), [job(image_uri=None, algorithm_name="xgb-algo")], [], None),
        ("no SageMaker resources", repo(), [], [], None),
    ],
)
def test_images_in_use_have_no_critical_or_high_findings(
    case: str, r: EcrRepository, jobs: list[TrainingJob], models: list[Model], expected: Status | None
) -> None:
    result = ecr.images_in_use_have_no_critical_or_high_findings(r, jobs, models)
    assert result.status is expected, (case, result.message)


def test_images_in_use_evidence_names_the_image_and_its_users() -> None:
    r = repo(images=(image(scan=VULNERABLE),))
    result = ecr.images_in_use_have_no_critical_or_high_findings(r, [job(), job("train-2")], [model("m", f"{URI}:v1")])
    assert result.status is Status.FAIL
    (entry,) = result.evidence["vulnerable"]
    assert entry["image"] == f"{URI}:v1" and entry["digest"] == DIGEST
    assert (entry["critical"], entry["high"]) == (2, 1)
    assert len(entry["used_by"]) == 3


# ---------------------------------------------------------------------------------------------
# Through the engine: a failed listing gives ERROR for every check
# ---------------------------------------------------------------------------------------------

SPECS: list[CheckSpec] = [
    obj.__cspm_check__
    for obj in vars(ecr).values()
    if getattr(obj, "__module__", "") == ecr.__name__ and hasattr(obj, "__cspm_check__")
]


def test_an_incomplete_listing_gives_errors_for_every_check() -> None:
    inventory = Inventory()
    inventory.mark_incomplete(EcrRepository, ACCOUNT, "us-east-1", "DescribeRepositories failed: AccessDenied")
    findings = evaluate(SPECS, inventory, NOW)
    assert len(SPECS) == 7
    assert {f.check_id for f in findings} == {s.id for s in SPECS}
    assert all(f.status is Status.ERROR for f in findings)
