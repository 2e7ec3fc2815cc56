"""ECR checks: image scanning, tag immutability, lifecycle, encryption, repository policy exposure,
and the scan findings of the images SageMaker actually runs.

Tag mutability: only ``IMMUTABLE`` passes. ``IMMUTABLE_WITH_EXCLUSION`` fails, with the exclusion
filters as evidence: a tag matching them can be pushed again, and ``latest``-style tags are exactly
what jobs and models tend to pull.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cspm.checks.aws._docs import security_hub_for
from cspm.checks.aws.kms import policy_exposure
from cspm.iam.analysis import statement_evidence
from cspm.iam.statements import statement_matches_action
from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.aws.ecr import (
    STATUSES_WITH_COUNTS,
    EcrRepository,
    ImageReference,
    ImageScan,
    parse_image_uri,
)
from cspm.resources.aws.sagemaker import Model, TrainingJob

PUSH_ACTIONS = ("ecr:PutImage", "ecr:CompleteLayerUpload", "ecr:UploadLayerPart", "ecr:InitiateLayerUpload")
# Scan statuses that say the result is not there yet (or transiently unavailable): ERROR, not FAIL.
TRANSIENT_SCAN_STATUSES = frozenset({"IN_PROGRESS", "PENDING", "FINDINGS_UNAVAILABLE", "LIMIT_EXCEEDED"})
BLOCKING_SEVERITIES = ("CRITICAL", "HIGH")
EVIDENCE_LIMIT = 20
_ECR = "https://docs.aws.amazon.com/AmazonECR/latest/userguide"
IMAGE_SCANNING = f"{_ECR}/image-scanning.html"
BASIC_SCANNING = f"{_ECR}/image-scanning-basic.html"
REPOSITORY_POLICY_EXAMPLES = f"{_ECR}/repository-policy-examples.html"
ACCOUNT_PRINCIPALS = f"{_ECR}/registry-permissions-examples.html"
IMAGE_SCAN_STATUS = "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageScanStatus.html"


_sh = security_hub_for("ecr")


_WHY = {"vulnerable": "with critical or high findings", "unscanned": "without a scan result"}


@check(
    title="ECR repository scans images for vulnerabilities",
    severity=Severity.HIGH,
    baseline=Baseline.INTEGRITY,
    remediation="Add a registry scanning rule (ECR > Private registry > Scanning) that covers the repository "
    "with scan on push or continuous scanning; with basic scanning, turning on scan on push for the "
    "repository also works.",
    compliance={"aws-fsbp": ["ECR.1"], "nist-800-53-r5": ["RA-5", "SI-2"]},
    attack=["AML.T0010.001", "AML.T0011.001"],
    references=(_sh(1), IMAGE_SCANNING, BASIC_SCANNING),
)
def repository_scans_images(repo: EcrRepository) -> Result:
    """Image scanning identifies software vulnerabilities in the images that training jobs and
    endpoints run; Security Hub ECR.1 fails a repository not configured for scan on push or
    continuous scanning. Scanning is configured per registry and Region: with enhanced scanning
    "any repositories not matching an enhanced scanning filter will have scanning disabled", so
    only the registry rules count; with basic scanning (the default) a scan-on-push rule or the
    repository's own scan-on-push setting does, and other repositories are scanned manually."""
    scanning = repo.registry_scanning
    if scanning is None:
        return unknown("The registry scanning configuration could not be read.")
    frequency = scanning.frequency_for(repo.name)
    evidence = {"scan_type": scanning.scan_type, "rule_frequency": frequency, "scan_on_push": repo.scan_on_push}
    if frequency in ("SCAN_ON_PUSH", "CONTINUOUS_SCAN"):
        return passed(f"A {scanning.scan_type} registry rule scans the repository ({frequency}).", evidence)
    if scanning.scan_type == "BASIC" and repo.scan_on_push:
        return passed("The repository scans images on push (basic scanning).", evidence)
    if scanning.scan_type != "BASIC" and repo.scan_on_push:
        return failed(
            f"The registry uses {scanning.scan_type} scanning, which ignores the repository's scan-on-push "
            "setting, and no registry rule covers the repository.",
            evidence,
        )
    return failed("Neither the repository nor a registry rule scans pushed images.", evidence)


@check(
    title="ECR repository tags are immutable",
    severity=Severity.MEDIUM,
    baseline=Baseline.INTEGRITY,
    remediation="Set image tag mutability to IMMUTABLE and refer to new images by new tags (or by digest).",
    compliance={"aws-fsbp": ["ECR.2"], "nist-800-53-r5": ["CM-2", "CM-8"]},
    attack=["AML.T0010.004"],
    references=(_sh(2),),
)
def repository_tags_are_immutable(repo: EcrRepository) -> Result:
    """Tag immutability "prevents the tags from being overridden": each tag refers to one image,
    so a training job or model that pulls a tag always gets the image that was tested. With
    mutable tags whoever may push can put another image behind the tag. Like Security Hub ECR.2,
    only IMMUTABLE passes: with IMMUTABLE_WITH_EXCLUSION, tags matching the exclusion filters can
    still be overwritten."""
    if repo.tag_mutability == "IMMUTABLE":
        return passed("Image tags are immutable.")
    evidence: dict[str, Any] = {"tag_mutability": repo.tag_mutability}
    if repo.tag_mutability_exclusions:
        evidence["exclusion_filters"] = list(repo.tag_mutability_exclusions)
    if repo.tag_mutability == "IMMUTABLE_WITH_EXCLUSION":
        return failed(
            f"Tags matching {', '.join(repo.tag_mutability_exclusions) or 'the exclusion filters'} can be overwritten.",
            evidence,
        )
    return failed(f"Image tags are mutable ({repo.tag_mutability}).", evidence)


@check(
    title="ECR repository has a lifecycle policy",
    severity=Severity.MEDIUM,
    baseline=Baseline.INTEGRITY,
    remediation="Add a lifecycle policy that expires untagged images and old image versions.",
    compliance={"aws-fsbp": ["ECR.3"], "nist-800-53-r5": ["CM-2", "CM-8"]},
    attack=["AML.T0010.004"],
    references=(_sh(3),),
)
def repository_has_lifecycle_policy(repo: EcrRepository) -> Result:
    """A lifecycle policy expires images by age or count, cleaning up unused images; Security Hub
    ECR.3: this "can help you avoid unintentionally using outdated images in your repository". A
    repository without one (LifecyclePolicyNotFoundException) fails."""
    if repo.lifecycle_policy is None:
        return unknown("The lifecycle policy could not be read.")
    if repo.lifecycle_policy:
        rules = repo.lifecycle_policy.get("rules") or []
        return passed("The repository has a lifecycle policy.", evidence={"rules": len(rules)})
    return failed("The repository has no lifecycle policy.")


@check(
    title="ECR repository is encrypted with a customer-managed KMS key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Create the repository with KMS encryption and a customer-managed key (encryption settings "
    "cannot be changed on an existing repository: create a new one and copy the images).",
    compliance={"aws-securityhub": ["ECR.5"], "nist-800-53-r5": ["SC-12", "SC-28"]},
    attack=["AML.T0010.004"],
    references=(_sh(5),),
)
def repository_encrypted_with_kms(repo: EcrRepository) -> Result:
    """By default ECR encrypts repository data with S3 managed keys (AES256); it can use the AWS
    managed aws/ecr key or a customer managed key instead. Only with a customer managed key do you
    have "full control of the key": its key policy, grants, rotation and disabling (Security Hub
    ECR.5). Encryption settings cannot be changed on an existing repository. A key of another
    account is taken as customer managed; ECR.5 makes no cross-account check either."""
    encryption = repo.encryption
    evidence = {"encryption_type": encryption.encryption_type, "kms_key": encryption.kms_key}
    if encryption.encryption_type not in ("KMS", "KMS_DSSE"):
        return failed(f"The repository is encrypted with {encryption.encryption_type}, not KMS.", evidence)
    if encryption.kms_key is None:
        return failed("The repository uses the AWS-managed aws/ecr key.", evidence)
    key_account = encryption.kms_key.split(":")[4] if encryption.kms_key.startswith("arn:") else None
    if key_account and key_account != repo.account:
        return passed("The repository uses a KMS key of another account (customer-managed).", evidence)
    if encryption.key_manager is None:
        return unknown("Who manages the repository's KMS key could not be read (kms:DescribeKey).", evidence)
    if encryption.key_manager == "AWS":
        return failed("The repository uses the AWS-managed aws/ecr key.", evidence)
    return passed("The repository is encrypted with a customer-managed KMS key.", evidence)


@check(
    title="ECR repository policy does not allow access to everyone",
    severity=Severity.CRITICAL,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Replace Principal '*' in the repository policy with the accounts or roles that pull the "
    "images, or add an aws:PrincipalOrgID condition.",
    compliance={"nist-800-53-r5": ["AC-3", "AC-21", "SC-7"]},
    attack=["AML.T0010.004", "AML.T0035"],
    references=(REPOSITORY_POLICY_EXAMPLES,),
)
def repository_is_not_public(repo: EcrRepository) -> Result:
    """A repository policy is a resource policy on the repository. A statement for Principal "*"
    without a condition that pins it down lets principals of any AWS account pull the images
    (and, with push actions, replace them), given only ecr:GetAuthorizationToken in their own
    account's IAM policies, which ECR requires of every caller. No Security Hub control covers
    this; the public analysis is cspm's own (shared with the KMS key policy check)."""
    analysed, error = policy_exposure(repo.policy, repo.policy_error, repo.account, "repository policy")
    if analysed is None:
        return error or unknown("The repository policy could not be analysed.")
    if not analysed.public:
        return passed("The repository policy allows no one outside named principals.")
    refs = set(analysed.exposure.public)
    public = [s for s in analysed.document.statements if s.ref in refs]
    push = any(statement_matches_action(s, a) for s in public for a in PUSH_ACTIONS)
    return failed(
        "The repository policy allows everyone" + (" to push images." if push else " to use the repository."),
        evidence={"public_statements": [statement_evidence(s) for s in public], "allows_push": push},
    )


@check(
    title="ECR repository policy grants other accounts access only within the organization",
    fail_title="ECR repository policy grants other accounts access outside the organization",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Add an aws:PrincipalOrgID (or aws:PrincipalOrgPaths) condition to statements that grant "
    "other accounts access to the repository, or remove grants that are no longer needed.",
    compliance={"nist-800-53-r5": ["AC-3", "AC-6"]},
    attack=["AML.T0010.004"],
    references=(ACCOUNT_PRINCIPALS, REPOSITORY_POLICY_EXAMPLES),
)
def repository_allows_no_unguarded_cross_account_access(repo: EcrRepository) -> Result:
    """Naming another account as principal grants access "to all IAM users and roles within that
    account, not just the root user"; which of them may use it is decided by that account's
    administrators. An aws:PrincipalOrgID (or PrincipalOrgPaths) condition limits the grant to
    accounts of the organization. No Security Hub control covers this check."""
    analysed, error = policy_exposure(repo.policy, repo.policy_error, repo.account, "repository policy")
    if analysed is None:
        return error or unknown("The repository policy could not be analysed.")
    unguarded = analysed.unguarded_cross_account()
    if unguarded:
        return failed(
            f"The repository policy grants {len(unguarded)} principal(s) of other accounts without an "
            "organization condition.",
            evidence={"cross_account_without_guard": unguarded},
        )
    guarded = analysed.guarded_cross_account()
    if guarded:
        return passed("Every cross-account grant requires the organization.", evidence={"guarded": guarded})
    return passed("The repository policy grants no other account.")


# ---------------------------------------------------------------------------------------------
# Images in use
# ---------------------------------------------------------------------------------------------


@dataclass
class _Uses:
    """Images of one repository that SageMaker resources use, and resources whose images are unknown."""

    images: dict[str, tuple[ImageReference, list[str]]] = field(default_factory=dict)
    undescribed: list[str] = field(default_factory=list)

    def add(self, repo: EcrRepository, uri: str | None, user: str) -> None:
        ref = parse_image_uri(uri) if uri else None
        if ref is not None and repo.holds(ref):
            self.images.setdefault(ref.uri, (ref, []))[1].append(user)


def _uses(repo: EcrRepository, jobs: Iterable[TrainingJob], models: Iterable[Model]) -> _Uses:
    uses = _Uses()
    for job in jobs:
        if job.training_image is None and job.algorithm_name is None:
            uses.undescribed.append(job.uid)
        uses.add(repo, job.training_image, job.uid)
    for model in models:
        if model.containers is None:
            uses.undescribed.append(model.uid)
        for container in model.containers or ():
            uses.add(repo, container.image, model.uid)
    return uses


def _image_verdicts(repo: EcrRepository, uses: _Uses) -> dict[str, list[dict[str, Any]]]:
    """Images in use by verdict: "vulnerable" and "unscanned" (FAIL), "unknown" (ERROR), "clean"."""
    verdicts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for ref, users in uses.images.values():
        entry: dict[str, Any] = {"image": ref.uri, "used_by": sorted(users)[:EVIDENCE_LIMIT]}
        image = repo.find_image(ref)
        if image is None:
            why = "not among the images listed" if repo.images_truncated else "not in the repository"
            verdicts["unknown"].append({**entry, "reason": why})
            continue
        verdict, details = _scan_verdict(image.scan)
        verdicts[verdict].append({**entry, "digest": image.digest, **details})
    return verdicts


def _scan_verdict(scan: ImageScan | None) -> tuple[str, dict[str, Any]]:
    if scan is None:
        return "unknown", {"reason": "scan result not read"}
    if scan.status in TRANSIENT_SCAN_STATUSES:
        return "unknown", {"scan_status": scan.status}
    if scan.status not in STATUSES_WITH_COUNTS:
        return "unscanned", {"scan_status": scan.status}
    if scan.severity_counts is None:
        return "unknown", {"scan_status": scan.status, "reason": "finding counts not reported"}
    counts = {s.lower(): scan.count(s) for s in BLOCKING_SEVERITIES}
    return ("vulnerable" if any(counts.values()) else "clean"), counts


@check(
    title="Images that SageMaker runs from the ECR repository have no critical or high findings",
    severity=Severity.HIGH,
    baseline=Baseline.INTEGRITY,
    remediation="Rebuild the images on patched base images and framework versions, push them under new tags, "
    "and point the training jobs and models at them; make sure every image in use has a current scan.",
    compliance={"nist-800-53-r5": ["RA-5", "SI-2"]},
    attack=["AML.T0010.001", "AML.T0010.004", "AML.T0011.001"],
    references=(IMAGE_SCAN_STATUS, BASIC_SCANNING),
)
def images_in_use_have_no_critical_or_high_findings(
    repo: EcrRepository, training_jobs: Sequence[TrainingJob], models: Sequence[Model]
) -> Result:
    """The images a training job or a model actually runs execute with the job's or model's
    execution role and data. An image in use with CRITICAL or HIGH findings fails; so does one
    without a current scan result (not scanned, FAILED, UNSUPPORTED_IMAGE,
    SCAN_ELIGIBILITY_EXPIRED: "no longer eligible for scanning, so its findings aren't updated").
    Pending or unavailable results (IN_PROGRESS, PENDING, FINDINGS_UNAVAILABLE, LIMIT_EXCEEDED)
    are errors, not failures. Severities are ECR's (basic scanning takes the upstream
    distribution's severity, else CVSS). Images are resolved by digest, or by the tag as it
    points now. No Security Hub control covers this check."""
    uses = _uses(repo, training_jobs, models)
    if not uses.images:
        if uses.undescribed:
            return unknown(
                "Whether SageMaker uses images of this repository is unknown: some jobs or models could "
                "not be described.",
                evidence={"undescribed": uses.undescribed[:EVIDENCE_LIMIT]},
            )
        return not_applicable("No SageMaker training job or model uses an image of this repository.")
    if repo.images is None:
        return unknown("The repository's images could not be listed.", evidence={"in_use": sorted(uses.images)})
    verdicts = _image_verdicts(repo, uses)
    bad = {k: verdicts[k] for k in ("vulnerable", "unscanned") if verdicts.get(k)}
    if bad:
        parts = [f"{len(v)} image(s) {_WHY[k]}" for k, v in bad.items()]
        return failed(f"SageMaker uses {' and '.join(parts)}.", {**bad, "unknown": verdicts.get("unknown", [])})
    if verdicts.get("unknown") or uses.undescribed:
        return unknown(
            "The scan results of some images in use could not be assessed.",
            evidence={"unknown": verdicts.get("unknown", []), "undescribed": uses.undescribed[:EVIDENCE_LIMIT]},
        )
    return passed(
        f"The {len(verdicts['clean'])} image(s) SageMaker uses have no critical or high findings.",
        evidence={"clean": verdicts["clean"]},
    )
