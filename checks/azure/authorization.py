"""Azure RBAC least-privilege checks on principals (``azure.authorization.principal``): privileged
roles at subscription scope held by service principals and managed identities, custom roles with
``*`` actions, data-plane roles at broad scopes, escalation paths, unresolved principals.

When the role assignments or definitions cannot be read, every check answers ERROR naming the
missing permission (providers/azure/authorization.py).
"""

from __future__ import annotations

from cspm.checks.azure import _rbac
from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.azure.authorization import RbacPrincipal

_RBAC = "https://learn.microsoft.com/en-us/azure/role-based-access-control"
BEST_PRACTICES = f"{_RBAC}/best-practices"
BUILT_IN_ROLES = f"{_RBAC}/built-in-roles"
CUSTOM_ROLES = f"{_RBAC}/custom-roles"
ROLE_DEFINITIONS = f"{_RBAC}/role-definitions"
DELEGATE_WITH_CONDITIONS = f"{_RBAC}/delegate-role-assignments-overview"
TROUBLESHOOTING = f"{_RBAC}/troubleshooting"
MANAGED_IDENTITY_BEST_PRACTICE = (
    "https://learn.microsoft.com/en-us/entra/identity/managed-identities-azure-resources/"
    "managed-identity-best-practice-recommendations"
)
POLICY_CUSTOM_OWNER = (
    "https://github.com/Azure/azure-policy/blob/master/built-in-policies/policyDefinitions/General/"
    "CustomSubscription_OwnerRole_Audit.json"
)


@check(
    title="Service principal or managed identity holds no Owner, Contributor or access-admin role on the subscription",
    fail_title="Service principal or managed identity holds Owner, Contributor or an access-admin role on the "
    "subscription",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Replace the subscription-wide Owner / Contributor / User Access Administrator assignment with "
    "roles scoped to the resource groups or resources the workload uses.",
    compliance={"mcsb": ["PA-1", "PA-7"], "nist-800-53-r5": ["AC-6", "AC-6(5)"]},
    attack=["AML.T0012"],
    references=(BEST_PRACTICES, BUILT_IN_ROLES),
)
def principal_has_no_privileged_subscription_role(principal: RbacPrincipal) -> Result:
    """Microsoft's RBAC best practices: grant only the access needed, limit the number of
    subscription owners, and prefer narrow scopes. A workload identity with Owner, Contributor,
    User Access Administrator or Role Based Access Control Administrator on the whole
    subscription (or a management group above it) turns any leak of its credentials, or any
    code running as it, into control of everything there. Users and groups are left to human
    access reviews; assignments of ARM's Unknown type are judged (they could be anything)."""
    if principal.principal_type.lower() in ("user", "group", "foreigngroup"):
        return not_applicable("Human principals are not assessed by this check.")
    held = _rbac.privileged_at_subscription(principal)
    if held:
        return failed(
            f"{principal.principal_type} holds {', '.join(sorted({h['role'] for h in held}))} at subscription scope or "
            "broader.",
            evidence={"principal_type": principal.principal_type, "assignments": held},
        )
    return passed("No privileged role at subscription scope or broader.")


@check(
    title="Principal holds no custom role that allows every action",
    fail_title="Principal holds a custom role that allows every action",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="List the actions the role needs instead of '*', or use a built-in role.",
    compliance={"azure-policy": ["10ee2ea2-fb4d-45b8-a7e9-a2e770044cd9"], "mcsb": ["PA-7"]},
    attack=["AML.T0012"],
    references=(POLICY_CUSTOM_OWNER, CUSTOM_ROLES, ROLE_DEFINITIONS),
)
def principal_has_no_wildcard_custom_role(principal: RbacPrincipal) -> Result:
    """A custom role with ``*`` in its actions is an owner-like role "managed" by hand: it grants
    every present and future action of every resource provider (Azure Policy 10ee2ea2, "Custom
    subscription owner roles should not exist", audits such roles). The wildcard's meaning is
    in the role-definitions reference."""
    held = _rbac.wildcard_custom_roles(principal)
    if held:
        return failed("Holds a custom role whose actions include '*'.", evidence={"assignments": held})
    return passed("No custom role with '*' actions.")


@check(
    title="Principal holds no data-plane role over all blobs or models of a subscription",
    fail_title="Principal holds a data-plane role over all blobs or models of a subscription",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Assign Storage Blob Data and Cognitive Services OpenAI roles on the storage account, container "
    "or AI account that holds the data, not on the subscription.",
    compliance={"mcsb": ["PA-7", "DP-2"], "nist-800-53-r5": ["AC-6"]},
    attack=["AML.T0035", "AML.T0010.002"],
    references=(BEST_PRACTICES, BUILT_IN_ROLES),
)
def principal_has_no_broad_data_plane_role(principal: RbacPrincipal) -> Result:
    """Storage Blob Data Owner / Contributor and Cognitive Services OpenAI Contributor granted at
    the subscription (or above) reach every training set, model artifact and deployment there;
    Microsoft recommends the narrowest scope that works. Custom roles with the blob read / write
    or OpenAI deployment write data actions count too."""
    held = _rbac.broad_data_roles(principal)
    if held:
        return failed(
            "Holds data-plane access to every blob or model of the subscription.", evidence={"assignments": held}
        )
    return passed("No data-plane role at subscription scope or broader.")


@check(
    title="Principal cannot escalate its privileges",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Remove roleAssignments/write and roleDefinitions/write, or constrain role-assignment writes with "
    "a condition; do not combine managed-identity assign with compute create.",
    compliance={"mcsb": ["PA-1", "PA-7"], "nist-800-53-r5": ["AC-6(1)", "AC-6(5)"]},
    attack=["AML.T0012"],
    references=(DELEGATE_WITH_CONDITIONS, MANAGED_IDENTITY_BEST_PRACTICE, BUILT_IN_ROLES),
)
def principal_cannot_escalate_privileges(principal: RbacPrincipal) -> Result:
    """Three documented paths: ``roleAssignments/write`` lets a principal grant itself any role
    at the scope (Microsoft's constrained delegation puts a condition on it: a conditioned
    assignment is not counted); ``roleDefinitions/write`` widens a custom role it holds; and a
    principal that can assign a user-assigned managed identity and create compute can run code
    with that identity's roles (Microsoft's managed identity best practices warn that whoever
    can assign an identity to a resource gains its permissions). Owner and User Access Administrator
    have the first; Contributor (``*`` minus Authorization writes) has the third."""
    paths = _rbac.escalation_paths(principal)
    if paths:
        methods = ", ".join(str(p["method"]) for p in paths)
        return failed(f"Can escalate through {methods}.", evidence={"paths": paths})
    return passed("No role-assignment write, role-definition write or identity-assign + compute path.")


@check(
    title="Role assignment's principal is resolved",
    severity=Severity.LOW,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Remove role assignments whose principal no longer exists (portal: 'Identity not found').",
    compliance={"mcsb": ["PA-4"], "nist-800-53-r5": ["AC-2(3)"]},
    attack=["AML.T0012"],
    references=(TROUBLESHOOTING,),
)
def principal_is_resolved(principal: RbacPrincipal) -> Result:
    """A role assignment outlives a deleted principal; the portal then lists it as "Identity not
    found". Such assignments grant nothing today, but they clutter access reviews, and an object id
    is never reused only as long as nobody restores or re-creates it by id. ARM keeps the type
    given when the assignment was made, so a deleted user still reads as User: cspm asks Microsoft
    Graph (``directoryObjects/getByIds``, needs Directory.Read.All) which principals still exist.

    FAIL: Graph does not have the principal, or (Graph not asked) ARM reports its type as Unknown
    or conflicting. PASS: Graph has it. ERROR: Graph could not be asked, naming why. A foreign
    group lives in another tenant's directory: not applicable."""
    evidence = {"assignments": [a.id for a in principal.assignments]}
    if principal.in_directory is False:
        return failed("The principal does not exist in the directory (deleted).", evidence=evidence)
    if principal.in_directory is True:
        return passed(
            f"The principal exists in the directory ({principal.directory_type or principal.principal_type})."
        )
    if principal.principal_type.lower() == "foreigngroup":
        return not_applicable("A foreign group belongs to another tenant's directory.")
    if principal.principal_type.lower() == "unknown":
        return failed("The principal's type is Unknown: deleted or unresolvable.", evidence=evidence)
    reason = principal.directory_error or "Microsoft Graph was not asked"
    return unknown(f"Cannot tell whether the principal still exists: {reason}.", evidence=evidence)
