"""IAM snapshots of a project: the principals of its IAM policy and its service accounts.

Principals come from Resource Manager v3 ``projects.getIamPolicy`` (policy version 3, so
conditional bindings come with their conditions): one resource per member of any binding
(``user:``, ``serviceAccount:``, ``group:``, ``domain:``, ``allUsers``, ``allAuthenticatedUsers``,
``principal://``/``principalSet://`` federated identities, ``deleted:`` members), with the roles it
holds on the project. Service accounts come from the IAM API (``serviceAccounts.list``), each
with its user-managed keys (``serviceAccounts.keys.list?keyTypes=USER_MANAGED``), ``None`` when
the keys could not be read. When the policy cannot be read no principal is produced and the
failure is recorded against :class:`GcpPrincipal`, so its checks are ERROR for the project.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from cspm.resources.base import Resource, Scope, Snapshot


class RoleGrant(Snapshot):
    """One binding that names the principal."""

    role: str  # roles/owner, roles/iam.serviceAccountUser, projects/P/roles/custom, ...
    condition: str | None = None  # the CEL expression of a conditional binding (narrows the grant)
    condition_title: str | None = None
    # Where the binding is: None for the project's own policy, else the ancestor it is inherited
    # from (``folders/123``, ``organizations/456``).
    source: str | None = None


class GcpPrincipal(Resource):
    """A member of the project's IAM policy, or of a folder's or the organization's above it
    (inherited grants carry their ``source``). ``uid`` is ``//cloudresourcemanager.googleapis.com/
    projects/P#MEMBER``, ``name`` the member string, ``account`` the project id."""

    resource_type: ClassVar[str] = "gcp.iam.principal"

    member: str  # user:alice@example.com, serviceAccount:..., allUsers, ...
    kind: str  # user | serviceAccount | group | domain | allUsers | allAuthenticatedUsers | other prefixes
    grants: tuple[RoleGrant, ...] = ()


class ServiceAccountKey(Snapshot):
    id: str  # the key id (last segment of the key's name)
    valid_after: datetime | None = None  # validAfterTime: when the key was created; None: not given
    valid_before: datetime | None = None
    disabled: bool = False


class GcpServiceAccount(Resource):
    """A service account of the project. ``uid`` is its resource name
    (``projects/P/serviceAccounts/EMAIL``), ``name`` the email."""

    resource_type: ClassVar[str] = "gcp.iam.service_account"

    email: str
    disabled: bool = False
    user_managed_keys: tuple[ServiceAccountKey, ...] | None = None  # None: keys.list failed


class PolicyBinding(Snapshot):
    """One binding of an IAM policy (role, members, optional IAM condition)."""

    role: str
    members: tuple[str, ...] = ()
    condition: str | None = None  # the CEL expression; the scanner records it, it does not evaluate it
    condition_title: str | None = None


class NodePolicy(Snapshot):
    """The IAM policy of one resource: a project, folder, organization or service account."""

    resource: str  # projects/P, folders/N, organizations/N, projects/P/serviceAccounts/EMAIL
    bindings: tuple[PolicyBinding, ...] | None = None  # None: could not be read (see ``error``)
    error: str | None = None  # why not, naming the permission the read needs


class RoleDefinition(Snapshot):
    """A role expanded to the permissions the escalation analysis reasons about
    (:data:`cspm.gcp_iam.permissions.KEPT`)."""

    name: str  # roles/X, projects/P/roles/X, organizations/O/roles/X
    permissions: tuple[str, ...] | None = None  # None: unresolved (never "no permissions")
    origin: str = "unresolved"  # "api" (read at scan time) | "snapshot" (bundled) | "unresolved"
    permission_count: int | None = None  # every permission of the role, when read from the API
    error: str | None = None


class GcpIamHierarchy(Resource):
    """The IAM that applies to a project beyond its own policy: its ancestry (Resource Manager v1
    ``projects.getAncestry``), the IAM policies of the project and of each folder and organization
    above it, the IAM policy of each of its service accounts (who may impersonate them), and the
    roles named in any of them expanded to permissions. One per project; ``uid`` is
    ``//cloudresourcemanager.googleapis.com/projects/P#iam``."""

    resource_type: ClassVar[str] = "gcp.iam.hierarchy"
    scope: ClassVar[Scope] = Scope.ACCOUNT

    ancestry: tuple[str, ...] | None = None  # projects/P, folders/..., organizations/...; None: unknown
    policies: tuple[NodePolicy, ...] = ()  # the project's and its ancestors', nearest first
    service_accounts: tuple[str, ...] | None = None  # emails; None: serviceAccounts.list failed
    service_account_policies: tuple[NodePolicy, ...] = ()
    roles: tuple[RoleDefinition, ...] = ()
