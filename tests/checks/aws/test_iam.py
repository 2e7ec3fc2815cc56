"""IAM checks: tables of (case, snapshot(s), expected status) per check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cspm.checks.aws import iam
from cspm.compliance import load_framework
from cspm.engine import Inventory, evaluate
from cspm.models import Status
from cspm.registry import load_checks
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

ACCOUNT = "123456789012"
OTHER = "999988887777"
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def days_ago(n: int) -> datetime:
    return NOW - timedelta(days=n)


# ---------------------------------------------------------------------------------------------
# Factories
# ---------------------------------------------------------------------------------------------


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


ADMIN = allow("*")
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
SCOPED = doc(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::ml-data/*"))
ADMIN_SPELLINGS = {
    "star": doc(ADMIN),
    "star-colon-star": doc(allow("*:*")),
    "action-list": doc(allow(["s3:GetObject", "*"])),
    "arn-star-resource": doc(allow("*", "arn:*")),
    "not-resource": doc({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::secret/*"}),
    "lone-statement": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}},
}


def managed(name: str, document: dict[str, Any] | None, *, aws: bool = False, **fields: Any) -> IamPolicy:
    arn = f"arn:aws:iam::aws:policy/{name}" if aws else f"arn:aws:iam::{ACCOUNT}:policy/{name}"
    base: dict[str, Any] = {
        "uid": arn,
        "name": name,
        "account": ACCOUNT,
        "aws_managed": aws,
        "document": document,
        "attachment_count": 1,
        "boundary_usage_count": 0,
    }
    base.update(fields)
    return IamPolicy(**base)


ADMIN_ACCESS = managed("AdministratorAccess", doc(ADMIN), aws=True)
S3_READ = managed("ml-data-read", SCOPED)
S3_ONLY = managed("s3-only-boundary", doc(allow("s3:*")), attachment_count=0, boundary_usage_count=1)
POLICIES = (ADMIN_ACCESS, S3_READ, S3_ONLY)


def attach(policy: IamPolicy) -> PolicyAttachment:
    return PolicyAttachment(name=policy.name, arn=policy.uid)


def inline(name: str, document: dict[str, Any] | None, error: str | None = None) -> InlinePolicy:
    return InlinePolicy(name=name, document=document, document_error=error)


def creds(**fields: Any) -> Credentials:
    """A healthy console user: password used yesterday, MFA, one key rotated and used recently."""
    base: dict[str, Any] = {
        "report_generated": NOW,
        "created": days_ago(400),
        "password_enabled": True,
        "password_last_used": days_ago(1),
        "password_last_changed": days_ago(30),
        "mfa_active": True,
        "access_keys": (
            AccessKey(slot=1, active=True, last_rotated=days_ago(10), last_used=days_ago(1)),
            AccessKey(slot=2, active=False),
        ),
    }
    base.update(fields)
    return Credentials(**base)


def key(slot: int, *, active: bool = True, rotated: int | None = 10, used: int | None = 1) -> AccessKey:
    return AccessKey(
        slot=slot,
        active=active,
        last_rotated=days_ago(rotated) if rotated is not None else None,
        last_used=days_ago(used) if used is not None else None,
    )


def user(**fields: Any) -> IamUser:
    base: dict[str, Any] = {
        "uid": f"arn:aws:iam::{ACCOUNT}:user/alice",
        "name": "alice",
        "account": ACCOUNT,
        "groups": ("data-scientists",),
        "credentials": creds(),
    }
    base.update(fields)
    return IamUser(**base)


def group(name: str = "data-scientists", **fields: Any) -> IamGroup:
    base: dict[str, Any] = {
        "uid": f"arn:aws:iam::{ACCOUNT}:group/{name}",
        "name": name,
        "account": ACCOUNT,
        "attached_policies": (attach(S3_READ),),
        "members": ("alice",),
    }
    base.update(fields)
    return IamGroup(**base)


def trust(*statements: dict[str, Any]) -> dict[str, Any]:
    return doc(*statements)


def assume(principal: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}


SAGEMAKER_TRUST = trust(assume({"Service": "sagemaker.amazonaws.com"}))


def role(**fields: Any) -> IamRole:
    base: dict[str, Any] = {
        "uid": f"arn:aws:iam::{ACCOUNT}:role/service-role/AmazonSageMaker-ExecutionRole",
        "name": "AmazonSageMaker-ExecutionRole",
        "account": ACCOUNT,
        "path": "/service-role/",
        "trust_policy": SAGEMAKER_TRUST,
        "attached_policies": (attach(S3_READ),),
    }
    base.update(fields)
    return IamRole(**base)


STRONG = PasswordPolicy(
    minimum_length=16,
    reuse_prevention=24,
    require_symbols=True,
    require_numbers=True,
    require_uppercase=True,
    require_lowercase=True,
)


def account(**fields: Any) -> IamAccount:
    base: dict[str, Any] = {
        "uid": f"arn:aws:iam::{ACCOUNT}:root",
        "name": ACCOUNT,
        "account": ACCOUNT,
        "mfa_enabled": True,
        "access_keys_present": False,
        "password_policy": STRONG,
        "root": creds(password_enabled=None, access_keys=(key(1, active=False, rotated=None, used=None),)),
    }
    base.update(fields)
    return IamAccount(**base)


# ---------------------------------------------------------------------------------------------
# Managed policies
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ADMIN_SPELLINGS.values(), ids=ADMIN_SPELLINGS.keys())
def test_policy_grants_no_admin_fails_for_every_spelling(spelling: dict[str, Any]) -> None:
    result = iam.policy_grants_no_admin(managed("p", spelling))
    assert result.status is Status.FAIL
    assert [s["index"] for s in result.evidence["admin_statements"]] == [0]
    assert result.evidence["attachment_count"] == 1


@pytest.mark.parametrize(
    ("case", "policy", "expected"),
    [
        ("scoped", S3_READ, Status.PASS),
        ("service wildcard is not admin", managed("s3", doc(allow("s3:*"))), Status.PASS),
        ("deny everything", managed("d", doc({"Effect": "Deny", "Action": "*", "Resource": "*"})), Status.PASS),
        ("conditional admin", managed("mfa-admin", doc(allow("*", Condition=MFA))), Status.FAIL),
        ("AWS-managed", ADMIN_ACCESS, None),
        ("boundary only", managed("b", doc(ADMIN), attachment_count=0, boundary_usage_count=2), None),
        ("unreadable", managed("bad", None, document_error="the document is not valid JSON"), Status.ERROR),
        ("invalid grammar", managed("bad", {"Statement": [{"Effect": "Maybe", "Action": "*"}]}), Status.ERROR),
    ],
)
def test_policy_grants_no_admin(case: str, policy: IamPolicy, expected: Status | None) -> None:
    assert iam.policy_grants_no_admin(policy).status is expected, case


def test_policy_errors_name_the_problem() -> None:
    unreadable = managed("bad", None, document_error="the document is not valid JSON: Expecting value")
    result = iam.policy_grants_no_admin(unreadable)
    assert "not valid JSON" in result.message and "bad" in result.evidence["problem"]
    invalid = iam.policy_has_no_service_wildcards(managed("bad", {"Statement": [{"Effect": "Maybe"}]}))
    assert invalid.status is Status.ERROR and "Effect" in invalid.message


def test_conditional_admin_is_reported_as_conditional() -> None:
    result = iam.policy_grants_no_admin(managed("mfa-admin", doc(allow("s3:GetObject"), allow("*", Condition=MFA))))
    assert result.evidence["admin_statements"] == [
        {"policy": "mfa-admin", "index": 1, "sid": None, "conditional": True}
    ]
    assert "when its conditions hold" in result.message


@pytest.mark.parametrize(
    ("case", "policy", "expected"),
    [
        ("scoped", S3_READ, Status.PASS),
        ("read-only wildcard", managed("d", doc(allow("sagemaker:Describe*"))), Status.PASS),
        # IAM.21 fails "Service:*" whatever the resource (its text has no resource condition)
        ("service wildcard on one bucket", managed("b", doc(allow("s3:*", "arn:aws:s3:::b/*"))), Status.FAIL),
        ("admin is left to the admin check", managed("a", doc(ADMIN)), Status.PASS),
        ("s3:*", managed("s3", doc({**allow("s3:*"), "Sid": "AllS3"})), Status.FAIL),
        ("two services", managed("two", doc(allow(["sagemaker:*", "s3:*"]))), Status.FAIL),
        ("AWS-managed", managed("AmazonS3FullAccess", doc(allow("s3:*")), aws=True), None),
        ("unreadable", managed("bad", None, document_error="oops"), Status.ERROR),
    ],
)
def test_policy_has_no_service_wildcards(case: str, policy: IamPolicy, expected: Status | None) -> None:
    result = iam.policy_has_no_service_wildcards(policy)
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert {w["service"] for w in result.evidence["service_wildcards"]} <= {"s3", "sagemaker"}


def test_service_wildcard_follows_iam21_whatever_the_resource() -> None:
    """IAM.21's own failing example is ec2:* on '*'; its text fails any Allow of "Service:*" and of
    NotAction "service:*", with no resource condition (iam-controls.html#iam-21)."""
    scoped = iam.policy_has_no_service_wildcards(managed("one", doc(allow("sagemaker:*", "arn:aws:s3:::b"))))
    assert scoped.status is Status.FAIL
    assert [w["service"] for w in scoped.evidence["service_wildcards"]] == ["sagemaker"]
    assert "on every resource" not in scoped.message
    not_action = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::b"}
    result = iam.policy_has_no_service_wildcards(managed("na", doc(not_action)))
    assert result.status is Status.FAIL
    assert [w["service"] for w in result.evidence["service_wildcards"]] == ["*"]
    prefix = iam.policy_has_no_service_wildcards(managed("p", doc(allow("ec2:Describe*", "arn:aws:s3:::b"))))
    assert prefix.status is Status.PASS


def test_inline_service_wildcards_apply_the_same_rule() -> None:
    scoped = user(inline_policies=(inline("one-bucket", doc(allow("s3:*", "arn:aws:s3:::b/*"))),))
    result = iam.user_inline_policies_have_no_service_wildcards(scoped)
    assert result.status is Status.FAIL
    assert result.evidence["service_wildcards"][0]["service"] == "s3"


def test_service_wildcard_evidence_names_the_statement() -> None:
    result = iam.policy_has_no_service_wildcards(managed("s3", doc({**allow("s3:*"), "Sid": "AllS3"})))
    assert result.evidence["service_wildcards"] == [{"policy": "s3", "service": "s3", "index": 0, "sid": "AllS3"}]


# ---------------------------------------------------------------------------------------------
# Principals: administrator access through any policy
# ---------------------------------------------------------------------------------------------

ADMIN_GROUP = group("admins", attached_policies=(attach(ADMIN_ACCESS),))
INLINE_ADMIN_GROUP = group("ops", inline_policies=(inline("everything", doc(allow("*:*"))),), attached_policies=())


@pytest.mark.parametrize(
    ("case", "u", "groups", "expected"),
    [
        ("scoped through its group", user(), [group()], Status.PASS),
        ("inline admin", user(inline_policies=(inline("root-ish", doc(ADMIN)),)), [group()], Status.FAIL),
        ("attached AdministratorAccess", user(attached_policies=(attach(ADMIN_ACCESS),)), [group()], Status.FAIL),
        ("through a group's managed policy", user(groups=("admins",)), [ADMIN_GROUP], Status.FAIL),
        ("through a group's inline policy", user(groups=("ops",)), [INLINE_ADMIN_GROUP], Status.FAIL),
        (
            "admin only with MFA",
            user(inline_policies=(inline("mfa", doc(allow("*", Condition=MFA))),)),
            [group()],
            Status.FAIL,
        ),
        (
            "admin, capped by an S3-only boundary",
            user(attached_policies=(attach(ADMIN_ACCESS),), permissions_boundary=S3_ONLY.uid),
            [group()],
            Status.PASS,
        ),
        (
            "admin, with a Deny on everything",
            user(
                attached_policies=(attach(ADMIN_ACCESS),),
                inline_policies=(inline("lockout", doc({"Effect": "Deny", "Action": "*", "Resource": "*"})),),
            ),
            [group()],
            Status.PASS,
        ),
        (
            "attached policy not in the inventory",
            user(attached_policies=(PolicyAttachment(name="gone", arn=f"arn:aws:iam::{ACCOUNT}:policy/gone"),)),
            [group()],
            Status.ERROR,
        ),
        ("group not in the inventory", user(groups=("ghosts",)), [group()], Status.ERROR),
        ("unreadable inline policy", user(inline_policies=(inline("bad", None, "not JSON"),)), [group()], Status.ERROR),
        (
            "boundary not in the inventory",
            user(permissions_boundary=f"arn:aws:iam::{ACCOUNT}:policy/nope"),
            [group()],
            Status.ERROR,
        ),
    ],
)
def test_user_is_not_admin(case: str, u: IamUser, groups: list[IamGroup], expected: Status) -> None:
    result = iam.user_is_not_admin(u, POLICIES, groups)
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert result.evidence["admin_grants"], case
    if expected is Status.ERROR:
        assert result.evidence["problems"], case


@pytest.mark.parametrize("spelling", ADMIN_SPELLINGS.values(), ids=ADMIN_SPELLINGS.keys())
def test_user_is_admin_in_every_spelling(spelling: dict[str, Any]) -> None:
    u = user(inline_policies=(inline("p", spelling),))
    assert iam.user_is_not_admin(u, POLICIES, [group()]).status is Status.FAIL


def test_an_admin_grant_removed_by_the_boundary_is_shown() -> None:
    u = user(attached_policies=(attach(ADMIN_ACCESS),), permissions_boundary=S3_ONLY.uid)
    result = iam.user_is_not_admin(u, POLICIES, [group()])
    assert result.status is Status.PASS and "boundary" in result.message
    assert result.evidence["boundary"] == f"boundary:{S3_ONLY.uid}"
    assert result.evidence["admin_grants"] == [{"policy": f"managed:{ADMIN_ACCESS.uid}", "index": 0, "sid": None}]


def test_admin_evidence_names_the_policy_and_statement() -> None:
    policy = managed("team-admin", doc({**allow("s3:*"), "Sid": "S3"}, {**ADMIN, "Sid": "All"}))
    result = iam.user_is_not_admin(user(groups=("t",)), [policy], [group("t", attached_policies=(attach(policy),))])
    assert result.evidence["admin_grants"] == [
        {"policy": f"group:t/managed:{policy.uid}", "index": 1, "sid": "All"},
    ]
    assert result.evidence["groups"] == ["t"]


def test_unknown_principal_names_the_missing_policy() -> None:
    gone = f"arn:aws:iam::{ACCOUNT}:policy/gone"
    result = iam.user_is_not_admin(user(attached_policies=(PolicyAttachment(name="gone", arn=gone),)), POLICIES, [])
    assert result.status is Status.ERROR
    assert gone in result.message and "not in the inventory" in result.message
    assert "group data-scientists is not in the inventory" in result.message


@pytest.mark.parametrize(
    ("case", "g", "expected"),
    [
        ("scoped", group(), Status.PASS),
        ("AdministratorAccess", ADMIN_GROUP, Status.FAIL),
        ("inline *:*", INLINE_ADMIN_GROUP, Status.FAIL),
        (
            "unreadable managed policy",
            group(attached_policies=(attach(managed("bad", None, document_error="x")),)),
            Status.ERROR,
        ),
    ],
)
def test_group_is_not_admin(case: str, g: IamGroup, expected: Status) -> None:
    policies = [*POLICIES, managed("bad", None, document_error="x")]
    result = iam.group_is_not_admin(g, policies)
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert result.evidence["members"] == ["alice"]


@pytest.mark.parametrize(
    ("case", "r", "expected"),
    [
        ("scoped execution role", role(), Status.PASS),
        (
            "SageMaker execution role with AdministratorAccess",
            role(attached_policies=(attach(ADMIN_ACCESS),)),
            Status.FAIL,
        ),
        ("inline admin", role(inline_policies=(inline("x", doc(allow("*", "arn:aws:*:*:*:*"))),)), Status.FAIL),
        (
            "admin capped by a boundary",
            role(attached_policies=(attach(ADMIN_ACCESS),), permissions_boundary=S3_ONLY.uid),
            Status.PASS,
        ),
        (
            "policy missing",
            role(attached_policies=(PolicyAttachment(name="x", arn="arn:aws:iam::aws:policy/X"),)),
            Status.ERROR,
        ),
    ],
)
def test_role_is_not_admin(case: str, r: IamRole, expected: Status) -> None:
    assert iam.role_is_not_admin(r, POLICIES).status is expected, case


def test_an_admin_sagemaker_execution_role_is_not_exempt() -> None:
    result = iam.role_is_not_admin(role(attached_policies=(attach(ADMIN_ACCESS),)), POLICIES)
    assert result.status is Status.FAIL
    assert result.evidence["trusted_services"] == ["sagemaker.amazonaws.com"]
    assert result.evidence["admin_grants"] == [
        {"policy": f"managed:{ADMIN_ACCESS.uid}", "index": 0, "sid": None},
    ]
    admin_checks: list[Any] = [iam.role_is_not_admin, iam.user_is_not_admin, iam.group_is_not_admin]
    assert {c.__cspm_check__.severity.value for c in admin_checks} == {"critical"}


# ---------------------------------------------------------------------------------------------
# Inline policies (document level)
# ---------------------------------------------------------------------------------------------

INLINE_CHECKS = [
    (iam.user_inline_policies_grant_no_admin, user, doc(ADMIN)),
    (iam.group_inline_policies_grant_no_admin, group, doc(allow("*:*"))),
    (iam.role_inline_policies_grant_no_admin, role, doc(allow(["*"], ["*"]))),
    (iam.user_inline_policies_have_no_service_wildcards, user, doc(allow("s3:*"))),
    (iam.group_inline_policies_have_no_service_wildcards, group, doc(allow("sagemaker:*"))),
    (iam.role_inline_policies_have_no_service_wildcards, role, doc(allow(["iam:*", "s3:GetObject"]))),
]


@pytest.mark.parametrize(("check", "factory", "bad"), INLINE_CHECKS, ids=lambda v: getattr(v, "__name__", ""))
def test_inline_policy_checks(check: Any, factory: Any, bad: dict[str, Any]) -> None:
    good = inline("good", SCOPED)
    assert check(factory(inline_policies=(good,))).status is Status.PASS
    failing = check(factory(inline_policies=(good, inline("bad", bad))))
    assert failing.status is Status.FAIL
    assert failing.evidence[next(iter(failing.evidence))][0]["policy"] == "inline:bad"
    unreadable = check(factory(inline_policies=(good, inline("broken", None, "the document is not valid JSON"))))
    assert unreadable.status is Status.ERROR and "inline:broken" in unreadable.message
    # A finding in a readable document stands, whatever the unreadable one says.
    both = check(factory(inline_policies=(inline("broken", None, "x"), inline("bad", bad))))
    assert both.status is Status.FAIL
    assert check(factory(inline_policies=())).status is None


# ---------------------------------------------------------------------------------------------
# Users: direct policies and credentials
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "u", "expected"),
    [
        ("only groups", user(), Status.PASS),
        ("inline policy", user(inline_policies=(inline("x", SCOPED),)), Status.FAIL),
        ("attached policy", user(attached_policies=(attach(S3_READ),)), Status.FAIL),
    ],
)
def test_user_has_no_attached_policies(case: str, u: IamUser, expected: Status) -> None:
    result = iam.user_has_no_attached_policies(u)
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert result.evidence["inline_policies"] or result.evidence["attached_policies"]


NO_REPORT = "the credential report could not be read (GetCredentialReport failed)"


@pytest.mark.parametrize(
    ("case", "u", "expected"),
    [
        ("console user with MFA", user(), Status.PASS),
        ("no console password", user(credentials=creds(password_enabled=False, mfa_active=False)), Status.PASS),
        ("console user without MFA", user(credentials=creds(mfa_active=False)), Status.FAIL),
        ("no report", user(credentials=None, credentials_error=NO_REPORT), Status.ERROR),
        ("password state unknown", user(credentials=creds(password_enabled=None)), Status.ERROR),
    ],
)
def test_console_user_has_mfa(case: str, u: IamUser, expected: Status) -> None:
    result = iam.console_user_has_mfa(u)
    assert result.status is expected, case
    if case == "no report":
        assert "GetCredentialReport failed" in result.message


@pytest.mark.parametrize(
    ("case", "keys", "expected"),
    [
        ("recent key", (key(1, rotated=89),), Status.PASS),
        ("no keys", (), Status.PASS),
        ("old but inactive key", (key(1, active=False, rotated=400),), Status.PASS),
        ("key older than 90 days", (key(1, rotated=91),), Status.FAIL),
        ("second key old", (key(1), key(2, rotated=200, used=None)), Status.FAIL),
        ("active key without a rotation date", (key(1, rotated=None),), Status.ERROR),
    ],
)
def test_access_keys_rotated(case: str, keys: tuple[AccessKey, ...], expected: Status) -> None:
    result = iam.access_keys_rotated(user(credentials=creds(access_keys=keys)), NOW)
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert all(k["age_days"] > 90 for k in result.evidence["keys"])


def test_access_keys_rotated_without_report() -> None:
    assert iam.access_keys_rotated(user(credentials=None), NOW).status is Status.ERROR


@pytest.mark.parametrize(
    ("case", "c", "expected"),
    [
        ("everything used recently", creds(), Status.PASS),
        ("no password, no keys", creds(password_enabled=False, access_keys=()), Status.PASS),
        ("new password, never used", creds(password_last_used=None, password_last_changed=days_ago(10)), Status.PASS),
        ("new key, never used", creds(access_keys=(key(1, rotated=10, used=None),)), Status.PASS),
        (
            "old inactive key, never used",
            creds(access_keys=(key(1, active=False, rotated=300, used=None),)),
            Status.PASS,
        ),
        ("password unused for 60 days", creds(password_last_used=days_ago(60)), Status.FAIL),
        (
            "password never used, set 100 days ago",
            creds(password_last_used=None, password_last_changed=days_ago(100)),
            Status.FAIL,
        ),
        ("key unused for 46 days", creds(access_keys=(key(1, rotated=80, used=46),)), Status.FAIL),
        ("key never used, created 50 days ago", creds(access_keys=(key(1, rotated=50, used=None),)), Status.FAIL),
        ("password state unknown", creds(password_enabled=None), Status.ERROR),
    ],
)
def test_credentials_used_recently(case: str, c: Credentials, expected: Status) -> None:
    result = iam.credentials_used_recently(user(credentials=c), NOW)
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert all(s["unused_days"] > 45 for s in result.evidence["unused"])


def test_credentials_used_recently_evidence_and_no_report() -> None:
    result = iam.credentials_used_recently(
        user(credentials=creds(password_last_used=days_ago(60), access_keys=(key(2, rotated=80, used=None),))), NOW
    )
    assert [(s["credential"], s["last_used"], s["unused_days"]) for s in result.evidence["unused"]] == [
        ("password", days_ago(60).isoformat(), 60),
        ("access_key_2", None, 80),
    ]
    missing = user(credentials=None, credentials_error="the user is not in the credential report (generated at X)")
    unknown = iam.credentials_used_recently(missing, NOW)
    assert unknown.status is Status.ERROR and "not in the credential report" in unknown.message


@pytest.mark.parametrize(
    ("case", "u", "expected"),
    [
        ("one active key", user(), Status.PASS),
        ("no keys", user(credentials=creds(access_keys=())), Status.PASS),
        ("one active, one inactive", user(credentials=creds(access_keys=(key(1), key(2, active=False)))), Status.PASS),
        ("two active keys", user(credentials=creds(access_keys=(key(1), key(2)))), Status.FAIL),
        ("no report", user(credentials=None), Status.ERROR),
    ],
)
def test_user_has_one_active_key(case: str, u: IamUser, expected: Status) -> None:
    result = iam.user_has_one_active_key(u)
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert result.evidence["active_keys"] == ["access_key_1", "access_key_2"]


# ---------------------------------------------------------------------------------------------
# The account
# ---------------------------------------------------------------------------------------------

NO_ROOT_ROW = "the credential report has no <root_account> row"
ROOT_WITH_KEY = creds(password_enabled=None, access_keys=(key(1),))


@pytest.mark.parametrize(
    ("case", "a", "expected"),
    [
        ("no keys", account(), Status.PASS),
        ("summary says none, no root row", account(root=None, root_error=NO_ROOT_ROW), Status.PASS),
        ("summary unreadable, root row has no key", account(access_keys_present=None), Status.PASS),
        ("summary says keys", account(access_keys_present=True), Status.FAIL),
        ("summary unreadable, root row has a key", account(access_keys_present=None, root=ROOT_WITH_KEY), Status.FAIL),
        ("nothing readable", account(access_keys_present=None, root=None, root_error=NO_ROOT_ROW), Status.ERROR),
    ],
)
def test_root_has_no_access_keys(case: str, a: IamAccount, expected: Status) -> None:
    result = iam.root_has_no_access_keys(a)
    assert result.status is expected, case
    if expected is Status.ERROR:
        assert NO_ROOT_ROW in result.message


@pytest.mark.parametrize(
    ("case", "a", "expected"),
    [
        ("MFA", account(), Status.PASS),
        ("no MFA", account(mfa_enabled=False), Status.FAIL),
        ("summary unreadable, root row has MFA", account(mfa_enabled=None), Status.PASS),
        (
            "summary unreadable, root row without MFA",
            account(mfa_enabled=None, root=creds(mfa_active=False)),
            Status.FAIL,
        ),
        ("nothing readable", account(mfa_enabled=None, root=None, root_error=NO_ROOT_ROW), Status.ERROR),
    ],
)
def test_root_has_mfa(case: str, a: IamAccount, expected: Status) -> None:
    assert iam.root_has_mfa(a).status is expected, case


@pytest.mark.parametrize(
    ("case", "policy", "expected", "weak"),
    [
        ("strong", STRONG, Status.PASS, []),
        ("no policy", PasswordPolicy(configured=False), Status.FAIL, ["PasswordPolicy"]),
        ("short", STRONG.model_copy(update={"minimum_length": 8}), Status.FAIL, ["MinimumPasswordLength"]),
        (
            "reuse allowed, no symbols",
            STRONG.model_copy(update={"reuse_prevention": None, "require_symbols": False}),
            Status.FAIL,
            ["PasswordReusePrevention", "RequireSymbols"],
        ),
        ("reuse of 5", STRONG.model_copy(update={"reuse_prevention": 5}), Status.FAIL, ["PasswordReusePrevention"]),
        ("unreadable", None, Status.ERROR, []),
    ],
)
def test_password_policy_is_strong(case: str, policy: PasswordPolicy | None, expected: Status, weak: list[str]) -> None:
    result = iam.password_policy_is_strong(account(password_policy=policy))
    assert result.status is expected, case
    assert [w["setting"] for w in result.evidence.get("weak", [])] == weak


# ---------------------------------------------------------------------------------------------
# Role trust
# ---------------------------------------------------------------------------------------------

GITHUB = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
AUD = {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}
SUB = {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/ml:*"}}


def web_identity(condition: dict[str, Any]) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": {"Federated": GITHUB},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition,
    }


@pytest.mark.parametrize(
    ("case", "r", "expected"),
    [
        ("service trust", role(), Status.PASS),
        ("own account", role(trust_policy=trust(assume({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))), Status.PASS),
        ("GitHub OIDC with a sub condition", role(trust_policy=trust(web_identity({**AUD, **SUB}))), Status.PASS),
        ("Principal *", role(trust_policy=trust(assume("*"))), Status.FAIL),
        ("AWS *", role(trust_policy=trust(assume({"AWS": "*"}))), Status.FAIL),
        ("GitHub OIDC without a sub condition", role(trust_policy=trust(web_identity(AUD))), Status.FAIL),
        ("unreadable", role(trust_policy=None, trust_policy_error="the document is not valid JSON"), Status.ERROR),
        ("invalid", role(trust_policy={"Statement": [{"Effect": "Allow"}]}), Status.ERROR),
    ],
)
def test_role_trust_is_not_public(case: str, r: IamRole, expected: Status) -> None:
    result = iam.role_trust_is_not_public(r)
    assert result.status is expected, case
    if case == "Principal *":
        assert result.evidence["public_statements"] == [{"index": 0, "sid": None}]
    if case == "unreadable":
        assert "not valid JSON" in result.message


@pytest.mark.parametrize(
    ("case", "r", "expected"),
    [
        ("service trust", role(), Status.PASS),
        ("own account", role(trust_policy=trust(assume({"AWS": f"arn:aws:iam::{ACCOUNT}:role/ci"}))), Status.PASS),
        (
            "other account with an external id",
            role(trust_policy=trust(assume({"AWS": OTHER}, Condition={"StringEquals": {"sts:ExternalId": "x1"}}))),
            Status.PASS,
        ),
        (
            "other account in the organization",
            role(
                trust_policy=trust(
                    assume(
                        {"AWS": f"arn:aws:iam::{OTHER}:root"}, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-1"}}
                    )
                )
            ),
            Status.PASS,
        ),
        (
            "other account, unguarded",
            role(trust_policy=trust(assume({"AWS": f"arn:aws:iam::{OTHER}:root"}))),
            Status.FAIL,
        ),
        ("unreadable", role(trust_policy=None, trust_policy_error="missing"), Status.ERROR),
    ],
)
def test_role_trust_guards_cross_account(case: str, r: IamRole, expected: Status) -> None:
    result = iam.role_trust_guards_cross_account(r)
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert result.evidence["cross_account_without_guard"] == [
            {"principal": f"arn:aws:iam::{OTHER}:root", "index": 0, "sid": None}
        ]


# ---------------------------------------------------------------------------------------------
# Principals: risk categories, escalation methods, PassRole, near admin (effective permissions)
# ---------------------------------------------------------------------------------------------

GET_EVERYTHING = doc({**allow(["s3:GetObject", "secretsmanager:GetSecretValue"]), "Sid": "ReadAll"})
POWER_USER = managed(
    "PowerUserAccess",
    doc(
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
        allow(["iam:CreateServiceLinkedRole", "iam:ListRoles", "organizations:DescribeOrganization"]),
    ),
    aws=True,
)
POLICIES_PLUS = (*POLICIES, POWER_USER)


def check_principal(check: Any, kind: str, principal: Any) -> Any:
    """Call a per-kind check with the sequences its kind takes."""
    if kind == "user":
        return check(principal, POLICIES_PLUS, [group()])
    return check(principal, POLICIES_PLUS)


def with_inline(kind: str, *documents: dict[str, Any] | None) -> Any:
    """A principal of ``kind`` whose only extra permissions are these inline documents (None: unreadable)."""
    policies = tuple(inline(f"p{i}", d, None if d is not None else "not JSON") for i, d in enumerate(documents))
    factories: dict[str, Any] = {"user": user, "group": group, "role": role}
    return factories[kind](inline_policies=policies)


KINDS = ["user", "group", "role"]
PRINCIPAL_CHECKS = {
    # check name stem: (a failing document, a conditional one, a passing one)
    "cannot_exfiltrate_data": (GET_EVERYTHING, doc(allow("ssm:GetParameter", Condition=MFA)), SCOPED),
    "cannot_expose_resources": (
        doc(allow("s3:PutBucketPolicy")),
        doc(allow("kms:PutKeyPolicy", Condition=MFA)),
        doc(allow("s3:PutBucketPolicy", "arn:aws:s3:::ml-data")),
    ),
    "cannot_expose_credentials": (
        doc(allow("ecr:GetAuthorizationToken")),
        doc(allow("sts:AssumeRole", Condition=MFA)),
        doc(allow("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/ci")),
    ),
    "cannot_pass_every_role": (
        doc(allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/*")),
        doc(
            allow(
                "iam:PassRole",
                "arn:aws:iam::*:role/*",
                Condition={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        ),
        doc(allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/sagemaker-*")),
    ),
    "cannot_escalate_privileges": (
        doc(allow(["iam:PassRole", "sagemaker:CreateTrainingJob"])),
        doc(allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/*", Condition=MFA)),
        # PassRole limited to some roles is no escalation against *any* target (the graph judges those).
        doc(allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/sagemaker-*"), allow("sagemaker:CreateTrainingJob")),
    ),
    "is_not_near_admin": (
        doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}),
        doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*", "Condition": MFA}),
        doc(allow(["s3:*", "sagemaker:*", "ec2:*"])),
    ),
}
CASES_BY_KIND = [(stem, kind) for stem in PRINCIPAL_CHECKS for kind in KINDS]


@pytest.mark.parametrize(("stem", "kind"), CASES_BY_KIND, ids=[f"{k}_{s}" for s, k in CASES_BY_KIND])
def test_principal_permission_checks(stem: str, kind: str) -> None:
    check = getattr(iam, f"{kind}_{stem}")
    bad, conditional, good = PRINCIPAL_CHECKS[stem]
    assert check_principal(check, kind, with_inline(kind, good)).status is Status.PASS
    failing = check_principal(check, kind, with_inline(kind, good, bad))
    assert failing.status is Status.FAIL and "when conditions hold" not in failing.message
    under_condition = check_principal(check, kind, with_inline(kind, conditional))
    assert under_condition.status is Status.FAIL and "condition" in under_condition.message
    unreadable = check_principal(check, kind, with_inline(kind, bad, None))
    assert unreadable.status is Status.ERROR and "inline policy p1: not JSON" in unreadable.message


# The functions the table above runs, named so that the catalog finds their tests:
# user_cannot_exfiltrate_data group_cannot_exfiltrate_data role_cannot_exfiltrate_data
# user_cannot_expose_resources group_cannot_expose_resources role_cannot_expose_resources
# user_cannot_expose_credentials group_cannot_expose_credentials role_cannot_expose_credentials
# user_cannot_pass_every_role group_cannot_pass_every_role role_cannot_pass_every_role
# user_cannot_escalate_privileges group_cannot_escalate_privileges role_cannot_escalate_privileges
# user_is_not_near_admin group_is_not_near_admin role_is_not_near_admin


def test_category_evidence_names_actions_statements_and_resources() -> None:
    result = iam.user_cannot_exfiltrate_data(with_inline("user", GET_EVERYTHING), POLICIES_PLUS, [group()])
    assert result.evidence["unrestricted"] == ["s3:GetObject", "secretsmanager:GetSecretValue"]
    [statement] = result.evidence["statements"]
    assert statement["policy"] == "inline:p0" and statement["sid"] == "ReadAll" and statement["index"] == 0
    assert statement["resources"] == ["*"] and statement["actions"] == result.evidence["unrestricted"]


def test_categories_through_a_group_and_a_boundary() -> None:
    readers = group("readers", inline_policies=(inline("all", GET_EVERYTHING),), attached_policies=())
    alice = user(groups=("readers",))
    assert iam.user_cannot_exfiltrate_data(alice, POLICIES, [readers]).status is Status.FAIL
    capped = user(groups=("readers",), permissions_boundary=S3_READ.uid)  # boundary: ml-data only
    assert iam.user_cannot_exfiltrate_data(capped, POLICIES, [readers]).status is Status.PASS


def test_escalation_evidence_and_split_across_policies() -> None:
    passer = managed("passer", doc({**allow("iam:PassRole"), "Sid": "Pass"}))
    creator = group("creators", inline_policies=(inline("train", doc(allow("sagemaker:CreateTrainingJob"))),))
    alice = user(groups=("creators",), attached_policies=(attach(passer),))
    result = iam.user_cannot_escalate_privileges(alice, [*POLICIES, passer], [creator])
    assert result.status is Status.FAIL and "sagemaker-training-job" in result.message
    method = next(m for m in result.evidence["methods"] if m["method"] == "sagemaker-training-job")
    assert [(s["policy"], s["sid"], s["resources"]) for s in method["statements"]] == [
        (f"managed:{passer.uid}", "Pass", ["*"]),
        ("group:creators/inline:train", None, ["*"]),
    ]
    assert method["verdict"] == "ALLOWED"


def test_self_service_credentials_are_not_escalation() -> None:
    """``${aws:username}`` is the user itself: managing one's own keys is not escalation."""
    own = doc(allow(["iam:CreateAccessKey", "iam:UpdateLoginProfile"], "arn:aws:iam::*:user/${aws:username}"))
    assert iam.user_cannot_escalate_privileges(with_inline("user", own), POLICIES, [group()]).status is Status.PASS
    # For a group the member is unknown: the grant may concern another user, conditionally.
    grouped = iam.group_cannot_escalate_privileges(with_inline("group", own), POLICIES)
    assert grouped.status is Status.FAIL and "when conditions hold" in grouped.message


def test_pass_role_evidence_keeps_the_passed_to_service_condition() -> None:
    _, conditional, _ = PRINCIPAL_CHECKS["cannot_pass_every_role"]
    result = iam.role_cannot_pass_every_role(with_inline("role", conditional), POLICIES)
    [statement] = result.evidence["statements"]
    assert statement["conditions"] == [
        {"operator": "StringEquals", "key": "iam:PassedToService", "values": ["sagemaker.amazonaws.com"]}
    ]
    assert result.evidence["verdict"] == "CONDITIONAL"


def test_near_admin_power_user_access() -> None:
    result = iam.user_is_not_near_admin(user(attached_policies=(attach(POWER_USER),)), POLICIES_PLUS, [group()])
    assert result.status is Status.FAIL
    assert result.evidence["excluded_services"] == ["account", "iam", "organizations"]
    assert result.evidence["allowed_actions"] > 0.9 * result.evidence["known_actions"]
    assert result.evidence["statements"][0]["not_actions"] == ["iam:*", "organizations:*", "account:*"]
    admin = user(attached_policies=(attach(ADMIN_ACCESS),))
    assert iam.user_is_not_near_admin(admin, POLICIES_PLUS, [group()]).status is None  # the admin check reports it
    assert iam.user_is_not_near_admin.__cspm_check__.severity.value == "high"  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------
# Principals: paths to administrator (the escalation graph)
# ---------------------------------------------------------------------------------------------


def role_named(name: str, trust_policy: dict[str, Any] | None, *documents: dict[str, Any], **fields: Any) -> IamRole:
    policies = tuple(inline(f"p{i}", d) for i, d in enumerate(documents))
    base: dict[str, Any] = {
        "uid": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "name": name,
        "account": ACCOUNT,
        "trust_policy": trust_policy,
        "inline_policies": policies,
        "attached_policies": (),
    }
    base.update(fields)
    return IamRole(**base)


ROOT_TRUST = trust(assume({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
SM_ADMIN = role_named("sm-admin", SAGEMAKER_TRUST, doc(ADMIN))
OPS_ADMIN = role_named("ops-admin", ROOT_TRUST, doc(ADMIN))
SCIENTIST = user(
    uid=f"arn:aws:iam::{ACCOUNT}:user/scientist",
    name="scientist",
    inline_policies=(inline("ml", doc({**allow(["iam:PassRole", "sagemaker:CreateTrainingJob"]), "Sid": "Train"})),),
)


def reach(principal: Any, users: list[IamUser], roles: list[IamRole], groups: list[IamGroup] | None = None) -> Any:
    checks: dict[type, Any] = {IamUser: iam.user_cannot_reach_admin, IamRole: iam.role_cannot_reach_admin}
    check = checks.get(type(principal), iam.group_cannot_reach_admin)
    return check(principal, users, groups if groups is not None else [group()], roles, POLICIES)


def test_reach_admin_through_a_sagemaker_training_job() -> None:
    result = reach(SCIENTIST, [SCIENTIST], [SM_ADMIN, role()])
    assert result.status is Status.FAIL
    assert "sm-admin (iam:PassRole+sagemaker:CreateTrainingJob)" in result.message
    [hop] = result.evidence["path"]
    assert (hop["source"], hop["target"], hop["via"]) == (SCIENTIST.uid, SM_ADMIN.uid, hop["via"])
    assert hop["via"] == "iam:PassRole+sagemaker:CreateTrainingJob" and hop["conditional"] is False
    assert hop["statements"] == [
        {
            "policy": "inline:ml",
            "boundary": False,
            "index": 0,
            "sid": "Train",
            "actions": ["iam:PassRole", "sagemaker:CreateTrainingJob"],
        }
    ]
    # Without a SageMaker-trusted admin role there is no path.
    assert reach(SCIENTIST, [SCIENTIST], [OPS_ADMIN, role()]).status is Status.PASS


def test_reach_admin_through_a_chain_of_roles() -> None:
    dev = user(
        uid=f"arn:aws:iam::{ACCOUNT}:user/dev",
        name="dev",
        inline_policies=(inline("ci", doc(allow("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/ci"))),),
    )
    ci = role_named(
        "ci", trust(assume({"AWS": dev.uid})), doc(allow("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/ops-*"))
    )
    result = reach(dev, [dev], [ci, OPS_ADMIN])
    assert result.status is Status.FAIL
    assert [(h["target"], h["via"]) for h in result.evidence["path"]] == [
        (ci.uid, "sts:AssumeRole"),
        (OPS_ADMIN.uid, "sts:AssumeRole"),
    ]
    assert reach(ci, [dev], [ci, OPS_ADMIN]).status is Status.FAIL
    assert reach(OPS_ADMIN, [dev], [ci, OPS_ADMIN]).status is None  # an administrator: role_is_not_admin


def test_reach_admin_conditional_and_admin_equivalent() -> None:
    mfa_admin = role_named(
        "mfa-admin", trust(assume({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, Condition=MFA)), doc(ADMIN)
    )
    assumer = user(inline_policies=(inline("assume", doc(allow("sts:AssumeRole"))),))
    conditional = reach(assumer, [assumer], [mfa_admin])
    assert conditional.status is Status.FAIL and "when the conditions on the path hold" in conditional.message
    assert conditional.evidence["conditional"] is True
    editor = user(
        inline_policies=(inline("self", doc(allow("iam:PutUserPolicy", "arn:aws:iam::*:user/${aws:username}"))),)
    )
    equivalent = reach(editor, [editor], [])
    assert equivalent.status is Status.FAIL and equivalent.evidence["path"] == []
    assert equivalent.evidence["admin_reasons"] == ["iam:PutUserPolicy"]


def test_reach_admin_from_a_group() -> None:
    admins = group("admins", attached_policies=(attach(ADMIN_ACCESS),), members=())
    joiners = group(
        "joiners",
        inline_policies=(inline("join", doc(allow("iam:AddUserToGroup", admins.uid))),),
        attached_policies=(),
    )
    result = reach(joiners, [user()], [], [joiners, admins, group()])
    assert result.status is Status.FAIL
    assert [(h["target"], h["method"]) for h in result.evidence["path"]] == [(admins.uid, "iam-add-user-to-group")]
    assert reach(group(), [user()], [], [joiners, admins, group()]).status is Status.PASS


def test_reach_admin_with_unreadable_principals_on_the_way() -> None:
    assumer = user(inline_policies=(inline("assume", doc(allow("sts:AssumeRole"))),))
    hidden = role_named("hidden", ROOT_TRUST, attached_policies=(PolicyAttachment(name="gone", arn=f"{ACCOUNT}:gone"),))
    unknown_way = reach(assumer, [assumer], [hidden])
    assert unknown_way.status is Status.ERROR and hidden.uid in unknown_way.evidence["uncertain"]
    # A path through readable principals stands whatever else is unreadable.
    assert reach(assumer, [assumer], [hidden, OPS_ADMIN]).status is Status.FAIL
    # An admin role whose trust cannot be read might trust anyone.
    secret_admin = role_named("secret-admin", None, doc(ADMIN), trust_policy_error="not JSON")
    blind = reach(user(), [user()], [secret_admin])
    assert blind.status is Status.ERROR and blind.evidence["uncertain"] == [secret_admin.uid]
    # Its own unreadable policy: ERROR, naming it.
    broken = user(inline_policies=(inline("bad", None, "not JSON"),))
    assert reach(broken, [broken], []).status is Status.ERROR


def test_reach_admin_needs_the_principal_among_the_account_s() -> None:
    assert reach(SCIENTIST, [], [SM_ADMIN]).status is Status.ERROR


# ---------------------------------------------------------------------------------------------
# Roles trusted by services
# ---------------------------------------------------------------------------------------------

S3_EVERYTHING = doc(allow("s3:*"))
OWN_ACCOUNT_ONLY = {"StringEquals": {"s3:ResourceAccount": ACCOUNT}}


@pytest.mark.parametrize(
    ("case", "r", "expected"),
    [
        ("scoped execution role", role(), Status.PASS),
        ("reads everything, writes its bucket", with_inline("role", doc(allow("s3:GetObject"))), Status.PASS),
        ("AdministratorAccess", role(attached_policies=(attach(ADMIN_ACCESS),)), Status.FAIL),
        ("s3:* on *", with_inline("role", S3_EVERYTHING), Status.FAIL),
        (
            "GetObject and PutObject on *",
            with_inline("role", doc(allow(["s3:GetObject", "s3:PutObject"]))),
            Status.FAIL,
        ),
        ("s3:* in the own account", with_inline("role", doc(allow("s3:*", Condition=OWN_ACCOUNT_ONLY))), Status.FAIL),
        ("not a SageMaker role", role(trust_policy=ROOT_TRUST, attached_policies=(attach(ADMIN_ACCESS),)), None),
        ("trust unreadable", role(trust_policy=None, trust_policy_error="not JSON"), Status.ERROR),
        ("policy unreadable", with_inline("role", None), Status.ERROR),
    ],
)
def test_sagemaker_role_has_no_admin_or_full_s3(case: str, r: IamRole, expected: Status | None) -> None:
    result = iam.sagemaker_role_has_no_admin_or_full_s3(r, POLICIES)
    assert result.status is expected, case
    if case == "s3:* in the own account":
        assert "when conditions hold" in result.message
        assert result.evidence["statements"][0]["conditions"][0]["key"] == "s3:ResourceAccount"


LOGS = "logs.amazonaws.com"
SOURCE_ACCOUNT = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


@pytest.mark.parametrize(
    ("case", "r", "expected"),
    [
        ("SageMaker execution role: passed with iam:PassRole", role(), Status.PASS),
        (
            "logs delivery with aws:SourceAccount",
            role(trust_policy=trust(assume({"Service": LOGS}, Condition=SOURCE_ACCOUNT))),
            Status.PASS,
        ),
        ("logs delivery, unguarded", role(trust_policy=trust(assume({"Service": LOGS}))), Status.FAIL),
        (
            "two services, one unguarded",
            role(trust_policy=trust(assume({"Service": [LOGS, "lambda.amazonaws.com"]}))),
            Status.FAIL,
        ),
        ("trusts an account only", role(trust_policy=ROOT_TRUST), None),
        ("service-linked", role(path="/aws-service-role/", trust_policy=trust(assume({"Service": LOGS}))), None),
        ("unreadable", role(trust_policy=None, trust_policy_error="not JSON"), Status.ERROR),
    ],
)
def test_role_trust_guards_service_principals(case: str, r: IamRole, expected: Status | None) -> None:
    result = iam.role_trust_guards_service_principals(r)
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert [u["service"] for u in result.evidence["unguarded"]] == [LOGS]
    if case.startswith("SageMaker"):
        assert result.evidence["exempt"] == ["sagemaker.amazonaws.com"]


@pytest.mark.parametrize("service", ["sagemaker.amazonaws.com", "scheduler.amazonaws.com", "lambda.amazonaws.com"])
def test_services_given_roles_by_pass_role_are_exempt(service: str) -> None:
    """PassRole page: "You can only use the PassRole permission to pass an IAM role to a service that shares the
    same AWS account" (id_roles_use_passrole.html): a caller in another account cannot configure
    these services with the role, so no source condition is asked for."""
    result = iam.role_trust_guards_service_principals(role(trust_policy=trust(assume({"Service": service}))))
    assert result.status is Status.PASS
    assert result.evidence["exempt"] == [service]


def test_an_exempt_service_does_not_cover_another_unguarded_one() -> None:
    both = role(trust_policy=trust(assume({"Service": ["sagemaker.amazonaws.com", LOGS]})))
    result = iam.role_trust_guards_service_principals(both)
    assert result.status is Status.FAIL
    assert [u["service"] for u in result.evidence["unguarded"]] == [LOGS]


# ---------------------------------------------------------------------------------------------
# Through the engine: unreadable inputs never pass
# ---------------------------------------------------------------------------------------------

IAM_CHECKS = [spec for spec in load_checks(["aws"]) if spec.service == "iam"]


def unreadable_inventory() -> Inventory:
    """Every IAM snapshot with every readable-or-None field None."""
    inventory = Inventory()
    for resource in (
        user(credentials=None, credentials_error="x", inline_policies=(inline("p", None, "x"),)),
        group(inline_policies=(inline("p", None, "x"),), attached_policies=()),
        role(trust_policy=None, trust_policy_error="x", inline_policies=(inline("p", None, "x"),)),
        managed("bad", None, document_error="x"),
        IamAccount(uid=f"arn:aws:iam::{ACCOUNT}:root", name=ACCOUNT, account=ACCOUNT),
    ):
        inventory.add(resource)
    return inventory


def test_no_check_passes_on_unreadable_snapshots() -> None:
    findings = evaluate(IAM_CHECKS, unreadable_inventory(), NOW)
    passing = [(f.check_id, f.resource_uid) for f in findings if f.status is Status.PASS]
    # Only the checks that need nothing unreadable may pass: a user whose only policy source is
    # an unreadable inline policy still has "policies only through groups" answered (it fails).
    assert passing == []
    assert {f.check_id for f in findings if f.status is Status.ERROR} >= {
        s.id for s in IAM_CHECKS if s.id != "aws.iam.user_has_no_attached_policies"
    }


def test_incomplete_listings_give_errors_for_every_check() -> None:
    inventory = Inventory()
    for rtype in (IamUser, IamGroup, IamRole, IamPolicy):
        inventory.mark_incomplete(rtype, ACCOUNT, "global", "GetAccountAuthorizationDetails failed: AccessDenied")
    findings = evaluate(IAM_CHECKS, inventory, NOW)
    account_checks = {s.id for s in IAM_CHECKS if s.resource_type is IamAccount}
    assert {f.check_id for f in findings} == {s.id for s in IAM_CHECKS} - account_checks
    assert all(f.status is Status.ERROR and "AccessDenied" in f.message for f in findings)


def test_every_check_is_tagged_with_known_requirements() -> None:
    assert len(IAM_CHECKS) == 44
    frameworks = {f: load_framework(f) for f in ("aws-fsbp", "cis-aws-5.0", "nist-800-53-r5", "mitre-atlas")}
    for spec in IAM_CHECKS:
        assert spec.attack and spec.compliance, spec.id
        claims = [*spec.compliance.items(), ("mitre-atlas", spec.attack)]
        unknown = [(fw, i) for fw, ids in claims for i in ids if frameworks[fw].requirement(i) is None]
        assert unknown == [], spec.id


def test_service_linked_roles_are_not_assessed() -> None:
    """AWS defines a service-linked role's permissions and trust: no finding to act on."""
    linked = role(path="/aws-service-role/", attached_policies=(attach(ADMIN_ACCESS),))
    for check in (
        iam.role_is_not_admin,
        iam.role_cannot_escalate_privileges,
        iam.role_cannot_exfiltrate_data,
        iam.role_is_not_near_admin,
        iam.sagemaker_role_has_no_admin_or_full_s3,
    ):
        assert check(linked, POLICIES).status is None, check.__name__
    assert iam.role_cannot_reach_admin(linked, [], [], [linked], POLICIES).status is None
