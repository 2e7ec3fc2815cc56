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


def not_assessed_reason(coverage: Coverage, account: str, failed: Mapping[str, str] | None = None) -> str | None:
    """Why the rule could not judge a finding of ``account``, or None when it could: no SageMaker
    type was collected at all, or a SageMaker listing of that account failed. ``failed``: the
    :func:`failed_listings` of ``coverage``, when the caller asks for many accounts."""
    if coverage.collected is not None and not coverage.collected & AI_REFERRERS:
        return NEEDS_SAGEMAKER  # a scan that collects some SageMaker types (a full one) is judged
    return (failed_listings(coverage) if failed is None else failed).get(account)


def failed_listings(coverage: Coverage) -> dict[str, str]:
    """account -> the reason of its first (in sorted order) failed SageMaker listing: one pass
    over the marks, where asking each account of 20,000 would sort them all 20,000 times."""
    first: dict[str, str] = {}
    for (rtype, acct, region), why in sorted(coverage.incomplete.items()):
        if rtype in AI_REFERRERS and acct not in first:
            first[acct] = f"not assessed: {rtype} could not be listed in {acct} {region} ({why})"
    return first


def mark_unassessed(
    findings: Sequence[Finding], coverage: Coverage, reasons: dict[str, str | None] | None = None
) -> list[Finding]:
    """``findings`` with ``supply_chain`` set on each FAIL the rule would judge but could not:
    on a bucket, key or repository, not raised, not a lineage check, in a scope without the lineage.
    ``reasons``: account -> reason, kept by a caller that marks its findings in several calls."""
    reasons = {} if reasons is None else reasons
    failed: dict[str, str] | None = None
    out = []
    for f in findings:
        reason = None
        if (
            f.status is Status.FAIL
            and f.resource_type in RAISABLE_TYPES
            and not f.check_id.startswith(LINEAGE_CHECKS)
            and "ai_supply_chain" not in f.evidence
        ):
            if f.account not in reasons:
                failed = failed_listings(coverage) if failed is None else failed
                reasons[f.account] = not_assessed_reason(coverage, f.account, failed)
            reason = reasons[f.account]
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
    return (
        f"{len(reasons)} failing {noun} on S3 buckets, KMS keys or ECR repositories were not checked against "
        f"the AI supply chain ({why}); in a scan with SageMaker each may be one severity level higher"
    )
