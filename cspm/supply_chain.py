"""When the AI-supply-chain severity rule could not be applied, and saying so (issue 18).

The rule of docs/lineage.md (:func:`cspm.lineage.raise_supply_chain_severity`) raises a FAIL on
an S3 bucket, KMS key or ECR repository one level when a SageMaker resource uses it. It needs the
lineage, which needs the SageMaker resources: a scan with ``--services s3`` (or whose SageMaker
listings failed) cannot tell whether a bucket feeds a training job, so the same bucket is ``high``
in a full scan and ``medium`` here. Such findings get ``supply_chain: "not assessed: …"`` and the
terminal prints :func:`supply_chain_note` once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from cspm.lineage import _HANDLERS, AI_TYPE_PREFIX, LINEAGE_CHECKS, RAISABLE_TYPES, Coverage
from cspm.models import Finding, Status

# The SageMaker resources whose references to buckets, keys and images the rule follows.
AI_REFERRERS = frozenset(t for t in _HANDLERS if t.startswith(AI_TYPE_PREFIX))
NEEDS_SAGEMAKER = "not assessed: lineage needs sagemaker"
# Google Cloud: the Vertex AI resources whose references to buckets the rule follows (cspm.lineage_gcp).
GCP_REFERRERS = frozenset(
    {"gcp.vertex.custom_job", "gcp.vertex.training_pipeline", "gcp.vertex.dataset", "gcp.vertex.model"}
)
NEEDS_VERTEX = "not assessed: lineage needs vertex"
# On Azure: the ML and AI Services resources whose references reach storage accounts, containers
# and key vaults (cspm/lineage_azure.py).
AZURE_AI_REFERRERS = frozenset(
    {
        "azure.ml.workspace",
        "azure.ml.online_endpoint",
        "azure.ml.job",
        "azure.ml.model",
        "azure.ml.data_asset",
        "azure.cognitiveservices.account",
    }
)
NEEDS_AZURE_AI = "not assessed: lineage needs ml or cognitiveservices"


def _referrers(cloud: str) -> tuple[frozenset[str], str]:
    return {
        "azure": (AZURE_AI_REFERRERS, NEEDS_AZURE_AI),
        "gcp": (GCP_REFERRERS, NEEDS_VERTEX),
    }.get(cloud, (AI_REFERRERS, NEEDS_SAGEMAKER))


def not_assessed_reason(
    coverage: Coverage, account: str, cloud: str = "aws", failed: Mapping[str, str] | None = None
) -> str | None:
    """Why the rule could not judge a finding of ``account``, or None when it could: no SageMaker
    type (Azure: no ML or AI Services type; GCP: no Vertex AI type) was collected at all, or such a
    listing of that account failed. ``failed``: the :func:`failed_listings` of ``coverage`` for
    ``cloud``, when the caller asks for many accounts."""
    referrers, needs = _referrers(cloud)
    if coverage.collected is not None and not coverage.collected & referrers:
        return needs  # a scan that collects some of those types (a full one) is judged
    return (failed_listings(coverage, referrers) if failed is None else failed).get(account)


def failed_listings(coverage: Coverage, referrers: frozenset[str] = AI_REFERRERS) -> dict[str, str]:
    """account -> the reason of its first (in sorted order) failed listing of ``referrers``: one
    pass over the marks, where asking each account of 20,000 would sort them all 20,000 times."""
    first: dict[str, str] = {}
    for (rtype, acct, region), why in sorted(coverage.incomplete.items()):
        if rtype in referrers and acct not in first:
            first[acct] = f"not assessed: {rtype} could not be listed in {acct} {region} ({why})"
    return first


def mark_unassessed(
    findings: Sequence[Finding], coverage: Coverage, reasons: dict[tuple[str, str], str | None] | None = None
) -> list[Finding]:
    """``findings`` with ``supply_chain`` set on each FAIL the rule would judge but could not:
    on a bucket, key or repository, not raised, not a lineage check, in a scope without the lineage.
    ``reasons``: (cloud, account) -> reason, kept by a caller that marks its findings in several calls."""
    reasons = {} if reasons is None else reasons
    failed: dict[str, dict[str, str]] = {}  # cloud -> failed_listings
    out = []
    for f in findings:
        reason = None
        if (
            f.status is Status.FAIL
            and f.resource_type in RAISABLE_TYPES
            and not f.check_id.startswith(LINEAGE_CHECKS)
            and "ai_supply_chain" not in f.evidence
        ):
            cloud = f.resource_type.split(".", 1)[0]
            if (cloud, f.account) not in reasons:
                if cloud not in failed:
                    failed[cloud] = failed_listings(coverage, _referrers(cloud)[0])
                reasons[(cloud, f.account)] = not_assessed_reason(coverage, f.account, cloud, failed[cloud])
            reason = reasons[(cloud, f.account)]
        out.append(f.model_copy(update={"supply_chain": reason}) if reason else f)
    return out


def supply_chain_note(findings: Iterable[Finding]) -> str | None:
    """One line for people (the terminal, the runner): how many unmuted FAILs the rule could not
    judge and why, or None. Their severity may be one level higher in a scan with the lineage."""
    reasons = [f.supply_chain for f in findings if f.supply_chain and f.status is Status.FAIL and not f.muted]
    if not reasons:
        return None
    why = reasons[0].removeprefix("not assessed: ")
    noun = "finding" if len(reasons) == 1 else "findings"
    if all(r == NEEDS_VERTEX or "gcp.vertex." in r for r in reasons):  # a GCP scan without Vertex AI
        return (
            f"{len(reasons)} failing {noun} on Cloud Storage buckets were not checked against the AI supply "
            f"chain ({why}); in a scan with Vertex AI each may be one severity level higher"
        )
    return (
        f"{len(reasons)} failing {noun} on S3 buckets, KMS keys or ECR repositories were not checked against "
        f"the AI supply chain ({why}); in a scan with SageMaker each may be one severity level higher"
    )
