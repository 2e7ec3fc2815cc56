"""The organization's SCPs and RCPs as the coordinator of a distributed scan reads them once.

:meth:`cspm.providers.aws.org_policies.OrgPolicyReader.export` turns what a reader has read
(answers and failures of every Organizations call) into an :class:`OrgPolicySnapshot`; a shard's
reader is :meth:`~cspm.providers.aws.org_policies.OrgPolicyReader.preloaded` with it and builds
each account's ``aws.organizations.policies`` snapshot without calling Organizations. JSON, in the
shard plan. Importing this module imports no AWS SDK.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from cspm.resources.aws.organizations import OrgPolicy, PolicyType


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ReadFailure(_Frozen):
    operation: str
    code: str
    message: str


class OrgInfo(_Frozen):
    id: str | None = None
    management_account: str | None = None


class RootInfo(_Frozen):
    id: str
    scp: bool
    rcp: bool


class ParentInfo(_Frozen):
    id: str
    type: str


class PolicySummary(_Frozen):
    """What :meth:`OrgPolicyReader._policy` reads of a ListPoliciesForTarget (or ListPolicies) entry."""

    id: str = Field(alias="Id")
    name: str | None = Field(default=None, alias="Name")
    arn: str | None = Field(default=None, alias="Arn")
    aws_managed: bool = Field(default=False, alias="AwsManaged")


class Attachment(_Frozen):
    target: str
    type: PolicyType
    policies: list[PolicySummary] | None = None  # None: the listing failed (failure)
    failure: ReadFailure | None = None


class OrgPolicySnapshot(_Frozen):
    """The organization's SCPs and RCPs as a coordinator read them once (``--org --executor`` /
    ``--plan``): the answers and failures of every call, so that a shard rebuilds each account's
    :class:`OrgPolicies` without calling Organizations. Not a secret, and never logged."""

    partition: str = "aws"
    organization: OrgInfo | ReadFailure | None = None
    root: RootInfo | ReadFailure | None = None
    parents: dict[str, ParentInfo | ReadFailure] = Field(default_factory=dict)
    attached: list[Attachment] = Field(default_factory=list)
    policies: dict[str, OrgPolicy] = Field(default_factory=dict)

    def for_accounts(self, accounts: Iterable[str]) -> OrgPolicySnapshot:
        """Only what ``accounts`` need (their chains of parents, what is attached there): the
        part of the snapshot a shard of those accounts is sent."""
        targets: set[str] = set()
        for account in accounts:
            child: str | None = account
            for _ in range(9):
                if child is None:
                    break
                targets.add(child)
                parent = self.parents.get(child)
                child = parent.id if isinstance(parent, ParentInfo) else None
        if isinstance(self.root, RootInfo):
            targets.add(self.root.id)
        attached = [a for a in self.attached if a.target in targets]
        used = {p.id for a in attached for p in a.policies or ()}
        return self.model_copy(
            update={
                "parents": {c: self.parents[c] for c in sorted(targets) if c in self.parents},
                "attached": attached,
                "policies": {k: v for k, v in self.policies.items() if k in used},
            }
        )
