"""A ``GetAccountAuthorizationDetails`` export as the scanner's IAM snapshots.

``cspm policy lint`` analyses an export's principals with the scanner's own builder
(:class:`cspm.iam.inventory.AccountAnalysis`): users with their groups *and* their permission
boundaries, group nodes, roles, customer-managed policies — the same graph and the same verdicts as
a scan of that account. This module only turns the export's JSON into
:class:`~cspm.resources.aws.iam.IamUser` / ``IamGroup`` / ``IamRole`` / ``IamPolicy``; no I/O, no
cloud SDK. The provider (``providers/aws/iam.py``) builds the same snapshots from the same API
response, adding what an export lacks (the credential report, recorded errors).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cspm.iam.policy import PolicyError, load_json
from cspm.resources.aws.iam import IamGroup, IamPolicy, IamRole, IamUser, InlinePolicy, PolicyAttachment


@dataclass(frozen=True)
class ExportSnapshots:
    """The principals and managed policies of one export."""

    users: tuple[IamUser, ...]
    groups: tuple[IamGroup, ...]
    roles: tuple[IamRole, ...]
    policies: tuple[IamPolicy, ...]


def decode_document(raw: Any) -> tuple[dict[str, Any] | None, str | None]:
    """(document, None) or (None, why it is unreadable). Accepts dicts and (URL-encoded) JSON text."""
    if isinstance(raw, dict):
        return raw, None
    if raw is None:
        return None, "the document is missing from the response"
    if not isinstance(raw, str):
        return None, f"the document is a {type(raw).__name__}, not JSON"
    try:
        data = load_json(raw)
    except PolicyError as exc:
        return None, f"the document is not valid JSON: {exc.message}"
    if not isinstance(data, dict):
        return None, "the document is not a JSON object"
    return data, None


def _account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4] else "unknown"


def _inline(raw: Iterable[Mapping[str, Any]]) -> tuple[InlinePolicy, ...]:
    out = []
    for item in raw:
        document, problem = decode_document(item.get("PolicyDocument"))
        out.append(InlinePolicy(name=str(item.get("PolicyName", "")), document=document, document_error=problem))
    return tuple(out)


def _attached(raw: Iterable[Mapping[str, Any]]) -> tuple[PolicyAttachment, ...]:
    return tuple(
        PolicyAttachment(name=str(a.get("PolicyName") or a["PolicyArn"].rsplit("/", 1)[-1]), arn=a["PolicyArn"])
        for a in raw
        if a.get("PolicyArn")
    )


def _boundary(raw: Mapping[str, Any]) -> str | None:
    arn = (raw.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    return str(arn) if arn else None


def _policy(raw: Mapping[str, Any]) -> IamPolicy:
    arn = str(raw["Arn"])
    versions = raw.get("PolicyVersionList") or ()
    default_id = raw.get("DefaultVersionId")
    default = next((v for v in versions if v.get("IsDefaultVersion") or v.get("VersionId") == default_id), None)
    document: dict[str, Any] | None = None
    problem: str | None = "the default version is not in the export"
    if default is not None:
        document, problem = decode_document(default.get("Document"))
    return IamPolicy(
        uid=arn,
        name=str(raw.get("PolicyName") or arn.rsplit("/", 1)[-1]),
        account=_account(arn),
        aws_managed=":iam::aws:policy/" in arn,
        default_version_id=default_id,
        document=document,
        document_error=problem,
        attachment_count=raw.get("AttachmentCount"),
        boundary_usage_count=raw.get("PermissionsBoundaryUsageCount"),
    )


def export_snapshots(data: Mapping[str, Any]) -> ExportSnapshots:
    """The snapshots of an export (entries without an ``Arn`` are left out: no principal to name)."""
    raw_users: Sequence[Mapping[str, Any]] = [u for u in data.get("UserDetailList") or () if u.get("Arn")]
    users = tuple(
        IamUser(
            uid=str(u["Arn"]),
            name=str(u.get("UserName") or u["Arn"].rsplit("/", 1)[-1]),
            account=_account(str(u["Arn"])),
            path=u.get("Path", "/"),
            groups=tuple(u.get("GroupList") or ()),
            inline_policies=_inline(u.get("UserPolicyList") or ()),
            attached_policies=_attached(u.get("AttachedManagedPolicies") or ()),
            permissions_boundary=_boundary(u),
            credentials_error="an authorization-details export has no credential report",
        )
        for u in raw_users
    )
    groups = tuple(
        IamGroup(
            uid=str(g["Arn"]),
            name=str(g.get("GroupName") or g["Arn"].rsplit("/", 1)[-1]),
            account=_account(str(g["Arn"])),
            path=g.get("Path", "/"),
            inline_policies=_inline(g.get("GroupPolicyList") or ()),
            attached_policies=_attached(g.get("AttachedManagedPolicies") or ()),
            members=tuple(
                sorted(str(u.get("UserName")) for u in raw_users if g.get("GroupName") in (u.get("GroupList") or ()))
            ),
        )
        for g in data.get("GroupDetailList") or ()
        if g.get("Arn")
    )
    roles = []
    for r in data.get("RoleDetailList") or ():
        if not r.get("Arn"):
            continue
        trust, problem = decode_document(r.get("AssumeRolePolicyDocument"))
        roles.append(
            IamRole(
                uid=str(r["Arn"]),
                name=str(r.get("RoleName") or r["Arn"].rsplit("/", 1)[-1]),
                account=_account(str(r["Arn"])),
                path=r.get("Path", "/"),
                trust_policy=trust,
                trust_policy_error=problem,
                inline_policies=_inline(r.get("RolePolicyList") or ()),
                attached_policies=_attached(r.get("AttachedManagedPolicies") or ()),
                permissions_boundary=_boundary(r),
            )
        )
    policies = tuple(_policy(p) for p in data.get("Policies") or () if p.get("Arn"))
    return ExportSnapshots(users, groups, tuple(roles), policies)


__all__ = ["ExportSnapshots", "decode_document", "export_snapshots"]
