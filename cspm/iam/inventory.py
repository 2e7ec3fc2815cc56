"""The IAM analysis of an account's snapshots, computed once per scan and shared by the checks.

A check sees one principal plus ``Sequence[...]`` of the account's policies, groups, users and
roles. Parsing every policy, evaluating every principal and building the escalation graph again
for each of them would make a scan quadratic; instead the checks ask this module:

- :func:`principal_view` — one user, group or role: its policy documents (inline, attached, its
  groups'), its boundary, what could not be read, its effective permissions (with what is known
  of its requests: ``aws:username``, ``aws:PrincipalArn`` …) and, computed on first use, its risk
  categories, escalation methods, near-admin grant.
- :func:`account_analysis` — every principal of the account and the escalation graph between
  them, with the shortest path from each one to an admin-equivalent principal.

**The memo.** Results are cached on the *identity of the snapshots* the check was given — not of
the sequence objects (the engine builds a new list for every call) and not of uids (two scans,
or two test cases, may hold different snapshots under the same uid). An entry keeps its
snapshots alive, so their ids cannot be reused by other objects while it exists, and a lookup
compares every element with ``is``: a hit is exactly the same snapshots, which are immutable, so
it returns what recomputation would. Entries are few (:data:`MEMO_SIZE`, least recently used
dropped), so a long-running process keeps at most the last few scans' IAM analysis. The lookup
costs one pointer comparison per snapshot; nothing is read from the clock, the network or the
environment, and checks stay pure functions of their inputs.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cspm.iam.actions import all_actions
from cspm.iam.analysis import pass_role_on_star
from cspm.iam.categories import Category, CategoryResult, categorize_one
from cspm.iam.escalation import (
    PASS_ROLE,
    Edge,
    EscalationGraph,
    MethodMatch,
    Own,
    PrincipalNode,
    escalation_methods,
    every_target,
)
from cspm.iam.evaluate import Decision, EffectivePermissions, Verdict, effective_permissions, principal_context
from cspm.iam.exposure import TrustAnalysis, trust_policy_analysis
from cspm.iam.organization import NOT_READ, OrgGuard, org_guard, without_guardrails
from cspm.iam.policy import PolicyDocument, PolicyError, Statement, parse_policy
from cspm.resources.aws.iam import IamGroup, IamPolicy, IamRole, IamUser, PolicyIndex, PolicySet, PolicySource
from cspm.resources.aws.organizations import OrgPolicies

MEMO_SIZE = 8
NEAR_ADMIN_SHARE = 0.9  # of every known action, on every resource

Principal = IamUser | IamGroup | IamRole
T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# The memo
# ---------------------------------------------------------------------------------------------


@dataclass
class _Entry:
    kind: str
    groups: tuple[tuple[object, ...], ...]
    value: Any

    def holds(self, kind: str, groups: Sequence[Sequence[object]]) -> bool:
        """The same kind, and exactly the same snapshot objects in the same order."""
        if self.kind != kind or len(self.groups) != len(groups):
            return False
        if any(len(mine) != len(given) for mine, given in zip(self.groups, groups, strict=True)):
            return False
        return all(all(map(operator.is_, mine, given)) for mine, given in zip(self.groups, groups, strict=True))


_entries: list[_Entry] = []  # most recently used last
_lock = threading.Lock()


def memo(kind: str, groups: Sequence[Sequence[object]], factory: Callable[[], T]) -> T:
    """``factory()``, cached on the identity of every snapshot in ``groups`` (see the module docstring)."""
    with _lock:
        for i in range(len(_entries) - 1, -1, -1):
            entry = _entries[i]
            if entry.holds(kind, groups):
                if i != len(_entries) - 1:
                    _entries.append(_entries.pop(i))
                return entry.value
    value = factory()
    with _lock:
        _entries.append(_Entry(kind, tuple(tuple(g) for g in groups), value))
        del _entries[:-MEMO_SIZE]
    return value


def clear_memo() -> None:
    """Forget every cached analysis (tests; a long-running process never needs it)."""
    with _lock:
        _entries.clear()


# ---------------------------------------------------------------------------------------------
# One principal
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NearAdmin:
    """A principal allowed almost every action on every resource (the ``PowerUserAccess`` shape)."""

    allowed: int
    total: int
    conditional: bool
    excluded_services: tuple[str, ...]
    statements: tuple[dict[str, Any], ...]

    def as_dict(self) -> dict[str, Any]:
        """Evidence as plain data."""
        return {
            "allowed_actions": self.allowed,
            "known_actions": self.total,
            "conditional": self.conditional,
            "excluded_services": list(self.excluded_services),
            "statements": [dict(s) for s in self.statements],
        }


@dataclass(frozen=True)
class PrincipalView:
    """A user, group or role with its parsed policies and effective permissions.

    ``problems`` lists what could not be read (a document, a policy not in the inventory, an
    invalid policy): the permissions then hold only what the readable policies say, and checks
    answer ERROR for the principal itself. Derived results are computed on first use.
    """

    arn: str
    kind: str
    name: str
    account: str
    documents: tuple[PolicyDocument, ...]
    boundary: PolicyDocument | None
    boundary_label: str | None
    problems: tuple[str, ...]
    permissions: EffectivePermissions
    trust: PolicyDocument | None = None
    trust_problem: str | None = None
    groups: tuple[str, ...] = ()  # group ARNs (users)
    service_linked: bool = False
    managed_policies: tuple[str, ...] = ()  # customer-managed policy ARNs attached to it or its groups
    guard: OrgGuard = NOT_READ  # the account's SCPs (in ``permissions`` unless service-linked) and RCPs
    _statements: dict[tuple[str, int], Statement] = field(default_factory=dict, compare=False, repr=False)

    def category(self, category: Category) -> CategoryResult:
        """One risk category of the principal's permissions (cached)."""
        return self._categories[category]

    @functools.cached_property
    def _categories(self) -> dict[Category, CategoryResult]:
        return _LazyCategories(self.permissions)

    @functools.cached_property
    def escalations(self) -> list[MethodMatch]:
        """Escalation methods the principal can use against any target of its account."""
        own = self.arn if self.kind != "group" else f"arn:aws:iam::{self.account}:user/*"
        return escalation_methods(self.permissions, every_target(self.account, own), self.own())

    @functools.cached_property
    def escalations_without_scps(self) -> list[MethodMatch]:
        """The escalation methods the principal would have if no SCP applied (evidence of what SCPs cut)."""
        if not self.permissions.guardrails:
            return self.escalations
        own = self.arn if self.kind != "group" else f"arn:aws:iam::{self.account}:user/*"
        return escalation_methods(without_guardrails(self.permissions), every_target(self.account, own), self.own())

    def own(self) -> Own:
        """What the principal may escalate itself through (its ARN, groups, attached policies)."""
        return Own(self.arn, self.kind, self.groups, self.managed_policies)

    @functools.cached_property
    def trust_analysis(self) -> TrustAnalysis | None:
        """Who may assume the role (``None`` for users and groups, and for an unreadable trust)."""
        return trust_policy_analysis(self.trust, self.account) if self.trust is not None else None

    def statement(self, policy: str, index: int) -> Statement | None:
        """A statement of one of the principal's policies, by policy label and index."""
        if not self._statements:
            for doc in (*self.documents, *((self.boundary,) if self.boundary else ())):
                for stmt in doc.statements:
                    self._statements[(doc.name or "", stmt.index)] = stmt
        return self._statements.get((policy, index))

    def pass_any_role(self) -> Decision:
        """``iam:PassRole`` on every role of the account (whatever service it is passed to)."""
        return self.permissions.allows(PASS_ROLE, f"arn:aws:iam::{self.account}:role/*")

    @functools.cached_property
    def pass_role_statements(self) -> list[tuple[str, Statement]]:
        """(policy, statement) for every Allow of ``iam:PassRole`` on every resource, conditions included."""
        return [(doc.name or "", stmt) for doc in self.documents for stmt in pass_role_on_star(doc)]

    @functools.cached_property
    def near_admin(self) -> NearAdmin | None:
        """Near-admin grants: not admin, but at least 90 % of every known action on every resource."""
        universe = all_actions()
        if self.permissions.upper_bound(universe) < NEAR_ADMIN_SHARE * len(universe) or self.permissions.is_admin:
            return None
        grants = self.permissions.grants(universe)
        possible = grants.allowed | grants.conditional
        if len(possible) < NEAR_ADMIN_SHARE * len(universe):
            return None
        conditional = len(grants.allowed) < NEAR_ADMIN_SHARE * len(universe)
        excluded = sorted(
            {a.split(":", 1)[0] for a in universe.actions - (grants.allowed if not conditional else possible)}
        )
        statements = tuple(
            {**origin.as_dict(), "not_actions": list(stmt.not_actions or ()), "conditional": bool(stmt.conditions)}
            for origin, stmt, granted in grants.statements
            if len(granted) >= len(universe) // 2
        )
        return NearAdmin(len(possible), len(universe), conditional, tuple(excluded), statements)

    def node(self) -> PrincipalNode:
        """The principal as a node of the escalation graph."""
        return PrincipalNode(self.arn, self.permissions, self.trust, self.groups, self.managed_policies)


class _LazyCategories(dict[Category, CategoryResult]):
    """Risk categories computed one at a time, on first access."""

    def __init__(self, permissions: EffectivePermissions) -> None:
        super().__init__()
        self._permissions = permissions

    def __missing__(self, category: Category) -> CategoryResult:
        result = categorize_one(self._permissions, category)
        self[category] = result
        return result


def _parse(document: dict[str, Any], label: str, problems: list[str]) -> PolicyDocument | None:
    try:
        return dataclasses.replace(parse_policy(document), name=label)
    except PolicyError as exc:
        where = f"{label}: " if label else ""
        problems.append(f"{where}the document is not a valid policy ({exc})")
        return None


class PolicyLibrary:
    """The account's managed policies and groups, indexed once, with a view per principal (cached).
    ``guard``: the account's SCPs, applied to every user and role but service-linked ones."""

    def __init__(self, policies: Sequence[IamPolicy], groups: Sequence[IamGroup], guard: OrgGuard = NOT_READ) -> None:
        self.index = PolicyIndex(policies, groups)
        self.guard = guard
        self._parsed: dict[str, tuple[PolicyDocument | None, str | None]] = {}
        self._views: dict[int, tuple[Principal, PrincipalView]] = {}
        self._lock = threading.Lock()

    def _managed(self, source: PolicySource, problems: list[str]) -> PolicyDocument | None:
        """A managed policy's document is parsed once (by ARN), whatever principal it is attached to."""
        assert source.arn is not None and source.document is not None
        cached = self._parsed.get(source.arn)
        if cached is None:
            found: list[str] = []
            cached = (_parse(source.document, "", found), found[0] if found else None)
            self._parsed[source.arn] = cached
        doc, problem = cached
        if doc is None:
            problems.append(f"{source.label}: {problem}")
            return None
        return dataclasses.replace(doc, name=source.label)

    def _documents(self, policy_set: PolicySet) -> tuple[list[PolicyDocument], PolicyDocument | None, list[str]]:
        problems = list(policy_set.problems)
        docs = []
        for source in policy_set.sources:
            if source.document is None:
                continue
            doc = (
                self._managed(source, problems)
                if source.kind == "managed"
                else _parse(source.document, source.label, problems)
            )
            if doc is not None:
                docs.append(doc)
        boundary = None
        if policy_set.boundary is not None and policy_set.boundary.document is not None:
            boundary = self._managed(policy_set.boundary, problems)
        return docs, boundary, problems

    def view(self, principal: Principal) -> PrincipalView:
        """The principal's view (cached on the snapshot's identity; the library keeps it alive)."""
        cached = self._views.get(id(principal))
        if cached is not None and cached[0] is principal:
            return cached[1]
        view = self._build(principal)
        with self._lock:
            self._views[id(principal)] = (principal, view)
        return view

    def _build(self, principal: Principal) -> PrincipalView:
        kind = {IamUser: "user", IamGroup: "group", IamRole: "role"}[type(principal)]
        policy_set = principal.policy_set(self.index)
        docs, boundary, problems = self._documents(policy_set)
        if isinstance(principal, IamUser):
            # a user's requests carry its unique id and its own tags (aws:userid, aws:PrincipalTag/…);
            # a role session's id and tags depend on the session (session tags override role tags)
            context = principal_context(
                principal.uid, kind, principal.name, user_id=principal.user_id, tags=principal.tags
            )
        else:
            context = principal_context(principal.uid, kind)
        service_linked = isinstance(principal, IamRole) and principal.service_linked
        guardrails = self.guard.for_principal(service_linked=service_linked)
        permissions = effective_permissions(docs, boundary, principal_context=context, guardrails=guardrails)
        extra: dict[str, Any] = {}
        if isinstance(principal, IamRole):
            extra = _trust_fields(principal)
        if isinstance(principal, IamUser):
            extra["groups"] = tuple(g.uid for name in principal.groups if (g := self.index.groups.get(name)))
        managed = (s.arn for s in policy_set.sources if s.kind == "managed" and s.arn)
        extra["managed_policies"] = tuple(dict.fromkeys(a for a in managed if not _aws_managed(a)))
        return PrincipalView(
            arn=principal.uid,
            kind=kind,
            name=principal.name,
            account=principal.account,
            documents=tuple(docs),
            boundary=boundary,
            boundary_label=policy_set.boundary.label if policy_set.boundary is not None else None,
            problems=tuple(problems),
            permissions=permissions,
            guard=self.guard,
            **extra,
        )


def _aws_managed(arn: str) -> bool:
    """An AWS-managed policy (``arn:aws:iam::aws:policy/…``): nobody in the account can version it."""
    return arn.split(":")[4:5] == ["aws"]


def _trust_fields(role: IamRole) -> dict[str, Any]:
    if role.trust_policy is None:
        problem = f"trust policy of {role.name}: {role.trust_policy_error or 'the document could not be read'}"
        return {"trust_problem": problem, "service_linked": role.service_linked}
    found: list[str] = []
    trust = _parse(role.trust_policy, "trust", found)
    invalid = f"trust policy of {role.name}: {found[0]}" if found else None
    return {"trust": trust, "trust_problem": invalid, "service_linked": role.service_linked}


def policy_library(
    policies: Sequence[IamPolicy], groups: Sequence[IamGroup] = (), organization: Sequence[OrgPolicies] = ()
) -> PolicyLibrary:
    """The library of these snapshots (memoized); ``organization``: the account's SCPs, if read."""
    return memo(
        "library",
        [policies, groups, organization],
        lambda: PolicyLibrary(policies, groups, org_guard(organization)),
    )


def principal_view(
    principal: Principal,
    policies: Sequence[IamPolicy],
    groups: Sequence[IamGroup] = (),
    organization: Sequence[OrgPolicies] = (),
) -> PrincipalView:
    """One principal's view, from the account's policies (and groups, for a user) and its SCPs."""
    return policy_library(policies, groups, organization).view(principal)


# ---------------------------------------------------------------------------------------------
# The account
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """Whether a principal reaches an admin-equivalent one.

    ``path``: the shortest path through principals whose policies could all be read (``[]``: it
    is admin-equivalent itself; ``None``: none). ``conditional``: every such path has a
    conditional step. Without a path, ``uncertain`` names the principals whose policies or trust
    could not be read and that could change the answer (a path would go through them, the
    principal reaches them, or they are roles that lead to admin and whose trust is unknown), and
    ``unconfirmed`` is a path that goes through them.
    """

    path: list[Edge] | None
    conditional: bool
    admin_reasons: tuple[str, ...]
    uncertain: tuple[str, ...] = ()
    unconfirmed: list[Edge] | None = None

    def evidence(self) -> dict[str, Any]:
        """Evidence as plain data."""
        out: dict[str, Any] = {
            "path": [e.as_dict() for e in self.path or ()],
            "conditional": self.conditional,
            "admin_reasons": list(self.admin_reasons),
        }
        if self.uncertain:
            out["uncertain"] = list(self.uncertain)
            out["unconfirmed_path"] = [e.as_dict() for e in self.unconfirmed or ()]
        return out


class AccountAnalysis:
    """Every user, group and role of an account, their views, and the escalation graph between them."""

    def __init__(
        self,
        users: Sequence[IamUser],
        groups: Sequence[IamGroup],
        roles: Sequence[IamRole],
        policies: Sequence[IamPolicy],
        organization: Sequence[OrgPolicies] = (),
    ) -> None:
        with_groups = policy_library(policies, groups, organization)
        plain = policy_library(policies, (), organization)
        self.guard = plain.guard
        views = [with_groups.view(u) for u in users]
        views += [plain.view(g) for g in groups]
        views += [plain.view(r) for r in roles]
        self.views = {v.arn: v for v in views}
        self._snapshots: dict[str, object] = {p.uid: p for p in (*users, *groups, *roles)}

    def view_of(self, principal: Principal) -> PrincipalView | None:
        """The view of this very snapshot (``None`` when it is not one of the analysed principals)."""
        known = self._snapshots.get(principal.uid)
        return self.views[principal.uid] if known is principal or known == principal else None

    @functools.cached_property
    def graph(self) -> EscalationGraph:
        """The escalation graph over every principal."""
        return EscalationGraph([v.node() for v in self.views.values()])

    @functools.cached_property
    def uncertain(self) -> frozenset[str]:
        """Principals whose policies could not all be read: neither admin nor a step on a certain path."""
        return frozenset(arn for arn, v in self.views.items() if v.problems)

    @functools.cached_property
    def _dangerous_hidden(self) -> tuple[str, ...]:
        """Roles whose trust could not be read and that are (or lead to) admin: anyone might assume them."""
        hidden = [v.arn for v in self.views.values() if v.kind == "role" and v.trust_problem]
        leads = self.graph.next_hops()
        return tuple(sorted(a for a in hidden if a in leads or a in self.uncertain))

    @functools.cached_property
    def _reaching_uncertain(self) -> frozenset[str]:
        return self.graph.reaching(self.uncertain)

    def reach(self, arn: str) -> Reach:
        """The shortest path from ``arn`` to admin: unconditional steps first, then any."""
        graph = self.graph
        reasons = tuple(graph.admin_equivalent.get(arn, ()))
        for conditional in (False, True):
            path = graph.shortest_path_to_admin(arn, include_conditional=conditional, avoiding=self.uncertain)
            if path is not None:
                return Reach(path, conditional, reasons)
        uncertain: list[str] = []
        if arn in self._reaching_uncertain:
            uncertain = sorted((graph.reachable(arn) & self.uncertain) - {arn})
        uncertain += [a for a in self._dangerous_hidden if a != arn and a not in uncertain]
        loose = graph.shortest_path_to_admin(arn, include_conditional=True) if uncertain else None
        return Reach(None, False, reasons, tuple(uncertain), loose)


def account_analysis(
    users: Sequence[IamUser],
    groups: Sequence[IamGroup],
    roles: Sequence[IamRole],
    policies: Sequence[IamPolicy],
    organization: Sequence[OrgPolicies] = (),
) -> AccountAnalysis:
    """The analysis of these snapshots (memoized: built once per scan and account)."""
    return memo(
        "account",
        [users, groups, roles, policies, organization],
        lambda: AccountAnalysis(users, groups, roles, policies, organization),
    )


def allowed_statements(view: PrincipalView, decisions: Iterable[Decision]) -> list[dict[str, Any]]:
    """The statements behind some decisions, with their resources and conditions, for evidence."""
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for decision in decisions:
        conditional = decision.verdict is Verdict.CONDITIONAL
        for origin in (*decision.allowed_by, *decision.conditionally_allowed_by):
            key = (origin.policy, origin.ref.index)
            entry = out.setdefault(
                key, {**origin.as_dict(), "actions": [], **_where(view, origin.policy, origin.ref.index)}
            )
            entry["actions"].append(decision.action)
            entry["conditional"] = conditional or bool(entry.get("conditions"))
    return list(out.values())


def _where(view: PrincipalView, policy: str, index: int) -> dict[str, Any]:
    stmt = view.statement(policy, index)
    if stmt is None:
        return {}
    return {
        "resources": list(stmt.resources) if stmt.resources is not None else None,
        "not_resources": list(stmt.not_resources) if stmt.not_resources is not None else None,
        "conditions": [{"operator": c.operator, "key": c.key, "values": list(c.values)} for c in stmt.conditions],
    }


__all__ = [
    "AccountAnalysis",
    "NearAdmin",
    "PolicyLibrary",
    "PrincipalView",
    "Reach",
    "account_analysis",
    "allowed_statements",
    "clear_memo",
    "memo",
    "policy_library",
    "principal_view",
]
