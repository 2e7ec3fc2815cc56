"""IAM checks: administrator access, escalation, risky permissions, credential hygiene, root,
password policy, trust.

Policy statements are analysed by :mod:`cspm.iam` (admin in every spelling, service wildcards,
trust exposure, effective permissions, the escalation graph); these checks only pick the
documents and report. Principal-level analysis is built once per scan by
:mod:`cspm.iam.inventory` and shared by every check.

- Customer-managed policies are findings of their own (``policy_*``). AWS-managed policies are
  not (not applicable), but they count in the permissions of every principal they are attached to.
- Inline policies are assessed on their principal: the document-level checks
  ``*_inline_policies_*``, and the effective-permission checks ``*_is_not_admin``, which combine
  inline, attached and group policies, Denies and the permission boundary. Service-trusted roles
  (SageMaker execution roles …) are principals like any other: an admin one fails.
- Admin is CRITICAL for principals; near admin (PowerUserAccess: everything but a few services)
  is HIGH; escalation combinations HIGH; a proven path to admin in the escalation graph CRITICAL.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from cspm.checks.aws._docs import security_hub_for
from cspm.checks.aws._org import with_rcps
from cspm.iam.analysis import (
    admin_statements,
    conditional_admin_statements,
    service_wildcards,
    trust_policy_analysis,
)
from cspm.iam.categories import Category
from cspm.iam.conditions import ContextValue
from cspm.iam.evaluate import Verdict, effective_permissions
from cspm.iam.exposure import confused_deputy_trusts, needs_source_guard
from cspm.iam.inventory import AccountAnalysis, PrincipalView, account_analysis, allowed_statements, principal_view
from cspm.iam.organization import (
    FEDERATED_CALLERS,
    PUBLIC_CALLERS,
    Request,
    account_callers,
    blocked_decisions,
    scp_cuts,
    without_guardrails,
)
from cspm.iam.policy import PolicyDocument, PolicyError, Statement, parse_policy
from cspm.models import Baseline, Result, Severity, Status, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.aws.iam import (
    Credentials,
    IamAccount,
    IamGroup,
    IamPolicy,
    IamRole,
    IamUser,
    InlinePolicy,
    PasswordPolicy,
)
from cspm.resources.aws.organizations import OrgPolicies

KEY_MAX_AGE = timedelta(days=90)
UNUSED_AFTER = timedelta(days=45)
MIN_PASSWORD_LENGTH = 14
MIN_PASSWORD_REUSE_PREVENTION = 24

ADMIN_COMPLIANCE = {"cis-aws-5.0": ["1.15"], "nist-800-53-r5": ["AC-6"]}

# Documentation the rationales rest on (docs/check-audit.md, aws.iam).
CREDENTIAL_REPORT = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html"
CONFUSED_DEPUTY = "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"
_IAM = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
EVALUATION = _IAM + "reference_policies_evaluation-logic_policy-eval-denyallow.html"
EVALUATION_ONE_ACCOUNT = _IAM + "reference_policies_evaluation-logic_policy-eval-basics.html"
PASS_ROLE = _IAM + "id_roles_use_passrole.html"
EC2_PASS_ROLE = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/permission-to-pass-iam-roles.html"
PRINCIPAL = _IAM + "reference_policies_elements_principal.html"
ACCESS_LEVELS = _IAM + "access_policies_understand-policy-summary-access-level-summaries.html"
NOT_ACTION = _IAM + "reference_policies_elements_notaction.html"
POWER_USER = "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/PowerUserAccess.html"
POLICY_LISTINGS = _IAM + "access_policies_manage-delete-api.html"
SERVICE_LINKED = "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceLinkedRole.html"
_SDK = "https://docs.aws.amazon.com/sdk-for-python/v4/reference/clients/iam/operations/"
SET_DEFAULT_POLICY_VERSION = _SDK + "set_default_policy_version/"
CREATE_ACCESS_KEY = _SDK + "create_access_key/"
CREATE_LOGIN_PROFILE = _SDK + "create_login_profile/"
CONTROL_TOWER_IAM = "https://docs.aws.amazon.com/controltower/latest/controlreference/iam-rules.html"
CONFIG_FULL_ACCESS = (
    "https://docs.aws.amazon.com/config/latest/developerguide/iam-policy-no-statements-with-full-access.html"
)
SAGEMAKER_ROLES = "https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html"
S3_MANAGED_POLICIES = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-iam-awsmanpol.html"
GITHUB_OIDC = "https://docs.github.com/en/actions/how-tos/secure-your-work/security-harden-deployments/oidc-in-aws"


_sh = security_hub_for("iam")


# ---------------------------------------------------------------------------------------------
# Shared reasoning: documents, parsing, admin
# ---------------------------------------------------------------------------------------------


def _parse(document: dict[str, Any] | None, problem: str | None, name: str) -> tuple[PolicyDocument | None, str]:
    """The parsed document named ``name``, or None and why it cannot be assessed."""
    if document is None:
        return None, f"{name}: {problem or 'the document could not be read'}"
    try:
        return dataclasses.replace(parse_policy(document), name=name), ""
    except PolicyError as exc:
        return None, f"{name}: the document is not a valid policy ({exc})"


def _refs(statements: Sequence[Statement], policy: str | None = None, **extra: Any) -> list[dict[str, Any]]:
    head = {"policy": policy} if policy is not None else {}
    return [{**head, **s.ref.as_dict(), **extra} for s in statements]


def _admin_refs(doc: PolicyDocument) -> list[dict[str, Any]]:
    return _refs(admin_statements(doc), doc.name) + _refs(conditional_admin_statements(doc), doc.name, conditional=True)


def _unconditioned(doc: PolicyDocument) -> PolicyDocument:
    """The document with the Conditions of its conditional admin statements removed."""
    conditional = {s.index for s in conditional_admin_statements(doc)}
    statements = tuple(dataclasses.replace(s, conditions=()) if s.index in conditional else s for s in doc.statements)
    return dataclasses.replace(doc, statements=statements)


def _principal_admin(what: str, view: PrincipalView, evidence: dict[str, Any] | None = None) -> Result:
    """FAIL when the principal's effective permissions are admin (or admin once conditions hold),
    SCPs included; a PASS because an SCP takes admin away names the SCP levels and policies."""
    return _with_scps(view, _admin_verdict(what, view, evidence))


def _admin_verdict(what: str, view: PrincipalView, evidence: dict[str, Any] | None) -> Result:
    early = _unassessable(view, what)
    if early is not None:
        return early
    docs, boundary = view.documents, view.boundary
    grants = [ref for doc in docs for ref in _admin_refs(doc)]
    info = {**(evidence or {}), "admin_grants": grants, "boundary": view.boundary_label}
    if view.permissions.is_admin:
        return failed(f"The {what} holds administrator access (every action on every resource).", info)
    guardrails = view.permissions.guardrails
    if (
        any(g.get("conditional") for g in grants)
        and effective_permissions(
            [_unconditioned(d) for d in docs], boundary and _unconditioned(boundary), guardrails=guardrails
        ).is_admin
    ):
        return failed(f"The {what} holds administrator access when the conditions of its admin grants hold.", info)
    if grants and guardrails and without_guardrails(view.permissions).is_admin:
        cuts = scp_cuts(view.permissions)
        levels = ", ".join(c["level"] for c in cuts)
        message = f"The {what} does not hold administrator access: service control policies at {levels} remove it."
        return passed(message, {**info, "cut_by_scps": cuts})
    if grants:  # an admin grant that a Deny or the permission boundary takes away
        return passed(f"The {what} does not hold administrator access: Denies or its boundary remove it.", info)
    return passed(f"The {what} does not hold administrator access.", {"policies": len(docs)})


def _names(found: list[dict[str, Any]]) -> str:
    return ", ".join(dict.fromkeys(str(f["policy"]) for f in found))


def _document_admin(docs: Sequence[PolicyDocument]) -> Result | None:
    grants = [ref for doc in docs for ref in _admin_refs(doc)]
    if not grants:
        return None
    how = "when its conditions hold" if all(g.get("conditional") for g in grants) else "unconditionally"
    return failed(f"Administrator access is granted {how} by {_names(grants)}.", {"admin_statements": grants})


def _document_wildcards(docs: Sequence[PolicyDocument]) -> Result | None:
    found = [
        {"policy": doc.name, "service": svc, **stmt.ref.as_dict()}
        for doc in docs
        for stmt, svc in service_wildcards(doc)
    ]
    if not found:
        return None
    services = ", ".join(sorted({f["service"] for f in found}))
    message = f"Every action of {services} is allowed by {_names(found)}."
    return failed(message, {"service_wildcards": found})


DocumentCheck = Callable[[Sequence[PolicyDocument]], Result | None]


def _inline_result(inline: Sequence[InlinePolicy], analyse: DocumentCheck, clean: str) -> Result:
    """A document-level check over a principal's inline policies: a finding in a readable
    document fails even when another one is unreadable (that one cannot undo it)."""
    if not inline:
        return not_applicable("The principal has no inline policies.")
    parsed = [_parse(p.document, p.document_error, f"inline:{p.name}") for p in inline]
    docs = [doc for doc, _ in parsed if doc is not None]
    problems = [problem for doc, problem in parsed if doc is None]
    result = analyse(docs)
    if result is not None:
        return result
    if problems:
        return unknown(f"Could not assess: {'; '.join(problems)}.", {"problems": problems})
    return passed(clean, {"policies": [p.name for p in inline]})


def _managed_document(policy: IamPolicy) -> PolicyDocument | Result:
    """The policy's document when the policy is assessed on its own, else the result to return."""
    if policy.aws_managed:
        return not_applicable("AWS-managed policies are assessed through the principals using them.")
    if policy.boundary_only:
        return not_applicable("The policy is used only as a permissions boundary.")
    doc, problem = _parse(policy.document, policy.document_error, policy.name)
    if doc is None:
        return unknown(f"Could not assess the policy document: {problem}.", {"problem": problem})
    return doc


# ---------------------------------------------------------------------------------------------
# Managed policies
# ---------------------------------------------------------------------------------------------


@check(
    title="Customer-managed IAM policy does not grant administrator access",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Replace the admin statement (Action '*' on Resource '*', in any spelling) with the actions "
    "and resources the principals need; use IAM Access Analyzer policy generation from CloudTrail.",
    compliance={"aws-fsbp": ["IAM.1"], **ADMIN_COMPLIANCE},
    attack=["AML.T0012", "AML.T0007"],
    references=(_sh(1),),
)
def policy_grants_no_admin(policy: IamPolicy) -> Result:
    """IAM.1 asks to remove customer managed policies with a statement ``"Effect": "Allow"`` with
    ``"Action": "*"`` over ``"Resource": "*"``: whoever the policy is attached to may call every
    action on every resource of the account. The check also recognises other spellings of the
    same grant and fails conditional admin grants (admin whenever the condition holds).
    AWS-managed policies are not applicable, as in IAM.1."""
    doc = _managed_document(policy)
    if isinstance(doc, Result):
        return doc
    found = _document_admin([doc])
    if found is not None:
        return failed(found.message, {**found.evidence, "attachment_count": policy.attachment_count})
    return passed("The policy grants no administrator access.")


@check(
    title="Customer-managed IAM policy allows no service-wide wildcard actions",
    severity=Severity.LOW,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Replace 'service:*' (and Allow with NotAction) with the specific actions needed (for "
    "example s3:GetObject on the training-data prefix instead of s3:*).",
    compliance={"aws-fsbp": ["IAM.21"], "nist-800-53-r5": ["AC-6"]},
    attack=["AML.T0007"],
    references=(_sh(21), CONFIG_FULL_ACCESS, NOT_ACTION),
)
def policy_has_no_service_wildcards(policy: IamPolicy) -> Result:
    """IAM.21 fails any statement with ``"Effect": "Allow"`` and ``"Action": "Service:*"``, and
    ``"Effect": "Allow"`` with ``"NotAction": "service:*"``, whatever the resource; it passes a
    prefix with a suffixed wildcard (``ec2:Describe*``) and says "overly permissive policies might
    lead to privilege escalation". The AWS Config rule it uses is NON_COMPLIANT if a policy
    "allows full access to at least 1 AWS service". This check follows IAM.21 (``s3:*`` on one
    bucket fails) and is stricter on NotAction: any Allow with NotAction fails, whatever it lists
    ("all of the applicable actions or services that are not listed are allowed", NotAction),
    reported as service ``*``. ``"Action": "*"`` is left to policy_grants_no_admin. Policies used
    only as permissions boundaries are not applicable, as in IAM.21."""
    doc = _managed_document(policy)
    if isinstance(doc, Result):
        return doc
    return _document_wildcards([doc]) or passed("No statement allows 'service:*' or NotAction.")


# ---------------------------------------------------------------------------------------------
# Principals: administrator access (effective permissions)
# ---------------------------------------------------------------------------------------------


@check(
    title="IAM user does not hold administrator access",
    severity=Severity.CRITICAL,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Remove the admin policies from the user and its groups; give people admin only through "
    "short-lived, MFA-protected role sessions (IAM Identity Center permission sets).",
    compliance=ADMIN_COMPLIANCE,
    attack=["AML.T0012"],
    references=(_sh(1), EVALUATION, EVALUATION_ONE_ACCOUNT),
)
def user_is_not_admin(
    user: IamUser, policies: Sequence[IamPolicy], groups: Sequence[IamGroup], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """IAM.1 asks that no customer managed policy allow ``"Action": "*"`` over ``"Resource": "*"``;
    this check asks who ends up holding it. cspm's analysis of the user's effective identity-side
    permissions (inline, attached and group policies together; "an explicit deny overrides an
    explicit allow"; the permissions boundary and the organization's SCPs applied, as in the
    IAM policy evaluation logic) fails when they allow every action on every resource, or do so
    once the conditions of an admin grant hold. Whoever holds the user's password or access key
    then acts as an administrator of the account."""
    return _principal_admin("user", principal_view(user, policies, groups, organization), {"groups": list(user.groups)})


@check(
    title="IAM group does not grant administrator access",
    severity=Severity.CRITICAL,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Remove the admin policies from the group, or replace the group with role-based admin access.",
    compliance=ADMIN_COMPLIANCE,
    attack=["AML.T0012"],
    references=(_sh(1), EVALUATION, EVALUATION_ONE_ACCOUNT),
)
def group_is_not_admin(
    group: IamGroup, policies: Sequence[IamPolicy], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """Every member of a group receives its policies. cspm evaluates the group's policies together
    (Denies and the organization's SCPs applied, per the IAM policy evaluation logic) and fails
    when they allow every action on every resource: each member, today and later, is then an
    administrator of the account unless its own boundary or a Deny removes it (IAM.1 judges the
    policies; this check judges the group)."""
    return _principal_admin(
        "group", principal_view(group, policies, (), organization), {"members": list(group.members)}
    )


@check(
    title="IAM role does not hold administrator access",
    severity=Severity.CRITICAL,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Scope the role to the actions and resources its workload needs; a SageMaker execution role "
    "needs its own buckets, ECR repositories, KMS keys and logs, never AdministratorAccess.",
    compliance=ADMIN_COMPLIANCE,
    attack=["AML.T0012"],
    references=(_sh(1), EVALUATION, EVALUATION_ONE_ACCOUNT, SAGEMAKER_ROLES, PASS_ROLE, SERVICE_LINKED),
)
def role_is_not_admin(role: IamRole, policies: Sequence[IamPolicy], organization: Sequence[OrgPolicies] = ()) -> Result:
    """The role's effective identity-side permissions (inline and attached policies, Denies, the
    permissions boundary and SCPs, per the IAM policy evaluation logic) are evaluated as for users.
    Service-trusted roles are not exempt: a service uses the role to act "on your behalf"
    (SageMaker execution roles), and code running on a compute resource uses its credentials
    ("Applications running on the instance can access temporary credentials for the role",
    PassRole); cspm treats notebooks, training jobs and model containers alike. Service-linked
    roles are not applicable: "The service controls the attached policies"
    (CreateServiceLinkedRole)."""
    evidence: dict[str, Any] = {"trusted_services": _trusted_services(role)}
    return _principal_admin("role", principal_view(role, policies, (), organization), evidence)


def _trusted_services(role: IamRole) -> list[str] | None:
    doc, _ = _parse(role.trust_policy, role.trust_policy_error, "trust")
    return None if doc is None else list(trust_policy_analysis(doc, role.account).trusted_services)


# ---------------------------------------------------------------------------------------------
# Principals: inline policies (document level)
# ---------------------------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Result])


def _inline_admin_check(title: str) -> Callable[[F], F]:
    return check(
        title=title,
        severity=Severity.HIGH,
        baseline=Baseline.LEAST_PRIVILEGE,
        remediation="Delete the inline admin policy; grant scoped permissions through managed policies.",
        compliance=ADMIN_COMPLIANCE,
        attack=["AML.T0012"],
        references=(CONTROL_TOWER_IAM, _sh(1), POLICY_LISTINGS),
    )


def _inline_wildcards_check(title: str) -> Callable[[F], F]:
    return check(
        title=title,
        severity=Severity.LOW,
        baseline=Baseline.LEAST_PRIVILEGE,
        remediation="Replace 'service:*' (and Allow with NotAction) in the inline policy with the specific "
        "actions needed.",
        compliance={"nist-800-53-r5": ["AC-6"]},
        attack=["AML.T0007"],
        references=(_sh(21), CONFIG_FULL_ACCESS, CONTROL_TOWER_IAM, NOT_ACTION),
    )


_NO_ADMIN = "No inline policy grants administrator access."
_NO_WILDCARDS = "No inline policy allows 'service:*' or NotAction."


@_inline_admin_check("IAM user inline policies grant no administrator access")
def user_inline_policies_grant_no_admin(user: IamUser) -> Result:
    """An inline policy is embedded in one identity: the account's managed-policy listing
    (ListPolicies) does not include it; it is listed per user, group or role. Control Tower's
    CT.IAM.PR.1 asks that inline policies have no statement with ``"*"`` in Action and Resource,
    as IAM.1 asks of customer managed policies. Other spellings of the grant and conditional
    admin grants (admin whenever the condition holds) fail too. Denies elsewhere are not
    considered: the *_is_not_admin checks judge the principal."""
    return _inline_result(user.inline_policies, _document_admin, _NO_ADMIN)


@_inline_admin_check("IAM group inline policies grant no administrator access")
def group_inline_policies_grant_no_admin(group: IamGroup) -> Result:
    """An inline policy is embedded in one identity: the account's managed-policy listing
    (ListPolicies) does not include it; it is listed per user, group or role. Control Tower's
    CT.IAM.PR.1 asks that inline policies have no statement with ``"*"`` in Action and Resource,
    as IAM.1 asks of customer managed policies. Other spellings of the grant and conditional
    admin grants (admin whenever the condition holds) fail too. Denies elsewhere are not
    considered: the *_is_not_admin checks judge the principal."""
    return _inline_result(group.inline_policies, _document_admin, _NO_ADMIN)


@_inline_admin_check("IAM role inline policies grant no administrator access")
def role_inline_policies_grant_no_admin(role: IamRole) -> Result:
    """An inline policy is embedded in one identity: the account's managed-policy listing
    (ListPolicies) does not include it; it is listed per user, group or role. Control Tower's
    CT.IAM.PR.1 asks that inline policies have no statement with ``"*"`` in Action and Resource,
    as IAM.1 asks of customer managed policies. Other spellings of the grant and conditional
    admin grants (admin whenever the condition holds) fail too. Denies elsewhere are not
    considered: the *_is_not_admin checks judge the principal."""
    return _inline_result(role.inline_policies, _document_admin, _NO_ADMIN)


@_inline_wildcards_check("IAM user inline policies allow no service-wide wildcards")
def user_inline_policies_have_no_service_wildcards(user: IamUser) -> Result:
    """IAM.21's rule applied to inline policies (IAM.21 and its AWS Config rule evaluate customer
    managed policies only; Control Tower's CT.IAM.PR.5 covers inline ones): an Allow of
    ``service:*`` fails whatever the resource, ``ec2:Describe*`` passes. An Allow with NotAction
    fails whatever the resource too ("all of the applicable actions or services that are not
    listed are allowed", NotAction) and is reported as service ``*``. Admin statements are left
    to the *_inline_policies_grant_no_admin checks."""
    return _inline_result(user.inline_policies, _document_wildcards, _NO_WILDCARDS)


@_inline_wildcards_check("IAM group inline policies allow no service-wide wildcards")
def group_inline_policies_have_no_service_wildcards(group: IamGroup) -> Result:
    """IAM.21's rule applied to inline policies (IAM.21 and its AWS Config rule evaluate customer
    managed policies only; Control Tower's CT.IAM.PR.5 covers inline ones): an Allow of
    ``service:*`` fails whatever the resource, ``ec2:Describe*`` passes. An Allow with NotAction
    fails whatever the resource too ("all of the applicable actions or services that are not
    listed are allowed", NotAction) and is reported as service ``*``. Admin statements are left
    to the *_inline_policies_grant_no_admin checks."""
    return _inline_result(group.inline_policies, _document_wildcards, _NO_WILDCARDS)


@_inline_wildcards_check("IAM role inline policies allow no service-wide wildcards")
def role_inline_policies_have_no_service_wildcards(role: IamRole) -> Result:
    """IAM.21's rule applied to inline policies (IAM.21 and its AWS Config rule evaluate customer
    managed policies only; Control Tower's CT.IAM.PR.5 covers inline ones): an Allow of
    ``service:*`` fails whatever the resource, ``ec2:Describe*`` passes. An Allow with NotAction
    fails whatever the resource too ("all of the applicable actions or services that are not
    listed are allowed", NotAction) and is reported as service ``*``. Admin statements are left
    to the *_inline_policies_grant_no_admin checks."""
    return _inline_result(role.inline_policies, _document_wildcards, _NO_WILDCARDS)


# ---------------------------------------------------------------------------------------------
# Users: how permissions are granted, and credential hygiene (credential report)
# ---------------------------------------------------------------------------------------------


@check(
    title="IAM user receives permissions only through groups",
    severity=Severity.LOW,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Move the user's policies to a group that matches the user's job and add the user to it.",
    compliance={"aws-fsbp": ["IAM.2"], "cis-aws-5.0": ["1.14"], "nist-800-53-r5": ["AC-2", "AC-6"]},
    attack=["AML.T0012"],
    references=(_sh(2),),
)
def user_has_no_attached_policies(user: IamUser) -> Result:
    """IAM.2: users should inherit permissions from groups or roles; assigning them at the group
    or role level "reduces the complexity of access management as the number of users grows"
    and the opportunity to "inadvertently receive or retain excessive privileges". Inline and
    attached managed policies both count."""
    if not user.inline_policies and not user.attached_policies:
        return passed("The user has no inline or attached policies.")
    evidence = {
        "inline_policies": [p.name for p in user.inline_policies],
        "attached_policies": [p.arn for p in user.attached_policies],
    }
    count = len(user.inline_policies) + len(user.attached_policies)
    return failed(f"{count} policies are attached directly to the user.", evidence)


def _credentials(user: IamUser) -> Credentials | Result:
    if user.credentials is None:
        reason = user.credentials_error or "the credential report could not be read"
        return unknown(f"Could not assess the user's credentials: {reason}.", {"problem": reason})
    return user.credentials


@check(
    title="IAM user with a console password has MFA",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Enable an MFA device for the user (preferably a FIDO2 security key), or remove the console "
    "password if the user does not sign in.",
    compliance={"aws-fsbp": ["IAM.5"], "cis-aws-5.0": ["1.9"], "nist-800-53-r5": ["IA-2"]},
    attack=["AML.T0012"],
    references=(_sh(5), CREDENTIAL_REPORT),
)
def console_user_has_mfa(user: IamUser) -> Result:
    """MFA "adds an extra layer of protection on top of a user name and password": at sign-in
    the user also needs a code from their device (IAM.5). Read from the credential report:
    ``password_enabled`` FALSE passes; ``mfa_active`` decides otherwise. A row without those
    values (or no report) is an error, never a pass."""
    creds = _credentials(user)
    if isinstance(creds, Result):
        return creds
    if creds.password_enabled is False:
        return passed("The user has no console password.")
    if creds.password_enabled is None or creds.mfa_active is None:
        return unknown("The credential report does not say whether the user has a password and MFA.")
    if creds.mfa_active:
        return passed("The console user has MFA.")
    return failed("The user has a console password and no MFA.", {"password_enabled": True, "mfa_active": False})


def _days(delta: timedelta) -> int:
    return delta.days


@check(
    title="IAM user access keys are rotated within 90 days",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Create a new access key, move the workload to it, then deactivate and delete the old one; "
    "better, replace long-lived keys with roles.",
    compliance={"aws-fsbp": ["IAM.3"], "cis-aws-5.0": ["1.13"], "nist-800-53-r5": ["IA-5", "AC-2"]},
    attack=["AML.T0012", "AML.T0055"],
    references=(_sh(3), CREDENTIAL_REPORT),
)
def access_keys_rotated(user: IamUser, now: datetime) -> Result:
    """Rotating access keys "reduces the chance that an access key that is associated with a
    compromised or terminated account is used" and that data is accessed "with an old key that
    might have been lost, cracked, or stolen" (IAM.3, which recommends roles or federation over
    keys). Age is ``access_key_N_last_rotated`` of the credential report ("created or last
    changed"; ``N/A`` without an active key); an active key without that date is an error. The
    report can be up to four hours old."""
    creds = _credentials(user)
    if isinstance(creds, Result):
        return creds
    keys = creds.active_keys
    if any(k.last_rotated is None for k in keys):
        return unknown("The credential report has no rotation date for an active access key.")
    old = [
        {"key": f"access_key_{k.slot}", "last_rotated": rotated.isoformat(), "age_days": _days(now - rotated)}
        for k in keys
        if (rotated := k.last_rotated) is not None and now - rotated > KEY_MAX_AGE
    ]
    if old:
        return failed(f"{len(old)} active access key(s) older than 90 days.", {"keys": old})
    if not keys:
        return passed("The user has no active access keys.")
    return passed(f"All {len(keys)} active access key(s) were rotated within 90 days.")


def _stale(name: str, last_used: datetime | None, since: datetime | None, now: datetime) -> dict[str, Any] | None:
    """Evidence for a credential unused for 45 days: never used counts from when it was set."""
    reference = last_used or since
    if reference is None or now - reference <= UNUSED_AFTER:
        return None
    return {
        "credential": name,
        "last_used": last_used.isoformat() if last_used else None,
        "unused_days": _days(now - reference),
    }


def _unused_credentials(creds: Credentials, now: datetime) -> list[dict[str, Any]]:
    found = []
    if creds.password_enabled:
        since = creds.password_last_changed or creds.created
        found.append(_stale("password", creds.password_last_used, since, now))
    found.extend(_stale(f"access_key_{k.slot}", k.last_used, k.last_rotated, now) for k in creds.active_keys)
    return [f for f in found if f is not None]


@check(
    title="IAM user credentials unused for 45 days are disabled",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Remove the console password and deactivate the access keys that have not been used for 45 "
    "days (IAM console, Security credentials tab).",
    compliance={"cis-aws-5.0": ["1.11"], "nist-800-53-r5": ["AC-2"]},
    attack=["AML.T0012"],
    references=(_sh(22), CREDENTIAL_REPORT),
)
def credentials_used_recently(user: IamUser, now: datetime) -> Result:
    """Removing credentials unused for 45 days "reduces the window of opportunity for credentials
    associated with a compromised or abandoned account to be used" (Security Hub IAM.22, which is
    not part of the FSBP standard). In the credential report a password never used (or not used
    since tracking began in October 2014) reads ``no_information``, and a key never used (or not
    since April 2015) reads ``N/A``: such a credential counts from the day it was set
    (``password_last_changed`` or the user's creation; ``access_key_N_last_rotated``)."""
    creds = _credentials(user)
    if isinstance(creds, Result):
        return creds
    if creds.password_enabled is None:
        return unknown("The credential report does not say whether the user has a password.")
    stale = _unused_credentials(creds, now)
    if stale:
        names = ", ".join(s["credential"] for s in stale)
        return failed(f"Unused for more than 45 days: {names}.", {"unused": stale})
    return passed("Every enabled password and active access key was used within 45 days.")


@check(
    title="IAM user has at most one active access key",
    fail_title="IAM user has more than one active access key",
    severity=Severity.LOW,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Deactivate and delete the access key the user no longer needs.",
    compliance={"cis-aws-5.0": ["1.12"], "nist-800-53-r5": ["AC-2"]},
    attack=["AML.T0055"],
    references=(CREDENTIAL_REPORT,),
)
def user_has_one_active_key(user: IamUser) -> Result:
    """Users "can have up to two access keys, to make rotation easier" (credential report). Both
    active means two long-lived secrets that each sign requests as the user; outside the moment
    of a rotation, CIS 1.12 asks for one. Read from ``access_key_1_active`` and
    ``access_key_2_active``."""
    creds = _credentials(user)
    if isinstance(creds, Result):
        return creds
    active = [f"access_key_{k.slot}" for k in creds.active_keys]
    if len(active) > 1:
        return failed("The user has two active access keys.", {"active_keys": active})
    return passed(f"The user has {len(active)} active access key(s).")


# ---------------------------------------------------------------------------------------------
# The account: root user and password policy
# ---------------------------------------------------------------------------------------------


@check(
    title="Root user has no access keys",
    severity=Severity.CRITICAL,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Delete the root user's access keys (root user, Security credentials); use roles instead.",
    compliance={"aws-fsbp": ["IAM.4"], "cis-aws-5.0": ["1.3"], "nist-800-53-r5": ["AC-6", "IA-2"]},
    attack=["AML.T0012", "AML.T0055"],
    references=(_sh(4), CREDENTIAL_REPORT),
)
def root_has_no_access_keys(account: IamAccount) -> Result:
    """IAM.4: "The root account is the most privileged user in an AWS account"; Security Hub recommends
    removing its access keys to limit the vectors that can compromise the account and to use
    least-privileged roles instead (IAM.4). Read from the account summary
    (``AccountAccessKeysPresent``) and the report's root row; ERROR only when neither is
    readable."""
    root_keys = None if account.root is None else [f"access_key_{k.slot}" for k in account.root.active_keys]
    if account.access_keys_present is None and root_keys is None:
        problem = account.root_error or "the credential report has no root row"
        return unknown(f"Could not assess: the account summary could not be read and {problem}.")
    if account.access_keys_present or root_keys:
        evidence = {"account_access_keys_present": account.access_keys_present, "active_root_keys": root_keys}
        return failed("The root user has access keys.", evidence)
    return passed("The root user has no access keys.")


@check(
    title="Root user has MFA",
    severity=Severity.CRITICAL,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Enable MFA for the root user (a hardware security key, kept offline).",
    compliance={"cis-aws-5.0": ["1.4"], "nist-800-53-r5": ["IA-2"]},
    attack=["AML.T0012"],
    references=(_sh(9), CREDENTIAL_REPORT),
)
def root_has_mfa(account: IamAccount) -> Result:
    """IAM.9: "The root user has complete access to all the services and resources in an AWS account";
    MFA adds a code from a device to the password at sign-in (Security Hub IAM.9, not part of
    the FSBP standard). Read from ``AccountMFAEnabled``, else the root row's ``mfa_active`` (its
    password fields read ``not_supported``)."""
    mfa = account.mfa_enabled
    if mfa is None and account.root is not None:
        mfa = account.root.mfa_active
    if mfa is None:
        problem = account.root_error or "the credential report has no root row"
        return unknown(f"Could not assess: the account summary could not be read and {problem}.")
    if mfa:
        return passed("The root user has MFA.")
    return failed("The root user has no MFA.", {"account_mfa_enabled": False})


_PASSWORD_RULES: tuple[tuple[str, Callable[[PasswordPolicy], Any], Callable[[Any], bool], str], ...] = (
    ("MinimumPasswordLength", lambda p: p.minimum_length, lambda v: (v or 0) >= MIN_PASSWORD_LENGTH, ">= 14"),
    (
        "PasswordReusePrevention",
        lambda p: p.reuse_prevention,
        lambda v: (v or 0) >= MIN_PASSWORD_REUSE_PREVENTION,
        ">= 24",
    ),
    ("RequireUppercaseCharacters", lambda p: p.require_uppercase, bool, "true"),
    ("RequireLowercaseCharacters", lambda p: p.require_lowercase, bool, "true"),
    ("RequireNumbers", lambda p: p.require_numbers, bool, "true"),
    ("RequireSymbols", lambda p: p.require_symbols, bool, "true"),
)


@check(
    title="Account password policy is strong",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Set a password policy with a minimum length of 14, reuse prevention of 24, and upper case, "
    "lower case, number and symbol requirements.",
    compliance={"aws-fsbp": ["IAM.7"], "cis-aws-5.0": ["1.7", "1.8"], "nist-800-53-r5": ["IA-5"]},
    attack=["AML.T0012"],
    references=(_sh(7), _sh(15), _sh(16)),
)
def password_policy_is_strong(account: IamAccount) -> Result:
    """Length and character-set requirements increase "account resiliency against brute force
    login attempts", and remembering 24 passwords prevents reuse (Security Hub IAM.11 to IAM.16,
    from CIS). The check asks for IAM.7's four character classes plus CIS's length 14 (IAM.15)
    and reuse prevention 24 (IAM.16); IAM.7's own default minimum length is 8, so a policy of 8
    to 13 characters passes IAM.7 and fails here. Expiry (MaxPasswordAge) is not required. No
    policy set (NoSuchEntity) fails; an unreadable one is an error."""
    policy = account.password_policy
    if policy is None:
        return unknown("Could not assess: the account password policy could not be read.")
    if not policy.configured:
        return failed("No account password policy is set.", {"weak": [{"setting": "PasswordPolicy", "value": None}]})
    weak = [
        {"setting": name, "value": get(policy), "required": required}
        for name, get, ok, required in _PASSWORD_RULES
        if not ok(get(policy))
    ]
    if weak:
        return failed(f"Weak settings: {', '.join(w['setting'] for w in weak)}.", {"weak": weak})
    return passed("The password policy meets length, reuse and complexity requirements.")


# ---------------------------------------------------------------------------------------------
# Roles: who may assume them
# ---------------------------------------------------------------------------------------------


def _trust(role: IamRole) -> tuple[Any, Result | None]:
    doc, problem = _parse(role.trust_policy, role.trust_policy_error, "trust policy")
    if doc is None:
        return None, unknown(f"Could not assess the trust policy: {problem}.", {"problem": problem})
    return trust_policy_analysis(doc, role.account), None


@check(
    title="IAM role trust policy is not open to everyone",
    severity=Severity.CRITICAL,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Name the principals that may assume the role; for OIDC providers add a condition on the "
    "':sub' claim (the repository, service account or workload).",
    compliance={"nist-800-53-r5": ["AC-3", "AC-17"]},
    attack=["AML.T0012"],
    references=(PRINCIPAL, GITHUB_OIDC, EVALUATION),
)
def role_trust_is_not_public(role: IamRole, organization: Sequence[OrgPolicies] = ()) -> Result:
    """A trust policy's Principal names who may assume the role; with ``"*"`` "everyone" may, and
    AWS says "Do not leave your role accessible to everyone!" unless a Condition limits it
    (Principal). For a GitHub OIDC provider, "IAM recommends that users evaluate the IAM condition
    key, token.actions.githubusercontent.com:sub" (GitHub's AWS OIDC guide); cspm asks for a subject
    condition of every OIDC provider. Statements with a restricting condition are judged by the
    trust analysis (docs/iam-analysis.md). A resource control policy that denies those
    sts:AssumeRole* requests from outside the organization makes it pass, naming the RCP (RCPs
    are part of the deny evaluation)."""
    trust, early = _trust(role)
    if early is not None:
        return early
    public = [r.as_dict() for r in trust.public]
    federated = [{"provider": p, **r.as_dict()} for p, r in trust.federated_without_guard]
    if public or federated:
        requests: list[Request] = []
        if public:
            requests.append(("sts:AssumeRole", role.uid, PUBLIC_CALLERS))
        if federated:
            requests.append(("sts:AssumeRoleWithWebIdentity", role.uid, FEDERATED_CALLERS))
        verdict = failed(
            "Anyone can assume the role" + (" through an unguarded identity provider." if not public else "."),
            {"public_statements": public, "federated_without_guard": federated},
        )
        return with_rcps(verdict, organization, lambda: requests)
    return passed("The trust policy names who may assume the role.")


@check(
    title="IAM role trusted by another account requires an external ID or organization condition",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Add an sts:ExternalId condition for third parties, or aws:PrincipalOrgID for accounts of "
    "your organization, to the trust statement.",
    compliance={"nist-800-53-r5": ["AC-3"]},
    attack=["AML.T0012"],
    references=(CONFUSED_DEPUTY,),
)
def role_trust_guards_cross_account(role: IamRole, organization: Sequence[OrgPolicies] = ()) -> Result:
    """When a third party that serves many customers assumes the role, "the primary function of
    the external ID is to address and prevent the confused deputy problem": without it, another
    customer of the third party can have it assume this role. The check cannot tell a third party
    from an account of your own, so it asks for either ``sts:ExternalId`` or an organization
    condition (``aws:PrincipalOrgID``) on every cross-account trust. An RCP that denies those
    accounts' sts:AssumeRole whatever their organization makes it pass; one conditional on
    aws:PrincipalOrgID may block (whether the other account is in the organization is not known)."""
    trust, early = _trust(role)
    if early is not None:
        return early
    unguarded = [{"principal": p, **r.as_dict()} for p, r in trust.cross_account_without_guard]
    if unguarded:
        verdict = failed(
            f"{len(unguarded)} cross-account trust(s) without an external ID or organization condition.",
            {"cross_account_without_guard": unguarded},
        )
        return with_rcps(
            verdict,
            organization,
            lambda: [("sts:AssumeRole", role.uid, _callers_of(p)) for p, _ in trust.cross_account_without_guard],
        )
    others = [a for a in trust.trusted_accounts if a != role.account]
    return passed("Every trusted account is guarded." if others else "The role trusts no other account.")


def _callers_of(principal: str) -> tuple[dict[str, ContextValue], ...]:
    account = re.search(r"\b(\d{12})\b", principal)
    return account_callers(account.group(1)) if account else PUBLIC_CALLERS


# ---------------------------------------------------------------------------------------------
# Principals: what their effective permissions let them do (cspm.iam.inventory, once per scan)
# ---------------------------------------------------------------------------------------------
#
# One check per principal kind and risk, each a call to one helper. The analysis (parsed
# policies, effective permissions, categories, the escalation graph) is built once per scan by
# cspm.iam.inventory and shared. A principal with an unreadable policy is ERROR; a grant that
# holds only under a condition fails too, and says so ("conditional" in the evidence).

ESCALATION_COMPLIANCE = {"nist-800-53-r5": ["AC-6", "AC-6(10)"]}
LIMIT = 10  # actions named in a message


def _few(items: Sequence[str]) -> str:
    head = ", ".join(items[:LIMIT])
    return head + (f" and {len(items) - LIMIT} more" if len(items) > LIMIT else "")


def _unassessable(view: PrincipalView, what: str) -> Result | None:
    """ERROR when a policy of the principal could not be read; no finding for a service-linked role
    (AWS defines its permissions and trust: nothing to fix)."""
    if view.service_linked:
        return not_applicable("A service-linked role: AWS owns its permissions.")
    if not view.problems:
        return None
    problems = list(view.problems)
    return unknown(f"Could not assess the {what}'s permissions: {'; '.join(problems)}.", {"problems": problems})


def _with_scps(view: PrincipalView, result: Result) -> Result:
    """The organization's SCPs in a principal's verdict: the evidence says whether they were applied
    (``scps``); a FAIL in an account where an SCP or RCP that applies could not be read is ERROR,
    since that policy could take away what the finding reports. A PASS stays: SCPs only remove."""
    if result.status is None:
        return result
    guard = view.guard
    evidence = {**result.evidence, "scps": guard.evidence()}
    if result.status is Status.FAIL and guard.uncertain and not view.service_linked:
        reason = "; ".join(guard.problems)
        return unknown(f"Could not assess: {reason}. Without it: {result.message}", evidence)
    return result.model_copy(update={"evidence": evidence})


_CATEGORY_TEXT = {
    Category.DATA_EXFILTRATION: "read data and secrets",
    Category.RESOURCE_EXPOSURE: "change who may access resources",
    Category.CREDENTIALS_EXPOSURE: "obtain or create credentials",
}


def _category_result(view: PrincipalView, what: str, category: Category) -> Result:
    """FAIL when the principal holds actions of ``category`` on every resource (conditionally or not)."""
    return _with_scps(view, _category_result_verdict(view, what, category))


def _category_result_verdict(view: PrincipalView, what: str, category: Category) -> Result:
    early = _unassessable(view, what)
    if early is not None:
        return early
    found = view.category(category)
    text = _CATEGORY_TEXT[category]
    evidence = {k: v for k, v in found.as_dict().items() if k != "escalations"}
    if found.unrestricted:
        return failed(f"The {what} can {text} on every resource: {_few(found.unrestricted)}.", evidence)
    if found.conditional:
        message = f"The {what} can {text} on every resource when conditions hold: {_few(found.conditional)}."
        return failed(message, evidence)
    return passed(f"The {what} cannot {text} on every resource.")


def _escalation_result(view: PrincipalView, what: str) -> Result:
    """FAIL when an escalation method of the table works against any target of the account."""
    return _with_scps(view, _escalation_result_verdict(view, what))


def _escalation_result_verdict(view: PrincipalView, what: str) -> Result:
    early = _unassessable(view, what)
    if early is not None:
        return early
    matches = view.escalations
    if not matches and view.permissions.guardrails and view.escalations_without_scps:
        cut = [
            {
                "method": m.method.id,
                "blocked": blocked_decisions(view.permissions, [(d.action, d.resource) for d in m.decisions]),
            }
            for m in view.escalations_without_scps
        ]
        message = f"The {what} holds no privilege-escalation combination that works on every target: SCPs block them."
        return passed(message, {"cut_by_scps": cut})
    if not matches:
        return passed(f"The {what} holds no privilege-escalation combination that works on every target.")
    methods = [{**m.as_dict(), "statements": allowed_statements(view, m.decisions)} for m in matches]
    names = _few([m.method.id for m in matches])
    if any(m.verdict is Verdict.ALLOWED for m in matches):
        return failed(f"The {what} can escalate privileges: {names}.", {"methods": methods})
    return failed(f"The {what} can escalate privileges when conditions hold: {names}.", {"methods": methods})


def _reach_result(
    principal: IamUser | IamGroup | IamRole,
    what: str,
    analysis: AccountAnalysis,
) -> Result:
    """FAIL when the escalation graph has a path from the principal to an admin-equivalent one."""
    view = analysis.view_of(principal)
    if view is None:
        return unknown(f"Could not assess: the {what} is not among the account's principals.")
    return _with_scps(view, _reach_verdict(view, what, analysis))


def _reach_verdict(view: PrincipalView, what: str, analysis: AccountAnalysis) -> Result:
    early = _unassessable(view, what)
    if early is not None:
        return early
    if view.permissions.is_admin:
        return not_applicable(f"The {what} is an administrator: the *_is_not_admin check reports it.")
    reach = analysis.reach(view.arn)
    evidence = reach.evidence()
    if reach.path == []:
        reasons = ", ".join(reach.admin_reasons)
        return failed(
            f"The {what} is administrator-equivalent: it may use {reasons} to grant itself anything.", evidence
        )
    if reach.path:
        hops = " -> ".join(f"{e.target.rsplit('/', 1)[-1]} ({e.via})" for e in reach.path)
        when = " when the conditions on the path hold" if reach.conditional else ""
        return failed(f"The {what} can reach administrator{when}: {hops}.", evidence)
    if reach.uncertain:
        names = _few(list(reach.uncertain))
        return unknown(
            f"Could not assess the paths to administrator: the policies of {names} are unreadable.", evidence
        )
    return passed(f"The {what} has no path to an administrator-equivalent principal.", evidence)


def _pass_role_result(view: PrincipalView, what: str) -> Result:
    """FAIL when ``iam:PassRole`` is allowed on every role of the account (whatever the conditions)."""
    return _with_scps(view, _pass_role_result_verdict(view, what))


def _pass_role_result_verdict(view: PrincipalView, what: str) -> Result:
    early = _unassessable(view, what)
    if early is not None:
        return early
    decision = view.pass_any_role()
    if not decision.possible:
        return passed(f"The {what} cannot pass every role of the account.")
    evidence = {"verdict": decision.verdict.value, "statements": allowed_statements(view, [decision])}
    when = "" if decision.allowed else ", under conditions (such as iam:PassedToService) that limit where to"
    return failed(f"The {what} can pass any role of the account to a service{when}.", evidence)


def _near_admin_result(view: PrincipalView, what: str) -> Result:
    """FAIL when the principal holds at least 90 % of every known action on every resource, but not all."""
    return _with_scps(view, _near_admin_result_verdict(view, what))


def _near_admin_result_verdict(view: PrincipalView, what: str) -> Result:
    early = _unassessable(view, what)
    if early is not None:
        return early
    if view.permissions.is_admin:
        return not_applicable(f"The {what} is an administrator: the *_is_not_admin check reports it.")
    near = view.near_admin
    if near is None:
        return passed(f"The {what} does not hold almost every action on every resource.")
    when = " when conditions hold" if near.conditional else ""
    message = (
        f"The {what} may perform {near.allowed} of {near.total} known actions on every resource{when}; "
        f"only some of {_few(list(near.excluded_services))} are left out."
    )
    return failed(message, near.as_dict())


F2 = TypeVar("F2", bound=Callable[..., Result])


def _principal_check(
    title: str,
    severity: Severity,
    remediation: str,
    compliance: dict[str, list[str]],
    attack: list[str],
    references: tuple[str, ...],
) -> Callable[[F2], F2]:
    """One decorator per family: every generated user, group and role check gets the same
    metadata, references included."""
    return check(
        title=title,
        severity=severity,
        baseline=Baseline.LEAST_PRIVILEGE,
        remediation=remediation,
        compliance=compliance,
        attack=attack,
        references=references,
    )


_ESCALATION = (
    Severity.HIGH,
    "Remove the IAM actions that change permissions or credentials (or scope them to named resources), and "
    "limit iam:PassRole to the roles the workload needs, with an iam:PassedToService condition.",
    ESCALATION_COMPLIANCE,
    ["AML.T0012"],
    (PASS_ROLE, SET_DEFAULT_POLICY_VERSION, CREATE_ACCESS_KEY, CREATE_LOGIN_PROFILE, EVALUATION),
)
_REACH = (
    Severity.CRITICAL,
    "Break every step of the path in the evidence: narrow sts:AssumeRole and the role's trust policy, scope "
    "iam:PassRole to less privileged roles, or remove the administrator access at the end of it.",
    ESCALATION_COMPLIANCE,
    ["AML.T0012"],
    (PRINCIPAL, PASS_ROLE, EVALUATION_ONE_ACCOUNT, EVALUATION),
)
_EXFILTRATION = (
    Severity.MEDIUM,
    "Scope object reads, secret and parameter reads, and kms:Decrypt to the buckets, prefixes, secrets and "
    "keys the principal needs instead of '*'.",
    {"nist-800-53-r5": ["AC-6", "AC-4"]},
    ["AML.T0035", "AML.T0007"],
    (EVALUATION_ONE_ACCOUNT, EVALUATION),
)
_EXPOSURE = (
    Severity.MEDIUM,
    "Scope Permissions-management actions (bucket, key, repository and resource policies, ACLs, grants) to "
    "named resources, or remove them.",
    {"nist-800-53-r5": ["AC-6", "AC-3"]},
    ["AML.T0035"],
    (ACCESS_LEVELS, PRINCIPAL, EVALUATION_ONE_ACCOUNT),
)
_CREDENTIALS = (
    Severity.MEDIUM,
    "Scope credential-returning actions (iam:CreateAccessKey, sts:AssumeRole, ecr:GetAuthorizationToken, "
    "presigned notebook URLs …) to the users, roles and resources the principal needs.",
    {"nist-800-53-r5": ["AC-6", "IA-5"]},
    ["AML.T0055", "AML.T0012"],
    (CREATE_ACCESS_KEY, CREATE_LOGIN_PROFILE, PRINCIPAL, EVALUATION),
)
_PASS_ROLE = (
    Severity.MEDIUM,
    "Replace the iam:PassRole resource '*' (or role/*) with the ARNs of the roles the principal must pass, and "
    "add an iam:PassedToService condition.",
    {"nist-800-53-r5": ["AC-6"]},
    ["AML.T0012"],
    (PASS_ROLE, EC2_PASS_ROLE),
)
_NEAR_ADMIN = (
    Severity.HIGH,
    "Replace the Allow with NotAction (PowerUserAccess and the like) with the services and actions the "
    "principal needs.",
    {"nist-800-53-r5": ["AC-6"]},
    ["AML.T0012", "AML.T0007"],
    (NOT_ACTION, POWER_USER),
)


@_principal_check("IAM user cannot escalate its privileges", *_ESCALATION)
def user_cannot_escalate_privileges(
    user: IamUser, policies: Sequence[IamPolicy], groups: Sequence[IamGroup], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """A user whose permissions (all its policies and its groups' together) hold a known escalation
    combination can give itself more than it was granted.
    cspm's own analysis, not an AWS finding: the escalation table (docs/iam-analysis.md) combines
    documented effects: iam:CreatePolicyVersion / SetDefaultPolicyVersion change a policy's
    "default (operative) version", which "affects all users, groups, and roles that the policy is
    attached to"; iam:CreateAccessKey creates keys "for the specified user"; iam:CreateLoginProfile
    gives a user a console password; iam:PassRole lets the caller configure a service with a role
    (PassRole). It fails when a method works on every target (Denies, boundary and SCPs applied)."""
    return _escalation_result(principal_view(user, policies, groups, organization), "user")


@_principal_check("IAM group does not grant privilege escalation", *_ESCALATION)
def group_cannot_escalate_privileges(
    group: IamGroup, policies: Sequence[IamPolicy], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """Every member of a group whose policies hold a known escalation combination can give itself
    more than the group grants.
    cspm's own analysis, not an AWS finding: the escalation table (docs/iam-analysis.md) combines
    documented effects: iam:CreatePolicyVersion / SetDefaultPolicyVersion change a policy's
    "default (operative) version", which "affects all users, groups, and roles that the policy is
    attached to"; iam:CreateAccessKey creates keys "for the specified user"; iam:CreateLoginProfile
    gives a user a console password; iam:PassRole lets the caller configure a service with a role
    (PassRole). It fails when a method works on every target (Denies, boundary and SCPs applied)."""
    return _escalation_result(principal_view(group, policies, (), organization), "group")


@_principal_check("IAM role cannot escalate its privileges", *_ESCALATION)
def role_cannot_escalate_privileges(
    role: IamRole, policies: Sequence[IamPolicy], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """Code running with a role that holds a known escalation combination (a notebook, a training
    job, a Lambda function) can give the role more than it was granted.
    cspm's own analysis, not an AWS finding: the escalation table (docs/iam-analysis.md) combines
    documented effects: iam:CreatePolicyVersion / SetDefaultPolicyVersion change a policy's
    "default (operative) version", which "affects all users, groups, and roles that the policy is
    attached to"; iam:CreateAccessKey creates keys "for the specified user"; iam:CreateLoginProfile
    gives a user a console password; iam:PassRole lets the caller configure a service with a role
    (PassRole). It fails when a method works on every target (Denies, boundary and SCPs applied)."""
    return _escalation_result(principal_view(role, policies, (), organization), "role")


@_principal_check("IAM user has no path to administrator", *_REACH)
def user_cannot_reach_admin(
    user: IamUser,
    users: Sequence[IamUser],
    groups: Sequence[IamGroup],
    roles: Sequence[IamRole],
    policies: Sequence[IamPolicy],
    organization: Sequence[OrgPolicies] = (),
) -> Result:
    """Fails when the account's escalation graph has a path from the user to an administrator-
    equivalent principal: sts:AssumeRole of a role whose trust policy lets it in, iam:PassRole plus
    a SageMaker, Glue, Lambda, EC2, CloudFormation, CodeBuild or ECS create action onto a role that
    service may assume, credentials of other users, rewritable policies.
    A path is cspm's own analysis (the escalation graph, docs/iam-analysis.md), not an AWS
    finding; its edges rest on documented rules: a role's trust policy names who may assume it
    (Principal), in one account an Allow in the identity-based or the resource-based policy
    suffices (single-account evaluation), and iam:PassRole lets the caller hand a role to a
    service (PassRole). The shortest path is the evidence."""
    return _reach_result(user, "user", account_analysis(users, groups, roles, policies, organization))


@_principal_check("IAM group has no path to administrator", *_REACH)
def group_cannot_reach_admin(
    group: IamGroup,
    users: Sequence[IamUser],
    groups: Sequence[IamGroup],
    roles: Sequence[IamRole],
    policies: Sequence[IamPolicy],
    organization: Sequence[OrgPolicies] = (),
) -> Result:
    """Fails when the account's escalation graph has a path from the group (a member with only the
    group's permissions) to an administrator-equivalent principal.
    A path is cspm's own analysis (the escalation graph, docs/iam-analysis.md), not an AWS
    finding; its edges rest on documented rules: a role's trust policy names who may assume it
    (Principal), in one account an Allow in the identity-based or the resource-based policy
    suffices (single-account evaluation), and iam:PassRole lets the caller hand a role to a
    service (PassRole). The shortest path is the evidence."""
    return _reach_result(group, "group", account_analysis(users, groups, roles, policies, organization))


@_principal_check("IAM role has no path to administrator", *_REACH)
def role_cannot_reach_admin(
    role: IamRole,
    users: Sequence[IamUser],
    groups: Sequence[IamGroup],
    roles: Sequence[IamRole],
    policies: Sequence[IamPolicy],
    organization: Sequence[OrgPolicies] = (),
) -> Result:
    """Fails when the account's escalation graph has a path from the role (a SageMaker execution role
    included) to an administrator-equivalent principal: a more privileged role to assume or pass
    to a new job, a policy to rewrite.
    A path is cspm's own analysis (the escalation graph, docs/iam-analysis.md), not an AWS
    finding; its edges rest on documented rules: a role's trust policy names who may assume it
    (Principal), in one account an Allow in the identity-based or the resource-based policy
    suffices (single-account evaluation), and iam:PassRole lets the caller hand a role to a
    service (PassRole). The shortest path is the evidence."""
    return _reach_result(role, "role", account_analysis(users, groups, roles, policies, organization))


@_principal_check("IAM user cannot read every bucket, secret and parameter", *_EXFILTRATION)
def user_cannot_exfiltrate_data(
    user: IamUser, policies: Sequence[IamPolicy], groups: Sequence[IamGroup], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """Reads that return data (s3:GetObject, secretsmanager:GetSecretValue, ssm:GetParameter*,
    kms:Decrypt, ecr:BatchGetImage, dynamodb reads …; cspm's list) allowed on every resource let
    whoever holds the user's credentials copy datasets, model artifacts and secrets it does not need.
    cspm judges the identity side: within one account an Allow in the identity-based policy
    suffices unless a policy explicitly denies (single-account evaluation), so a bucket policy,
    key policy or SCP with a Deny can still refuse what this check reports."""
    return _category_result(principal_view(user, policies, groups, organization), "user", Category.DATA_EXFILTRATION)


@_principal_check("IAM group does not grant reads of every bucket, secret and parameter", *_EXFILTRATION)
def group_cannot_exfiltrate_data(
    group: IamGroup, policies: Sequence[IamPolicy], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """Data reads (cspm's list: s3:GetObject, secretsmanager:GetSecretValue, kms:Decrypt …) allowed
    on every resource by the group's policies are allowed to each of its members.
    cspm judges the identity side: within one account an Allow in the identity-based policy
    suffices unless a policy explicitly denies (single-account evaluation), so a bucket policy,
    key policy or SCP with a Deny can still refuse what this check reports."""
    return _category_result(principal_view(group, policies, (), organization), "group", Category.DATA_EXFILTRATION)


@_principal_check("IAM role cannot read every bucket, secret and parameter", *_EXFILTRATION)
def role_cannot_exfiltrate_data(
    role: IamRole, policies: Sequence[IamPolicy], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """A training job or notebook role that may read every bucket and secret lets any code running
    with it (a malicious dependency included) read data beyond its own.
    cspm judges the identity side: within one account an Allow in the identity-based policy
    suffices unless a policy explicitly denies (single-account evaluation), so a bucket policy,
    key policy or SCP with a Deny can still refuse what this check reports."""
    return _category_result(principal_view(role, policies, (), organization), "role", Category.DATA_EXFILTRATION)


@_principal_check("IAM user cannot change the access policies of every resource", *_EXPOSURE)
def user_cannot_expose_resources(
    user: IamUser, policies: Sequence[IamPolicy], groups: Sequence[IamGroup], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """Permissions-management actions on every resource (s3:PutBucketPolicy, kms:PutKeyPolicy,
    ecr:SetRepositoryPolicy …) let the user rewrite who may use a dataset, model or key, another
    account or everyone included.
    The actions are those the Service Authorization Reference classes as "Permissions
    management" (access levels), allowed on every resource. A resource policy can name
    ``"*"``, everyone (Principal); in one account a resource-based Allow suffices
    (single-account evaluation)."""
    return _category_result(principal_view(user, policies, groups, organization), "user", Category.RESOURCE_EXPOSURE)


@_principal_check("IAM group does not grant changes to the access policies of every resource", *_EXPOSURE)
def group_cannot_expose_resources(
    group: IamGroup, policies: Sequence[IamPolicy], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """Permissions-management actions on every resource let each member rewrite who may use a
    dataset, model or key, another account or everyone included.
    The actions are those the Service Authorization Reference classes as "Permissions
    management" (access levels), allowed on every resource. A resource policy can name
    ``"*"``, everyone (Principal); in one account a resource-based Allow suffices
    (single-account evaluation)."""
    return _category_result(principal_view(group, policies, (), organization), "group", Category.RESOURCE_EXPOSURE)


@_principal_check("IAM role cannot change the access policies of every resource", *_EXPOSURE)
def role_cannot_expose_resources(
    role: IamRole, policies: Sequence[IamPolicy], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """Code running with the role can rewrite who may use a dataset, model or key (another account
    or everyone included) when the role holds Permissions-management actions on every resource.
    The actions are those the Service Authorization Reference classes as "Permissions
    management" (access levels), allowed on every resource. A resource policy can name
    ``"*"``, everyone (Principal); in one account a resource-based Allow suffices
    (single-account evaluation)."""
    return _category_result(principal_view(role, policies, (), organization), "role", Category.RESOURCE_EXPOSURE)


@_principal_check("IAM user cannot obtain credentials for every principal and resource", *_CREDENTIALS)
def user_cannot_expose_credentials(
    user: IamUser, policies: Sequence[IamPolicy], groups: Sequence[IamGroup], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """Actions that create or return credentials (iam:CreateAccessKey, iam:CreateLoginProfile,
    sts:AssumeRole, ecr:GetAuthorizationToken, sagemaker:CreatePresignedNotebookInstanceUrl …) on
    every resource let the user act as the users, roles and notebooks it obtains them for.
    iam:CreateAccessKey creates keys "for the specified user" and iam:CreateLoginProfile gives a
    user a console password (IAM API); the list of credential-returning actions is cspm's.
    Reported when allowed on every resource; Denies, boundary and SCPs applied."""
    return _category_result(principal_view(user, policies, groups, organization), "user", Category.CREDENTIALS_EXPOSURE)


@_principal_check("IAM group does not grant credentials for every principal and resource", *_CREDENTIALS)
def group_cannot_expose_credentials(
    group: IamGroup, policies: Sequence[IamPolicy], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """Credential-creating or -returning actions on every resource let each member act as the users,
    roles and notebooks it obtains keys, passwords, sessions or URLs for.
    iam:CreateAccessKey creates keys "for the specified user" and iam:CreateLoginProfile gives a
    user a console password (IAM API); the list of credential-returning actions is cspm's.
    Reported when allowed on every resource; Denies, boundary and SCPs applied."""
    return _category_result(principal_view(group, policies, (), organization), "group", Category.CREDENTIALS_EXPOSURE)


@_principal_check("IAM role cannot obtain credentials for every principal and resource", *_CREDENTIALS)
def role_cannot_expose_credentials(
    role: IamRole, policies: Sequence[IamPolicy], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """Code running with the role can act as the users, roles and notebooks it obtains keys,
    passwords, sessions or URLs for when the role holds these actions on every resource.
    iam:CreateAccessKey creates keys "for the specified user" and iam:CreateLoginProfile gives a
    user a console password (IAM API); the list of credential-returning actions is cspm's.
    Reported when allowed on every resource; Denies, boundary and SCPs applied."""
    return _category_result(principal_view(role, policies, (), organization), "role", Category.CREDENTIALS_EXPOSURE)


@_principal_check("IAM user cannot pass every role", *_PASS_ROLE)
def user_cannot_pass_every_role(
    user: IamUser, policies: Sequence[IamPolicy], groups: Sequence[IamGroup], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """iam:PassRole on '*' (or role/*) lets the user hand any role of the account, the most
    privileged included, to a notebook, training job or function it creates.
    "If you specify the resource for iam:PassRole as *, this would grant access to pass any of
    your IAM roles" (EC2: permissions to attach a role); the PassRole page recommends filtering
    iam:PassRole with the Resource element. "The iam:PassedToService condition key can be used to
    specify the service principal of the service to which a role can be passed": it narrows
    where a role goes, not which role, so it does not make this check pass."""
    return _pass_role_result(principal_view(user, policies, groups, organization), "user")


@_principal_check("IAM group does not grant passing every role", *_PASS_ROLE)
def group_cannot_pass_every_role(
    group: IamGroup, policies: Sequence[IamPolicy], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """iam:PassRole on '*' lets every member hand any role of the account to a job or function it
    creates.
    "If you specify the resource for iam:PassRole as *, this would grant access to pass any of
    your IAM roles" (EC2: permissions to attach a role); the PassRole page recommends filtering
    iam:PassRole with the Resource element. "The iam:PassedToService condition key can be used to
    specify the service principal of the service to which a role can be passed": it narrows
    where a role goes, not which role, so it does not make this check pass."""
    return _pass_role_result(principal_view(group, policies, (), organization), "group")


@_principal_check("IAM role cannot pass every role", *_PASS_ROLE)
def role_cannot_pass_every_role(
    role: IamRole, policies: Sequence[IamPolicy], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """Code running with a role that holds iam:PassRole on '*' can hand any role of the account, the
    most privileged included, to a job or function it starts.
    "If you specify the resource for iam:PassRole as *, this would grant access to pass any of
    your IAM roles" (EC2: permissions to attach a role); the PassRole page recommends filtering
    iam:PassRole with the Resource element. "The iam:PassedToService condition key can be used to
    specify the service principal of the service to which a role can be passed": it narrows
    where a role goes, not which role, so it does not make this check pass."""
    return _pass_role_result(principal_view(role, policies, (), organization), "role")


@_principal_check("IAM user does not hold almost every action", *_NEAR_ADMIN)
def user_is_not_near_admin(
    user: IamUser, policies: Sequence[IamPolicy], groups: Sequence[IamGroup], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """A user allowed almost every action on every resource may do anything to the account's
    datasets, models, keys and networks; only the excluded services are left out.
    "all of the applicable actions or services that are not listed are allowed" with NotAction and
    Allow (NotAction); PowerUserAccess is NotAction iam:*, organizations:*, account:* on '*'
    ("full access to AWS services and resources, but does not allow management of Users and
    groups"). cspm's threshold: at least 90 % of every known action on every resource, not all."""
    return _near_admin_result(principal_view(user, policies, groups, organization), "user")


@_principal_check("IAM group does not grant almost every action", *_NEAR_ADMIN)
def group_is_not_near_admin(
    group: IamGroup, policies: Sequence[IamPolicy], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """A group with PowerUserAccess-like permissions lets every member do anything to the account's
    datasets, models, keys and networks but the excluded services.
    "all of the applicable actions or services that are not listed are allowed" with NotAction and
    Allow (NotAction); PowerUserAccess is NotAction iam:*, organizations:*, account:* on '*'
    ("full access to AWS services and resources, but does not allow management of Users and
    groups"). cspm's threshold: at least 90 % of every known action on every resource, not all."""
    return _near_admin_result(principal_view(group, policies, (), organization), "group")


@_principal_check("IAM role does not hold almost every action", *_NEAR_ADMIN)
def role_is_not_near_admin(
    role: IamRole, policies: Sequence[IamPolicy], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """Code running with a PowerUserAccess-like role (a notebook, a training job) may do anything to
    the account's datasets, models, keys and networks but the excluded services.
    "all of the applicable actions or services that are not listed are allowed" with NotAction and
    Allow (NotAction); PowerUserAccess is NotAction iam:*, organizations:*, account:* on '*'
    ("full access to AWS services and resources, but does not allow management of Users and
    groups"). cspm's threshold: at least 90 % of every known action on every resource, not all."""
    return _near_admin_result(principal_view(role, policies, (), organization), "role")


# ---------------------------------------------------------------------------------------------
# Roles trusted by services
# ---------------------------------------------------------------------------------------------

SAGEMAKER = "sagemaker.amazonaws.com"
FULL_S3 = ("s3:GetObject", "s3:PutObject")


@check(
    title="SageMaker execution role holds neither administrator nor full S3 access",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Give the execution role the buckets and prefixes of its own data and artifacts (and its ECR "
    "repositories, KMS keys and logs), not AdministratorAccess, AmazonS3FullAccess or s3:* on '*'.",
    compliance={"nist-800-53-r5": ["AC-6"]},
    attack=["AML.T0012", "AML.T0035", "AML.T0007"],
    references=(SAGEMAKER_ROLES, S3_MANAGED_POLICIES, PASS_ROLE, EVALUATION),
)
def sagemaker_role_has_no_admin_or_full_s3(
    role: IamRole, policies: Sequence[IamPolicy], organization: Sequence[OrgPolicies] = ()
) -> Result:
    """SageMaker uses the execution role for the operations it performs "on your behalf"; the
    AmazonSageMakerFullAccess policy "only grants the execution role permission to perform certain
    Amazon S3 actions on buckets or objects with SageMaker, Sagemaker, sagemaker, or aws-glue in
    the name", and other buckets are added by policy (SageMaker execution roles). This check fails
    a role trusted by sagemaker.amazonaws.com that holds administrator access or both s3:GetObject
    and s3:PutObject on every resource (AmazonS3FullAccess grants "full access to Amazon S3"),
    Denies, boundary and SCPs applied: code running with it (cspm's reading: training scripts,
    notebooks, model containers and their dependencies) could read and overwrite objects in any
    bucket of the account whose bucket policy does not deny it."""
    trust, early = _trust(role)
    if early is not None:
        return early
    if SAGEMAKER not in trust.trusted_services:
        return not_applicable("The role is not trusted by SageMaker.")
    view = principal_view(role, policies, (), organization)
    return _with_scps(view, _sagemaker_role_verdict(view))


def _sagemaker_role_verdict(view: PrincipalView) -> Result:
    problem = _unassessable(view, "role")
    if problem is not None:
        return problem
    if view.permissions.is_admin:
        return failed("The SageMaker execution role holds administrator access.", {"admin": True})
    decisions = [view.permissions.allows(action, "*") for action in FULL_S3]
    if all(d.possible for d in decisions):
        when = "" if all(d.allowed for d in decisions) else " when conditions hold"
        evidence = {"actions": list(FULL_S3), "statements": allowed_statements(view, decisions)}
        return failed(f"The SageMaker execution role can read and write every S3 object{when}.", evidence)
    return passed("The SageMaker execution role holds neither administrator nor full S3 access.")


@check(
    title="IAM role trusted by an AWS service names the source account or resource",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Add an aws:SourceAccount (or aws:SourceArn, aws:SourceOrgID) condition to the trust statement "
    "of the service principal, naming the account or resource the service acts for.",
    compliance={"nist-800-53-r5": ["AC-3"]},
    attack=["AML.T0012"],
    references=(CONFUSED_DEPUTY, PASS_ROLE),
)
def role_trust_guards_service_principals(role: IamRole) -> Result:
    """In the cross-service confused deputy, a service acting for many customers is manipulated to
    act on another customer's resources; the confused deputy page recommends naming the source
    (``aws:SourceArn``, ``aws:SourceAccount``) in the trust policy of roles a service assumes.
    Roles trusted by the compute services cspm lists as execution-role services (SageMaker,
    Lambda, EC2, ECS tasks, Glue, EventBridge Scheduler …) are exempt: they reach the service
    through iam:PassRole, and "You can only use the PassRole permission to pass an IAM role to a
    service that shares the same AWS account" (PassRole), so a caller in another account cannot
    configure the service with this role. The exemption is cspm's reading of that rule, not an
    AWS statement about these services; a trust naming several services fails for any other
    unguarded one. Service-linked roles are not applicable (AWS defines their trust)."""
    trust, early = _trust(role)
    if early is not None:
        return early
    if role.service_linked or not trust.trusted_services:
        return not_applicable("The role is service-linked or trusted by no AWS service.")
    unguarded = [{"service": s, **r.as_dict()} for s, r in confused_deputy_trusts(trust)]
    if unguarded:
        services = ", ".join(dict.fromkeys(u["service"] for u in unguarded))
        return failed(f"Trusted by {services} without aws:SourceAccount or aws:SourceArn.", {"unguarded": unguarded})
    exempt = [s for s in trust.trusted_services if not needs_source_guard(s)]
    return passed("Every service trust names its source, or is an execution-role trust.", {"exempt": exempt})
