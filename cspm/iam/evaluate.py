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
- Principal / NotPrincipal are ignored: these are identity policies. SCPs, resource policies and
  session policies are out of scope.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cspm.iam.actions import AccessLevel, action_database
from cspm.iam.conditions import ConditionContext, evaluate_conditions
from cspm.iam.policy import PolicyDocument, Statement, StatementRef
from cspm.iam.statements import (
    Match,
    covers_all_resources,
    grants_all_actions,
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

    def as_dict(self) -> dict[str, Any]:
        """Evidence as plain data."""
        return {"policy": self.policy, "boundary": self.boundary, **self.ref.as_dict()}


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
    boundary_blocks: bool = False

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
    action: str,
    resource: str | None,
    context: ConditionContext | None,
) -> _Layer:
    layer = _Layer()
    for origin, stmt in statements:
        if not statement_matches_action(stmt, action):
            continue
        conditions = evaluate_conditions(stmt.conditions, context)
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


def _combine(identity: Verdict, boundary: Verdict | None) -> tuple[Verdict, bool]:
    """The final verdict, and whether the boundary is what blocks it."""
    verdicts = (identity, boundary or Verdict.ALLOWED)
    if Verdict.DENIED in verdicts:
        return Verdict.DENIED, boundary is Verdict.DENIED and identity is not Verdict.DENIED
    if identity is Verdict.NOT_ALLOWED:
        return Verdict.NOT_ALLOWED, False
    if boundary is Verdict.NOT_ALLOWED:
        return Verdict.NOT_ALLOWED, True
    if Verdict.CONDITIONAL in verdicts:
        return Verdict.CONDITIONAL, False
    return Verdict.ALLOWED, False


def _origins(policies: Sequence[PolicyDocument], *, boundary: bool) -> tuple[tuple[StatementOrigin, Statement], ...]:
    out: list[tuple[StatementOrigin, Statement]] = []
    for i, doc in enumerate(policies):
        name = doc.name or ("boundary" if boundary else f"policy[{i}]")
        out.extend((StatementOrigin(name, stmt.ref, boundary), stmt) for stmt in doc.statements)
    return tuple(out)


class EffectivePermissions:
    """What a principal may do, from all its policies (attached, inline, groups) and its boundary.

    Answers are cached per (action, resource). Instances are immutable after creation.
    """

    def __init__(self, policies: Sequence[PolicyDocument], boundary: PolicyDocument | None = None) -> None:
        self.policies = tuple(policies)
        self.boundary = boundary
        self._identity = _origins(self.policies, boundary=False)
        self._boundary = _origins([boundary], boundary=True) if boundary is not None else None
        self._cache: dict[tuple[str, str | None, tuple[tuple[str, tuple[str, ...]], ...]], Decision] = {}

    def allows(self, action: str, resource: str | None = "*", context: ConditionContext | None = None) -> Decision:
        """Decide one action (``"s3:GetObject"``) on ``resource`` (an ARN, ``"*"`` = every, ``None`` = any).

        ``context`` holds request values that are known (``{"iam:PassedToService": "sagemaker.amazonaws.com"}``):
        conditions on those keys are evaluated; conditions on other keys stay CONDITIONAL.
        """
        key = (action.lower(), resource, _context_key(context))
        cached = self._cache.get(key)
        if cached is None:
            cached = self._decide(action, resource, context)
            self._cache[key] = cached
        return cached

    def _decide(self, action: str, resource: str | None, context: ConditionContext | None) -> Decision:
        identity = _scan(self._identity, action, resource, context)
        bound = _scan(self._boundary, action, resource, context) if self._boundary is not None else None
        verdict, blocks = _combine(identity.verdict, bound.verdict if bound else None)
        layers = [identity] + ([bound] if bound else [])
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
        )

    def allows_all(
        self, actions: Iterable[str], resource: str | None = "*", context: ConditionContext | None = None
    ) -> Verdict:
        """The weakest verdict over several actions (all must be possible for CONDITIONAL)."""
        order = [Verdict.DENIED, Verdict.NOT_ALLOWED, Verdict.CONDITIONAL, Verdict.ALLOWED]
        verdicts = [self.allows(a, resource, context).verdict for a in actions]
        return min(verdicts, key=order.index, default=Verdict.NOT_ALLOWED)

    @functools.cached_property
    def is_admin(self) -> bool:
        """Every action on every resource is ALLOWED (unconditionally), boundary and Denies included."""
        if self._has_unconditional_deny_on_everything():
            return False
        if not _grants_everything(self._identity):
            return False
        return self._boundary is None or _grants_everything(self._boundary)

    def _has_unconditional_deny_on_everything(self) -> bool:
        layers = self._identity + (self._boundary or ())
        return any(
            not s.is_allow and not s.conditions and covers_all_resources(s) and _matches_any_action(s)
            for _, s in layers
        )

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


def _context_key(context: ConditionContext | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not context:
        return ()
    items = ((k.lower(), (v,) if isinstance(v, str) else tuple(v)) for k, v in context.items())
    return tuple(sorted(items))


def _matches_any_action(stmt: Statement) -> bool:
    if stmt.actions is not None:
        return bool(stmt.actions)
    return not _grants_nothing(stmt)


def _grants_nothing(stmt: Statement) -> bool:
    """A NotAction statement whose exclusions cover every known action."""
    return stmt.not_actions is not None and any(p.strip("*") in ("", ":") for p in stmt.not_actions)


def _grants_everything(statements: tuple[tuple[StatementOrigin, Statement], ...]) -> bool:
    """Unconditional Allow statements on every resource whose actions, together, cover every known action."""
    full = [s for _, s in statements if s.is_allow and not s.conditions and covers_all_resources(s)]
    if any(grants_all_actions(s) for s in full if s.actions is not None):
        return True
    if not any(s.not_actions is not None for s in full):
        return False
    db = action_database()
    return all(any(statement_matches_action(s, a) for s in full) for a in db.expand("*"))


def effective_permissions(
    policies: Sequence[PolicyDocument], boundary: PolicyDocument | None = None
) -> EffectivePermissions:
    """The effective permissions of a principal with these identity policies and this boundary."""
    return EffectivePermissions(policies, boundary)


__all__ = [
    "Decision",
    "EffectivePermissions",
    "StatementOrigin",
    "Verdict",
    "effective_permissions",
]
