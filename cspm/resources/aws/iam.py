"""IAM snapshots: users, groups, roles, managed policies and the account-level settings.

Policy documents are kept as parsed JSON dicts (``None`` when unreadable, with the reason in the
matching ``*_error`` field); :mod:`cspm.iam` analyses them. A principal references managed
policies by ARN and groups by name; :meth:`IamUser.policy_set`, :meth:`IamGroup.policy_set` and
:meth:`IamRole.policy_set` resolve those references against the policies (and groups) of the
same account, so a principal's effective permissions can be computed from snapshots alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from cspm.resources.base import Resource, Scope, Snapshot

# ---------------------------------------------------------------------------------------------
# Policies attached to principals
# ---------------------------------------------------------------------------------------------


class InlinePolicy(Snapshot):
    """A policy embedded in a user, group or role."""

    name: str
    document: dict[str, Any] | None = None
    document_error: str | None = Field(default=None, description="why the document could not be read")


class PolicyAttachment(Snapshot):
    """A managed policy attached to a principal (resolved against :class:`IamPolicy` by ARN)."""

    name: str
    arn: str


class PolicySource(Snapshot):
    """One policy that applies to a principal, with its document (or why it is missing)."""

    label: str  # "inline:NAME", "managed:ARN", "group:GROUP/inline:NAME", "group:GROUP/managed:ARN"
    kind: Literal["inline", "managed", "group"]  # "group": a group that could not be resolved
    name: str
    arn: str | None = None  # managed policies only
    group: str | None = None  # the group it comes through, for a user's group policies
    document: dict[str, Any] | None = None
    problem: str | None = None  # set exactly when ``document`` is None


class PolicySet(Snapshot):
    """Every identity policy of a principal (its own and its groups'), and its permission boundary.

    Built from validated snapshots by ``policy_set`` with ``model_construct`` (no second validation,
    no copy of every document: a scan resolves thousands of principals).
    """

    sources: tuple[PolicySource, ...]
    boundary: PolicySource | None = None

    @property
    def problems(self) -> list[str]:
        """Why some documents are missing: unreadable, or not in the inventory."""
        every = (*self.sources, *((self.boundary,) if self.boundary else ()))
        return [s.problem for s in every if s.problem]


def _inline_source(policy: InlinePolicy, group: str | None = None) -> PolicySource:
    prefix = f"group:{group}/" if group else ""
    problem = None
    if policy.document is None:
        problem = f"inline policy {prefix}{policy.name}: {policy.document_error or 'the document could not be read'}"
    return PolicySource.model_construct(
        label=f"{prefix}inline:{policy.name}",
        kind="inline",
        name=policy.name,
        group=group,
        document=policy.document,
        problem=problem,
    )


def _managed_source(arn: str, name: str, by_arn: Mapping[str, IamPolicy], group: str | None = None) -> PolicySource:
    prefix = f"group:{group}/" if group else ""
    policy = by_arn.get(arn)
    problem = None
    if policy is None:
        problem = f"managed policy {arn} is not in the inventory"
    elif policy.document is None:
        problem = f"managed policy {arn}: {policy.document_error or 'the default version could not be read'}"
    return PolicySource.model_construct(
        label=f"{prefix}managed:{arn}",
        kind="managed",
        name=name,
        arn=arn,
        group=group,
        document=policy.document if policy is not None else None,
        problem=problem,
    )


def _own_sources(
    principal: IamUser | IamGroup | IamRole, by_arn: Mapping[str, IamPolicy], group: str | None = None
) -> list[PolicySource]:
    sources = [_inline_source(p, group) for p in principal.inline_policies]
    sources.extend(_managed_source(a.arn, a.name, by_arn, group) for a in principal.attached_policies)
    return sources


def _boundary_source(arn: str | None, by_arn: Mapping[str, IamPolicy]) -> PolicySource | None:
    if arn is None:
        return None
    source = _managed_source(arn, arn.rsplit("/", 1)[-1], by_arn)
    problem = source.problem.replace("managed policy", "permissions boundary", 1) if source.problem else None
    return source.model_copy(update={"label": f"boundary:{arn}", "problem": problem})


def _index(policies: Sequence[IamPolicy] | PolicyIndex) -> dict[str, IamPolicy]:
    return policies.policies if isinstance(policies, PolicyIndex) else {p.uid: p for p in policies}


class PolicyIndex:
    """The managed policies (by ARN) and groups (by name) of an account, indexed once.

    ``policy_set`` accepts it instead of the sequences, so that resolving a thousand principals
    does not index the account's policies a thousand times.
    """

    def __init__(self, policies: Sequence[IamPolicy], groups: Sequence[IamGroup] = ()) -> None:
        self.policies: dict[str, IamPolicy] = {p.uid: p for p in policies}
        self.groups: dict[str, IamGroup] = {g.name: g for g in groups}


# ---------------------------------------------------------------------------------------------
# Credential report
# ---------------------------------------------------------------------------------------------


class AccessKey(Snapshot):
    """One access key slot of the credential report (slot 1 or 2)."""

    slot: Literal[1, 2]
    active: bool
    last_rotated: datetime | None = None  # None: no key in this slot
    last_used: datetime | None = None  # None: never used


class Credentials(Snapshot):
    """One row of the IAM credential report.

    Dates are ``None`` where the report says ``N/A`` / ``no_information`` (never used, or no such
    credential); booleans are ``None`` where it says ``not_supported`` (the root row).
    """

    report_generated: datetime | None = None
    created: datetime | None = None
    password_enabled: bool | None = None
    password_last_used: datetime | None = None
    password_last_changed: datetime | None = None
    mfa_active: bool | None = None
    access_keys: tuple[AccessKey, ...] = ()

    @property
    def active_keys(self) -> list[AccessKey]:
        """The access keys that are active."""
        return [k for k in self.access_keys if k.active]


# ---------------------------------------------------------------------------------------------
# Principals
# ---------------------------------------------------------------------------------------------


class IamGroup(Resource):
    """A group: its policies, and the users in it."""

    resource_type: ClassVar[str] = "aws.iam.group"

    path: str = "/"
    group_id: str | None = None
    created: datetime | None = None
    inline_policies: tuple[InlinePolicy, ...] = ()
    attached_policies: tuple[PolicyAttachment, ...] = ()
    members: tuple[str, ...] = ()  # user names

    def policy_set(self, policies: Sequence[IamPolicy] | PolicyIndex) -> PolicySet:
        """The group's policies, resolved against the managed policies of the account."""
        return PolicySet.model_construct(sources=tuple(_own_sources(self, _index(policies))))


class IamUser(Resource):
    """A user: its own policies, its groups, its boundary and its credential-report row."""

    resource_type: ClassVar[str] = "aws.iam.user"

    path: str = "/"
    user_id: str | None = None
    created: datetime | None = None
    groups: tuple[str, ...] = ()  # group names
    inline_policies: tuple[InlinePolicy, ...] = ()
    attached_policies: tuple[PolicyAttachment, ...] = ()
    permissions_boundary: str | None = None  # policy ARN
    credentials: Credentials | None = None  # None: the credential report has no readable row for the user
    credentials_error: str | None = Field(default=None, description="why credentials is None")

    def policy_set(self, policies: Sequence[IamPolicy] | PolicyIndex, groups: Sequence[IamGroup] = ()) -> PolicySet:
        """The user's policies and its groups' policies, resolved against the account's inventory
        (``policies`` may be a :class:`PolicyIndex`, which then also gives the groups)."""
        by_arn = _index(policies)
        by_name = policies.groups if isinstance(policies, PolicyIndex) else {g.name: g for g in groups}
        sources = _own_sources(self, by_arn)
        for name in self.groups:
            group = by_name.get(name)
            if group is None:
                sources.append(
                    PolicySource.model_construct(
                        label=f"group:{name}",
                        kind="group",
                        name=name,
                        group=name,
                        problem=f"group {name} is not in the inventory",
                    )
                )
                continue
            sources.extend(_own_sources(group, by_arn, group=name))
        return PolicySet.model_construct(
            sources=tuple(sources), boundary=_boundary_source(self.permissions_boundary, by_arn)
        )


class IamRole(Resource):
    """A role: who may assume it (trust policy), its policies and its boundary."""

    resource_type: ClassVar[str] = "aws.iam.role"

    path: str = "/"
    role_id: str | None = None
    created: datetime | None = None
    trust_policy: dict[str, Any] | None = None
    trust_policy_error: str | None = Field(default=None, description="why trust_policy is None")
    inline_policies: tuple[InlinePolicy, ...] = ()
    attached_policies: tuple[PolicyAttachment, ...] = ()
    permissions_boundary: str | None = None  # policy ARN
    instance_profiles: tuple[str, ...] = ()  # instance profile ARNs
    last_used: datetime | None = None  # None: not used in the tracking period, or unknown

    @property
    def service_linked(self) -> bool:
        """A service-linked role (its policies and trust are managed by AWS)."""
        return self.path.startswith("/aws-service-role/")

    def policy_set(self, policies: Sequence[IamPolicy] | PolicyIndex) -> PolicySet:
        """The role's policies and boundary, resolved against the managed policies of the account."""
        by_arn = _index(policies)
        return PolicySet.model_construct(
            sources=tuple(_own_sources(self, by_arn)),
            boundary=_boundary_source(self.permissions_boundary, by_arn),
        )


# ---------------------------------------------------------------------------------------------
# Managed policies
# ---------------------------------------------------------------------------------------------


class IamPolicy(Resource):
    """A managed policy: customer-managed, or AWS-managed and in use in the account.

    ``uid`` is the policy ARN. ``document`` is the default version's document.
    """

    resource_type: ClassVar[str] = "aws.iam.policy"

    path: str = "/"
    policy_id: str | None = None  # absent in some emulators
    aws_managed: bool = False
    default_version_id: str | None = None
    document: dict[str, Any] | None = None
    document_error: str | None = Field(default=None, description="why document is None")
    attachment_count: int | None = None
    boundary_usage_count: int | None = None  # as a permissions boundary; None when unknown
    attachable: bool = True

    @property
    def boundary_only(self) -> bool:
        """Attached to nothing, but used as a permissions boundary."""
        return self.attachment_count == 0 and bool(self.boundary_usage_count)


# ---------------------------------------------------------------------------------------------
# The account
# ---------------------------------------------------------------------------------------------


class PasswordPolicy(Snapshot):
    """The account password policy. ``configured=False``: no policy is set (AWS defaults apply)."""

    configured: bool = True
    minimum_length: int | None = None
    require_symbols: bool = False
    require_numbers: bool = False
    require_uppercase: bool = False
    require_lowercase: bool = False
    allow_users_to_change: bool = False
    max_age_days: int | None = None  # None: passwords do not expire
    reuse_prevention: int | None = None  # None: reuse is not prevented
    hard_expiry: bool = False

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> PasswordPolicy:
        return cls(
            minimum_length=raw.get("MinimumPasswordLength"),
            require_symbols=bool(raw.get("RequireSymbols")),
            require_numbers=bool(raw.get("RequireNumbers")),
            require_uppercase=bool(raw.get("RequireUppercaseCharacters")),
            require_lowercase=bool(raw.get("RequireLowercaseCharacters")),
            allow_users_to_change=bool(raw.get("AllowUsersToChangePassword")),
            max_age_days=raw.get("MaxPasswordAge") if raw.get("ExpirePasswords", True) else None,
            reuse_prevention=raw.get("PasswordReusePrevention"),
            hard_expiry=bool(raw.get("HardExpiry")),
        )


class IamAccount(Resource):
    """Account-level IAM settings: the account summary, the password policy, the root user's row.

    ``root`` is None when the credential report could not be read or has no ``<root_account>``
    row (``root_error`` says which): unknown, never "no root credentials".
    """

    resource_type: ClassVar[str] = "aws.iam.account"
    scope: ClassVar[Scope] = Scope.ACCOUNT

    mfa_enabled: bool | None = None  # GetAccountSummary AccountMFAEnabled
    access_keys_present: bool | None = None  # GetAccountSummary AccountAccessKeysPresent
    password_policy: PasswordPolicy | None = None
    root: Credentials | None = None
    root_error: str | None = Field(default=None, description="why root is None")
