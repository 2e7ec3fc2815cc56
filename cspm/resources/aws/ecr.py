"""ECR snapshots: private repositories, with the registry scanning configuration and their images.

A repository comes from DescribeRepositories (scan on push, tag mutability, encryption: always
present in the listing) plus one call per other setting; a setting whose call failed is ``None``.

Images are listed with DescribeImages so that checks can decide which of them matter: the images
that SageMaker training jobs and models use are known only to the SageMaker snapshots, and a
collector cannot read another collector's results. :func:`parse_image_uri` turns the image URI of
a job or model into an :class:`ImageReference`, which :meth:`EcrRepository.holds` and
:meth:`EcrImage.matches` resolve against the inventory.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from cspm.resources.base import Resource, Snapshot
from cspm.wildcard import wildcard_match

# Frequencies a registry scanning rule may have, from weakest to strongest.
SCAN_FREQUENCIES = ("MANUAL", "SCAN_ON_PUSH", "CONTINUOUS_SCAN")
# Scan statuses that come with finding counts (basic scans: COMPLETE; enhanced scans: ACTIVE).
STATUSES_WITH_COUNTS = frozenset({"COMPLETE", "ACTIVE"})
# The status we record when DescribeImageScanFindings answers ScanNotFoundException.
NOT_SCANNED = "NOT_SCANNED"

_IMAGE_URI = re.compile(
    r"^(?P<registry>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|"
    r"c2s\.ic\.gov|sc2s\.sgov\.gov)/(?P<repository>[a-z0-9][a-z0-9._/-]*?)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


class ImageReference(Snapshot):
    """An image URI of a private ECR registry, split into its parts.

    Exactly one of ``tag`` / ``digest`` is set: a URI with both pins the digest (the tag is
    informational), and a URI with neither means the ``latest`` tag.
    """

    uri: str
    registry: str  # the account id
    region: str
    repository: str
    tag: str | None = None
    digest: str | None = None


def parse_image_uri(uri: str) -> ImageReference | None:
    """The parts of a private ECR image URI; None for any other registry (Docker Hub, ECR Public)."""
    match = _IMAGE_URI.match(uri.strip())
    if match is None:
        return None
    digest = match["digest"]
    return ImageReference(
        uri=uri,
        registry=match["registry"],
        region=match["region"],
        repository=match["repository"],
        tag=None if digest else (match["tag"] or "latest"),
        digest=digest,
    )


class ScanRule(Snapshot):
    """A registry scanning rule: the frequency for repositories matching any WILDCARD filter."""

    frequency: str  # MANUAL | SCAN_ON_PUSH | CONTINUOUS_SCAN
    filters: tuple[str, ...] = ()

    def covers(self, repository: str) -> bool:
        # linear-time wildcard matching: a filter is account data, and a regex of many `*` would
        # backtrack polynomially on a long repository name (cspm/wildcard.py)
        return any(wildcard_match(f, repository) for f in self.filters)


class RegistryScanning(Snapshot):
    """GetRegistryScanningConfiguration of the repository's registry (account and region)."""

    scan_type: str  # BASIC | ENHANCED
    rules: tuple[ScanRule, ...] = ()

    def frequency_for(self, repository: str) -> str | None:
        """The strongest frequency of the rules covering ``repository``; None when none covers it."""
        matching = [r.frequency for r in self.rules if r.covers(repository) and r.frequency in SCAN_FREQUENCIES]
        return max(matching, key=SCAN_FREQUENCIES.index) if matching else None


class RepositoryEncryption(Snapshot):
    """encryptionConfiguration, plus who manages the KMS key (kms:DescribeKey)."""

    encryption_type: str  # AES256 | KMS | KMS_DSSE
    kms_key: str | None = None  # the key ARN; None with AES256 (or KMS with the default aws/ecr key)
    # KeyManager of ``kms_key``: AWS (the aws/ecr managed key) or CUSTOMER. None when there is no
    # key to describe or DescribeKey failed (then the error is recorded).
    key_manager: str | None = None


class ImageScan(Snapshot):
    """The latest scan of an image.

    ``status``: COMPLETE / ACTIVE (with counts), IN_PROGRESS, PENDING, FAILED, UNSUPPORTED_IMAGE,
    SCAN_ELIGIBILITY_EXPIRED, FINDINGS_UNAVAILABLE, LIMIT_EXCEEDED..., or :data:`NOT_SCANNED`.
    ``severity_counts`` (CRITICAL, HIGH, ... → count) is set exactly when the status has counts;
    ``{}`` is a scan that found nothing.
    """

    status: str
    severity_counts: dict[str, int] | None = None
    completed_at: datetime | None = None

    def count(self, severity: str) -> int:
        return (self.severity_counts or {}).get(severity, 0)


class EcrImage(Snapshot):
    """One image of a repository. ``scan`` None: the scan result was not read (see the collector)."""

    digest: str
    tags: tuple[str, ...] = ()
    pushed_at: datetime | None = None
    scan: ImageScan | None = None

    def matches(self, ref: ImageReference) -> bool:
        return self.digest == ref.digest if ref.digest else ref.tag in self.tags


class EcrRepository(Resource):
    """One private repository. Optional fields are None when their API call failed."""

    resource_type: ClassVar[str] = "aws.ecr.repository"

    registry_id: str
    uri: str  # repositoryUri: <registry>.dkr.ecr.<region>.amazonaws.com/<name>
    created_at: datetime | None = None
    scan_on_push: bool  # imageScanningConfiguration.scanOnPush (ignored by ENHANCED registries)
    tag_mutability: str  # MUTABLE | IMMUTABLE | IMMUTABLE_WITH_EXCLUSION | MUTABLE_WITH_EXCLUSION
    # imageTagMutabilityExclusionFilters (WILDCARD patterns): the tags that escape tag_mutability.
    tag_mutability_exclusions: tuple[str, ...] = ()
    encryption: RepositoryEncryption
    registry_scanning: RegistryScanning | None = None
    # Parsed JSON documents; {} when the repository has none.
    lifecycle_policy: dict[str, Any] | None = None
    policy: dict[str, Any] | None = None
    policy_error: str | None = None  # why ``policy`` (or ``lifecycle_policy``) is None
    images: tuple[EcrImage, ...] | None = None
    # True when the repository holds more images than the collector lists: an image missing from
    # ``images`` may then exist.
    images_truncated: bool = False

    def holds(self, ref: ImageReference) -> bool:
        """Whether ``ref`` names an image of this repository."""
        return ref.registry == self.registry_id and ref.region == self.region and ref.repository == self.name

    def find_image(self, ref: ImageReference) -> EcrImage | None:
        return next((i for i in self.images or () if i.matches(ref)), None)
