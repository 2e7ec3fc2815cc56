"""Effective IAM of a Google Cloud project, and who can escalate through it (pure).

A principal's permissions on the project are the union, over the project and every folder and
organization above it, of the permissions of the roles bound to it (each :class:`Grant`
remembers the resource it is bound on, and its IAM condition). A binding in a service account's
own IAM policy gives the permissions on that account only.

"Can become" edges (Google's counterparts of AWS's PassRole and AssumeRole) from a principal to
a service account S of the project, on S (project-wide grants or S's own policy):

- ``token``: ``iam.serviceAccounts.getAccessToken`` / ``signBlob`` / ``signJwt`` (Token Creator);
- ``key``: ``iam.serviceAccountKeys.create``;
- ``set-policy``: ``iam.serviceAccounts.setIamPolicy`` (grant oneself Token Creator on S);
- ``act-as``: ``iam.serviceAccounts.actAs`` on S plus, on the project, a permission that creates
  a resource running code as an attached account (``compute.instances.create``,
  ``aiplatform.customJobs.create``, ...);
- ``delegation``: ``iam.serviceAccounts.implicitDelegation``: only relays S's own token and
  delegation rights (S's other permissions are not gained).

Paths are breadth first (shortest), at most :data:`MAX_DEPTH` steps, each service account once.
Adding a binding never removes an edge, so reach only grows (a property test proves it).
Unresolved roles (custom roles that could not be read, predefined roles unknown offline) are
reported, never read as "no permissions".
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from cspm.gcp_iam.permissions import (
    ACT_AS,
    ADMIN_ROLES,
    BUCKET_SET_POLICY,
    DELEGATION,
    FOLDER_SET_POLICY,
    HIERARCHY_SET_POLICY,
    KEPT,
    KEY_CREATE,
    ORG_SET_POLICY,
    OWNER,
    ROLE_UPDATE,
    RUN_AS,
    SA_SET_POLICY,
    TOKEN,
)
from cspm.resources.gcp.iam import GcpIamHierarchy

MAX_DEPTH: Final = 6
SA_PREFIX: Final = "serviceAccount:"


@dataclass(frozen=True)
class Grant:
    """One role bound to one member: on the hierarchy (``target`` None: project-wide) or in
    the IAM policy of the service account ``target`` (its email)."""

    member: str
    role: str
    source: str  # the resource the binding is on: projects/P, folders/N, organizations/N, .../serviceAccounts/E
    condition: str | None = None
    target: str | None = None

    def evidence(self) -> dict[str, Any]:
        found: dict[str, Any] = {"role": self.role, "bound_on": self.source}
        if self.condition:
            found["condition"] = self.condition
        return found


@dataclass(frozen=True)
class Step:
    """``source`` can act as ``target`` (a ``serviceAccount:`` member) by ``method``."""

    source: str
    target: str
    method: str  # token | key | set-policy | act-as | delegation
    permissions: tuple[str, ...]
    grants: tuple[Grant, ...]

    def evidence(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "method": self.method,
            "permissions": list(self.permissions),
            "grants": [g.evidence() for g in self.grants],
        }


@dataclass(frozen=True)
class Escalation:
    """One way a principal gains permissions it does not hold."""

    kind: str  # set-iam-policy | update-custom-role | bucket-policy | impersonation
    description: str
    path: tuple[Step, ...] = ()
    grants: tuple[Grant, ...] = ()  # the grants giving the final permission (kinds other than impersonation)
    gained: tuple[str, ...] = ()  # permissions or admin roles gained
    reaches_admin: bool = False

    @property
    def conditional(self) -> bool:
        every = [*self.grants, *(g for s in self.path for g in s.grants)]
        return any(g.condition for g in every)

    def evidence(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "description": self.description,
            "path": [s.evidence() for s in self.path],
            "grants": [g.evidence() for g in self.grants],
            "gained": list(self.gained),
            "reaches_admin": self.reaches_admin,
            "conditional": self.conditional,
        }


@dataclass(frozen=True)
class AdminReach:
    """A member reaching project admin: the path (empty: it holds it itself) and what it holds."""

    path: tuple[Step, ...]
    holder: str
    holds: tuple[str, ...]  # admin roles and hierarchy setIamPolicy permissions
    grants: tuple[Grant, ...]

    def evidence(self) -> dict[str, Any]:
        return {
            "path": [s.evidence() for s in self.path],
            "holder": self.holder,
            "holds": list(self.holds),
            "grants": [g.evidence() for g in self.grants],
            "conditional": any(g.condition for g in (*self.grants, *(x for s in self.path for x in s.grants))),
        }


@dataclass
class IamModel:
    """Grants of one project plus the role catalogue (role -> permissions within KEPT, None when
    unresolved); ``service_accounts`` are the project's (emails)."""

    grants: Iterable[Grant]
    roles: Mapping[str, frozenset[str] | None]
    service_accounts: Iterable[str] = ()
    max_depth: int = MAX_DEPTH
    _by_member: dict[str, list[Grant]] = field(init=False, repr=False)
    _accounts: tuple[str, ...] = field(init=False, repr=False)
    _edges: dict[str, list[Step]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.grants = tuple(self.grants)
        self._by_member = defaultdict(list)
        for grant in self.grants:
            self._by_member[grant.member].append(grant)
        accounts = set(self.service_accounts) | {g.target for g in self.grants if g.target}
        self._accounts = tuple(sorted(accounts))
        self._edges = {}

    # -- permissions -------------------------------------------------------------------------

    def role_permissions(self, role: str) -> frozenset[str] | None:
        return self.roles.get(role)

    def permission_grants(self, member: str, on: str | None = None) -> dict[str, list[Grant]]:
        """Permission -> the grants giving it to ``member`` project-wide (and, with ``on``, on
        that service account through its own policy)."""
        found: dict[str, list[Grant]] = defaultdict(list)
        for grant in self._by_member.get(member, ()):
            if grant.target is not None and grant.target != on:
                continue
            for permission in self.roles.get(grant.role) or ():
                found[permission].append(grant)
        return found

    def roles_of(self, member: str) -> dict[str, list[Grant]]:
        """Project-wide role -> grants."""
        found: dict[str, list[Grant]] = defaultdict(list)
        for grant in self._by_member.get(member, ()):
            if grant.target is None:
                found[grant.role].append(grant)
        return found

    def unresolved(self, member: str) -> set[str]:
        """Roles ``member`` holds (anywhere) whose permissions are unknown."""
        return {g.role for g in self._by_member.get(member, ()) if self.roles.get(g.role) is None}

    def _is_owner(self, member: str) -> bool:
        return any(not g.condition for g in self.roles_of(member).get(OWNER, ()))

    # -- edges and reach ---------------------------------------------------------------------

    def edges(self, member: str) -> list[Step]:
        """Every service account ``member`` can act as, with the first method that allows it."""
        cached = self._edges.get(member)
        if cached is not None:
            return cached
        project = self.permission_grants(member)
        run_as: list[str] = [p for p in RUN_AS if p in project]
        steps = []
        for email in self._accounts:
            target = SA_PREFIX + email
            if target == member:
                continue
            on = self.permission_grants(member, email) if self._has_sa_grants(member, email) else project
            step = _step(member, target, on, run_as)
            if step is not None:
                steps.append(step)
        self._edges[member] = steps
        return steps

    def _has_sa_grants(self, member: str, email: str) -> bool:
        return any(g.target == email for g in self._by_member.get(member, ()))

    def reach(self, member: str) -> dict[str, tuple[tuple[Step, ...], bool]]:
        """Service account member -> (shortest path, whether its permissions are gained; False
        when only reached through implicit delegation)."""
        found: dict[str, tuple[tuple[Step, ...], bool]] = {}
        queue: deque[tuple[str, tuple[Step, ...], bool]] = deque([(member, (), True)])
        while queue:
            node, path, full = queue.popleft()
            if len(path) >= self.max_depth:
                continue
            for step in self.edges(node):
                if not full and step.method not in ("token", "delegation"):
                    continue
                now_full = step.method != "delegation"
                known = found.get(step.target)
                if step.target == member or (known is not None and (known[1] or not now_full)):
                    continue
                found[step.target] = ((*path, step), now_full)
                queue.append((step.target, (*path, step), now_full))
        return found

    def admin_holdings(self, member: str) -> tuple[tuple[str, ...], tuple[Grant, ...]]:
        """Admin roles and hierarchy setIamPolicy permissions ``member`` holds project-wide."""
        roles = self.roles_of(member)
        perms = self.permission_grants(member)
        held = [r for r in sorted(ADMIN_ROLES) if r in roles] + [p for p in HIERARCHY_SET_POLICY if p in perms]
        grants = [g for r in sorted(ADMIN_ROLES) for g in roles.get(r, ())]
        grants += [g for p in HIERARCHY_SET_POLICY for g in perms.get(p, ())]
        return tuple(held), tuple(dict.fromkeys(grants))

    def reaches_admin(self, member: str) -> AdminReach | None:
        """The shortest way ``member`` holds or reaches owner / editor / projectIamAdmin (or a
        hierarchy setIamPolicy permission), or None."""
        held, grants = self.admin_holdings(member)
        if held:
            return AdminReach((), member, held, grants)
        reached = self.reach(member)
        for target, (path, full) in sorted(reached.items(), key=lambda kv: (len(kv[1][0]), kv[0])):
            if not full:
                continue
            held, grants = self.admin_holdings(target)
            if held:
                return AdminReach(path, target, held, grants)
        return None

    def unresolved_in_reach(self, member: str) -> set[str]:
        """Unresolved roles of ``member`` and of every account it reaches."""
        found = self.unresolved(member)
        for target in self.reach(member):
            found |= self.unresolved(target)
        return found

    # -- escalation --------------------------------------------------------------------------

    def escalations(self, member: str) -> list[Escalation]:
        """Every way ``member`` gains permissions or roles it does not hold (empty: none found)."""
        perms = self.permission_grants(member)
        owner = self._is_owner(member)
        found = [*self._policy_edits(member, perms, owner)]
        mine = self.roles_of(member)
        for target, (path, full) in sorted(self.reach(member).items(), key=lambda kv: (len(kv[1][0]), kv[0])):
            if not full:
                continue
            theirs = self.permission_grants(target)
            gained = sorted(p for p in theirs if p in KEPT and p not in perms)
            roles = sorted(r for r in self.roles_of(target) if r in ADMIN_ROLES and r not in mine)
            if owner:  # an owner holds the project already: only folder or organization power is new
                gained = [p for p in gained if p in (FOLDER_SET_POLICY, ORG_SET_POLICY)]
                roles = []
            if not gained and not roles:
                continue
            held, _ = self.admin_holdings(target)
            found.append(
                Escalation(
                    kind="impersonation",
                    description=f"acts as {target}" + (f", which holds {', '.join(held)}" if held else ""),
                    path=path,
                    gained=(*roles, *gained),
                    reaches_admin=bool(held),
                )
            )
        return found

    def _policy_edits(self, member: str, perms: Mapping[str, list[Grant]], owner: bool) -> Iterable[Escalation]:
        for permission in HIERARCHY_SET_POLICY:
            grants = [g for g in perms.get(permission, ()) if g.role != OWNER]
            if grants and not (owner and permission not in (FOLDER_SET_POLICY, ORG_SET_POLICY)):
                level = permission.split(".")[1]
                yield Escalation(
                    kind="set-iam-policy",
                    description=f"{permission}: can grant itself any role on the {level[:-1]}",
                    grants=tuple(grants),
                    gained=(OWNER,),
                    reaches_admin=True,
                )
        custom = sorted({g.role for g in self._by_member.get(member, ()) if _is_custom(g.role)})
        updaters = [g for g in perms.get(ROLE_UPDATE, ()) if g.role != OWNER]
        if custom and updaters and not owner:
            yield Escalation(
                kind="update-custom-role",
                description=f"{ROLE_UPDATE}: can add any permission to its custom role(s) {', '.join(custom)}",
                grants=tuple(updaters),
                gained=tuple(custom),
            )
        outside = [g for g in perms.get(BUCKET_SET_POLICY, ()) if not g.role.startswith("roles/storage.")]
        if outside and not owner:
            yield Escalation(
                kind="bucket-policy",
                description=f"{BUCKET_SET_POLICY} from a non-storage role: can grant itself access to every bucket",
                grants=tuple(outside),
                gained=("roles/storage.admin",),
            )


def _is_custom(role: str) -> bool:
    return role.startswith(("projects/", "organizations/"))


def _step(member: str, target: str, on: Mapping[str, list[Grant]], run_as: list[str]) -> Step | None:
    def make(method: str, permissions: tuple[str, ...]) -> Step:
        grants = tuple(dict.fromkeys(g for p in permissions for g in on.get(p, ())))
        return Step(member, target, method, permissions, grants)

    token = tuple(p for p in TOKEN if p in on)
    if token:
        return make("token", token)
    if KEY_CREATE in on:
        return make("key", (KEY_CREATE,))
    if SA_SET_POLICY in on:
        return make("set-policy", (SA_SET_POLICY,))
    if ACT_AS in on and run_as:
        return make("act-as", (ACT_AS, run_as[0]))
    if DELEGATION in on:
        return make("delegation", (DELEGATION,))
    return None


# ---------------------------------------------------------------------------------------------
# From the collected snapshot
# ---------------------------------------------------------------------------------------------


def grants_of(hierarchy: GcpIamHierarchy) -> list[Grant]:
    grants: list[Grant] = []
    for policy in hierarchy.policies:
        for b in policy.bindings or ():
            grants.extend(Grant(m, b.role, policy.resource, b.condition) for m in b.members)
    for policy in hierarchy.service_account_policies:
        email = policy.resource.rsplit("/", 1)[-1]
        for b in policy.bindings or ():
            grants.extend(Grant(m, b.role, policy.resource, b.condition, target=email) for m in b.members)
    return grants


def gaps(hierarchy: GcpIamHierarchy) -> list[str]:
    """What could not be read, each naming the permission it needs (empty: everything was read)."""
    found = []
    if hierarchy.ancestry is None:
        found.append("the project's ancestry could not be read (resourcemanager.projects.get)")
    found.extend(
        p.error or f"the IAM policy of {p.resource} could not be read" for p in hierarchy.policies if p.bindings is None
    )
    if hierarchy.service_accounts is None:
        found.append("the service accounts could not be listed (iam.serviceAccounts.list)")
    found.extend(
        p.error or f"the IAM policy of {p.resource} could not be read"
        for p in hierarchy.service_account_policies
        if p.bindings is None
    )
    return found


_CACHE: dict[int, tuple[GcpIamHierarchy, IamModel]] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE: Final = 16


def model_of(hierarchy: GcpIamHierarchy) -> IamModel:
    """The model of a collected project (built once per snapshot; the snapshot is frozen)."""
    with _CACHE_LOCK:
        cached = _CACHE.get(id(hierarchy))
        if cached is not None and cached[0] is hierarchy:
            return cached[1]
    roles: dict[str, frozenset[str] | None] = {
        r.name: None if r.permissions is None else frozenset(r.permissions) for r in hierarchy.roles
    }
    model = IamModel(grants_of(hierarchy), roles, hierarchy.service_accounts or ())
    with _CACHE_LOCK:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[id(hierarchy)] = (hierarchy, model)
    return model
