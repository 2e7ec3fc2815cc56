"""A principal's effective permissions: all its identity policies, Denies and permission boundary.

Semantics (docs/iam-analysis.md has the full table):

- An action is ALLOWED on a resource when an Allow statement without Condition covers both, no
  Deny without Condition covers both, and the permission boundary (if any) allows it the same way.
- CONDITIONAL: it would be allowed, but every Allow that covers it (in the identity policies or in
  the boundary) has a Condition, or a resource pattern with a policy variable (``${aws:username}``).
- DENIED: a Deny statement without Condition covers it (in an identity policy or the boundary).
- NOT_ALLOWED: nothing allows it, or the boundary does not.
- A Deny *with* a Condition does not change the verdict; it is listed in
  :attr:`Decision.conditional_denies`. Deny conditions usually say *how* (TLS, MFA, a VPC endpoint),
  not *whether*, and treating them as absolute would hide real grants (cloudsplaining's error).
- Resource ``"*"`` asks "on every resource": only ``Resource: "*"`` (or ``arn:*`` …) and
  ``NotResource`` cover it, and a Deny on specific resources leaves it ALLOWED but is listed in
  :attr:`Decision.partial_denies`. Resource ``None`` asks "on at least one resource".
- Service control policies (``guardrails``, one :class:`Guardrail` per level of the organization:
  root, each OU, the account) limit like the boundary: at every level some statement must allow the
  action, and a Deny at any level denies it. Which level blocks is in :attr:`Decision.blocked_by`.
- Principal / NotPrincipal are ignored: these are identity policies. Resource policies (RCPs
  included) and session policies are out of scope.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cspm.iam.actions import AccessLevel, ActionSet, action_database, action_matches, all_actions, split_action
from cspm.iam.conditions import ConditionContext, ContextValue, evaluate_conditions, resolve_resource_variables
from cspm.iam.policy import PolicyDocument, Statement, StatementRef
from cspm.iam.statements import (
    Match,
    covers_all_resources,
    grants_all_actions,
    is_full_resource_wildcard,
    statement_matches_action,
    statement_resource_match,
)


class Verdict(StrEnum):
    """The answer to "may the principal do this action on this resource"."""

    ALLOWED = "ALLOWED"
    CONDITIONAL = "CONDITIONAL"
    DENIED = "DENIED"
    NOT_ALLOWED = "NOT_ALLOWED"


@dataclass(frozen=True)
class StatementOrigin:
    """A statement and the policy it comes from (``policy`` is the document's name or ``policy[i]``)."""

    policy: str
    ref: StatementRef
    boundary: bool = False
    guardrail: str | None = None  # the organization level (``scp:root``, ``scp:ou-…``) of an SCP's statement

    def as_dict(self) -> dict[str, Any]:
        """Evidence as plain data."""
        out = {"policy": self.policy, "boundary": self.boundary, **self.ref.as_dict()}
        if self.guardrail is not None:
            out["guardrail"] = self.guardrail
        return out


@dataclass(frozen=True)
class Guardrail:
    """One level of service control policies (the organization root, an OU, the account): the SCPs
    attached there. An action passes the level when one of their statements allows it and none denies it.
    ``label`` names the level in evidence (``root r-ab12``, ``ou ou-ab12-cdef3456``, ``account …``)."""

    label: str
    policies: tuple[PolicyDocument, ...]
    # What is computed once for every principal the level applies to, when it is context-free
    # (per action set: the level's full layer; the combined levels; the SCP-cut evidence).
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @functools.cached_property
    def context_free(self) -> bool:
        """No statement has a Condition or a policy variable: the level answers every principal alike."""
        return not any(
            stmt.conditions or any("${" in p for p in (stmt.resources or ()) + (stmt.not_resources or ()))
            for doc in self.policies
            for stmt in doc.statements
        )


Origins = tuple[StatementOrigin, ...]


@dataclass(frozen=True)
class Decision:
    """The verdict for one (action, resource) and the statements responsible for it."""

    action: str
    resource: str | None
    verdict: Verdict
    allowed_by: Origins = ()
    conditionally_allowed_by: Origins = ()
    denied_by: Origins = ()
    conditional_denies: Origins = ()
    partial_denies: Origins = ()
    boundary_blocks: bool = False  # the identity policies allow it; the boundary or an SCP level does not
    blocked_by: tuple[str, ...] = ()  # the guard layers that deny or do not allow it (``boundary``, SCP levels)

    @property
    def allowed(self) -> bool:
        """ALLOWED without conditions."""
        return self.verdict is Verdict.ALLOWED

    @property
    def possible(self) -> bool:
        """ALLOWED or CONDITIONAL."""
        return self.verdict in (Verdict.ALLOWED, Verdict.CONDITIONAL)

    def as_dict(self) -> dict[str, Any]:
        """Evidence as plain data."""
        return {
            "action": self.action,
            "resource": self.resource,
            "verdict": self.verdict.value,
            "allowed_by": [o.as_dict() for o in self.allowed_by],
            "conditionally_allowed_by": [o.as_dict() for o in self.conditionally_allowed_by],
            "denied_by": [o.as_dict() for o in self.denied_by],
            "conditional_denies": [o.as_dict() for o in self.conditional_denies],
            "partial_denies": [o.as_dict() for o in self.partial_denies],
            "boundary_blocks": self.boundary_blocks,
            "blocked_by": list(self.blocked_by),
        }


@dataclass
class _Layer:
    """What one set of policies (identity, or the boundary) says about one request."""

    allow: list[StatementOrigin] = field(default_factory=list)
    allow_conditional: list[StatementOrigin] = field(default_factory=list)
    deny: list[StatementOrigin] = field(default_factory=list)
    deny_conditional: list[StatementOrigin] = field(default_factory=list)
    deny_partial: list[StatementOrigin] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        if self.deny:
            return Verdict.DENIED
        if self.allow:
            return Verdict.ALLOWED
        return Verdict.CONDITIONAL if self.allow_conditional else Verdict.NOT_ALLOWED


def _deny_match(stmt: Statement, resource: str | None) -> Match | None:
    """YES/MAYBE when a Deny covers the request; ``None`` when it covers only some resources."""
    if resource is None or resource == "*":
        if stmt.resources is None and stmt.not_resources is None:
            return Match.YES
        return Match.YES if covers_all_resources(stmt) else None
    return statement_resource_match(stmt, resource)


def _scan(
    statements: Iterable[tuple[StatementOrigin, Statement]],
    resource: str | None,
    conditions_of: Callable[[Statement], bool | None],
) -> _Layer:
    """What statements that cover the action say about ``resource`` (``conditions_of`` decides conditions)."""
    layer = _Layer()
    for origin, stmt in statements:
        conditions = conditions_of(stmt)
        if conditions is False:
            continue
        match = statement_resource_match(stmt, resource) if stmt.is_allow else _deny_match(stmt, resource)
        if match is None:
            layer.deny_partial.append(origin)
        elif match is not Match.NO:
            certain = match is Match.YES and conditions is True
            _file(layer, origin, allow=stmt.is_allow, certain=certain)
    return layer


def _file(layer: _Layer, origin: StatementOrigin, *, allow: bool, certain: bool) -> None:
    if allow:
        (layer.allow if certain else layer.allow_conditional).append(origin)
    else:
        (layer.deny if certain else layer.deny_conditional).append(origin)


def _combine(identity: Verdict, guards: Sequence[Verdict]) -> tuple[Verdict, bool]:
    """The final verdict, and whether a guard layer (boundary, SCP level) is what blocks it."""
    if identity is Verdict.DENIED:
        return Verdict.DENIED, False
    if Verdict.DENIED in guards:
        return Verdict.DENIED, True
    if identity is Verdict.NOT_ALLOWED:
        return Verdict.NOT_ALLOWED, False
    if Verdict.NOT_ALLOWED in guards:
        return Verdict.NOT_ALLOWED, True
    if identity is Verdict.CONDITIONAL or Verdict.CONDITIONAL in guards:
        return Verdict.CONDITIONAL, False
    return Verdict.ALLOWED, False


def _guard_verdict(guards: Sequence[Verdict]) -> Verdict:
    """What the guard layers alone say (ALLOWED when there are none)."""
    return _combine(Verdict.ALLOWED, guards)[0]


Pairs = tuple[tuple[StatementOrigin, Statement], ...]


def _resolved(stmt: Statement, variables: ConditionContext) -> Statement:
    """The statement with the known policy variables of its Resource / NotResource substituted.

    A pattern with a variable that has no value (``${aws:username}`` of a role session) matches no
    resource and is dropped (IAM User Guide, "Policy variables with no value"); variables whose key
    is unknown stay, and match only *possibly*.
    """
    if not variables:
        return stmt
    resources = _substituted(stmt.resources, variables)
    not_resources = _substituted(stmt.not_resources, variables)
    if resources == stmt.resources and not_resources == stmt.not_resources:
        return stmt
    return dataclasses.replace(stmt, resources=resources, not_resources=not_resources)


def _substituted(patterns: tuple[str, ...] | None, variables: ConditionContext) -> tuple[str, ...] | None:
    if patterns is None:
        return None
    resolved = (resolve_resource_variables(p, variables) for p in patterns)
    return tuple(p for p in resolved if p is not None)


def _origins(
    policies: Sequence[PolicyDocument], *, boundary: bool, variables: ConditionContext, guardrail: str | None = None
) -> Pairs:
    out: list[tuple[StatementOrigin, Statement]] = []
    for i, doc in enumerate(policies):
        name = doc.name or ("boundary" if boundary else f"{guardrail or 'policy'}[{i}]")
        origin = functools.partial(StatementOrigin, name, boundary=boundary, guardrail=guardrail)
        out.extend((origin(stmt.ref), _resolved(stmt, variables)) for stmt in doc.statements)
    return tuple(out)


Guards = tuple[Pairs, ...]


def _could_match_service(stmt: Statement, service: str) -> bool:
    if stmt.actions is None:
        return True  # NotAction: any service
    return _patterns_touch_service(stmt.actions, service)


@functools.lru_cache(maxsize=65536)
def _patterns_touch_service(patterns: tuple[str, ...], service: str) -> bool:
    return any(action_matches(split_action(p)[0], service) for p in patterns)


def _covers_every_resource(stmt: Statement) -> bool:
    """What ``resource="*"`` asks: no resource element (trust-policy style), a full wildcard, or NotResource."""
    return (stmt.resources is None and stmt.not_resources is None) or covers_all_resources(stmt)


@dataclass(frozen=True)
class Grants:
    """Which actions of an :class:`ActionSet` a principal holds on every resource.

    ``allowed``: ALLOWED without condition; ``conditional``: only CONDITIONAL. ``statements``:
    (origin, statement, actions of the result it grants) for evidence, in policy order.
    """

    allowed: frozenset[str]
    conditional: frozenset[str]
    statements: tuple[tuple[StatementOrigin, Statement, frozenset[str]], ...]


@dataclass(frozen=True)
class _FullLayer:
    allow: frozenset[str]
    conditional: frozenset[str]
    deny: frozenset[str]


class EffectivePermissions:
    """What a principal may do, from all its policies (attached, inline, groups) and its boundary.

    Answers are cached per (action, resource). Instances are immutable after creation.
    """

    def __init__(
        self,
        policies: Sequence[PolicyDocument],
        boundary: PolicyDocument | None = None,
        *,
        principal_context: Mapping[str, ContextValue] | None = None,
        guardrails: Sequence[Guardrail] = (),
    ) -> None:
        self.policies = tuple(policies)
        self.boundary = boundary
        self.guardrails = tuple(guardrails)
        self.principal_context: dict[str, ContextValue] = dict(principal_context or {})
        variables = self.principal_context
        self._identity = _origins(self.policies, boundary=False, variables=variables)
        guards = [_origins([boundary], boundary=True, variables=variables)] if boundary is not None else []
        guards += [_origins(g.policies, boundary=False, variables=variables, guardrail=g.label) for g in guardrails]
        self._guards: Guards = tuple(guards)
        # the Guardrail of each guard layer (None: the boundary), to share context-free layers
        self._rails: tuple[Guardrail | None, ...] = ((None,) if boundary is not None else ()) + self.guardrails
        self._guard_labels = (("boundary",) if boundary is not None else ()) + tuple(g.label for g in guardrails)
        self._cache: dict[tuple[str, str | None, tuple[tuple[str, tuple[str, ...] | None], ...]], Decision] = {}
        self._by_service: dict[str, tuple[Pairs, Guards]] = {}
        self._by_action: dict[str, tuple[Pairs, Guards]] = {}
        self._conditions: dict[tuple[int, tuple[tuple[str, tuple[str, ...] | None], ...]], bool | None] = {}
        self._full: dict[ActionSet, tuple[_FullLayer, tuple[_FullLayer, ...]]] = {}
        self._possible: dict[ActionSet, frozenset[str]] = {}
        self.derived: dict[str, Any] = {}  # results other modules derive from these permissions, cached

    def _statements_for(self, action: str) -> tuple[Pairs, Guards]:
        """The identity and guard-layer statements that may match ``action``'s service (in policy order)."""
        service = split_action(action)[0].lower() if ":" in action else ""
        cached = self._by_service.get(service)
        if cached is None:
            if not service:
                cached = (self._identity, self._guards)
            else:
                identity = tuple(p for p in self._identity if _could_match_service(p[1], service))
                guards = tuple(tuple(p for p in g if _could_match_service(p[1], service)) for g in self._guards)
                cached = (identity, guards)
            self._by_service[service] = cached
        return cached

    def _matching(self, action: str) -> tuple[Pairs, Guards]:
        """The identity and guard-layer statements whose Action / NotAction covers ``action`` (cached)."""
        key = action.lower()
        cached = self._by_action.get(key)
        if cached is None:
            statements, guards = self._statements_for(action)
            identity = tuple(p for p in statements if statement_matches_action(p[1], action))
            matched = tuple(tuple(p for p in g if statement_matches_action(p[1], action)) for g in guards)
            cached = self._by_action[key] = (identity, matched)
        return cached

    def _guard_statements(self, guards: Guards) -> Iterable[tuple[StatementOrigin, Statement]]:
        return (pair for guard in guards for pair in guard)

    def _context(self, context: ConditionContext | None) -> ConditionContext | None:
        if not self.principal_context:
            return context
        if not context:
            return self.principal_context
        return {**self.principal_context, **context}

    def allows(self, action: str, resource: str | None = "*", context: ConditionContext | None = None) -> Decision:
        """Decide one action (``"s3:GetObject"``) on ``resource`` (an ARN, ``"*"`` = every, ``None`` = any).

        ``context`` holds request values that are known (``{"iam:PassedToService": "sagemaker.amazonaws.com"}``):
        conditions on those keys are evaluated; conditions on other keys stay CONDITIONAL.
        """
        context_key = _context_key(context)
        key = (action.lower(), resource, context_key)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._decide(action, resource, context, context_key)
            self._cache[key] = cached
        return cached

    def _decide(
        self,
        action: str,
        resource: str | None,
        context: ConditionContext | None,
        context_key: tuple[tuple[str, tuple[str, ...] | None], ...],
    ) -> Decision:
        statements, guard_statements = self._matching(action)
        merged = self._context(context)

        def conditions_of(stmt: Statement) -> bool | None:
            key = (id(stmt), context_key)  # the statement lives as long as these permissions
            if key not in self._conditions:
                self._conditions[key] = evaluate_conditions(stmt.conditions, merged)
            return self._conditions[key]

        identity = _scan(statements, resource, conditions_of)
        guards = [
            self._guard_scan(rail, g, action, resource, conditions_of)
            for rail, g in zip(self._rails, guard_statements, strict=True)
        ]
        verdict, blocks = _combine(identity.verdict, [g.verdict for g in guards])
        layers = [identity, *guards]
        blocked_by = tuple(
            label
            for label, g in zip(self._guard_labels, guards, strict=True)
            if g.verdict in (Verdict.DENIED, Verdict.NOT_ALLOWED)
        )
        return Decision(
            action=action,
            resource=resource,
            verdict=verdict,
            allowed_by=tuple(o for layer in layers for o in layer.allow),
            conditionally_allowed_by=tuple(o for layer in layers for o in layer.allow_conditional),
            denied_by=tuple(o for layer in layers for o in layer.deny),
            conditional_denies=tuple(o for layer in layers for o in layer.deny_conditional),
            partial_denies=tuple(o for layer in layers for o in layer.deny_partial),
            boundary_blocks=blocks,
            blocked_by=blocked_by if blocks else (),
        )

    def guards_allow(
        self, action: str, resource: str | None = "*", *, boundary: bool = True, context: ConditionContext | None = None
    ) -> Verdict:
        """What the guard layers alone (the boundary unless ``boundary=False``, every SCP level) say about a
        request: ALLOWED when there are none. For a request an identity policy need not allow (a
        same-account resource policy that names the principal), which SCPs still limit."""
        _, guard_statements = self._matching(action)
        merged = self._context(context)
        start = 1 if (not boundary and self.boundary is not None) else 0
        verdicts = []
        for guard in guard_statements[start:]:
            verdicts.append(_scan(guard, resource, lambda stmt: evaluate_conditions(stmt.conditions, merged)).verdict)
        return _guard_verdict(verdicts)

    def allows_all(
        self, actions: Iterable[str], resource: str | None = "*", context: ConditionContext | None = None
    ) -> Verdict:
        """The weakest verdict over several actions (all must be possible for CONDITIONAL)."""
        order = [Verdict.DENIED, Verdict.NOT_ALLOWED, Verdict.CONDITIONAL, Verdict.ALLOWED]
        verdicts = [self.allows(a, resource, context).verdict for a in actions]
        return min(verdicts, key=order.index, default=Verdict.NOT_ALLOWED)

    def _certain(self, stmt: Statement) -> bool | None:
        """A statement's conditions against what is known of the principal: True, False or undecided."""
        return evaluate_conditions(stmt.conditions, self.principal_context or None)

    @functools.cached_property
    def is_admin(self) -> bool:
        """Every action on every resource is ALLOWED (unconditionally), boundary and Denies included."""
        if self._has_unconditional_deny_on_everything():
            return False
        if not self._grants_everything(self._identity):
            return False
        return all(self._grants_everything(g) for g in self._guards)

    def _has_unconditional_deny_on_everything(self) -> bool:
        layers = self._identity + tuple(self._guard_statements(self._guards))
        return any(
            not s.is_allow and covers_all_resources(s) and _matches_any_action(s) and self._certain(s) is True
            for _, s in layers
        )

    def _grants_everything(self, statements: Pairs) -> bool:
        """Unconditional Allow statements on every resource whose actions, together, cover every known action."""
        full = [s for _, s in statements if s.is_allow and covers_all_resources(s) and self._certain(s) is True]
        if any(grants_all_actions(s) for s in full if s.actions is not None):
            return True
        if not any(s.not_actions is not None for s in full):
            return False
        universe = all_actions()
        covered = frozenset().union(*(universe.covered(s.actions, s.not_actions) for s in full))
        return covered >= universe.actions

    def _full_layer(self, statements: Pairs, universe: ActionSet) -> _FullLayer:
        allow: set[str] = set()
        conditional: set[str] = set()
        deny: set[str] = set()
        for _, stmt in statements:
            if not _covers_every_resource(stmt):
                continue
            certain = self._certain(stmt)
            if certain is False:
                continue
            covered = universe.covered(stmt.actions, stmt.not_actions)
            if stmt.is_allow:
                (allow if certain else conditional).update(covered)
            elif certain:
                deny.update(covered)
        return _FullLayer(frozenset(allow), frozenset(conditional), frozenset(deny))

    def _layers(self, universe: ActionSet) -> tuple[_FullLayer, tuple[_FullLayer, ...]]:
        cached = self._full.get(universe)
        if cached is None:
            pairs = zip(self._rails, self._guards, strict=True)
            guards = tuple(self._guard_layer(rail, g, universe) for rail, g in pairs)
            cached = (self._full_layer(self._identity, universe), guards)
            self._full[universe] = cached
        return cached

    def _guard_scan(
        self,
        rail: Guardrail | None,
        statements: Pairs,
        action: str,
        resource: str | None,
        conditions_of: Callable[[Statement], bool | None],
    ) -> _Layer:
        """A guard layer's statements on one request; shared by every principal under a context-free
        SCP level (no condition to decide, no variable to substitute: the same for all)."""
        if rail is None or not rail.context_free:
            return _scan(statements, resource, conditions_of)
        key = ("scan", action.lower(), resource)
        layer: _Layer | None = rail.memo.get(key)
        if layer is None:
            layer = rail.memo[key] = _scan(statements, resource, conditions_of)
        return layer

    def _guard_layer(self, rail: Guardrail | None, statements: Pairs, universe: ActionSet) -> _FullLayer:
        """A guard layer's full layer; shared by every principal when the SCP level is context-free
        (its statements are then the level's own, unsubstituted, and every condition check is True)."""
        if rail is None or not rail.context_free:
            return self._full_layer(statements, universe)
        key = ("full", universe)
        layer: _FullLayer | None = rail.memo.get(key)
        if layer is None:
            layer = rail.memo[key] = self._full_layer(statements, universe)
        return layer

    def _combined_guards(self, universe: ActionSet, guards: tuple[_FullLayer, ...]) -> _FullLayer:
        """Every guard layer together: ``allow`` = allowed by all, ``conditional`` = possible under all
        (allowed or conditional at every layer), ``deny`` = denied by one. Shared by the principals
        under the same context-free SCP levels and no boundary."""
        shared = bool(self._rails) and all(r is not None and r.context_free for r in self._rails)
        key = ("combined", universe, tuple(id(r) for r in self._rails))
        if shared:
            hit = self._rails[-1].memo.get(key)  # type: ignore[union-attr]
            if hit is not None and all(a is b for a, b in zip(hit[0], self._rails, strict=True)):
                return hit[1]
        layer = _FullLayer(
            frozenset.intersection(*(g.allow for g in guards)),
            frozenset.intersection(*(g.allow | g.conditional for g in guards)),
            frozenset().union(*(g.deny for g in guards)),
        )
        if shared:
            self._rails[-1].memo[key] = (self._rails, layer)  # type: ignore[union-attr]
        return layer

    def grants(self, universe: ActionSet) -> Grants:
        """The actions of ``universe`` held on every resource: the verdict ``allows(a, "*")`` gives each
        action, computed with set algebra over the statements instead of one evaluation per action.
        Results are cached per ``universe`` object.
        """
        identity, guards = self._layers(universe)
        if guards:
            combined = self._combined_guards(universe, guards)
            denied = identity.deny | combined.deny
            allowed = (identity.allow & combined.allow) - denied
            possible = ((identity.allow | identity.conditional) & combined.conditional) - denied
        else:
            denied = identity.deny
            allowed = identity.allow - denied
            possible = (identity.allow | identity.conditional) - denied
        found = possible
        statements = []
        for origin, stmt in self._identity:
            if stmt.is_allow and _covers_every_resource(stmt) and self._certain(stmt) is not False:
                granted = universe.covered(stmt.actions, stmt.not_actions) & found
                if granted:
                    statements.append((origin, stmt, granted))
        return Grants(allowed, possible - allowed, tuple(statements))

    def mentions_deny(self, action: str) -> bool:
        """Whether a Deny statement (identity or boundary) covers ``action`` on some resource, unless its
        condition is known to be false for this principal."""
        statements, guards = self._matching(action)
        return any(
            not stmt.is_allow and self._certain(stmt) is not False
            for _, stmt in (*statements, *self._guard_statements(guards))
        )

    def allows_alike(self, action: str, resource: str) -> bool:
        """Whether every Allow statement (identity and boundary) that covers ``action`` also covers
        ``resource`` (read literally, e.g. ``arn:aws:iam::1:role/*``): then no narrower grant can give
        a resource under it another verdict than ``resource`` itself gets."""
        statements, guards = self._matching(action)
        return all(
            statement_resource_match(stmt, resource) is not Match.NO
            for _, stmt in (*statements, *self._guard_statements(guards))
            if stmt.is_allow and self._certain(stmt) is not False
        )

    def resource_elements(self, action: str) -> tuple[tuple[str, ...], bool]:
        """Every Resource and NotResource pattern of the statements (Allow and Deny, identity and boundary)
        that cover ``action``, and whether one of them has neither element. Two resources that the same
        of these patterns match get the same decision (with ``context`` alike)."""
        statements, guards = self._matching(action)
        patterns: list[str] = []
        bare = False
        for _, stmt in (*statements, *self._guard_statements(guards)):
            if self._certain(stmt) is False:
                continue
            bare = bare or (stmt.resources is None and stmt.not_resources is None)
            patterns.extend((stmt.resources or ()) + (stmt.not_resources or ()))
        return tuple(dict.fromkeys(patterns)), bare

    def upper_bound(self, universe: ActionSet) -> int:
        """At most how many actions of ``universe`` some identity Allow grants on every resource (cheap)."""
        return sum(
            len(universe.covered(stmt.actions, stmt.not_actions))
            for _, stmt in self._identity
            if stmt.is_allow and _covers_every_resource(stmt)
        )

    def possible_anywhere(self, universe: ActionSet) -> frozenset[str]:
        """Actions of ``universe`` that some identity Allow statement covers, and some Allow of every guard
        layer (the boundary, each SCP level) too, on any resource and under any condition not known to be
        false: a superset of what ``allows(a, None)`` can find possible."""
        cached = self._possible.get(universe)
        if cached is None:
            out = self._allowed_somewhere(self._identity, universe)
            for guard in self._guards:
                if out:
                    out &= self._allowed_somewhere(guard, universe)
            cached = self._possible[universe] = frozenset(out)
        return cached

    def _allowed_somewhere(self, statements: Pairs, universe: ActionSet) -> set[str]:
        out: set[str] = set()
        for _, stmt in statements:
            if stmt.is_allow and self._certain(stmt) is not False:
                out.update(universe.covered(stmt.actions, stmt.not_actions))
        return out

    def resource_patterns(self, action: str) -> tuple[str, ...] | None:
        """The Resource patterns of the identity Allow statements that cover ``action`` (policy variables of
        the principal substituted); ``None`` when one covers every resource (``*``, NotResource, no element).

        Candidates for "on which resources could ``action`` be allowed": a superset, to be confirmed
        with :meth:`allows`.
        """
        statements, _ = self._matching(action)
        patterns: list[str] = []
        for _, stmt in statements:
            if not stmt.is_allow or self._certain(stmt) is False:
                continue
            if stmt.resources is None or any(is_full_resource_wildcard(r) for r in stmt.resources):
                return None
            patterns.extend(stmt.resources)
        return tuple(dict.fromkeys(patterns))

    def actions_matching(
        self, pattern: str, resource: str | None = "*", *, include_conditional: bool = False
    ) -> tuple[str, ...]:
        """Known actions matching ``pattern`` that are ALLOWED (and CONDITIONAL if asked) on ``resource``."""
        accepted = {Verdict.ALLOWED, Verdict.CONDITIONAL} if include_conditional else {Verdict.ALLOWED}
        return tuple(a for a in action_database().expand(pattern) if self.allows(a, resource).verdict in accepted)

    def allowed_actions(
        self,
        resource: str | None = "*",
        *,
        include_conditional: bool = False,
        access_levels: Iterable[AccessLevel] | None = None,
    ) -> tuple[str, ...]:
        """Every known action the principal may perform on ``resource``, optionally by access level."""
        db = action_database()
        levels = set(access_levels) if access_levels is not None else None
        out = []
        for action in self._candidate_actions():
            if levels is not None and db.access_level(action) not in levels:
                continue
            verdict = self.allows(action, resource).verdict
            if verdict is Verdict.ALLOWED or (include_conditional and verdict is Verdict.CONDITIONAL):
                out.append(action)
        return tuple(out)

    def _candidate_actions(self) -> tuple[str, ...]:
        db = action_database()
        patterns: set[str] = set()
        for _, stmt in self._identity:
            if stmt.is_allow and stmt.not_actions is not None:
                patterns.add("*")
            elif stmt.is_allow:
                patterns.update(stmt.actions or ())
        return tuple(sorted({a for p in patterns for a in db.expand(p)}))


def _context_key(context: ConditionContext | None) -> tuple[tuple[str, tuple[str, ...] | None], ...]:
    if not context:
        return ()
    items = [(k.lower(), _key_values(v)) for k, v in context.items()]
    return tuple(items) if len(items) == 1 else tuple(sorted(items))


def _key_values(value: ContextValue) -> tuple[str, ...] | None:
    if value is None:
        return None  # known absent: distinct from an empty set of values
    return (value,) if isinstance(value, str) else tuple(value)


def _matches_any_action(stmt: Statement) -> bool:
    if stmt.actions is not None:
        return bool(stmt.actions)
    return not _grants_nothing(stmt)


def _grants_nothing(stmt: Statement) -> bool:
    """A NotAction statement whose exclusions cover every known action."""
    return stmt.not_actions is not None and any(p.strip("*") in ("", ":") for p in stmt.not_actions)


def effective_permissions(
    policies: Sequence[PolicyDocument],
    boundary: PolicyDocument | None = None,
    *,
    principal_context: Mapping[str, ContextValue] | None = None,
    guardrails: Sequence[Guardrail] = (),
) -> EffectivePermissions:
    """The effective permissions of a principal with these identity policies and this boundary.

    ``principal_context`` holds what is known of every request the principal makes
    (``{"aws:username": "alice", "aws:PrincipalArn": ...}``, see :func:`principal_context`): its
    policy variables are substituted in resource patterns and its keys decide conditions.
    """
    return EffectivePermissions(policies, boundary, principal_context=principal_context, guardrails=guardrails)


def principal_context(
    arn: str,
    kind: str,
    name: str | None = None,
    *,
    user_id: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> dict[str, ContextValue]:
    """What every request of a user or role is known to carry, and not to carry.

    Users: ``aws:username``, ``aws:PrincipalArn``, ``aws:PrincipalAccount``, ``aws:PrincipalType``
    (``User``), and ``aws:userid`` when ``user_id`` is given. Roles: ``aws:PrincipalArn`` (the role
    ARN, as IAM gives it for role sessions), ``aws:PrincipalAccount`` and ``aws:PrincipalType``
    (``AssumedRole``); ``aws:username`` is *absent* (``None``): the AWS global condition context keys
    page defines it for IAM users only, so ``StringLike aws:username al*`` never matches a role and
    ``${aws:username}`` has no value. ``tags`` become ``aws:PrincipalTag/<key>``; tags not given
    stay unknown (a role session may add session tags). Groups are not principals: a member is a
    user whose name is not known. Every other key (MFA, source IP, ``aws:SourceIdentity`` …) is unknown.
    """
    account = arn.split(":")[4] if arn.count(":") >= 5 else ""
    out: dict[str, ContextValue]
    if kind == "user":
        out = {"aws:PrincipalArn": arn, "aws:PrincipalAccount": account, "aws:PrincipalType": "User"}
        if name:
            out["aws:username"] = name
        if user_id:
            out["aws:userid"] = user_id
    elif kind == "role":
        out = {"aws:PrincipalArn": arn, "aws:PrincipalAccount": account, "aws:PrincipalType": "AssumedRole"}
        out["aws:username"] = None
    else:
        out = {"aws:PrincipalAccount": account, "aws:PrincipalType": "User"} if account else {}
    for key, value in (tags or {}).items():
        out[f"aws:PrincipalTag/{key}"] = value
    return out


__all__ = [
    "Decision",
    "EffectivePermissions",
    "Grants",
    "Guardrail",
    "StatementOrigin",
    "Verdict",
    "effective_permissions",
    "principal_context",
]
