"""The public data model: statuses, severities, baselines, check results, findings and the report.

These pydantic models are the source of truth for ``report.json`` (schema_version "1");
``docs/report-schema.json`` is generated from :class:`ScanReport`. Change them only by adding
optional fields, or by bumping :data:`SCHEMA_VERSION` with a note in CHANGELOG.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"  # could not be assessed: the data was missing or unreadable


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFORMATIONAL = "informational"

    @property
    def weight(self) -> int:
        """Score weight, as DESIGN defines it."""
        return _WEIGHTS[self]

    @property
    def rank(self) -> int:
        """Higher is more severe; informational is 0."""
        return _RANKS[self]


_WEIGHTS = {
    Severity.CRITICAL: 8,
    Severity.HIGH: 4,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFORMATIONAL: 0,
}
_RANKS = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFORMATIONAL: 0,
}


class Baseline(StrEnum):
    LEAST_PRIVILEGE = "least-privilege"
    ENCRYPTION = "encryption"
    PRIVATE_ENDPOINT = "private-endpoint"
    INTEGRITY = "integrity"
    LOGGING = "logging"


# ---------------------------------------------------------------------------------------------
# What a check returns
# ---------------------------------------------------------------------------------------------


class Result(BaseModel):
    """The verdict of one check on one resource. ``status is None`` means "not applicable"."""

    model_config = ConfigDict(frozen=True)

    status: Status | None
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict)


def passed(message: str, evidence: Mapping[str, Any] | None = None) -> Result:
    return Result(status=Status.PASS, message=message, evidence=dict(evidence or {}))


def failed(message: str, evidence: Mapping[str, Any] | None = None) -> Result:
    return Result(status=Status.FAIL, message=message, evidence=dict(evidence or {}))


def unknown(message: str, evidence: Mapping[str, Any] | None = None) -> Result:
    """The check could not decide because its input could not be read: an ERROR finding."""
    return Result(status=Status.ERROR, message=message, evidence=dict(evidence or {}))


def not_applicable(reason: str) -> Result:
    """The check does not apply to this resource (no finding is written)."""
    return Result(status=None, message=reason)


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class ToolInfo(_Model):
    name: str = "cspm"
    version: str


Scores = dict[str, float | None]


class Scope(_Model):
    """One account (subscription, project) and the regions scanned in it.

    ``scores``: the account's own scores, the same formula as ``summary.scores`` over the findings
    of this account only (added in schema_version 1; optional: absent in reports of older
    versions)."""

    account: str
    regions: list[str]
    scores: Scores | None = None


class ScanInfo(_Model):
    id: str
    provider: str
    started_at: datetime
    finished_at: datetime
    complete: bool
    scopes: list[Scope]
    checks_run: int


class AiAssetCount(_Model):
    """How many AI assets of one kind the scan found, and their scores (same formula as ``scores``)."""

    count: int
    scores: Scores = Field(default_factory=dict)


class AiInventory(_Model):
    """The AI assets of the scan, every cloud's (added in schema_version 1; optional; which
    resource types count as what: ``cspm/ai_assets.py``). ``registries`` also counts the ECR
    repositories that hold an image a job or model uses; ``datasets`` (added later, optional)
    managed datasets and feature stores."""

    models: AiAssetCount
    endpoints: AiAssetCount
    training_jobs: AiAssetCount
    processing_jobs: AiAssetCount
    notebooks: AiAssetCount
    registries: AiAssetCount
    datasets: AiAssetCount | None = None


class Summary(_Model):
    pass_: int = Field(alias="pass", serialization_alias="pass")
    fail: int
    error: int
    muted: int
    fail_by_severity: dict[Severity, int]
    scores: Scores
    ai_inventory: AiInventory | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ResourceEntry(_Model):
    uid: str
    type: str
    name: str
    account: str
    region: str
    tags: dict[str, str] = Field(default_factory=dict)
    scores: Scores = Field(default_factory=dict)


class MuteInfo(_Model):
    """The mutelist entry that muted a finding (or that has expired).

    ``by_tags``: the entry has a ``tags`` condition, so whoever may tag the resource can satisfy
    it, and mute the finding (added in schema_version 1; optional, false when absent)."""

    entry: str  # the entry's id, else FILE:LINE
    reason: str
    expires: str | None = None
    by_tags: bool = False


class Finding(_Model):
    uid: str
    check_id: str
    title: str
    status: Status
    muted: bool = False
    severity: Severity
    baseline: Baseline
    resource_uid: str
    resource_type: str
    account: str
    region: str
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    remediation: str
    compliance: dict[str, list[str]] = Field(default_factory=dict)
    attack: list[str] = Field(default_factory=list)
    muted_by: MuteInfo | None = None  # added in 0.1.0 (optional): why the finding is muted
    # Added in 0.1.0 (optional; issue 18): the cloud of this finding ("aws", "azure", "gcp"), set
    # on every scan, so a combined report (scan.provider "aws+azure+gcp") says it per finding.
    provider: str | None = None
    # Added in 0.1.0 (optional; issue 18): set on a FAIL the AI-supply-chain severity rule could
    # not judge, e.g. "not assessed: lineage needs sagemaker" in a `--services s3` scan.
    supply_chain: str | None = None

    def cloud(self, report_provider: str) -> str:
        """This finding's cloud: its ``provider``; for reports written before the field existed,
        the report's provider, or for a combined one the cloud its check id names."""
        if self.provider:
            return self.provider
        return self.check_id.split(".", 1)[0] if "+" in report_provider else report_provider


class CollectionError(_Model):
    """A failed API call (or a collector that failed as a whole)."""

    account: str
    region: str
    service: str
    operation: str
    code: str
    message: str


class LineageNode(_Model):
    """A node of the AI lineage graph. ``id`` is the resource uid (ARN) when the node is a resource
    of the report (``in_inventory``); a referenced resource that is not in the report keeps the ARN
    its reference names. S3 prefixes (``arn:aws:s3:::bucket/key``) and container images (the image
    URI) are nodes too. ``fail`` / ``risk``: the resource's unmuted FAIL findings and the highest
    severity among them."""

    id: str
    type: str
    name: str
    account: str | None = None
    region: str | None = None
    in_inventory: bool = False
    fail: int = 0
    risk: Severity | None = None
    # Artifact nodes (an S3 object a model loads) read with --inspect-artifacts: its SHA-256, its
    # format, and the dangerous imports found in it ("os.system"); None when not inspected.
    sha256: str | None = None
    format: str | None = None
    dangerous_imports: list[str] | None = None
    # An endpoint's EndpointStatus (InService serves predictions); None for other nodes and in older
    # reports (added in schema_version 1; optional).
    status: str | None = None


class LineageEdge(_Model):
    """``source`` refers to ``target`` through the API field ``api_field``. ``resolved`` is false when
    the target could not be found or read (a deleted bucket, an image in another account's
    registry, a key in another region); ``reason`` says why."""

    source: str
    target: str
    relation: str
    api_field: str
    resolved: bool = True
    reason: str | None = None


class Lineage(_Model):
    """The AI supply chain: training data → jobs → artifacts → models → endpoint configs →
    endpoints, with the images, roles and keys they use (added in schema_version 1; optional)."""

    nodes: list[LineageNode] = Field(default_factory=list)
    edges: list[LineageEdge] = Field(default_factory=list)


class RiskFactor(_Model):
    """One named factor of a risk's score: what was measured (``value``), how many points it adds
    (``contribution``, negative for a penalty) and why, in words (docs/risks.md has the table)."""

    value: str | int | float | bool | None
    contribution: float
    why: str = ""


class RiskFix(_Model):
    """The one change that breaks a risk's path: the failing finding it resolves (None when the
    change is not one finding's remediation), its check and resource, and the action in words."""

    finding_uid: str | None = None
    check_id: str | None = None
    resource_uid: str
    action: str


class RiskPath(_Model):
    """A risk's path: node ids in order from the entry (where an attacker starts) to the impact,
    and the edges between them as the lineage (or the IAM escalation graph) holds them. An
    unresolved edge stays in the path, with its reason."""

    nodes: list[str] = Field(default_factory=list)
    edges: list[LineageEdge] = Field(default_factory=list)


class Risk(_Model):
    """Failing findings correlated along the lineage and the IAM graph into one attack path or
    toxic combination (added in schema_version 1; optional). ``id`` is stable across scans: a hash
    of ``kind`` and the path's node ids. ``score`` 0-100 is the sum of ``factors``' contributions;
    ``findings`` are the uids of the findings it combines (docs/risks.md)."""

    id: str
    kind: str
    title: str
    severity: Severity
    score: float
    factors: dict[str, RiskFactor]
    path: RiskPath
    findings: list[str]
    fix: RiskFix
    provider: str


class MutelistInfo(_Model):
    """The mutelist a scan used: where it came from and which entries had expired."""

    source: str
    expired: list[MuteInfo] = Field(default_factory=list)


class ArtifactImport(_Model):
    """An import a model file makes when loaded (a pickle GLOBAL, a Keras Lambda, a TF op)."""

    module: str
    name: str
    member: str


class ArtifactSignature(_Model):
    status: str  # verified | invalid | absent | unverifiable
    signature_uri: str | None = None
    method: str | None = None
    identity: str | None = None
    detail: str | None = None
    etag: str | None = None  # of the signature object, when read (added; optional)
    verifier: str | None = None  # SHA-256 of the key / certificates / identity used (added; optional)


class ArtifactEntry(_Model):
    """A model artifact read with ``--inspect-artifacts`` (added in schema_version 1; optional):
    the object, its SHA-256 and format, what the inspection found, and why it is incomplete
    (``error``: not read; ``problems``: read in part). ``reused_from``: the scan whose verdict
    was reused because the object's ETag and size had not changed (``--store``)."""

    uid: str
    type: str
    name: str
    account: str
    region: str
    uri: str
    etag: str | None = None
    size: int | None = None
    sha256: str | None = None
    format: str | None = None
    members: list[tuple[str, str]] = Field(default_factory=list)
    dangerous: list[ArtifactImport] | None = None
    unknown_imports: list[ArtifactImport] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
    error: str | None = None
    scanners: dict[str, str] = Field(default_factory=dict)
    bytes_read: int = 0
    reused_from: str | None = None
    kms_key_id: str | None = None
    signing_policy: str | None = None
    signature: ArtifactSignature | None = None


class ScanReport(_Model):
    schema_version: str = SCHEMA_VERSION
    tool: ToolInfo
    scan: ScanInfo
    summary: Summary
    resources: list[ResourceEntry]
    findings: list[Finding]
    errors: list[CollectionError]
    lineage: Lineage | None = None
    mutelist: MutelistInfo | None = None
    artifacts: list[ArtifactEntry] | None = None  # --inspect-artifacts
    # Ranked risks (docs/risks.md); None in reports of older versions and of scans without a lineage.
    risks: list[Risk] | None = None

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2)

    def json_chunks(self) -> Iterator[str]:
        """The text of :meth:`to_json`, in pieces: one per resource and per finding.

        A large report (tens of thousands of findings) is never held as one string: the lists
        are serialized item by item into a skeleton report dumped with them empty. Every string
        escapes its newlines, so a top-level key at two spaces of indentation is unambiguous.
        """
        streamed = {name: getattr(self, name) for name in _STREAMED if getattr(self, name)}
        skeleton = self.model_copy(update={key: [] for key in streamed}).model_dump_json(by_alias=True, indent=2)
        for name, items in streamed.items():
            head, sep, skeleton = skeleton.partition(f'\n  "{name}": []')
            assert sep, name
            yield head
            yield f'\n  "{name}": [\n    '
            for index, item in enumerate(items):
                if index:
                    yield ",\n    "
                yield item.model_dump_json(by_alias=True, indent=2).replace("\n", "\n    ")
            yield "\n  ]"
        yield skeleton


# The report's lists that grow with the estate, streamed by ScanReport.json_chunks (in key order).
_STREAMED = ("resources", "findings")


def risk_uid(kind: str, nodes: list[str]) -> str:
    """Stable across scans: the same kind of risk along the same path always has the same id."""
    return hashlib.sha256("\x00".join((kind, *nodes)).encode()).hexdigest()[:32]


def finding_uid(check_id: str, resource_uid: str) -> str:
    """Stable across scans: the same check on the same resource always has the same id."""
    return hashlib.sha256(f"{check_id}\x00{resource_uid}".encode()).hexdigest()[:32]
