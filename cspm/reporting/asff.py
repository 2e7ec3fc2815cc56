"""ASFF: findings in the shape Security Hub's ``BatchImportFindings`` accepts.

A JSON array of AWS Security Finding Format objects (``SchemaVersion`` 2018-10-08), one per
finding of an AWS report; import them in batches of up to 100 (see docs/formats.md). Choices:

- ``ProductArn`` is the account's own default product
  (``arn:aws:securityhub:<region>:<account>:product/<account>/default``), the product a
  customer's own integration imports into.
- ``Id`` is ``cspm/<check id>/<finding uid>``: stable across scans, so a re-import updates.
- PASS → ``Compliance.Status`` PASSED, FAIL → FAILED, ERROR → NOT_AVAILABLE; a muted finding has
  ``Workflow.Status`` SUPPRESSED (and a ``Note`` naming the mutelist entry), the others NEW.
- Global resources (region not an AWS region) use the first scanned region.
- Only AWS findings: a combined report (``aws+azure+gcp``) gives its AWS findings; reports of
  other clouds produce an empty array. Security Hub findings belong to AWS accounts.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

from cspm.models import Finding, Status
from cspm.reporting.formats import RenderContext, aws_partition

log = logging.getLogger(__name__)

SCHEMA_VERSION = "2018-10-08"
DEFAULT_REGION = "us-east-1"
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$")
COMPLIANCE_STATUS = {Status.PASS: "PASSED", Status.FAIL: "FAILED", Status.ERROR: "NOT_AVAILABLE"}
RESOURCE_TYPE = {
    "aws.s3.bucket": "AwsS3Bucket",
    "aws.s3.account": "AwsAccount",
    "aws.iam.account": "AwsAccount",
    "aws.iam.user": "AwsIamUser",
    "aws.iam.role": "AwsIamRole",
    "aws.iam.group": "AwsIamGroup",
    "aws.iam.policy": "AwsIamPolicy",
    "aws.ec2.vpc": "AwsEc2Vpc",
    "aws.ec2.security_group": "AwsEc2SecurityGroup",
    "aws.ecr.repository": "AwsEcrRepository",
    "aws.kms.key": "AwsKmsKey",
    "aws.cloudtrail.trail": "AwsCloudTrailTrail",
    "aws.sagemaker.notebook_instance": "AwsSageMakerNotebookInstance",
}
STANDARDS = {
    "aws-fsbp": "standards/aws-foundational-security-best-practices/v/1.0.0",
    "aws-ai-security": "standards/ai-security-best-practices/v/1.0.0",
    "cis-aws-5.0": "standards/cis-aws-foundations-benchmark/v/5.0.0",
    "nist-800-53-r5": "standards/nist-800-53/v/5.0.0",
}
# Security Hub limits (characters / items) from the ASFF syntax reference.
MAX_TITLE, MAX_DESCRIPTION, MAX_REMEDIATION, MAX_REQUIREMENTS, MAX_TAG = 256, 1024, 512, 32, 256


def render(ctx: RenderContext) -> str:
    return "".join(render_chunks(ctx))


def render_chunks(ctx: RenderContext) -> Iterator[str]:
    """The JSON array, one finding at a time."""
    provider = ctx.report.scan.provider
    if "aws" not in provider.split("+"):
        log.warning("ASFF holds AWS findings only; the %s report gives an empty file", provider)
        yield "[]\n"
        return
    findings = [f for f in ctx.report.findings if f.cloud(provider) == "aws"]
    default_region = next(
        (r for s in ctx.report.scan.scopes for r in s.regions if _REGION.match(r)),
        DEFAULT_REGION,
    )
    when = ctx.report.scan.started_at.isoformat().replace("+00:00", "Z")
    shared: dict[tuple[Any, ...], str] = {}
    places: dict[tuple[str, str, str], str] = {}
    yield "["
    for n, f in enumerate(findings):
        key = (f.check_id, f.title, f.severity, f.baseline, f.status, f.muted, f.remediation, _freeze(f.compliance))
        common = shared.get(key)
        if common is None:
            common = shared[key] = _dumps_inner(_shared(ctx, f, when))
        where = (f.resource_uid, f.account, f.region)
        place = places.get(where)
        if place is None:
            place = places[where] = _dumps_inner(_place(ctx, f, default_region))
        variable: dict[str, Any] = {
            "Id": f"cspm/{f.check_id}/{f.uid}",
            "Description": _cut(f.message or f.title, MAX_DESCRIPTION),
        }
        mute = ctx.muted_by(f)
        if mute is not None:
            variable["Note"] = {
                "Text": _cut(f"muted by {mute.text}", 512),
                "UpdatedBy": "cspm",
                "UpdatedAt": when,
            }
        yield (",\n" if n else "") + "{" + common + "," + place + "," + _dumps_inner(variable) + "}"
    yield "]\n"


def _dumps_inner(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))[1:-1]


def _freeze(compliance: dict[str, list[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((k, tuple(v)) for k, v in sorted(compliance.items()))


def _shared(ctx: RenderContext, f: Finding, when: str) -> dict[str, Any]:
    """What every finding of one check (and status) has in common."""
    return {
        "ProductFields": _product_fields(ctx, f),
        "SchemaVersion": SCHEMA_VERSION,
        "ProductName": "cspm",
        "CompanyName": "cspm",
        "GeneratorId": f"cspm/{f.check_id}",
        "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
        "CreatedAt": when,
        "UpdatedAt": when,
        "FirstObservedAt": when,
        "Severity": {"Label": f.severity.value.upper()},
        "Title": _cut(f.title, MAX_TITLE),
        "Remediation": {"Recommendation": {"Text": _cut(f.remediation, MAX_REMEDIATION)}},
        "Compliance": _compliance(f),
        "Workflow": {"Status": "SUPPRESSED" if f.muted else "NEW"},
        "RecordState": "ACTIVE",
    }


def _place(ctx: RenderContext, f: Finding, default_region: str) -> dict[str, Any]:
    """The account, region and resource members: the same for every finding on one resource."""
    region = f.region if _REGION.match(f.region) else default_region
    partition = aws_partition(f.resource_uid)
    return {
        "ProductArn": f"arn:{partition}:securityhub:{region}:{f.account}:product/{f.account}/default",
        "AwsAccountId": f.account,
        "Region": region,
        "Resources": [_resource(ctx, f, partition, region)],
    }


def _product_fields(ctx: RenderContext, f: Finding) -> dict[str, str]:
    fields = {
        "ProviderName": "cspm",
        "ProviderVersion": ctx.report.tool.version,
        "cspm/check_id": f.check_id,
        "cspm/baseline": f.baseline.value,
        "cspm/status": f.status.value,
        "cspm/scan_id": ctx.report.scan.id,
    }
    if f.attack:
        fields["cspm/mitre_atlas"] = ",".join(f.attack)
    return fields


def _resource(ctx: RenderContext, f: Finding, partition: str, region: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "Type": RESOURCE_TYPE.get(f.resource_type, "Other"),
        "Id": f.resource_uid,
        "Partition": partition,
        "Region": region,
    }
    entry = ctx.resource(f)
    if entry is not None and entry.tags:
        resource["Tags"] = {_cut(k, 128): _cut(v, MAX_TAG) for k, v in list(entry.tags.items())[:50]}
    return resource


def _compliance(f: Finding) -> dict[str, Any]:
    compliance: dict[str, Any] = {"Status": COMPLIANCE_STATUS[f.status]}
    requirements = [f"{fw} {rid}" for fw, ids in sorted(f.compliance.items()) for rid in ids]
    if requirements:
        compliance["RelatedRequirements"] = requirements[:MAX_REQUIREMENTS]
    standards = [{"StandardsId": STANDARDS[fw]} for fw in sorted(f.compliance) if fw in STANDARDS]
    if standards:
        compliance["AssociatedStandards"] = standards
    return compliance


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
