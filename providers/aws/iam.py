"""IAM: users, groups, roles, managed policies and the account-level settings, from bulk APIs.

Requests per account, independent of the number of users, groups, roles and policies:

- GetAccountAuthorizationDetails: one per page (MaxItems 1000); every principal with its inline
  policies, attachments, boundary and tags, and every managed policy with its versions.
- GenerateCredentialReport: one, plus polls while the report is being generated (short sleeps,
  about 10 s at most); then GetCredentialReport: one.
- GetAccountSummary: one. GetAccountPasswordPolicy: one.

AWS-managed policies are kept only when something in the account uses them (attached, or as a
permissions boundary). Documents arrive as dicts (boto3 decodes them) or, when that failed, as
(URL-encoded) strings; an unreadable one keeps its resource, with the document ``None``, the
reason in ``*_error``, and an error recorded for the scan.
"""

from __future__ import annotations

import csv
import io
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from cspm.iam.export import decode_document
from cspm.providers.aws.context import AwsContext
from cspm.providers.base import ABSENT, ServiceSpec
from cspm.resources.aws.iam import (
    AccessKey,
    Credentials,
    IamAccount,
    IamGroup,
    IamPolicy,
    IamRole,
    IamUser,
    InlinePolicy,
    PasswordPolicy,
    PolicyAttachment,
)
from cspm.resources.base import Resource

PERMISSIONS = (
    "iam:GetAccountAuthorizationDetails",
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:GetAccountSummary",
    "iam:GetAccountPasswordPolicy",
)

DETAIL_FILTER: Final = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]
DETAIL_KEYS: Final = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
PAGE_SIZE: Final = 1000
LISTED: Final[tuple[type[Resource], ...]] = (IamUser, IamGroup, IamRole, IamPolicy)

# The credential report: generation is polled with these sleeps, for at most REPORT_WAIT seconds.
REPORT_WAIT: float = 10.0
REPORT_POLL_SLEEPS: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0)
ROOT_ROW: Final = "<root_account>"
_NO_VALUE: Final = frozenset({"", "N/A", "no_information", "not_supported"})

OPERATION: Final = "GetAccountAuthorizationDetails"


def collect(ctx: AwsContext) -> Iterator[Resource]:
    iam = ctx.client("iam")
    report = _credential_report(ctx, iam)
    yield _account(ctx, iam, report)
    details = _authorization_details(ctx, iam)
    if details is None:
        return  # recorded; users, groups, roles and policies are marked incomplete
    users = details["UserDetailList"]
    roles = details["RoleDetailList"]
    yield from (_user(ctx, raw, report) for raw in users)
    yield from (_group(ctx, raw, users) for raw in details["GroupDetailList"])
    yield from (_role(ctx, raw) for raw in roles)
    yield from _policies(ctx, details["Policies"], [*users, *details["GroupDetailList"], *roles])


# ---------------------------------------------------------------------------------------------
# GetAccountAuthorizationDetails
# ---------------------------------------------------------------------------------------------


def _authorization_details(ctx: AwsContext, iam: Any) -> dict[str, list[dict[str, Any]]] | None:
    """Every page of the bulk listing; None when any page failed (recorded, types incomplete)."""
    out: dict[str, list[dict[str, Any]]] = {key: [] for key in DETAIL_KEYS}
    params: dict[str, Any] = {"Filter": DETAIL_FILTER, "MaxItems": PAGE_SIZE}
    while True:
        page = ctx.call(iam, "get_account_authorization_details", affects=LISTED, **params)
        if page is None:
            return None
        for key in DETAIL_KEYS:
            out[key].extend(page.get(key, []))
        if not page.get("IsTruncated"):
            return out
        marker = page.get("Marker")
        if not marker or marker == params.get("Marker"):
            ctx.error(OPERATION, "PaginationError", "a truncated page came without a new Marker", affects=LISTED)
            return None
        params["Marker"] = marker


def _document(ctx: AwsContext, where: str, raw: Any) -> tuple[dict[str, Any] | None, str | None]:
    document, problem = decode_document(raw)
    if problem is not None:
        ctx.error(OPERATION, "MalformedPolicyDocument", f"{where}: {problem}")
    return document, problem


def _inline(ctx: AwsContext, owner: str, raw: Iterable[dict[str, Any]]) -> tuple[InlinePolicy, ...]:
    out = []
    for item in raw:
        name = item.get("PolicyName", "")
        document, problem = _document(ctx, f"inline policy {name} of {owner}", item.get("PolicyDocument"))
        out.append(InlinePolicy(name=name, document=document, document_error=problem))
    return tuple(out)


def _attached(raw: Iterable[dict[str, Any]]) -> tuple[PolicyAttachment, ...]:
    return tuple(
        PolicyAttachment(name=a.get("PolicyName") or _name_from_arn(a["PolicyArn"]), arn=a["PolicyArn"]) for a in raw
    )


def _boundary(raw: dict[str, Any]) -> str | None:
    boundary = raw.get("PermissionsBoundary") or {}
    arn: str | None = boundary.get("PermissionsBoundaryArn")
    return arn


def _tags(raw: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in raw.get("Tags", [])}


def _name_from_arn(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _user(ctx: AwsContext, raw: dict[str, Any], report: _Report) -> IamUser:
    arn = raw["Arn"]
    credentials, problem = report.user(arn)
    return IamUser(
        uid=arn,
        name=raw["UserName"],
        account=ctx.account,
        tags=_tags(raw),
        path=raw.get("Path", "/"),
        user_id=raw.get("UserId"),
        created=raw.get("CreateDate"),
        groups=tuple(raw.get("GroupList", [])),
        inline_policies=_inline(ctx, arn, raw.get("UserPolicyList", [])),
        attached_policies=_attached(raw.get("AttachedManagedPolicies", [])),
        permissions_boundary=_boundary(raw),
        credentials=credentials,
        credentials_error=problem,
    )


def _group(ctx: AwsContext, raw: dict[str, Any], users: list[dict[str, Any]]) -> IamGroup:
    arn = raw["Arn"]
    name = raw["GroupName"]
    return IamGroup(
        uid=arn,
        name=name,
        account=ctx.account,
        path=raw.get("Path", "/"),
        group_id=raw.get("GroupId"),
        created=raw.get("CreateDate"),
        inline_policies=_inline(ctx, arn, raw.get("GroupPolicyList", [])),
        attached_policies=_attached(raw.get("AttachedManagedPolicies", [])),
        members=tuple(sorted(u["UserName"] for u in users if name in u.get("GroupList", []))),
    )


def _role(ctx: AwsContext, raw: dict[str, Any]) -> IamRole:
    arn = raw["Arn"]
    trust, trust_problem = _document(ctx, f"trust policy of {arn}", raw.get("AssumeRolePolicyDocument"))
    return IamRole(
        uid=arn,
        name=raw["RoleName"],
        account=ctx.account,
        tags=_tags(raw),
        path=raw.get("Path", "/"),
        role_id=raw.get("RoleId"),
        created=raw.get("CreateDate"),
        trust_policy=trust,
        trust_policy_error=trust_problem,
        inline_policies=_inline(ctx, arn, raw.get("RolePolicyList", [])),
        attached_policies=_attached(raw.get("AttachedManagedPolicies", [])),
        permissions_boundary=_boundary(raw),
        instance_profiles=tuple(p["Arn"] for p in raw.get("InstanceProfileList", []) if p.get("Arn")),
        last_used=(raw.get("RoleLastUsed") or {}).get("LastUsedDate"),
    )


def is_aws_managed(arn: str) -> bool:
    return ":iam::aws:policy/" in arn


def _policies(ctx: AwsContext, raw: list[dict[str, Any]], principals: list[dict[str, Any]]) -> Iterator[IamPolicy]:
    attached = {a["PolicyArn"] for p in principals for a in p.get("AttachedManagedPolicies", [])}
    boundaries = Counter(b for p in principals if (b := _boundary(p)))
    for item in raw:
        arn = item["Arn"]
        if is_aws_managed(arn) and not (item.get("AttachmentCount") or arn in attached or arn in boundaries):
            continue  # an AWS-managed policy nothing in the account uses
        yield _policy(ctx, item, boundaries)


def _default_document(ctx: AwsContext, arn: str, raw: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    default_id = raw.get("DefaultVersionId")
    versions = raw.get("PolicyVersionList", [])
    default = next((v for v in versions if v.get("IsDefaultVersion") or v.get("VersionId") == default_id), None)
    if default is None:
        problem = f"the default version ({default_id or 'unnamed'}) is not in the response"
        ctx.error(OPERATION, "MissingPolicyVersion", f"managed policy {arn}: {problem}")
        return None, problem
    return _document(ctx, f"managed policy {arn}", default.get("Document"))


def _policy(ctx: AwsContext, raw: dict[str, Any], boundaries: Counter[str]) -> IamPolicy:
    arn = raw["Arn"]
    document, problem = _default_document(ctx, arn, raw)
    usage = raw.get("PermissionsBoundaryUsageCount")
    return IamPolicy(
        uid=arn,
        name=raw.get("PolicyName") or _name_from_arn(arn),  # some emulators omit PolicyName
        account=ctx.account,
        path=raw.get("Path") or arn.split(":policy", 1)[-1].rsplit("/", 1)[0] + "/",
        policy_id=raw.get("PolicyId"),
        aws_managed=is_aws_managed(arn),
        default_version_id=raw.get("DefaultVersionId"),
        document=document,
        document_error=problem,
        attachment_count=raw.get("AttachmentCount"),
        boundary_usage_count=usage if usage is not None else boundaries.get(arn, 0),
        attachable=raw.get("IsAttachable", True),
    )


# ---------------------------------------------------------------------------------------------
# The credential report
# ---------------------------------------------------------------------------------------------


@dataclass
class _Report:
    """The parsed credential report, or why there is none."""

    rows: dict[str, Credentials] = field(default_factory=dict)  # by user ARN
    root: Credentials | None = None
    generated: datetime | None = None
    error: str | None = None  # set when the report could not be read

    def user(self, arn: str) -> tuple[Credentials | None, str | None]:
        if self.error is not None:
            return None, self.error
        row = self.rows.get(arn)
        if row is None:
            when = self.generated.isoformat() if self.generated else "an unknown time"
            return None, f"the user is not in the credential report (generated at {when})"
        return row, None

    def root_row(self) -> tuple[Credentials | None, str | None]:
        if self.error is not None:
            return None, self.error
        if self.root is None:
            return None, f"the credential report has no {ROOT_ROW} row"
        return self.root, None


def _credential_report(ctx: AwsContext, iam: Any) -> _Report:
    problem = _generate_report(ctx, iam)
    if problem is not None:
        return _Report(error=problem)
    raw = ctx.call(iam, "get_credential_report")
    if raw is None:
        return _Report(error="the credential report could not be read (GetCredentialReport failed)")
    generated = raw.get("GeneratedTime")
    try:
        rows = parse_credential_report(raw.get("Content", b""), generated)
    except (ValueError, KeyError, csv.Error) as exc:
        message = f"the credential report could not be parsed: {exc}"
        ctx.error("GetCredentialReport", "MalformedCredentialReport", message)
        return _Report(error=message, generated=generated)
    root = rows.pop(ROOT_ROW, None)
    return _Report(rows=rows, root=root, generated=generated)


def _generate_report(ctx: AwsContext, iam: Any) -> str | None:
    """Ask for a fresh report and wait until it is ready; the problem, or None when it is ready."""
    deadline = time.monotonic() + REPORT_WAIT
    sleeps = iter(REPORT_POLL_SLEEPS)
    while True:
        state = ctx.call(iam, "generate_credential_report")
        if state is None:
            return "the credential report could not be generated (GenerateCredentialReport failed)"
        if state.get("State") == "COMPLETE":
            return None
        pause = next(sleeps, REPORT_POLL_SLEEPS[-1])
        if time.monotonic() + pause > deadline:
            message = f"the credential report was not ready after {REPORT_WAIT:g} s"
            ctx.error("GenerateCredentialReport", "ReportNotReady", message)
            return message
        time.sleep(pause)


def parse_credential_report(content: bytes | str, generated: datetime | None = None) -> dict[str, Credentials]:
    """Rows of the credential report CSV by user ARN (the root row under ``<root_account>``).

    Raises ValueError (or KeyError for a missing column) on content that is not a credential report.
    """
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "arn" not in reader.fieldnames:
        raise ValueError("no header row with an 'arn' column")
    rows: dict[str, Credentials] = {}
    for row in reader:
        key = ROOT_ROW if row["user"] == ROOT_ROW else row["arn"]
        rows[key] = _credentials(row, generated)
    return rows


def _credentials(row: dict[str, str], generated: datetime | None) -> Credentials:
    keys = tuple(
        AccessKey(
            slot=slot,
            active=_flag(row[f"access_key_{slot}_active"]) is True,
            last_rotated=_date(row[f"access_key_{slot}_last_rotated"]),
            last_used=_date(row[f"access_key_{slot}_last_used_date"]),
        )
        for slot in (1, 2)
    )
    return Credentials(
        report_generated=generated,
        created=_date(row["user_creation_time"]),
        password_enabled=_flag(row["password_enabled"]),
        password_last_used=_date(row["password_last_used"]),
        password_last_changed=_date(row["password_last_changed"]),
        mfa_active=_flag(row["mfa_active"]),
        access_keys=keys,
    )


def _flag(value: str | None) -> bool | None:
    text = (value or "").strip()
    if text in _NO_VALUE:
        return None
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise ValueError(f"unexpected boolean {text!r}")


def _date(value: str | None) -> datetime | None:
    text = (value or "").strip()
    if text in _NO_VALUE:
        return None
    return datetime.fromisoformat(text)  # ValueError on anything else


# ---------------------------------------------------------------------------------------------
# The account
# ---------------------------------------------------------------------------------------------


def _account(ctx: AwsContext, iam: Any, report: _Report) -> IamAccount:
    summary = ctx.call(iam, "get_account_summary")
    summary_map: dict[str, int] | None = None if summary is None else summary.get("SummaryMap", {})
    policy = ctx.call(iam, "get_account_password_policy", absent={"NoSuchEntity"})
    root, root_problem = report.root_row()
    return IamAccount(
        uid=f"arn:{ctx.partition}:iam::{ctx.account}:root",
        name=ctx.account,
        account=ctx.account,
        mfa_enabled=_summary_flag(summary_map, "AccountMFAEnabled"),
        access_keys_present=_summary_flag(summary_map, "AccountAccessKeysPresent"),
        password_policy=_password_policy(policy),
        root=root,
        root_error=root_problem,
    )


def _summary_flag(summary: dict[str, int] | None, key: str) -> bool | None:
    if summary is None or key not in summary:
        return None
    return bool(summary[key])


def _password_policy(raw: Any) -> PasswordPolicy | None:
    if raw is None:
        return None
    if raw is ABSENT:
        return PasswordPolicy(configured=False)
    return PasswordPolicy.from_api(raw.get("PasswordPolicy", {}))


SERVICE = ServiceSpec(
    name="iam",
    produces=(IamUser, IamGroup, IamRole, IamPolicy, IamAccount),
    regional=False,
    permissions=PERMISSIONS,
    collect=collect,
)
