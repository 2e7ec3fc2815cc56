"""IAM checks of a project: basic (primitive) and admin roles, public members, the default
compute service account, project-level service-account impersonation, user-managed keys, and
escalation (a principal's paths to permissions it lacks; a Vertex AI job's or pipeline's service
account reaching project admin) over the project, its folders and organization and the service
accounts' own policies, roles expanded to permissions (:mod:`cspm.gcp_iam`, docs/gcp-iam.md).

CIS ids: ``cis-gcp-5.0`` (section 1: 1.5 keys, 1.6 admin roles of service accounts, 1.7
serviceAccountUser / TokenCreator at project level, 1.8 key rotation). A conditional binding
(IAM conditions) is judged as a grant, and the evidence says so: a condition narrows when or on
what the role applies (a time, a resource name prefix), it does not take the role's permissions
away, and the scanner does not evaluate CEL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from cspm.gcp_iam.analysis import IamModel, gaps, model_of
from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.gcp.iam import GcpIamHierarchy, GcpPrincipal, GcpServiceAccount, RoleGrant
from cspm.resources.gcp.storage import PUBLIC_MEMBERS
from cspm.resources.gcp.vertex import VertexCustomJob, VertexTrainingPipeline

# Vendor documentation the rationales rest on.
_DOCS = "https://cloud.google.com/iam/docs"
BASIC_ROLES = f"{_DOCS}/roles-overview#basic"
SA_BEST_PRACTICES = f"{_DOCS}/best-practices-service-accounts"
DEFAULT_SERVICE_ACCOUNTS = f"{_DOCS}/service-account-types#default"
KEY_BEST_PRACTICES = f"{_DOCS}/best-practices-for-managing-service-account-keys"
SA_IMPERSONATION = f"{_DOCS}/service-account-permissions"
CONDITIONS = f"{_DOCS}/conditions-overview"
PUBLIC_PRINCIPALS = f"{_DOCS}/principals-overview#all-users"
GET_IAM_POLICY = "https://cloud.google.com/resource-manager/reference/rest/v3/projects/getIamPolicy"
KEYS_LIST = f"{_DOCS}/reference/rest/v1/projects.serviceAccounts.keys/list"
POLICY_INHERITANCE = "https://cloud.google.com/iam/docs/resource-hierarchy-access-control"
SA_IMPERSONATION_METHODS = f"{_DOCS}/service-account-impersonation"
ROLES_GET = f"{_DOCS}/reference/rest/v1/roles/get"
VERTEX_CUSTOM_SA = "https://cloud.google.com/vertex-ai/docs/general/custom-service-account"

PRIMITIVE_ROLES: Final = frozenset({"roles/owner", "roles/editor"})
IMPERSONATION_ROLES: Final = frozenset({"roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator"})
HUMAN_KINDS: Final = frozenset({"user", "group", "domain"})
DEFAULT_COMPUTE_SUFFIX: Final = "-compute@developer.gserviceaccount.com"
KEY_MAX_AGE: Final = timedelta(days=90)


def _is_admin(role: str) -> bool:
    """roles/owner, roles/editor, or a predefined role whose name ends in Admin (CIS 1.6)."""
    return role in PRIMITIVE_ROLES or role.rsplit(".", 1)[-1].lower().endswith("admin")


def _is_service_account(principal: GcpPrincipal) -> bool:
    return principal.kind == "serviceAccount"


def _is_default_compute(principal: GcpPrincipal) -> bool:
    email = principal.member.removeprefix("serviceAccount:")
    return _is_service_account(principal) and email.endswith(DEFAULT_COMPUTE_SUFFIX) and email.split("-")[0].isdigit()


def _grant(grant: RoleGrant) -> dict[str, Any]:
    found: dict[str, Any] = {"role": grant.role}
    if grant.source:
        found["inherited_from"] = grant.source
    if grant.condition:
        found["condition"] = grant.condition
        found["condition_title"] = grant.condition_title
    return found


def _judge(principal: GcpPrincipal, wanted: Callable[[str], bool], what: str) -> Result:
    """FAIL with the grants whose role is ``wanted`` (conditional ones named as such), else PASS."""
    hits = [g for g in principal.grants if wanted(g.role)]
    if not hits:
        return passed(f"{principal.member} holds no {what} on the project.")
    conditional = [g for g in hits if g.condition]
    note = ""
    if conditional:
        note = (
            f" {len(conditional)} of them are conditional bindings: an IAM condition narrows when or on what "
            "the role applies, it still grants the role's permissions, so they are judged as grants."
        )
    roles = ", ".join(sorted({g.role for g in hits}))
    return failed(
        f"{principal.member} holds {what} on the project: {roles}.{note}",
        evidence={"member": principal.member, "grants": [_grant(g) for g in hits]},
    )


@check(
    title="Service account holds no basic or admin role on the project",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Remove roles/owner, roles/editor and *Admin roles from the service account; grant "
    "the predefined or custom roles its workload needs, on the narrowest resource.",
    compliance={"cis-gcp-5.0": ["1.6"], "nist-800-53-r5": ["AC-6", "AC-6(5)"]},
    attack=["AML.T0012"],
    references=(SA_BEST_PRACTICES, BASIC_ROLES, GET_IAM_POLICY),
)
def service_account_has_no_admin_role(principal: GcpPrincipal) -> Result:
    """A service account is used by code, and whoever controls that code (or can impersonate
    the account, or holds one of its keys) gets every permission it holds. Owner and Editor, the
    basic roles, grant thousands of permissions across every service of the project, and an
    *Admin role full control of one; Google's best practices say not to grant them to service
    accounts. Applies to ``serviceAccount:`` members of the project's IAM policy."""
    if not _is_service_account(principal):
        return not_applicable("Not a service account.")
    return _judge(principal, _is_admin, "a basic or admin role")


@check(
    title="User, group or domain holds no basic role on the project",
    severity=Severity.LOW,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Replace roles/owner and roles/editor with predefined roles for the person's job "
    "(keep Owner for a small break-glass group).",
    compliance={"nist-800-53-r5": ["AC-6", "AC-6(7)"]},
    attack=["AML.T0012"],
    references=(BASIC_ROLES, GET_IAM_POLICY),
)
def human_has_no_basic_role(principal: GcpPrincipal) -> Result:
    """Google: "basic roles are highly permissive … don't grant basic roles unless there is no
    alternative". Owner and Editor let a person (or anyone who phishes them) change or read
    everything in the project, training data and models included. Low severity: CIS GCP has no
    item for people holding them, and some projects need an owner. Applies to ``user:``,
    ``group:`` and ``domain:`` members."""
    if principal.kind not in HUMAN_KINDS:
        return not_applicable("Not a user, group or domain.")
    return _judge(principal, lambda role: role in PRIMITIVE_ROLES, "a basic role (Owner or Editor)")


@check(
    title="Project IAM policy grants no role to allUsers or allAuthenticatedUsers",
    severity=Severity.CRITICAL,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Remove allUsers and allAuthenticatedUsers from the project's IAM policy; enforce the "
    "iam.allowedPolicyMemberDomains organization policy (domain-restricted sharing).",
    compliance={"nist-800-53-r5": ["AC-3", "AC-6", "AC-14"]},
    attack=["AML.T0012", "AML.T0044"],
    references=(PUBLIC_PRINCIPALS, GET_IAM_POLICY),
)
def principal_is_not_public(principal: GcpPrincipal) -> Result:
    """``allUsers`` is anyone on the internet, ``allAuthenticatedUsers`` anyone with a Google
    account: a project-level role for either applies to every resource of the project."""
    if principal.member not in PUBLIC_MEMBERS:
        return passed(f"{principal.member} is not a public member.")
    return _judge(principal, lambda role: True, "a role granted to the public")


@check(
    title="Default compute service account holds no basic role on the project",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Remove roles/editor (and roles/owner) from PROJECT_NUMBER-compute@developer."
    "gserviceaccount.com; enforce the iam.automaticIamGrantsForDefaultServiceAccounts organization "
    "policy; run workloads as dedicated service accounts.",
    compliance={"nist-800-53-r5": ["AC-6", "CM-7"]},
    attack=["AML.T0012"],
    references=(DEFAULT_SERVICE_ACCOUNTS, SA_BEST_PRACTICES),
)
def default_compute_service_account_has_no_basic_role(principal: GcpPrincipal) -> Result:
    """The Compute Engine default service account is created with Editor on the project (unless
    the organization policy stops it) and is attached by default to VMs, GKE nodes, Workbench
    notebooks and training jobs: any code on them, a notebook user included, acts as Editor."""
    if not _is_default_compute(principal):
        return not_applicable("Not the Compute Engine default service account.")
    return _judge(principal, lambda role: role in PRIMITIVE_ROLES, "a basic role (Owner or Editor)")


@check(
    title="Principal holds no project-level Service Account User or Token Creator role",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Remove roles/iam.serviceAccountUser and roles/iam.serviceAccountTokenCreator from the "
    "project's policy; grant them on the individual service accounts that need impersonating.",
    compliance={"cis-gcp-5.0": ["1.7"], "nist-800-53-r5": ["AC-5", "AC-6"]},
    attack=["AML.T0012"],
    references=(SA_IMPERSONATION, SA_BEST_PRACTICES),
)
def principal_has_no_project_level_impersonation(principal: GcpPrincipal) -> Result:
    """Granted on the project, Service Account User and Token Creator let the principal act as
    every service account of the project, present and future, and so hold their roles too
    (separation of duties between who administers accounts and who uses them)."""
    return _judge(principal, lambda role: role in IMPERSONATION_ROLES, "project-level service-account impersonation")


def _keys(account: GcpServiceAccount) -> Result | tuple[Any, ...]:
    if account.user_managed_keys is None:
        return unknown("The service account's user-managed keys could not be listed (iam.serviceAccountKeys.list).")
    return account.user_managed_keys


@check(
    title="Service account has no user-managed keys",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Delete the user-managed keys; use attached service accounts, Workload Identity "
    "Federation or short-lived impersonation; enforce iam.disableServiceAccountKeyCreation.",
    compliance={"cis-gcp-5.0": ["1.5"], "nist-800-53-r5": ["IA-5", "AC-2"]},
    attack=["AML.T0012", "AML.T0055"],
    references=(KEY_BEST_PRACTICES, KEYS_LIST),
)
def service_account_has_no_user_managed_keys(account: GcpServiceAccount) -> Result:
    """A user-managed key is a long-lived credential held outside Google Cloud: whoever copies
    it acts as the service account until the key is deleted. Google-managed keys never leave
    Google. Disabled keys count (they can be enabled again)."""
    keys = _keys(account)
    if isinstance(keys, Result):
        return keys
    if keys:
        return failed(
            f"The service account has {len(keys)} user-managed key(s).",
            evidence={"keys": [{"id": k.id, "disabled": k.disabled} for k in keys]},
        )
    return passed("The service account has no user-managed keys.")


@check(
    title="Service account user-managed keys are rotated within 90 days",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Create a new key, move the workload to it, delete the old one; better, remove keys altogether.",
    compliance={"cis-gcp-5.0": ["1.8"], "nist-800-53-r5": ["IA-5(1)"]},
    attack=["AML.T0012", "AML.T0055"],
    references=(KEY_BEST_PRACTICES, KEYS_LIST),
)
def service_account_keys_rotated_within_90_days(account: GcpServiceAccount, now: datetime) -> Result:
    """An old key has had longer to be copied, committed or left on a laptop. A key's age is its
    ``validAfterTime`` (when it was created); a key without one is an error, never a pass.
    Disabled keys are left out (they cannot authenticate until enabled again; the user-managed
    keys check still counts them)."""
    keys = _keys(account)
    if isinstance(keys, Result):
        return keys
    keys = tuple(k for k in keys if not k.disabled)
    if any(k.valid_after is None for k in keys):
        return unknown("A user-managed key has no validAfterTime.")
    old = [
        {"id": k.id, "created": created.isoformat(), "age_days": (now - created).days}
        for k in keys
        if (created := k.valid_after) is not None and now - created > KEY_MAX_AGE
    ]
    if old:
        return failed(f"{len(old)} user-managed key(s) older than 90 days.", evidence={"keys": old})
    if not keys:
        return passed("The service account has no enabled user-managed keys.")
    return passed(f"All {len(keys)} enabled user-managed key(s) are younger than 90 days.")


# ---------------------------------------------------------------------------------------------
# Escalation (cspm.gcp_iam.analysis): over the project, its folders and organization, and the
# service accounts' own policies, with roles expanded to permissions.
# ---------------------------------------------------------------------------------------------

_CONDITIONAL_NOTE = (
    " Part of it rests on conditional bindings: an IAM condition narrows when or on what a role "
    "applies, it still grants the role's permissions, so it is judged as a grant."
)


def _not_known(model: IamModel, hierarchy: GcpIamHierarchy, member: str) -> Result | None:
    """ERROR naming what could not be read or expanded, or None when everything was."""
    missing = gaps(hierarchy)
    unresolved = sorted(model.unresolved_in_reach(member))
    if not missing and not unresolved:
        return None
    parts = [*missing] + ([f"unresolved role(s) {', '.join(unresolved[:5])} (iam.roles.get)"] if unresolved else [])
    more = f"; and {len(parts) - 3} more (see evidence)" if len(parts) > 3 else ""
    return unknown(
        "No escalation found in what was read, but " + "; ".join(parts[:3]) + more + ".",
        evidence={"missing": missing[:50], "missing_count": len(missing), "unresolved_roles": unresolved[:50]},
    )


@check(
    title="Principal cannot escalate its privileges on the project",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Remove the permission that opens the path (setIamPolicy, iam.roles.update, "
    "Service Account User or Token Creator on a more privileged service account, "
    "iam.serviceAccountKeys.create), or take the privileged roles off the service account it reaches.",
    compliance={"nist-800-53-r5": ["AC-6", "AC-6(10)", "AC-5"]},
    attack=["AML.T0012"],
    references=(SA_IMPERSONATION, SA_IMPERSONATION_METHODS, POLICY_INHERITANCE, ROLES_GET),
)
def principal_cannot_escalate_privileges(principal: GcpPrincipal, iam: GcpIamHierarchy) -> Result:
    """Google Cloud's counterparts of AWS PassRole and policy editing: a principal that can mint
    a service account's tokens (``getAccessToken``, ``signBlob``, ``signJwt``), create its keys,
    edit its IAM policy, or attach it to new compute (``actAs`` plus e.g.
    ``aiplatform.customJobs.create``) holds that account's roles too; one that can rewrite the
    project's, a folder's or the organization's IAM policy, or update a custom role it holds, can
    grant itself anything. Roles bound on the folders and organization above the project count
    (they are inherited); paths are followed through service accounts, shortest first. The
    evidence is the path, each step with the bindings that allow it and where they are bound."""
    model = model_of(iam)
    found = model.escalations(principal.member)
    if found:
        found.sort(key=lambda e: (not e.reaches_admin, len(e.path)))
        first = found[0]
        note = _CONDITIONAL_NOTE if any(e.conditional for e in found) else ""
        admin = " It reaches project administration." if first.reaches_admin else ""
        return failed(
            f"{principal.member} can escalate: {first.description} ({len(found)} way(s)).{admin}{note}",
            evidence={"member": principal.member, "escalations": [e.evidence() for e in found[:10]]},
        )
    missing = _not_known(model, iam, principal.member)
    if missing is not None:
        return missing
    return passed(f"{principal.member} has no path to permissions it does not hold.")


def _runs_as(account: str | None, iam: GcpIamHierarchy, what: str) -> Result:
    if account is None:
        return not_applicable(
            f"The {what} sets no service account: it runs as the Vertex AI Custom Code Service Agent, "
            "which Google manages (judged by the Vertex AI identity checks)."
        )
    member = f"serviceAccount:{account}"
    model = model_of(iam)
    reach = model.reaches_admin(member)
    if reach is not None:
        how = "holds" if not reach.path else f"can act as {reach.holder}, which holds"
        evidence = {"service_account": account, **reach.evidence()}
        note = _CONDITIONAL_NOTE if evidence["conditional"] else ""
        return failed(f"The {what} runs as {account}, which {how} {', '.join(reach.holds)}.{note}", evidence=evidence)
    missing = _not_known(model, iam, member)
    if missing is not None:
        return missing
    return passed(f"{account} holds and reaches no owner, editor, projectIamAdmin or setIamPolicy on the project.")


@check(
    title="Vertex AI custom job runs as a service account that cannot reach project admin",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Run the job as a dedicated service account holding only the roles the job needs "
    "(read its data bucket, write its output); remove Owner, Editor and Project IAM Admin from it "
    "and from every service account it can impersonate.",
    compliance={"nist-800-53-r5": ["AC-6", "AC-6(10)"]},
    attack=["AML.T0012"],
    references=(VERTEX_CUSTOM_SA, SA_BEST_PRACTICES, SA_IMPERSONATION_METHODS),
)
def custom_job_service_account_cannot_reach_project_admin(job: VertexCustomJob, iam: GcpIamHierarchy) -> Result:
    """Training code (and every package it installs) runs with the job's service account: if that
    account holds, or can become an account that holds, Owner, Editor or Project IAM Admin (or a
    setIamPolicy on the project, folder or organization), a poisoned dependency or a malicious
    notebook owns the project. The evidence is the path, each step with its bindings."""
    return _runs_as(job.service_account, iam, "custom job")


@check(
    title="Vertex AI training pipeline runs as a service account that cannot reach project admin",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Set a dedicated service account in the pipeline's training task inputs holding only "
    "the roles training needs; remove Owner, Editor and Project IAM Admin from it and from every "
    "service account it can impersonate.",
    compliance={"nist-800-53-r5": ["AC-6", "AC-6(10)"]},
    attack=["AML.T0012"],
    references=(VERTEX_CUSTOM_SA, SA_BEST_PRACTICES, SA_IMPERSONATION_METHODS),
)
def training_pipeline_service_account_cannot_reach_project_admin(
    pipeline: VertexTrainingPipeline, iam: GcpIamHierarchy
) -> Result:
    """A custom-training pipeline runs its training code as the service account of its task
    inputs: the same reach to project administration as a custom job's account is a takeover
    path for whoever controls the code or its dependencies."""
    return _runs_as(pipeline.service_account, iam, "training pipeline")
