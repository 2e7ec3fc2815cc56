"""The organization's SCPs and RCPs over an account, as guard layers of effective permissions.

:func:`org_guard` reads the account's :class:`~cspm.resources.aws.organizations.OrgPolicies`
snapshot (none, when the scan did not collect it) and answers an :class:`OrgGuard`:

- ``scps``: one :class:`~cspm.iam.evaluate.Guardrail` per level (root, each OU, the account) whose
  attachments and documents could all be read. A principal's action must be allowed at every
  level and denied at none. They apply to the account's users and roles, except service-linked
  roles, and not at all in the management account.
- ``rcps``: the same for resource control policies, which limit requests *to* the account's
  resources (S3, STS, KMS, SQS, Secrets Manager …). They are collected and named in evidence, and
  an unreadable one makes the account's FAILs ERROR like an SCP; they are not yet applied to any
  verdict (docs/iam-analysis.md says what that leaves out).
- ``problems``: what could not be read (a level's attachments, a policy's content, the chain of
  parents). A level with a problem is left out: the remaining levels can only allow *more* than
  the real ones, so a PASS computed with them holds, while a FAIL may be wrong. The checks answer
  ERROR for the FAILs of such an account (:meth:`OrgGuard.uncertain`).
- ``applied`` / ``note``: whether SCPs are part of the verdicts, and if not, why (not requested,
  not readable by the caller, the management account, SCPs not enabled).

:func:`scp_cuts` names the SCP levels and policies that take administrator access away.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cspm.iam.actions import all_actions
from cspm.iam.conditions import ContextValue
from cspm.iam.evaluate import EffectivePermissions, Guardrail, effective_permissions
from cspm.iam.policy import PolicyDocument, PolicyError, parse_policy
from cspm.resources.aws.organizations import OrgLevel, OrgPolicies, OrgPolicy

SAMPLE = 10  # blocked actions named per level in evidence


@dataclass(frozen=True)
class OrgGuard:
    """The SCP and RCP guard layers of one account, and what is unknown about them."""

    scps: tuple[Guardrail, ...] = ()
    rcps: tuple[Guardrail, ...] = ()
    problems: tuple[str, ...] = ()
    applied: bool = False
    note: str = "the organization's SCPs were not read"
    management: bool = False

    def for_principal(self, *, service_linked: bool) -> tuple[Guardrail, ...]:
        """The SCP layers of a user or role (none for a service-linked role)."""
        return () if service_linked else self.scps

    @property
    def uncertain(self) -> bool:
        """Some SCP or RCP that applies to the account could not be read: a FAIL may be wrong."""
        return bool(self.problems)

    def evidence(self) -> dict[str, Any]:
        """What the checks add to a principal's evidence (``scps``)."""
        out: dict[str, Any] = {"applied": self.applied, "levels": [g.label for g in self.scps]}
        if self.rcps:
            out["rcp_levels_not_applied"] = [g.label for g in self.rcps]
        if not self.applied or not self.scps:
            out["note"] = self.note
        if self.problems:
            out["unreadable"] = list(self.problems)
        return out


NOT_READ = OrgGuard()


def org_guard(snapshots: Sequence[OrgPolicies]) -> OrgGuard:
    """The guard of the account whose (at most one) snapshot is given."""
    if not snapshots:
        return NOT_READ
    org = snapshots[0]
    if org.state != "read":
        return OrgGuard(note=f"SCPs not applied: {org.reason or org.state}")
    if org.is_management_account:
        return OrgGuard(management=True, note="the management account: SCPs and RCPs do not apply to it")
    if org.levels is None:
        problem = org.reason or "the organization's levels could not be read"
        return OrgGuard(problems=(problem,), note=f"SCPs not applied: {problem}")
    problems: list[str] = []
    scps = _layers(org.levels, "SCP", problems) if org.scp_enabled else ()
    rcps = _layers(org.levels, "RCP", problems) if org.rcp_enabled else ()
    note = "SCPs applied" if org.scp_enabled else "SCPs are not enabled in the organization"
    return OrgGuard(scps=scps, rcps=rcps, problems=tuple(problems), applied=bool(org.scp_enabled), note=note)


def _layers(levels: Sequence[OrgLevel], kind: str, problems: list[str]) -> tuple[Guardrail, ...]:
    out = []
    for level in levels:
        attached = level.scps if kind == "SCP" else level.rcps
        if attached is None:
            problems.append(f"the {kind}s attached to {level.label} could not be listed ({level.error or 'unknown'})")
            continue
        docs = [_document(p, kind, level, problems) for p in attached]
        if all(d is not None for d in docs):
            out.append(Guardrail(level.label, tuple(d for d in docs if d is not None)))
    return tuple(out)


def policy_label(policy: OrgPolicy) -> str:
    """``p-abc123 (DenyIAM)``: how evidence names an SCP or RCP."""
    return f"{policy.id} ({policy.name})" if policy.name else policy.id


def _document(policy: OrgPolicy, kind: str, level: OrgLevel, problems: list[str]) -> PolicyDocument | None:
    where = f"{kind} {policy_label(policy)} at {level.label}"
    if policy.document is None:
        problems.append(f"{where} could not be read ({policy.error or 'no content'})")
        return None
    try:
        return dataclasses.replace(parse_policy(policy.document), name=policy_label(policy))
    except PolicyError as exc:
        problems.append(f"{where} is not a valid policy ({exc})")
        return None


# ---------------------------------------------------------------------------------------------
# Evidence: which SCP cut what
# ---------------------------------------------------------------------------------------------

_ALLOW_ALL = parse_policy({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def without_guardrails(perms: EffectivePermissions) -> EffectivePermissions:
    """The same principal as if no SCP applied (identity policies and boundary only)."""
    return effective_permissions(perms.policies, perms.boundary, principal_context=perms.principal_context)


def scp_cuts(perms: EffectivePermissions) -> list[dict[str, Any]]:
    """For each SCP level that blocks some action on every resource for this principal: the level,
    its policies, the Deny statements' policies that block (none: an allow list that omits them),
    how many actions it blocks and a few of them."""
    out = []
    for guard in perms.guardrails:
        if not guard.context_free:
            cut = _level_cut(guard, perms.principal_context)
        else:  # the same for every principal: computed once per level
            cut = guard.memo.get("scp_cut", ())
            if cut == ():
                cut = guard.memo["scp_cut"] = _level_cut(guard, perms.principal_context)
        if cut is not None:
            out.append({k: list(v) if isinstance(v, list) else v for k, v in cut.items()})
    return out


def _level_cut(guard: Guardrail, context: Mapping[str, ContextValue]) -> dict[str, Any] | None:
    universe = all_actions()
    level = effective_permissions([_ALLOW_ALL], principal_context=context, guardrails=[guard])
    blocked = sorted(universe.actions - level.grants(universe).allowed)
    if not blocked:
        return None
    sample = blocked[:SAMPLE]
    denying = {o.policy for a in sample for o in level.allows(a).denied_by if o.guardrail is not None}
    return {
        "level": guard.label,
        "policies": [d.name for d in guard.policies],
        "denied_by": sorted(denying),
        "blocked_actions": len(blocked),
        "actions": sample,
    }


def blocked_decisions(perms: EffectivePermissions, requests: Sequence[tuple[str, str | None]]) -> list[dict[str, Any]]:
    """The (action, resource) requests that SCP levels block for this principal, with the levels and
    the SCPs whose Deny blocks them (none: an allow list at that level omits the action)."""
    out = []
    for action, resource in requests:
        decision = perms.allows(action, resource)
        scp_levels = [label for label in decision.blocked_by if label != "boundary"]
        if scp_levels:
            denying = sorted({o.policy for o in decision.denied_by if o.guardrail is not None})
            out.append({"action": action, "resource": resource, "blocked_by": scp_levels, "denied_by": denying})
    return out


__all__ = [
    "NOT_READ",
    "OrgGuard",
    "blocked_decisions",
    "org_guard",
    "policy_label",
    "scp_cuts",
    "without_guardrails",
]
