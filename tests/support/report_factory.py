"""Report fixtures built in code (never by running a scan): import as ``support.report_factory``.

``varied_report()`` covers every status, severity and baseline, muted findings, two accounts and
regions, collection errors, tags, and strings that break naive writers (commas, quotes,
newlines, ``</script>``, spreadsheet formulas, non-ASCII).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from cspm.models import (
    Baseline,
    CollectionError,
    Finding,
    ResourceEntry,
    ScanInfo,
    ScanReport,
    Scope,
    Severity,
    Status,
    ToolInfo,
    finding_uid,
)
from cspm.scoring import resource_scores, summarize

STARTED = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"
TRICKY = 'comma, "quote", new\nline, </script><script>alert(1)</script> & ünïcødé'


def bucket_arn(name: str) -> str:
    return f"arn:aws:s3:::{name}"


def make_finding(
    check_id: str = "aws.s3.bucket_is_not_public",
    resource_uid: str = "arn:aws:s3:::ml-data",
    *,
    status: Status = Status.FAIL,
    severity: Severity = Severity.HIGH,
    baseline: Baseline = Baseline.LEAST_PRIVILEGE,
    muted: bool = False,
    account: str = ACCOUNT_A,
    region: str = "us-east-1",
    resource_type: str = "aws.s3.bucket",
    title: str | None = None,
    message: str | None = None,
    evidence: dict[str, Any] | None = None,
    compliance: dict[str, list[str]] | None = None,
    attack: list[str] | None = None,
) -> Finding:
    return Finding(
        uid=finding_uid(check_id, resource_uid),
        check_id=check_id,
        title=title or f"Title of {check_id}",
        status=status,
        muted=muted,
        severity=severity,
        baseline=baseline,
        resource_uid=resource_uid,
        resource_type=resource_type,
        account=account,
        region=region,
        message=message or f"{status.value}: {check_id} on {resource_uid}",
        evidence=evidence if evidence is not None else {},
        remediation=f"Fix {check_id}.",
        compliance=compliance if compliance is not None else {"aws-fsbp": ["S3.2"]},
        attack=attack if attack is not None else ["AML.T0010.002"],
    )


def make_report(
    findings: Sequence[Finding] = (),
    *,
    errors: Sequence[CollectionError] = (),
    resources: Sequence[ResourceEntry] | None = None,
    provider: str = "aws",
    started: datetime = STARTED,
    scan_id: str = "00000000-0000-4000-8000-000000000001",
    scopes: Sequence[Scope] | None = None,
    tags: dict[str, dict[str, str]] | None = None,
    complete: bool | None = None,
) -> ScanReport:
    """A consistent report: summary and resource scores computed the way the engine does."""
    findings = list(findings)
    if resources is None:
        resources = derive_resources(findings, tags or {})
    if scopes is None:
        regions: dict[str, set[str]] = defaultdict(set)
        for f in findings:
            regions[f.account].add(f.region)
        scopes = [Scope(account=a, regions=sorted(r)) for a, r in sorted(regions.items())] or [
            Scope(account=ACCOUNT_A, regions=["us-east-1"])
        ]
    return ScanReport(
        tool=ToolInfo(version="0.1.0"),
        scan=ScanInfo(
            id=scan_id,
            provider=provider,
            started_at=started,
            finished_at=started + timedelta(seconds=42),
            complete=not errors if complete is None else complete,
            scopes=list(scopes),
            checks_run=len({f.check_id for f in findings}),
        ),
        summary=summarize(findings),
        resources=list(resources),
        findings=findings,
        errors=list(errors),
    )


def derive_resources(findings: Iterable[Finding], tags: dict[str, dict[str, str]]) -> list[ResourceEntry]:
    by_uid: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_uid[f.resource_uid].append(f)
    return [
        ResourceEntry(
            uid=uid,
            type=fs[0].resource_type,
            name=uid.rsplit(":", 1)[-1].rsplit("/", 1)[-1],
            account=fs[0].account,
            region=fs[0].region,
            tags=tags.get(uid, {}),
            scores=resource_scores(fs),
        )
        for uid, fs in sorted(by_uid.items())
    ]


def make_error(service: str = "s3", operation: str = "GetBucketPolicy", code: str = "AccessDenied") -> CollectionError:
    return CollectionError(
        account=ACCOUNT_A,
        region="us-east-1",
        service=service,
        operation=operation,
        code=code,
        message=f"User is not authorized to perform {service}:{operation}",
    )


def varied_findings() -> list[Finding]:
    """Every status x severity x baseline once, spread over two accounts and two regions."""
    findings = []
    combos = itertools.product(Status, Severity, Baseline)
    for i, (status, severity, baseline) in enumerate(combos):
        account = ACCOUNT_A if i % 2 == 0 else ACCOUNT_B
        region = "us-east-1" if i % 3 else "eu-west-1"
        check = f"aws.s3.check_{baseline.value.replace('-', '_')}_{severity.value}"
        findings.append(
            make_finding(
                check,
                bucket_arn(f"bucket-{i:03d}"),
                status=status,
                severity=severity,
                baseline=baseline,
                muted=(i % 7 == 0 and status is Status.FAIL),
                account=account,
                region=region,
                evidence={"index": i, "principals": ["*"]} if status is Status.FAIL else {},
                compliance={"aws-fsbp": ["S3.8"], "nist-800-53-r5": ["AC-3", "SC-7"]} if i % 2 else {},
                attack=["AML.T0010.002", "AML.T0035"] if i % 2 else [],
            )
        )
    findings.append(
        make_finding(
            "aws.s3.tricky_check",
            bucket_arn("tricky"),
            title=TRICKY,
            message='=HYPERLINK("http://example.invalid")' + TRICKY,
            evidence={"note": TRICKY},
        )
    )
    return findings


def varied_report(**kwargs: Any) -> ScanReport:
    kwargs.setdefault("errors", [make_error(), make_error("s3control", "GetPublicAccessBlock", "Throttling")])
    kwargs.setdefault(
        "tags",
        {bucket_arn("bucket-001"): {"env": "dev", "owner": "ml-team"}, bucket_arn("bucket-026"): {"env": "dev"}},
    )
    return make_report(varied_findings(), **kwargs)


# ---------------------------------------------------------------------------------------------
# A report with an AI lineage whose findings make every kind of risk (cspm/risks.py)
# ---------------------------------------------------------------------------------------------

SM = f"arn:aws:sagemaker:us-east-1:{ACCOUNT_A}"
BR = f"arn:aws:bedrock:us-east-1:{ACCOUNT_A}"
RISKY = {
    "bucket": "arn:aws:s3:::public-data",
    "prefix": "arn:aws:s3:::public-data/train/",
    "job": f"{SM}:training-job/train",
    "model": f"{SM}:model/fraud-model",
    "config": f"{SM}:endpoint-config/fraud-config",
    "endpoint": f"{SM}:endpoint/fraud-prod",
    "role": f"arn:aws:iam::{ACCOUNT_A}:role/legacy-admin",
    "notebook": f"{SM}:notebook-instance/research",
    "image": f"{ACCOUNT_A}.dkr.ecr.us-east-1.amazonaws.com/inference:latest",
    "repository": f"arn:aws:ecr:us-east-1:{ACCOUNT_A}:repository/inference",
    "hub_model": f"{SM}:model/hub-model",
    "hub_config": f"{SM}:endpoint-config/hub-config",
    "hub_endpoint": f"{SM}:endpoint/hub-prod",
    "hub_image": "docker.io/library/python:3",
    "hub_repository": "docker.io/library/python",
    "artifact": "arn:aws:s3:::public-data/models/fraud.tar.gz",
    "chat": "arn:aws:s3:::public-data/chat/",
    "tuning": f"{BR}:model-customization-job/tune",
    "custom_model": f"{BR}:custom-model/support-llm",
    "throughput": f"{BR}:provisioned-model/support-pt",
    "kb_bucket": "arn:aws:s3:::support-kb",
    "kb": f"{BR}:knowledge-base/KB1",
    "agent": f"{BR}:agent/AGENT1",
    "ops_agent": f"{BR}:agent/OPS1",
    "tool": f"arn:aws:lambda:us-east-1:{ACCOUNT_A}:function:runbook",
    "tool_role": f"arn:aws:iam::{ACCOUNT_A}:role/runbook-tool",
}
UNRESOLVED_REASON = "not an image of a private ECR registry (Docker Hub, ECR Public or another registry)"


def risky_lineage() -> Any:
    """public bucket → prefix → job → model → config → endpoint; the model (and the notebook) run as
    an admin role; the model runs a mutable image; a second endpoint's model runs a Docker Hub image
    (its in_repository edge unresolved)."""
    from cspm.models import Lineage, LineageEdge, LineageNode

    types = {
        "bucket": "aws.s3.bucket",
        "prefix": "aws.s3.prefix",
        "job": "aws.sagemaker.training_job",
        "model": "aws.sagemaker.model",
        "config": "aws.sagemaker.endpoint_config",
        "endpoint": "aws.sagemaker.endpoint",
        "role": "aws.iam.role",
        "notebook": "aws.sagemaker.notebook_instance",
        "image": "aws.ecr.image",
        "repository": "aws.ecr.repository",
        "hub_model": "aws.sagemaker.model",
        "hub_config": "aws.sagemaker.endpoint_config",
        "hub_endpoint": "aws.sagemaker.endpoint",
        "hub_image": "aws.ecr.image",
        "hub_repository": "aws.ecr.repository",
        "artifact": "aws.s3.prefix",
        "chat": "aws.s3.prefix",
        "tuning": "aws.bedrock.customization_job",
        "custom_model": "aws.bedrock.custom_model",
        "throughput": "aws.bedrock.provisioned_throughput",
        "kb_bucket": "aws.s3.bucket",
        "kb": "aws.bedrock.knowledge_base",
        "agent": "aws.bedrock.agent",
        "ops_agent": "aws.bedrock.agent",
        "tool": "aws.lambda.function",
        "tool_role": "aws.iam.role",
    }
    names = {
        "prefix": "s3://public-data/train/",
        "artifact": "s3://public-data/models/fraud.tar.gz",
        "chat": "s3://public-data/chat/",
    }
    nodes = [
        LineageNode(
            id=RISKY[k],
            type=t,
            name=names.get(k) or RISKY[k].rsplit("/", 1)[-1].rsplit(":::", 1)[-1],
            in_inventory=k not in ("prefix", "artifact", "chat"),
            dangerous_imports=["posix.system"] if k == "artifact" else None,
        )
        for k, t in types.items()
    ]
    links = [
        ("job", "prefix", "reads"),
        ("prefix", "bucket", "in_bucket"),
        ("job", "role", "runs_as"),
        ("model", "job", "trained_by"),
        ("model", "role", "runs_as"),
        ("model", "image", "runs"),
        ("image", "repository", "in_repository"),
        ("config", "model", "hosts"),
        ("endpoint", "config", "serves"),
        ("notebook", "role", "runs_as"),
        ("hub_model", "hub_image", "runs"),
        ("hub_config", "hub_model", "hosts"),
        ("hub_endpoint", "hub_config", "serves"),
        ("model", "artifact", "loads"),
        ("artifact", "bucket", "in_bucket"),
        ("tuning", "chat", "reads"),
        ("chat", "bucket", "in_bucket"),
        ("custom_model", "tuning", "trained_by"),
        ("throughput", "custom_model", "hosts"),
        ("kb", "kb_bucket", "reads"),
        ("agent", "kb", "retrieves"),
        ("ops_agent", "tool", "invokes"),
        ("tool", "tool_role", "runs_as"),
    ]
    edges = [LineageEdge(source=RISKY[s], target=RISKY[t], relation=r, api_field="test") for s, t, r in links]
    edges.append(
        LineageEdge(
            source=RISKY["hub_image"],
            target=RISKY["hub_repository"],
            relation="in_repository",
            api_field="test",
            resolved=False,
            reason=UNRESOLVED_REASON,
        )
    )
    return Lineage(nodes=nodes, edges=edges)


def risky_findings() -> list[Finding]:
    def on(key: str, check: str, severity: Severity, **kwargs: Any) -> Finding:
        rtype = {"bucket": "aws.s3.bucket", "role": "aws.iam.role", "repository": "aws.ecr.repository"}.get(
            key, "aws.sagemaker." + key.removeprefix("hub_").replace("notebook", "notebook_instance")
        )
        return make_finding(check, RISKY[key], severity=severity, resource_type=rtype, **kwargs)

    return [
        on("bucket", "aws.s3.bucket_is_not_public", Severity.CRITICAL),
        on("bucket", "aws.s3.bucket_versioning_enabled", Severity.MEDIUM),  # not a link of any path
        on("role", "aws.iam.role_is_not_admin", Severity.CRITICAL),
        on("notebook", "aws.sagemaker.notebook_has_no_direct_internet_access", Severity.HIGH),
        on("repository", "aws.ecr.repository_tags_are_immutable", Severity.MEDIUM),
        on("hub_model", "aws.lineage.model_images_are_scanned_and_immutable", Severity.HIGH),
        on("model", "aws.sagemaker.model_artifact_is_free_of_unsafe_code", Severity.CRITICAL),
        make_finding(
            "aws.lineage.agent_knowledge_base_data_is_not_broadly_writable",
            RISKY["agent"],
            severity=Severity.HIGH,
            resource_type="aws.bedrock.agent",
            evidence={"problems": [{"data": "s3://support-kb/", "writers": [{"kind": "account"}]}]},
        ),
        make_finding(
            "aws.lineage.unguarded_agent_tools_cannot_reach_admin",
            RISKY["ops_agent"],
            severity=Severity.HIGH,
            resource_type="aws.bedrock.agent",
            evidence={"problems": [{"message": "not guarded"}, {"tool": RISKY["tool"], "role": RISKY["tool_role"]}]},
        ),
        make_finding(
            "aws.iam.role_cannot_reach_admin",
            RISKY["tool_role"],
            severity=Severity.HIGH,
            resource_type="aws.iam.role",
            evidence={"path": [{"source": RISKY["tool_role"], "target": RISKY["role"], "via": "iam:PassRole"}]},
        ),
        on("bucket", "aws.s3.bucket_blocks_public_access", Severity.HIGH, status=Status.PASS),
    ]


def risky_report(**kwargs: Any) -> ScanReport:
    """:func:`make_report` of :func:`risky_findings` with :func:`risky_lineage` and its risks."""
    from cspm.risks import with_risks

    report = make_report(risky_findings(), **kwargs).model_copy(update={"lineage": risky_lineage()})
    return with_risks(report)
