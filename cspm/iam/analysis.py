"""Document-level analysis of identity policies, and resource / trust policy exposure.

These functions look at one document, statement by statement: they answer "what does this
policy say", which is what a check about a managed or inline policy needs. What a *principal*
can do, with all its policies, Denies and its permission boundary, is
:func:`cspm.iam.evaluate.effective_permissions`.

Admin, in every spelling: an Allow statement that grants every action (``*``, ``*:*``, ``**``,
or NotAction that excludes no known action) on every resource (``*``, ``arn:*``,
``arn:aws:*:*:*:*``, or NotResource that excludes only some resources). Unconditional ones are
:func:`admin_statements`; with a Condition, :func:`conditional_admin_statements`. An Allow with
NotAction on every resource that excludes real actions (``PowerUserAccess``) is *near admin*:
:func:`near_admin_statements`, with the excluded actions as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from cspm.iam.actions import service_wildcard
from cspm.iam.categories import (
    Category,
    CategoryResult,
    categorize,
    credentials_exposure,
    data_exfiltration,
    infrastructure_modification,
    privilege_escalation,
    resource_exposure,
)
from cspm.iam.exposure import Exposure, TrustAnalysis, resource_policy_exposure, trust_policy_analysis
from cspm.iam.policy import PolicyDocument, Statement
from cspm.iam.principals import is_public_principal
from cspm.iam.statements import (
    covers_all_resources,
    excluded_known_actions,
    grants_all_actions,
    statement_matches_action,
)

__all__ = [
    "Category",
    "CategoryResult",
    "Exposure",
    "NearAdmin",
    "TrustAnalysis",
    "admin_statements",
    "categorize",
    "conditional_admin_statements",
    "credentials_exposure",
    "data_exfiltration",
    "infrastructure_modification",
    "is_public_principal",
    "near_admin_statements",
    "pass_role_on_star",
    "privilege_escalation",
    "resource_exposure",
    "resource_policy_exposure",
    "service_wildcards",
    "statement_evidence",
    "trust_policy_analysis",
]


def _admin_like(doc: PolicyDocument) -> list[Statement]:
    return [s for s in doc.statements if s.is_allow and covers_all_resources(s) and grants_all_actions(s)]


def admin_statements(doc: PolicyDocument) -> list[Statement]:
    """Unconditional Allow statements that grant every action on every resource, in any spelling."""
    return [s for s in _admin_like(doc) if not s.conditions]


def conditional_admin_statements(doc: PolicyDocument) -> list[Statement]:
    """Allow statements that would be admin but carry a Condition (MFA, source IP, tags …)."""
    return [s for s in _admin_like(doc) if s.conditions]


@dataclass(frozen=True)
class NearAdmin:
    """An Allow with NotAction on every resource: everything except ``excluded`` actions."""

    statement: Statement
    excluded_patterns: tuple[str, ...]
    excluded_actions: tuple[str, ...]
    conditional: bool


def near_admin_statements(doc: PolicyDocument) -> list[NearAdmin]:
    """Allow + NotAction on every resource that excludes some known actions (e.g. ``PowerUserAccess``)."""
    out = []
    for stmt in doc.statements:
        if not (stmt.is_allow and stmt.not_actions is not None and covers_all_resources(stmt)):
            continue
        excluded = excluded_known_actions(stmt.not_actions)
        if excluded:
            out.append(NearAdmin(stmt, stmt.not_actions, excluded, bool(stmt.conditions)))
    return out


def service_wildcards(doc: PolicyDocument) -> list[tuple[Statement, str]]:
    """(statement, service) for every Allow of ``svc:*``, whatever the resource, conditional or not.

    Security Hub IAM.21: the control fails any ``"Effect": "Allow"`` with ``"Action": "Service:*"``
    and with ``"NotAction": "service:*"``, with no condition on the resource. ``svc:Describe*``
    does not count. An Allow with NotAction grants every action it does not list, whatever it
    lists; it is reported once, as service ``"*"`` (stricter than IAM.21, which names
    ``NotAction: "service:*"``). Statements that grant every action (``*``, in any spelling) are
    left to :func:`admin_statements`.
    """
    out: list[tuple[Statement, str]] = []
    for stmt in doc.statements:
        if not stmt.is_allow or grants_all_actions(stmt):
            continue
        if stmt.actions is not None:
            services = dict.fromkeys(s for s in map(service_wildcard, stmt.actions) if s)
            out.extend((stmt, service) for service in services)
        elif stmt.not_actions is not None:
            out.append((stmt, "*"))
    return out


def pass_role_on_star(doc: PolicyDocument) -> list[Statement]:
    """Allow statements that grant ``iam:PassRole`` on every resource (conditions included).

    A condition such as ``iam:PassedToService`` narrows where a role goes, not which role: the
    statement is still reported (as Access Analyzer's ``PASS_ROLE_WITH_STAR_IN_RESOURCE``).
    """
    return [
        s
        for s in doc.statements
        if s.is_allow and covers_all_resources(s) and statement_matches_action(s, "iam:PassRole")
    ]


def statement_evidence(stmt: Statement) -> dict[str, object]:
    """A statement as evidence data: where it is and what it grants."""
    return {
        "index": stmt.index,
        "sid": stmt.sid,
        "effect": stmt.effect,
        "actions": list(stmt.actions) if stmt.actions is not None else None,
        "not_actions": list(stmt.not_actions) if stmt.not_actions is not None else None,
        "resources": list(stmt.resources) if stmt.resources is not None else None,
        "not_resources": list(stmt.not_resources) if stmt.not_resources is not None else None,
        "conditions": [{"operator": c.operator, "key": c.key, "values": list(c.values)} for c in stmt.conditions],
    }
