"""Who a resource policy or a role trust policy lets in.

- :func:`resource_policy_exposure` (S3 bucket, KMS key, ECR repository, VPC endpoint … policies):
  an Allow to ``"*"`` / ``{"AWS": "*"}`` / ``NotPrincipal`` is *public* unless a restricting
  condition (see :data:`cspm.iam.principals.RESTRICTING_KEYS`) or a guarding Deny limits it;
  principals and condition values naming other accounts are *cross-account*.
- :func:`trust_policy_analysis`: who may assume a role, and which trusts lack their guard
  (``sts:ExternalId`` or organization conditions for other accounts; ``aws:SourceAccount`` /
  ``aws:SourceArn`` for AWS services; a ``:sub`` condition for OIDC providers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cspm.iam.actions import action_matches
from cspm.iam.conditions import Condition
from cspm.iam.policy import PolicyDocument, Principal, Statement, StatementRef
from cspm.iam.principals import (
    RESTRICTING_KEYS,
    account_of,
    is_negated_restriction,
    is_public_principal,
    is_restricting,
    restricted_accounts,
)
from cspm.iam.statements import Match, is_full_resource_wildcard, resource_match, statement_matches_action

ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity")
CROSS_ACCOUNT_GUARD_KEYS = frozenset({"sts:externalid", "aws:principalorgid", "aws:principalorgpaths"})
SERVICE_GUARD_KEYS = frozenset({"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths"})
# An external ID alone does not make a trust of everyone private: anyone who learns it can assume the role.
PUBLIC_TRUST_GUARD_KEYS = RESTRICTING_KEYS - {"sts:externalid"}
# OIDC providers where an audience condition alone identifies the application.
_AUDIENCE_IS_ENOUGH = ("cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com", "www.amazon.com")


@dataclass(frozen=True)
class Exposure:
    """Who outside the account a resource policy lets in.

    ``public``: statements that allow everyone. ``cross_account``: (account id, organization id
    or principal, statement) for principals or conditions naming someone outside the account.
    """

    public: tuple[StatementRef, ...]
    cross_account: tuple[tuple[str, StatementRef], ...]

    @property
    def is_exposed(self) -> bool:
        """Whether anything is public or cross-account."""
        return bool(self.public or self.cross_account)

    def as_dict(self) -> dict[str, Any]:
        """Evidence as plain data."""
        return {
            "public": [ref.as_dict() for ref in self.public],
            "cross_account": [{"principal": who, **ref.as_dict()} for who, ref in self.cross_account],
        }


@dataclass(frozen=True)
class TrustAnalysis:
    """Who may assume a role, and which trusts lack their guard condition."""

    public: tuple[StatementRef, ...]
    cross_account_without_guard: tuple[tuple[str, StatementRef], ...]
    services_without_source_guard: tuple[tuple[str, StatementRef], ...]
    trusted_services: tuple[str, ...]
    trusted_accounts: tuple[str, ...]
    federated_without_guard: tuple[tuple[str, StatementRef], ...] = ()
    trusted_federated: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Evidence as plain data."""
        return {
            "public": [ref.as_dict() for ref in self.public],
            "cross_account_without_guard": [
                {"principal": p, **r.as_dict()} for p, r in self.cross_account_without_guard
            ],
            "services_without_source_guard": [
                {"service": s, **r.as_dict()} for s, r in self.services_without_source_guard
            ],
            "federated_without_guard": [{"provider": p, **r.as_dict()} for p, r in self.federated_without_guard],
            "trusted_services": list(self.trusted_services),
            "trusted_accounts": list(self.trusted_accounts),
            "trusted_federated": list(self.trusted_federated),
        }


def _allows_everyone(stmt: Statement) -> bool:
    """An Allow to ``*`` / ``{"AWS": "*"}``, or with NotPrincipal (everyone except a few)."""
    return stmt.not_principals is not None or is_public_principal(stmt.principals)


def _patterns_cover(outer: tuple[str, ...], inner: tuple[str, ...], *, actions: bool) -> bool:
    """Whether every pattern of ``inner`` (read literally) is matched by some pattern of ``outer``."""
    if actions:
        return all(any(action_matches(o, i) for o in outer) for i in inner)
    if any(is_full_resource_wildcard(o) for o in outer):
        return True
    return all(any(resource_match(o, i) is Match.YES for o in outer) for i in inner)


def _is_guard(deny: Statement) -> bool:
    """A Deny for everyone (or everyone except named principals) outside a known set of callers."""
    if deny.is_allow or deny.actions is None:
        return False
    if deny.not_principals is not None and not deny.conditions:
        return True
    return _allows_everyone(deny) and any(is_negated_restriction(c) for c in deny.conditions)


def _guarded(allow: Statement, guards: list[Statement]) -> bool:
    for deny in guards:
        assert deny.actions is not None  # _is_guard requires Action
        actions_ok = allow.actions is not None and _patterns_cover(deny.actions, allow.actions, actions=True)
        resources_ok = deny.resources is not None and _patterns_cover(
            deny.resources, allow.resources or ("*",), actions=False
        )
        if actions_ok and resources_ok:
            return True
    return False


def _other_accounts(principal: Principal | None, account_id: str) -> list[str]:
    if principal is None:
        return []
    out = []
    for value in principal.aws:
        owner = account_of(value)
        if owner is not None and owner != account_id:
            out.append(value)
    return out


def resource_policy_exposure(doc: PolicyDocument, account_id: str, org_id: str | None = None) -> Exposure:
    """Public and cross-account access a resource policy grants (Allow statements only).

    A public statement whose restricting conditions name other accounts (``aws:SourceAccount``,
    ``aws:PrincipalAccount`` …) or another organization is reported as cross-account to them, not as
    public; without ``org_id`` an ``aws:PrincipalOrgID`` condition counts as a restriction to an
    organization we cannot judge, and is not reported. A Deny to everyone with a negated restriction
    (``StringNotEquals aws:SourceVpce``) covering the Allow's actions and resources guards it.
    """
    guards = [s for s in doc.statements if _is_guard(s)]
    public: list[StatementRef] = []
    cross: list[tuple[str, StatementRef]] = []
    for stmt in doc.statements:
        if not stmt.is_allow:
            continue
        cross.extend((who, stmt.ref) for who in _other_accounts(stmt.principals, account_id))
        if not _allows_everyone(stmt) or _guarded(stmt, guards):
            continue
        if any(is_restricting(c) for c in stmt.conditions):
            named = {
                who
                for who in restricted_accounts(stmt.conditions)
                if who not in (account_id, org_id) and (org_id is not None or not who.startswith("o-"))
            }
            cross.extend((who, stmt.ref) for who in sorted(named))
        else:
            public.append(stmt.ref)
    return Exposure(public=tuple(public), cross_account=tuple(dict.fromkeys(cross)))


def _has_guard(conditions: tuple[Condition, ...], keys: frozenset[str]) -> bool:
    return any(is_restricting(c, keys) for c in conditions)


def _federated_guarded(provider: str, conditions: tuple[Condition, ...]) -> bool:
    """OIDC trusts need a ``<provider>:sub`` condition (``:aud`` is enough for a few IdPs); SAML is fine."""
    if ":saml-provider/" in provider:
        return True
    host = provider.split("oidc-provider/", 1)[-1].lower()
    suffixes = (":sub", ":aud", ":amr", ":app_id") if host in _AUDIENCE_IS_ENOUGH else (":sub",)
    relevant = [c for c in conditions if c.key_lower.startswith(host) and c.key_lower.endswith(suffixes)]
    return any(is_restricting(c, {c.key_lower}) for c in relevant)


@dataclass
class _TrustCollector:
    account_id: str
    public: list[StatementRef]
    cross: list[tuple[str, StatementRef]]
    services: list[tuple[str, StatementRef]]
    federated: list[tuple[str, StatementRef]]
    trusted_services: set[str]
    trusted_accounts: set[str]
    trusted_federated: set[str]

    def add(self, stmt: Statement) -> None:
        principal = stmt.principals or Principal()
        if _allows_everyone(stmt) and not _has_guard(stmt.conditions, PUBLIC_TRUST_GUARD_KEYS):
            self.public.append(stmt.ref)
        self._accounts(stmt, principal)
        for service in principal.service:
            self.trusted_services.add(service)
            if not _has_guard(stmt.conditions, SERVICE_GUARD_KEYS):
                self.services.append((service, stmt.ref))
        for provider in principal.federated:
            self.trusted_federated.add(provider)
            if not _federated_guarded(provider, stmt.conditions):
                self.federated.append((provider, stmt.ref))

    def _accounts(self, stmt: Statement, principal: Principal) -> None:
        guarded = _has_guard(stmt.conditions, CROSS_ACCOUNT_GUARD_KEYS)
        for value in principal.aws:
            owner = account_of(value)
            if owner is None:
                continue
            self.trusted_accounts.add(owner)
            if owner != self.account_id and not guarded:
                self.cross.append((value, stmt.ref))


def trust_policy_analysis(doc: PolicyDocument, account_id: str) -> TrustAnalysis:
    """Analyse a role trust policy: Allow statements that grant an ``sts:AssumeRole*`` action."""
    collector = _TrustCollector(account_id, [], [], [], [], set(), set(), set())
    for stmt in doc.statements:
        if stmt.is_allow and any(statement_matches_action(stmt, a) for a in ASSUME_ACTIONS):
            collector.add(stmt)
    return TrustAnalysis(
        public=tuple(collector.public),
        cross_account_without_guard=tuple(collector.cross),
        services_without_source_guard=tuple(collector.services),
        trusted_services=tuple(sorted(collector.trusted_services)),
        trusted_accounts=tuple(sorted(collector.trusted_accounts)),
        federated_without_guard=tuple(collector.federated),
        trusted_federated=tuple(sorted(collector.trusted_federated)),
    )


# Services that use a role only when a principal of the role's own account hands it to them with
# iam:PassRole (checked in that account: a role of another account cannot be passed). Another
# customer of the service cannot point it at this role, so the cross-service confused deputy does not
# apply to these execution roles, and AWS does not require aws:SourceAccount / aws:SourceArn in their
# trust policies (EC2, for one, does not set them). Every other service principal in a trust policy
# needs one of SERVICE_GUARD_KEYS. The compute services of the escalation table are all here.
EXECUTION_ROLE_SERVICES = frozenset(
    {
        "batch.amazonaws.com",
        "build.apprunner.amazonaws.com",
        "cloudformation.amazonaws.com",
        "codebuild.amazonaws.com",
        "codepipeline.amazonaws.com",
        "datapipeline.amazonaws.com",
        "ec2.amazonaws.com",
        "ecs-tasks.amazonaws.com",
        "edgelambda.amazonaws.com",
        "eks.amazonaws.com",
        "eks-fargate-pods.amazonaws.com",
        "elasticmapreduce.amazonaws.com",
        "events.amazonaws.com",
        "glue.amazonaws.com",
        "lambda.amazonaws.com",
        "pipes.amazonaws.com",
        "pods.eks.amazonaws.com",
        "sagemaker.amazonaws.com",
        "scheduler.amazonaws.com",
        "states.amazonaws.com",
        "tasks.apprunner.amazonaws.com",
    }
)


def needs_source_guard(service: str) -> bool:
    """Whether a role trusted by ``service`` should name the source account or resource (confused deputy)."""
    return service.lower() not in EXECUTION_ROLE_SERVICES


def confused_deputy_trusts(trust: TrustAnalysis) -> tuple[tuple[str, StatementRef], ...]:
    """The service trusts without a source guard, for services other than the execution-role ones."""
    return tuple((svc, ref) for svc, ref in trust.services_without_source_guard if needs_source_guard(svc))


# ---------------------------------------------------------------------------------------------
# Who outside the account a resource policy lets in, statement by statement
# ---------------------------------------------------------------------------------------------

ORG_GUARD_KEYS = frozenset({"aws:principalorgid", "aws:principalorgpaths"})


@dataclass(frozen=True)
class OutsideGrant:
    """An Allow statement of a resource policy that lets in someone outside the account.

    ``kind``: ``public`` (everyone, no restricting condition), ``restricted`` (everyone, limited by a
    condition that names no account, such as a VPC endpoint or an IP range), ``account`` (a
    principal or an account of another account), ``organization`` (everyone in an organization).
    ``org_condition``: an ``aws:PrincipalOrgID`` / ``aws:PrincipalOrgPaths`` condition limits it.
    """

    who: str
    kind: str
    statement: Statement
    org_condition: bool

    def as_dict(self) -> dict[str, Any]:
        """Evidence as plain data."""
        stmt = self.statement
        return {
            "principal": self.who,
            "kind": self.kind,
            "org_condition": self.org_condition,
            **stmt.ref.as_dict(),
            "actions": list(stmt.actions) if stmt.actions is not None else None,
            "not_actions": list(stmt.not_actions) if stmt.not_actions is not None else None,
            "resources": list(stmt.resources) if stmt.resources is not None else None,
        }


def _outsiders(stmt: Statement, account_id: str) -> list[tuple[str, str]]:
    out = [(who, "account") for who in _other_accounts(stmt.principals, account_id)]
    if not _allows_everyone(stmt):
        return out
    if not any(is_restricting(c) for c in stmt.conditions):
        return [*out, ("*", "public")]
    named = restricted_accounts(stmt.conditions)
    others = sorted(who for who in named if who != account_id)
    out += [(who, "organization" if who.startswith("o-") else "account") for who in others]
    if not named:
        out.append(("*", "restricted"))
    return out


def outside_grants(doc: PolicyDocument, account_id: str) -> list[OutsideGrant]:
    """Every (who, statement) of a resource policy that lets in principals outside ``account_id``.

    Unlike :func:`resource_policy_exposure`, an organization condition does not hide a grant (it
    is reported as ``organization`` or with ``org_condition``), and everyone behind a VPC endpoint
    or an IP range counts as outside. A guarding Deny (everyone outside a known set) removes it.
    """
    guards = [s for s in doc.statements if _is_guard(s)]
    org_guards = [g for g in guards if _org_only(g)]
    guards = [g for g in guards if g not in org_guards]
    out: list[OutsideGrant] = []
    for stmt in doc.statements:
        if not stmt.is_allow or _guarded(stmt, guards):
            continue
        org = any(is_restricting(c, ORG_GUARD_KEYS) for c in stmt.conditions) or _guarded(stmt, org_guards)
        out.extend(OutsideGrant(who, kind, stmt, org) for who, kind in _outsiders(stmt, account_id))
    return out


def _org_only(guard: Statement) -> bool:
    """A guarding Deny that keeps out only principals outside an organization (other accounts stay in)."""
    negated = [c for c in guard.conditions if is_negated_restriction(c)]
    return bool(negated) and all(c.key_lower in ORG_GUARD_KEYS for c in negated)


__all__ = [
    "EXECUTION_ROLE_SERVICES",
    "Exposure",
    "OutsideGrant",
    "TrustAnalysis",
    "confused_deputy_trusts",
    "is_public_principal",
    "needs_source_guard",
    "outside_grants",
    "resource_policy_exposure",
    "trust_policy_analysis",
]
