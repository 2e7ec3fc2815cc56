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

from cspm.resources.base import Resource, Snapshot


class RoleGrant(Snapshot):
    """One binding that names the principal."""

    role: str  # roles/owner, roles/iam.serviceAccountUser, projects/P/roles/custom, ...
    condition: str | None = None  # the CEL expression of a conditional binding (narrows the grant)
    condition_title: str | None = None


class GcpPrincipal(Resource):
    """A member of the project's IAM policy. ``uid`` is ``//cloudresourcemanager.googleapis.com/
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
