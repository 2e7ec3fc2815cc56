"""ECR: private repositories with their registry scanning configuration, policies and images (regional).

Requests per region: DescribeRepositories (one per 1000 repositories), GetRegistryScanningConfiguration
(1), and kms:DescribeKey once per distinct KMS key the repositories use (to tell the AWS-managed
``aws/ecr`` key from a customer-managed one: the repository reports only the key ARN).

Requests per repository: GetLifecyclePolicy, GetRepositoryPolicy, DescribeImages (one per 1000
images, at most :data:`MAX_IMAGES` images), and DescribeImageScanFindings for at most
:data:`MAX_SCAN_LOOKUPS` images. So a repository with up to 1000 images costs 3 to 3 + 10 requests.

Which images matter is decided by the checks: the images SageMaker jobs and models use are known
only to the SageMaker snapshots. The collector therefore lists each repository's images with the
scan summary DescribeImages returns (severity counts without a per-image call). Real registries do
not always fill that summary (enhanced scanning never does, and the 2024 basic scanner often does
not), so for images without one the newest :data:`MAX_SCAN_LOOKUPS` of the repository are looked
up with DescribeImageScanFindings; older images keep ``scan=None`` and a check that needs one of
them answers ERROR, never PASS.

Failures: a failed DescribeRepositories marks repositories incomplete in the region. Any other
failed call leaves its field ``None`` (the error is recorded).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from cspm.providers.aws.context import AwsContext
from cspm.providers.base import ABSENT, ServiceSpec, json_document
from cspm.resources.aws.ecr import (
    NOT_SCANNED,
    STATUSES_WITH_COUNTS,
    EcrImage,
    EcrRepository,
    ImageScan,
    RegistryScanning,
    RepositoryEncryption,
    ScanRule,
)

PERMISSIONS = (
    "ecr:DescribeRepositories",
    "ecr:GetRegistryScanningConfiguration",
    "ecr:GetLifecyclePolicy",
    "ecr:GetRepositoryPolicy",
    "ecr:DescribeImages",
    "ecr:DescribeImageScanFindings",
    "kms:DescribeKey",
)

MAX_IMAGES = 5000  # images listed per repository (DescribeImages returns up to 1000 per page)
MAX_SCAN_LOOKUPS = 10  # DescribeImageScanFindings calls per repository, newest images first
_PAGE = 1000


def collect(ctx: AwsContext) -> Iterator[EcrRepository]:
    ecr = ctx.client("ecr")
    listing = ctx.paginate(
        ecr, "describe_repositories", "repositories", affects=(EcrRepository,), PaginationConfig={"PageSize": _PAGE}
    )
    if listing is None:
        return
    scanning = registry_scanning_from_api(ctx.call(ecr, "get_registry_scanning_configuration"))
    keys = sorted({k for r in listing if (k := (r.get("encryptionConfiguration") or {}).get("kmsKey"))})
    managers = dict(zip(keys, ctx.map(lambda key: _key_manager(ctx, key), keys), strict=True))
    yield from ctx.map(lambda raw: _repository(ctx, ecr, raw, scanning, managers), listing)


def _key_manager(ctx: AwsContext, key: str) -> str | None:
    raw = ctx.call(ctx.client("kms"), "describe_key", KeyId=key)
    return None if raw is None else raw.get("KeyMetadata", {}).get("KeyManager")


def _repository(
    ctx: AwsContext, ecr: Any, raw: dict[str, Any], scanning: RegistryScanning | None, managers: dict[str, str | None]
) -> EcrRepository:
    name = raw["repositoryName"]
    lifecycle = ctx.call(ecr, "get_lifecycle_policy", absent={"LifecyclePolicyNotFoundException"}, repositoryName=name)
    policy = ctx.call(ecr, "get_repository_policy", absent={"RepositoryPolicyNotFoundException"}, repositoryName=name)
    lifecycle_doc, lifecycle_error = document_from_api(lifecycle, "lifecyclePolicyText", "lifecycle policy")
    policy_doc, policy_error = document_from_api(policy, "policyText", "repository policy")
    for operation, problem in (("GetLifecyclePolicy", lifecycle_error), ("GetRepositoryPolicy", policy_error)):
        if problem:
            ctx.error(operation, "MalformedPolicy", f"{name}: {problem}")
    images, truncated = _images(ctx, ecr, name)
    return EcrRepository(
        **repository_from_api(raw, ctx.account, ctx.region, managers),
        registry_scanning=scanning,
        lifecycle_policy=lifecycle_doc,
        policy=policy_doc,
        policy_error=policy_error,
        images=images,
        images_truncated=truncated,
    )


# ---------------------------------------------------------------------------------------------
# Translation (pure)
# ---------------------------------------------------------------------------------------------


def repository_from_api(
    raw: dict[str, Any], account: str, region: str, managers: dict[str, str | None]
) -> dict[str, Any]:
    """The fields DescribeRepositories gives, as EcrRepository keyword arguments."""
    encryption = raw.get("encryptionConfiguration") or {}
    key = encryption.get("kmsKey")
    return {
        "uid": raw["repositoryArn"],
        "name": raw["repositoryName"],
        "account": account,
        "region": region,
        "registry_id": raw.get("registryId") or account,
        "uri": raw.get("repositoryUri") or "",
        "created_at": raw.get("createdAt"),
        "scan_on_push": bool((raw.get("imageScanningConfiguration") or {}).get("scanOnPush")),
        "tag_mutability": raw.get("imageTagMutability") or "MUTABLE",
        "tag_mutability_exclusions": tuple(
            f["filter"] for f in raw.get("imageTagMutabilityExclusionFilters") or () if f.get("filter")
        ),
        "encryption": RepositoryEncryption(
            encryption_type=encryption.get("encryptionType") or "AES256",
            kms_key=key,
            key_manager=managers.get(key) if key else None,
        ),
    }


def registry_scanning_from_api(raw: Any) -> RegistryScanning | None:
    if raw is None:
        return None
    config = raw.get("scanningConfiguration") or {}
    rules = tuple(
        ScanRule(
            frequency=rule.get("scanFrequency") or "MANUAL",
            filters=tuple(f["filter"] for f in rule.get("repositoryFilters") or () if f.get("filter")),
        )
        for rule in config.get("rules") or ()
    )
    return RegistryScanning(scan_type=config.get("scanType") or "BASIC", rules=rules)


def document_from_api(raw: Any, key: str, what: str) -> tuple[dict[str, Any] | None, str | None]:
    if raw is None:
        return None, None
    if raw is ABSENT:
        return {}, None
    if not isinstance(raw, dict) or key not in raw:
        return None, f"the {what} is missing from the response"
    return json_document(raw[key], what)


def image_scan_from_summary(raw: dict[str, Any]) -> ImageScan | None:
    """The scan DescribeImages reports for an image; None when it reports none."""
    status = (raw.get("imageScanStatus") or {}).get("status")
    if not status:
        return None
    summary = raw.get("imageScanFindingsSummary") or {}
    counts = summary.get("findingSeverityCounts")
    return ImageScan(
        status=status,
        severity_counts=dict(counts or {}) if status in STATUSES_WITH_COUNTS else None,
        completed_at=summary.get("imageScanCompletedAt"),
    )


def image_scan_from_findings(raw: Any) -> ImageScan | None:
    """The scan DescribeImageScanFindings reports; None when the call failed."""
    if raw is None:
        return None
    if raw is ABSENT:
        return ImageScan(status=NOT_SCANNED)
    status = (raw.get("imageScanStatus") or {}).get("status") or "UNKNOWN"
    findings = raw.get("imageScanFindings") or {}
    return ImageScan(
        status=status,
        severity_counts=_counts(findings, paged=bool(raw.get("nextToken"))) if status in STATUSES_WITH_COUNTS else None,
        completed_at=findings.get("imageScanCompletedAt"),
    )


def _counts(findings: dict[str, Any], *, paged: bool) -> dict[str, int] | None:
    """findingSeverityCounts; without it, the severities of the listed findings if that is all of them."""
    if "findingSeverityCounts" in findings:
        return dict(findings["findingSeverityCounts"] or {})
    if paged:
        return None  # more findings than one page and no counts: unknown
    listed = [*(findings.get("findings") or ()), *(findings.get("enhancedFindings") or ())]
    return dict(Counter(str(f.get("severity") or "UNDEFINED") for f in listed))


def _image(raw: dict[str, Any]) -> EcrImage:
    return EcrImage(
        digest=raw["imageDigest"],
        tags=tuple(raw.get("imageTags") or ()),
        pushed_at=raw.get("imagePushedAt"),
        scan=image_scan_from_summary(raw),
    )


# ---------------------------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------------------------


def _images(ctx: AwsContext, ecr: Any, name: str) -> tuple[tuple[EcrImage, ...] | None, bool]:
    listed = ctx.paginate(
        ecr,
        "describe_images",
        "imageDetails",
        repositoryName=name,
        PaginationConfig={"MaxItems": MAX_IMAGES, "PageSize": _PAGE},
    )
    if listed is None:
        return None, False
    images = [_image(raw) for raw in listed]
    unscanned = sorted((i for i in images if i.scan is None), key=_newest_first)[:MAX_SCAN_LOOKUPS]
    # Sequential: this already runs on the unit's fan-out pool, which must not be re-entered
    # (a task waiting for tasks queued behind it in the same pool can deadlock it).
    scans = {i.digest: _scan(ctx, ecr, name, i) for i in unscanned}
    images = [i.model_copy(update={"scan": scans[i.digest]}) if i.digest in scans else i for i in images]
    return tuple(images), len(listed) >= MAX_IMAGES


def _newest_first(image: EcrImage) -> float:
    return -image.pushed_at.timestamp() if image.pushed_at is not None else 0.0


def _scan(ctx: AwsContext, ecr: Any, name: str, image: EcrImage) -> ImageScan | None:
    raw = ctx.call(
        ecr,
        "describe_image_scan_findings",
        absent={"ScanNotFoundException"},
        repositoryName=name,
        imageId={"imageDigest": image.digest},
    )
    return image_scan_from_findings(raw)


SERVICE = ServiceSpec(
    name="ecr",
    produces=(EcrRepository,),
    regional=True,
    permissions=PERMISSIONS,
    collect=collect,
)
