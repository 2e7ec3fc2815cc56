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
