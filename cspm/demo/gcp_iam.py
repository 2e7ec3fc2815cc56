"""The fake's IAM depth: project ancestry, folder and organization IAM policies, service
accounts' IAM policies, and role definitions (IAM ``roles.get``), for :class:`cspm.demo.gcp.FakeGcs`.

Routes (shapes from the Resource Manager v1/v3 and IAM v1 references):

- ``POST /v1/projects/{p}:getAncestry``: ``{"ancestor": [{"resourceId": {"type": "project",
  "id": p}}, {"resourceId": {"type": "folder", "id": ...}}, ..., {"resourceId": {"type":
  "organization", ...}}]}``, nearest first (a project with no parent answers only itself);
- ``POST /v3/folders/{id}:getIamPolicy``, ``POST /v3/organizations/{id}:getIamPolicy``: a
  ``Policy`` (version 3 when a binding has a condition);
- ``POST /v1/projects/{p}/serviceAccounts/{email}:getIamPolicy``: the account's ``Policy``
  (``{"etag": "ACAB"}`` alone when nobody is bound, as IAM answers an empty policy);
- ``GET /v1/roles/{r}``, ``GET /v1/projects/{p}/roles/{r}``, ``GET /v1/organizations/{o}/roles/{r}``:
  a ``Role`` with ``includedPermissions``; predefined roles come from the bundled snapshot
  (:mod:`cspm.gcp_iam.role_snapshot`), custom ones from :attr:`IamDepth.custom_roles`; an unknown
  role is 404 NOT_FOUND, as IAM answers.

``denied`` holds ``"ancestry:P"``, ``"policy:folders/N"`` / ``"policy:organizations/N"``,
``"sa-policy:EMAIL"``, ``"role:NAME"``: each answers 403 PERMISSION_DENIED naming the permission.
:func:`seed_demo` gives the demo project a folder, an organization and one escalation path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_ANCESTRY = re.compile(r"^/v1/projects/(?P<project>[^/:]+):getAncestry$")
_NODE_POLICY = re.compile(r"^/v3/(?P<node>(?:folders|organizations)/[0-9]+):getIamPolicy$")
_SA_POLICY = re.compile(r"^/v1/projects/(?P<project>[^/]+)/serviceAccounts/(?P<email>[^/:]+):getIamPolicy$")
_ROLE = re.compile(r"^/v1/(?P<name>roles/[^/]+|(?:projects|organizations)/[^/]+/roles/[^/]+)$")


# The permission Google checks for each route above ("METHOD PATH"): what the tests prove
# `cspm permissions gcp` against (tests/resilience/test_cloud_roles.py, test_iam_hierarchy.py).
PERMISSIONS_BY_ROUTE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"POST /v1/projects/[^/:]+:getAncestry"), "resourcemanager.projects.get"),
    (re.compile(r"POST /v3/folders/\d+:getIamPolicy"), "resourcemanager.folders.getIamPolicy"),
    (re.compile(r"POST /v3/organizations/\d+:getIamPolicy"), "resourcemanager.organizations.getIamPolicy"),
    (re.compile(r"POST /v1/projects/[^/]+/serviceAccounts/[^/]+:getIamPolicy"), "iam.serviceAccounts.getIamPolicy"),
    (re.compile(r"GET /v1/(?:roles|projects/[^/]+/roles|organizations/[^/]+/roles)/[^/]+"), "iam.roles.get"),
)


def route_permission(method: str, path: str) -> str | None:
    """The permission Google checks for a request to a route of this module, else None."""
    return next((perm for pattern, perm in PERMISSIONS_BY_ROUTE if pattern.fullmatch(f"{method} {path}")), None)


def _error(code: int, status: str, message: str, permission: str | None = None) -> dict[str, Any]:
    """google.rpc.Status with an ErrorInfo (the shape of :func:`cspm.demo.gcp.google_error`)."""
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if permission:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "IAM_PERMISSION_DENIED",
                "domain": "iam.googleapis.com",
                "metadata": {"permission": permission},
            }
        ]
    return {"error": error}


def _denied(permission: str, resource: str) -> tuple[int, dict[str, Any]]:
    return 403, _error(
        403,
        "PERMISSION_DENIED",
        f"The caller does not have permission {permission} on {resource}",
        permission,
    )


def policy(*bindings: tuple[str, list[str]] | tuple[str, list[str], dict[str, str]]) -> dict[str, Any]:
    """An IAM ``Policy``: (role, members[, condition {"title", "expression"}]) per binding."""
    items = []
    for role, members, *condition in bindings:
        item: dict[str, Any] = {"role": role, "members": members}
        if condition:
            item["condition"] = condition[0]
        items.append(item)
    version = 3 if any("condition" in b for b in items) else 1
    return {"version": version, "etag": "BwYa3kR2Fq0=", "bindings": items}


def role(name: str, permissions: list[str], *, title: str | None = None, deleted: bool = False) -> dict[str, Any]:
    """A ``Role`` as roles.get answers it (view FULL)."""
    raw: dict[str, Any] = {
        "name": name,
        "title": title or name.rsplit("/", 1)[-1],
        "description": "",
        "includedPermissions": sorted(permissions),
        "stage": "GA",
        "etag": "BwYa3kR2Fq0=",
    }
    if deleted:
        raw["deleted"] = True
    return raw


@dataclass
class IamDepth:
    """In-memory state of the routes above."""

    ancestors: dict[str, list[str]] = field(default_factory=dict)  # project -> [folders/N, ..., organizations/N]
    node_policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # folders/N | organizations/N -> Policy
    sa_policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # email -> Policy
    custom_roles: dict[str, dict[str, Any]] = field(default_factory=dict)  # projects/P/roles/X -> Role
    denied: set[str] = field(default_factory=set)

    def handle(self, method: str, path: str) -> tuple[int, dict[str, Any]] | None:
        """The answer to a route of this module, or None for any other request."""
        if method == "POST":
            return self._post(path)
        if method == "GET" and (match := _ROLE.match(path)) is not None:
            return self._role(match.group("name"))
        return None

    def _post(self, path: str) -> tuple[int, dict[str, Any]] | None:
        if (match := _ANCESTRY.match(path)) is not None:
            project = match.group("project")
            if f"ancestry:{project}" in self.denied:
                return _denied("resourcemanager.projects.get", f"projects/{project}")
            chain = [{"resourceId": {"type": "project", "id": project}}]
            for node in self.ancestors.get(project, ()):
                kind, ident = node.split("/", 1)
                chain.append({"resourceId": {"type": kind[:-1], "id": ident}})
            return 200, {"ancestor": chain}
        if (match := _NODE_POLICY.match(path)) is not None:
            node = match.group("node")
            if f"policy:{node}" in self.denied:
                return _denied(f"resourcemanager.{node.split('/')[0]}.getIamPolicy", node)
            return 200, self.node_policies.get(node) or {"version": 1, "etag": "ACAB"}
        if (match := _SA_POLICY.match(path)) is not None:
            email = match.group("email")
            if f"sa-policy:{email}" in self.denied:
                return _denied("iam.serviceAccounts.getIamPolicy", f"projects/-/serviceAccounts/{email}")
            return 200, self.sa_policies.get(email) or {"etag": "ACAB"}
        return None

    def _role(self, name: str) -> tuple[int, dict[str, Any]]:
        from cspm.gcp_iam import role_snapshot

        if f"role:{name}" in self.denied:
            return _denied("iam.roles.get", name)
        if name in self.custom_roles:
            return 200, self.custom_roles[name]
        if name in role_snapshot.ROLES:
            return 200, role(name, list(role_snapshot.ROLES[name]))
        return 404, _error(404, "NOT_FOUND", f"The role named {name} was not found.")


# ---------------------------------------------------------------------------------------------
# The demo project's hierarchy
# ---------------------------------------------------------------------------------------------

DEMO_FOLDER = "folders/730129485613"
DEMO_ORGANIZATION = "organizations/902716354018"


def seed_demo(depth: IamDepth, project: str, editor_account: str) -> None:
    """The demo project sits in a folder of the acme organization. The organization lets its
    security group view everything; the folder grants a notebook user Vertex AI User (which can
    create custom jobs); and that user holds Service Account User on ``editor_account`` alone (the
    default compute account, which holds Editor on the project): one escalation path, actAs +
    ``aiplatform.customJobs.create`` -> Editor."""
    depth.ancestors[project] = [DEMO_FOLDER, DEMO_ORGANIZATION]
    depth.node_policies[DEMO_ORGANIZATION] = policy(("roles/viewer", ["group:security@acme.example"]))
    depth.node_policies[DEMO_FOLDER] = policy(("roles/aiplatform.user", ["user:notebook-user@acme.example"]))
    depth.sa_policies[editor_account] = policy(("roles/iam.serviceAccountUser", ["user:notebook-user@acme.example"]))
