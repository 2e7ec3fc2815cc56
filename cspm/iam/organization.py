"""The organization's SCPs and RCPs over an account, as guard layers of effective permissions.

:func:`org_guard` reads the account's :class:`~cspm.resources.aws.organizations.OrgPolicies`
snapshot (none, when the scan did not collect it) and answers an :class:`OrgGuard`:

- ``scps``: one :class:`~cspm.iam.evaluate.Guardrail` per level (root, each OU, the account) whose
  attachments and documents could all be read. A principal's action must be allowed at every
  level and denied at none. They apply to the account's users and roles, except service-linked
  roles, and not at all in the management account.
- ``rcps``: the same for resource control policies, which limit requests *to* the account's
  resources (S3, STS, KMS, SQS, Secrets Manager …), whoever makes them (an RCP level keeps its
  readable policies when one is unreadable: only Denies count). :func:`rcp_outcome` evaluates
  their Denies for requests from outside the organization (the exposure checks); they are not
  part of principals' effective permissions. ``rcp_problems``: what about them could not be read.
- ``problems``: what could not be read (a level's attachments, a policy's content, the chain of
  parents). A level with a problem is left out: the remaining levels can only allow *more* than
  the real ones, so a PASS computed with them holds, while a FAIL may be wrong. The checks answer
  ERROR for the FAILs of such an account (:meth:`OrgGuard.uncertain`).
- ``applied`` / ``note``: whether SCPs are part of the verdicts, and if not, why (not requested,
  not readable by the caller, the management account, SCPs not enabled).

:func:`scp_cuts` names the SCP levels and policies that take administrator access away.
:func:`rcp_outcome` says whether RCP Denies block requests of callers outside the organization.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cspm.iam.actions import all_actions
from cspm.iam.conditions import ContextValue, evaluate_conditions
from cspm.iam.evaluate import EffectivePermissions, Guardrail, effective_permissions
from cspm.iam.policy import PolicyDocument, PolicyError, parse_policy
from cspm.iam.statements import Match, statement_matches_action, statement_resource_match
from cspm.resources.aws.organizations import OrgLevel, OrgPolicies, OrgPolicy

SAMPLE = 10  # blocked actions named per level in evidence


@dataclass(frozen=True)
class OrgGuard:
    """The SCP and RCP guard layers of one account, and what is unknown about them."""

    scps: tuple[Guardrail, ...] = ()
    rcps: tuple[Guardrail, ...] = ()
    problems: tuple[str, ...] = ()
    rcp_problems: tuple[str, ...] = ()  # the part of ``problems`` that concerns RCPs (or the chain of parents)
    rcp_note: str = "the organization's RCPs were not read"
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
        why = org.reason or org.state
        return OrgGuard(note=f"SCPs not applied: {why}", rcp_note=f"RCPs not applied: {why}")
    if org.is_management_account:
        note = "the management account: SCPs and RCPs do not apply to it"
        return OrgGuard(management=True, note=note, rcp_note=note)
    if org.levels is None:
        problem = org.reason or "the organization's levels could not be read"
        return OrgGuard(
            problems=(problem,),
            rcp_problems=(problem,) if org.rcp_enabled is not False else (),
            note=f"SCPs not applied: {problem}",
            rcp_note=f"RCPs not applied: {problem}",
        )
    problems: list[str] = []
    scps = _layers(org.levels, "SCP", problems) if org.scp_enabled else ()
    rcp_problems: list[str] = []
    rcps = _layers(org.levels, "RCP", rcp_problems) if org.rcp_enabled else ()
    note = "SCPs applied" if org.scp_enabled else "SCPs are not enabled in the organization"
    rcp_note = "RCPs applied" if org.rcp_enabled else "RCPs are not enabled in the organization"
    return OrgGuard(
        scps=scps,
        rcps=rcps,
        problems=tuple(problems + rcp_problems),
        rcp_problems=tuple(rcp_problems),
        applied=bool(org.scp_enabled),
        note=note,
        rcp_note=rcp_note,
    )


def _layers(levels: Sequence[OrgLevel], kind: str, problems: list[str]) -> tuple[Guardrail, ...]:
    out = []
    for level in levels:
        attached = level.scps if kind == "SCP" else level.rcps
        if attached is None:
            problems.append(f"the {kind}s attached to {level.label} could not be listed ({level.error or 'unknown'})")
            continue
        docs = [_document(p, kind, level, problems) for p in attached]
        # An SCP level with an unreadable policy is left out (its allow list is unknown); an RCP
        # level keeps its readable policies: only their Denies are used, and a Deny stands alone.
        if all(d is not None for d in docs) or kind == "RCP":
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


# ---------------------------------------------------------------------------------------------
# RCPs: requests from outside to the account's resources
# ---------------------------------------------------------------------------------------------

# What a request from outside the organization carries (a list of callers: an RCP Deny cuts an
# exposure only when it applies to every one of them). Keys not named stay unknown.
# - anonymous: an unsigned request (a public bucket or key): no principal keys at all, and no
#   source keys (no service acts on anyone's behalf).
# - outsider: a signed request by a user or role of an account in no organization (aws:PrincipalOrgID
#   absent) or in another organization (another value); not an AWS service.
_SOURCE_ABSENT: dict[str, ContextValue] = {
    "aws:SourceOrgID": None,
    "aws:SourceOrgPaths": None,
    "aws:SourceAccount": None,
    "aws:SourceArn": None,
}
ANONYMOUS: dict[str, ContextValue] = {
    "aws:PrincipalOrgID": None,
    "aws:PrincipalOrgPaths": None,
    "aws:PrincipalAccount": None,
    "aws:PrincipalArn": None,
    "aws:PrincipalIsAWSService": None,
    "aws:PrincipalServiceName": None,
    **_SOURCE_ABSENT,
}
_SIGNED: dict[str, ContextValue] = {"aws:PrincipalIsAWSService": "false", "aws:PrincipalServiceName": None}
OUTSIDERS: tuple[dict[str, ContextValue], ...] = (
    {**_SIGNED, **_SOURCE_ABSENT, "aws:PrincipalOrgID": None, "aws:PrincipalOrgPaths": None},
    {
        **_SIGNED,
        **_SOURCE_ABSENT,
        "aws:PrincipalOrgID": "o-outsideorg00",
        "aws:PrincipalOrgPaths": "o-outsideorg00/r-out0/",
    },
)
PUBLIC_CALLERS: tuple[dict[str, ContextValue], ...] = (ANONYMOUS, *OUTSIDERS)
# A web-identity or SAML caller (AssumeRoleWithWebIdentity / WithSAML): no AWS principal; whether
# aws:PrincipalIsAWSService is in such a request is left unknown.
FEDERATED_CALLERS: tuple[dict[str, ContextValue], ...] = (
    {k: v for k, v in ANONYMOUS.items() if k != "aws:PrincipalIsAWSService"},
)


def account_callers(account: str) -> tuple[dict[str, ContextValue], ...]:
    """A user or role of another account: whether that account is in this organization is not known,
    so ``aws:PrincipalOrgID`` stays unknown (an RCP that tests it can only *maybe* block)."""
    return ({**_SIGNED, **_SOURCE_ABSENT, "aws:PrincipalAccount": account},)


def org_callers(org_id: str) -> tuple[dict[str, ContextValue], ...]:
    """A user or role of any account of the organization ``org_id`` (this one, or another)."""
    return ({**_SIGNED, **_SOURCE_ABSENT, "aws:PrincipalOrgID": org_id},)


Request = tuple[str, str, tuple[dict[str, ContextValue], ...]]  # (action, resource ARN, callers)


@dataclass(frozen=True)
class RcpOutcome:
    """What the account's RCPs do to requests from outside.

    ``cut``: every request is certainly denied (by the Denies in ``denied_by``); ``may_block``: RCP
    Denies that cover some request but whose conditions (or resource match) could not be decided;
    ``unreadable``: RCPs (or levels) that could not be read; ``note``: why none apply, if so.
    """

    cut: bool
    denied_by: tuple[dict[str, Any], ...] = ()
    may_block: tuple[dict[str, Any], ...] = ()
    unreadable: tuple[str, ...] = ()
    note: str = ""

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.note:
            out["note"] = self.note
        if self.may_block:
            out["may_block"] = list(self.may_block)
        if self.unreadable:
            out["unreadable"] = list(self.unreadable)
        return out


def rcp_outcome(guard: OrgGuard, requests: Sequence[Request]) -> RcpOutcome:
    """Evaluate the Deny statements of every RCP level for each (action, resource, callers) request.

    A request is certainly denied when some Deny covers its action, certainly matches its resource
    and its conditions are true for every caller. ``cut`` needs that for every request (and at
    least one request). RCP Allow statements are ignored (only ``RCPFullAWSAccess`` may allow)."""
    if not guard.rcps:
        return RcpOutcome(cut=False, unreadable=guard.rcp_problems, note="" if guard.rcp_problems else guard.rcp_note)
    denied_by: dict[str, dict[str, Any]] = {}
    may: dict[str, dict[str, Any]] = {}
    all_cut = bool(requests)
    for action, resource, callers in requests:
        certain = False
        for level in guard.rcps:
            for doc in level.policies:
                for stmt in doc.statements:
                    if stmt.is_allow or not statement_matches_action(stmt, action):
                        continue
                    match = statement_resource_match(stmt, resource)
                    if match is Match.NO:
                        continue
                    verdicts = [evaluate_conditions(stmt.conditions, caller) for caller in callers]
                    if False in verdicts:
                        continue  # some outside caller is not denied by this statement
                    entry = {"level": level.label, "policy": doc.name, **stmt.ref.as_dict()}
                    key = f"{level.label}|{doc.name}|{stmt.ref.index}"
                    if match is Match.YES and all(v is True for v in verdicts):
                        certain = True
                        denied_by[key] = entry
                    else:
                        may[key] = entry
        all_cut = all_cut and certain
    return RcpOutcome(
        cut=all_cut,
        denied_by=tuple(denied_by.values()) if all_cut else (),
        may_block=() if all_cut else tuple(v for k, v in may.items() if k not in denied_by) + tuple(denied_by.values()),
        unreadable=guard.rcp_problems,
    )


__all__ = [
    "ANONYMOUS",
    "FEDERATED_CALLERS",
    "NOT_READ",
    "OUTSIDERS",
    "PUBLIC_CALLERS",
    "OrgGuard",
    "RcpOutcome",
    "account_callers",
    "blocked_decisions",
    "org_callers",
    "org_guard",
    "policy_label",
    "rcp_outcome",
    "scp_cuts",
    "without_guardrails",
]
