"""AWS Organizations: the service control policies and resource control policies over one account.

One :class:`OrgPolicies` per scanned account. ``levels`` is the chain from the organization root
to the account (root, each OU, the account itself), each with the policies attached there. What
could not be read stays visible: a level or a policy whose content is unknown has ``error`` set
(and no document), and :attr:`OrgPolicies.state` says whether the organization's policies were
read at all. :mod:`cspm.iam.organization` turns this into guard layers of effective permissions.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from cspm.resources.base import Resource, Scope, Snapshot

SCP: Literal["SERVICE_CONTROL_POLICY"] = "SERVICE_CONTROL_POLICY"
RCP: Literal["RESOURCE_CONTROL_POLICY"] = "RESOURCE_CONTROL_POLICY"
PolicyType = Literal["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"]


class OrgPolicy(Snapshot):
    """One SCP or RCP attached to a level: its id, name and content (``None`` when unreadable)."""

    id: str
    name: str = ""
    arn: str | None = None
    aws_managed: bool = False
    document: dict[str, object] | None = None
    error: str | None = Field(default=None, description="why document is None (DescribePolicy failed, not JSON)")


class OrgLevel(Snapshot):
    """The root, an OU or the account, and what is attached there.

    ``scps`` / ``rcps`` are ``None`` when the attachments of that type could not be listed
    (``error`` says why); an empty tuple means nothing of that type is attached.
    """

    kind: Literal["root", "ou", "account"]
    id: str
    name: str = ""
    scps: tuple[OrgPolicy, ...] | None = ()
    rcps: tuple[OrgPolicy, ...] | None = ()
    error: str | None = None

    @property
    def label(self) -> str:
        """How evidence names the level: ``root r-ab12``, ``ou ou-ab12-cdef3456 (ML)``, ``account 1234…``."""
        named = f" ({self.name})" if self.name and self.kind == "ou" else ""
        return f"{self.kind} {self.id}{named}"


class OrgPolicies(Resource):
    """The organization's SCPs and RCPs that apply to one account (one per scanned account).

    ``state``:

    - ``read``: the levels were read (some policies may still be unreadable: ``error`` on them);
    - ``not_requested``: the scan did not ask (a single-account scan without ``--scp``);
    - ``unavailable``: the organization could not be read at all (the account is not in an
      organization, or the caller is neither the management account nor a delegated
      administrator); ``reason`` says which, and the failed call is in the report's ``errors``.

    ``levels`` is ``None`` when the chain of parents could not be listed (``reason``).
    """

    resource_type: ClassVar[str] = "aws.organizations.policies"
    scope: ClassVar[Scope] = Scope.ACCOUNT

    state: Literal["read", "not_requested", "unavailable"] = "not_requested"
    reason: str | None = None
    organization_id: str | None = None
    management_account: str | None = None
    scp_enabled: bool | None = None  # SERVICE_CONTROL_POLICY enabled on the root (ListRoots PolicyTypes)
    rcp_enabled: bool | None = None  # RESOURCE_CONTROL_POLICY enabled on the root
    levels: tuple[OrgLevel, ...] | None = None

    @property
    def is_management_account(self) -> bool:
        """SCPs and RCPs do not apply to the management account."""
        return self.management_account is not None and self.management_account == self.account


__all__ = ["RCP", "SCP", "OrgLevel", "OrgPolicies", "OrgPolicy", "PolicyType"]
