"""The organization's service control policies (SCPs) and resource control policies (RCPs) over
each scanned account, read with the caller's credentials (the management account or a delegated
administrator: member accounts cannot read Organizations).

For an account: ``DescribeOrganization`` (once per scan: the management account, to which SCPs do
not apply), ``ListRoots`` (once: which policy types are enabled), ``ListParents`` from the account
up to the root (cached per child: the OUs are shared by many accounts), and at each level
``ListPoliciesForTarget`` for each enabled type (cached per target and type) and ``DescribePolicy``
for each attached policy (cached per policy). A 50-account organization with 5 OUs and a handful of
SCPs costs a few calls per account.

Failures:

- The first call (``DescribeOrganization``) fails (not in an organization, AccessDenied: the
  caller is neither the management account nor a delegated administrator): one error in the
  report, and every account's snapshot says ``unavailable``. SCPs are not applied; the IAM
  verdicts stay as a scan without them computes them.
- A later call fails: recorded once (on the first account that needed it), and the level or the
  policy it concerns is marked unreadable in every snapshot that includes it. The IAM checks then
  answer ERROR instead of FAIL for that account (see docs/iam-analysis.md).

The reader serialises its calls (one lock): Organizations' request rate is low, and each answer
is cached for every later account. Given the accounts of the scan, its first :meth:`snapshot`
reads ahead for all of them (:mod:`cspm.providers.aws.org_tree`: for many accounts the tree walked
top down and the attachments listed per policy, otherwise the same calls as above; a few in
flight, whatever fails is left out), and every snapshot then takes from that what it would have
read; what is missing it reads itself as above, recording the failure. Same snapshots, same
export, same errors; attached policies are kept in the order of their ids whichever call listed
them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from cspm.providers.aws.context import SDK_ERRORS, api_name, classify
from cspm.providers.aws.org_tree import WALK_PERMISSIONS, Known, TreeReader, should_walk
from cspm.resources.aws.organizations import RCP, SCP, OrgLevel, OrgPolicies, OrgPolicy, PolicyType
from cspm.scp_snapshot import (
    Attachment,
    OrgInfo,
    OrgPolicySnapshot,
    ParentInfo,
    PolicySummary,
    ReadFailure,
    RootInfo,
)

PERMISSIONS: Final = (
    "organizations:DescribeOrganization",
    "organizations:ListRoots",
    "organizations:ListParents",
    "organizations:ListPoliciesForTarget",
    "organizations:DescribePolicy",
    *WALK_PERMISSIONS,  # the read-ahead of many accounts (org_tree); without them, per account
)
SERVICE: Final = "organizations"
Kind = Literal["root", "ou", "account"]
# Error codes of the first call that mean "this caller cannot read the organization at all".
UNAVAILABLE_CODES: Final = frozenset(
    {
        "AWSOrganizationsNotInUseException",
        "AccessDeniedException",
        "AccessDenied",
        "AccessDeniedForDependencyException",
    }
)


class ErrorSink(Protocol):
    """Where a failed call is recorded: a collector unit (:class:`cspm.engine.UnitContext`), or
    the coordinator of a distributed scan reading the policies once for every shard."""

    def error(self, operation: str, code: str, message: str, *, service: str | None = None) -> None: ...


@dataclass(frozen=True)
class _Failure:
    operation: str
    code: str
    message: str

    def text(self, what: str) -> str:
        return f"{what} could not be read ({self.operation}: {self.code})"


class OrgPolicyReader:
    """Reads and caches the organization's policies for every account of one scan (thread-safe)."""

    def __init__(
        self,
        client: Callable[[], Any],
        partition: str = "aws",
        *,
        accounts: Sequence[str] = (),
        organization_size: int | None = None,
        walk: bool | None = None,
    ) -> None:
        """``accounts``: every account the scan will ask for; when given, the first
        :meth:`snapshot` reads ahead for all of them (:mod:`~cspm.providers.aws.org_tree`; the
        whole tree when ``walk``, by default when :func:`~cspm.providers.aws.org_tree.should_walk`
        says so for ``organization_size`` accounts in the organization)."""
        self._client = client
        self._partition = partition
        self._ahead: tuple[list[str], bool] | None = None
        if accounts:
            self._ahead = (list(accounts), should_walk(len(accounts), organization_size) if walk is None else walk)
        self._known = Known()
        self._lock = threading.Lock()
        self._organization: dict[str, Any] | _Failure | None = None
        self._roots: tuple[str, bool, bool] | _Failure | None = None
        self._parents: dict[str, tuple[str, str] | _Failure] = {}
        self._attached: dict[tuple[str, str], list[dict[str, Any]] | _Failure] = {}
        self._policies: dict[str, OrgPolicy] = {}
        self._unit: ErrorSink | None = None  # the unit that records what fails now

    # -- calls ------------------------------------------------------------------------------

    def _call(self, method: str, **params: Any) -> Any:
        """The response, or a recorded :class:`_Failure` (recorded on the unit asking now)."""
        client = self._client()
        try:
            return getattr(client, method)(**params)
        except SDK_ERRORS as exc:
            return self._failed(client, method, exc)

    def _pages(self, method: str, key: str, **params: Any) -> list[dict[str, Any]] | _Failure:
        client = self._client()
        items: list[dict[str, Any]] = []
        try:
            for page in client.get_paginator(method).paginate(**params):
                items.extend(page.get(key, []))
        except SDK_ERRORS as exc:
            return self._failed(client, method, exc)
        return items

    def _failed(self, client: Any, method: str, exc: Exception) -> _Failure:
        code, message = classify(exc)
        failure = _Failure(api_name(client, method), code, message)
        if self._unit is not None:
            self._unit.error(failure.operation, code, message, service=SERVICE)
        return failure

    # -- what is read once --------------------------------------------------------------------

    def _describe_organization(self) -> dict[str, Any] | _Failure:
        if self._organization is None:
            raw = self._call("describe_organization")
            self._organization = raw if isinstance(raw, _Failure) else dict(raw.get("Organization", {}))
        return self._organization

    def _root(self) -> tuple[str, bool, bool] | _Failure:
        """The root id, and whether SCPs and RCPs are enabled on it."""
        if self._roots is None:
            roots = self._pages("list_roots", "Roots")
            if isinstance(roots, _Failure):
                self._roots = roots
            elif not roots:
                self._roots = _Failure("ListRoots", "NoRoot", "the organization has no root")
            else:
                enabled = {t.get("Type") for t in roots[0].get("PolicyTypes", []) if t.get("Status") == "ENABLED"}
                self._roots = (str(roots[0]["Id"]), SCP in enabled, RCP in enabled)
        return self._roots

    def _parent(self, child: str) -> tuple[str, str] | _Failure:
        """(id, ROOT | ORGANIZATIONAL_UNIT) of a child's parent."""
        cached = self._parents.get(child) or self._known.parents.get(child)
        if cached is None:
            parents = self._pages("list_parents", "Parents", ChildId=child)
            if isinstance(parents, _Failure):
                cached = parents
            elif not parents:
                cached = _Failure("ListParents", "NoParent", f"{child} has no parent")
            else:
                cached = (str(parents[0]["Id"]), str(parents[0].get("Type", "")))
        self._parents[child] = cached
        return cached

    def _attachments(self, target: str, kind: PolicyType) -> list[dict[str, Any]] | _Failure:
        key = (target, kind)
        cached = self._attached.get(key)
        if cached is None:
            cached = self._known.attachments(target, kind)
            if cached is None:
                cached = self._pages("list_policies_for_target", "Policies", TargetId=target, Filter=kind)
            if not isinstance(cached, _Failure):  # in one order whichever call listed them
                cached = sorted(cached, key=lambda s: str(s.get("Id")))
            self._attached[key] = cached
        return cached

    def _policy(self, summary: dict[str, Any]) -> OrgPolicy:
        policy_id = str(summary["Id"])
        cached = self._policies.get(policy_id)
        if cached is None:
            cached = self._policies[policy_id] = self._read_policy(policy_id, summary)
        return cached

    def _read_policy(self, policy_id: str, summary: dict[str, Any]) -> OrgPolicy:
        base = {
            "id": policy_id,
            "name": str(summary.get("Name") or ""),
            "arn": summary.get("Arn"),
            "aws_managed": bool(summary.get("AwsManaged")),
        }
        raw = self._known.described.get(policy_id) or self._call("describe_policy", PolicyId=policy_id)
        if isinstance(raw, _Failure):
            return OrgPolicy(**base, error=f"DescribePolicy failed: {raw.code}")
        content = raw.get("Policy", {}).get("Content")
        problem: str | None
        try:
            document = json.loads(content) if isinstance(content, str) else content
        except ValueError as exc:
            document = None
            problem = f"the content is not JSON ({exc})"
        else:
            problem = None if isinstance(document, dict) else "the content is not a JSON object"
        if problem is not None:
            if self._unit is not None:
                message = f"{policy_id}: {problem}"
                self._unit.error("DescribePolicy", "MalformedPolicyDocument", message, service=SERVICE)
            return OrgPolicy(**base, error=problem)
        return OrgPolicy(**base, document=document)

    # -- one account --------------------------------------------------------------------------

    def snapshot(self, account: str, unit: ErrorSink | None = None) -> OrgPolicies:
        """The policies over ``account``; failures are recorded on ``unit`` (once per scan)."""
        with self._lock:
            self._unit = unit
            try:
                return self._snapshot(account)
            finally:
                self._unit = None

    def _snapshot(self, account: str) -> OrgPolicies:
        base: dict[str, Any] = {"uid": uid(account, self._partition), "name": account, "account": account}
        organization = self._describe_organization()
        if isinstance(organization, _Failure):
            if organization.code in UNAVAILABLE_CODES:
                return OrgPolicies(**base, state="unavailable", reason=_unavailable(organization))
            # Throttled, a server error: the policies exist but are unknown.
            return OrgPolicies(**base, state="read", reason=organization.text("the organization"))
        base["organization_id"] = organization.get("Id")
        base["management_account"] = organization.get("MasterAccountId")
        root = self._root()
        if isinstance(root, _Failure):
            return OrgPolicies(**base, state="read", reason=root.text("the organization root"))
        root_id, scp, rcp = root
        base.update(scp_enabled=scp, rcp_enabled=rcp)
        if base["management_account"] == account or not (scp or rcp):
            return OrgPolicies(**base, state="read", levels=())  # nothing applies: nothing to read
        if self._ahead is not None:
            self._read_ahead(root_id, base["management_account"], scp=scp, rcp=rcp)
        chain = self._chain(account, root_id)
        if isinstance(chain, _Failure):
            return OrgPolicies(**base, state="read", reason=chain.text(f"the parents of account {account}"))
        levels = tuple(self._level(kind, target, scp=scp, rcp=rcp) for kind, target in chain)
        return OrgPolicies(**base, state="read", levels=levels)

    def _read_ahead(self, root_id: str, management: str | None, *, scp: bool, rcp: bool) -> None:
        """Once, for every account of the scan: what the accounts need, read in parallel, kept
        aside; each account's snapshot takes from it what it uses, as if it had read it itself."""
        assert self._ahead is not None
        accounts, walk = self._ahead
        self._ahead = None
        types = [t for t, enabled in ((SCP, scp), (RCP, rcp)) if enabled]
        members = [a for a in accounts if a != management]
        self._known = TreeReader(self._client).read(members, root_id, types, walk=walk)

    def _chain(self, account: str, root_id: str) -> list[tuple[Kind, str]] | _Failure:
        """(kind, id) from the root down to the account."""
        chain: list[tuple[Kind, str]] = [("account", account)]
        child = account
        for _ in range(8):  # AWS allows five levels of OUs under the root
            parent = self._parent(child)
            if isinstance(parent, _Failure):
                return parent
            parent_id, kind = parent
            if kind == "ROOT" or parent_id == root_id:
                chain.append(("root", parent_id))
                return chain[::-1]
            chain.append(("ou", parent_id))
            child = parent_id
        return _Failure("ListParents", "TooDeep", f"no root above {account} after 8 levels")

    def _level(self, kind: Kind, target: str, *, scp: bool, rcp: bool) -> OrgLevel:
        errors: list[str] = []
        found: dict[str, tuple[OrgPolicy, ...] | None] = {}
        for name, enabled, policy_type in (("scps", scp, SCP), ("rcps", rcp, RCP)):
            if not enabled:
                found[name] = ()
                continue
            attached = self._attachments(target, policy_type)
            if isinstance(attached, _Failure):
                found[name] = None
                errors.append(attached.text(f"the {name[:-1].upper()}s attached to {target}"))
                continue
            found[name] = tuple(self._policy(s) for s in attached)
        return OrgLevel(
            kind=kind,
            id=target,
            scps=found["scps"],
            rcps=found["rcps"],
            error="; ".join(errors) or None,
        )

    # -- read once, used by every shard of a distributed scan -----------------------------------

    def export(self) -> OrgPolicySnapshot:
        """What the reader has read so far (answers and failures), for :meth:`preloaded`."""
        with self._lock:
            return OrgPolicySnapshot(
                partition=self._partition,
                organization=_entry(self._organization, _org_info),
                root=_entry(self._roots, lambda r: RootInfo(id=r[0], scp=r[1], rcp=r[2])),
                parents={c: _entry(p, lambda p: ParentInfo(id=p[0], type=p[1])) for c, p in self._parents.items()},
                attached=[
                    Attachment(
                        target=target,
                        type=kind,
                        policies=None if isinstance(found, _Failure) else [_summary(s) for s in found],
                        failure=_failure_entry(found) if isinstance(found, _Failure) else None,
                    )
                    for (target, kind), found in self._attached.items()
                ],
                policies=dict(self._policies),
            )

    @classmethod
    def preloaded(cls, snapshot: OrgPolicySnapshot, client: Callable[[], Any]) -> OrgPolicyReader:
        """A reader that answers from ``snapshot`` without calling Organizations (``client`` is
        called only for what the snapshot lacks, which a coordinator's snapshot never does)."""
        reader = cls(client, snapshot.partition)
        reader._organization = _value(snapshot.organization, _described)
        reader._roots = _value(snapshot.root, lambda r: (r.id, r.scp, r.rcp))
        reader._parents = {c: _value(p, lambda p: (p.id, p.type)) for c, p in snapshot.parents.items()}
        for a in snapshot.attached:
            summaries = [s.model_dump(by_alias=True) for s in a.policies or ()]
            reader._attached[(a.target, a.type)] = _failure_of(a.failure) if a.failure is not None else summaries
        reader._policies = dict(snapshot.policies)
        return reader


def _org_info(described: dict[str, Any]) -> OrgInfo:
    return OrgInfo(id=described.get("Id"), management_account=described.get("MasterAccountId"))


def _described(info: OrgInfo) -> dict[str, Any]:
    return {"Id": info.id, "MasterAccountId": info.management_account}


def _failure_entry(failure: _Failure) -> ReadFailure:
    return ReadFailure(operation=failure.operation, code=failure.code, message=failure.message)


def _failure_of(entry: ReadFailure) -> _Failure:
    return _Failure(entry.operation, entry.code, entry.message)


def _entry(value: Any, convert: Callable[[Any], Any]) -> Any:
    if value is None:
        return None
    return _failure_entry(value) if isinstance(value, _Failure) else convert(value)


def _value(entry: Any, convert: Callable[[Any], Any]) -> Any:
    if entry is None:
        return None
    return _failure_of(entry) if isinstance(entry, ReadFailure) else convert(entry)


def _summary(raw: dict[str, Any]) -> PolicySummary:
    return PolicySummary.model_validate(
        {k: raw[k] for k in ("Id", "Name", "Arn", "AwsManaged") if raw.get(k) is not None}
    )


def _unavailable(failure: _Failure) -> str:
    if failure.code == "AWSOrganizationsNotInUseException":
        return f"the account is not a member of an organization ({failure.operation}: {failure.code})"
    return (
        f"the organization's policies are readable only from the management account or a delegated "
        f"administrator ({failure.operation}: {failure.code})"
    )


def uid(account: str, partition: str = "aws") -> str:
    """The snapshot's uid: the account's SCPs and RCPs (a pseudo-ARN, like S3's account settings)."""
    return f"arn:{partition}:organizations:::policies/{account}"


def not_requested(account: str, partition: str = "aws") -> OrgPolicies:
    """The snapshot of a scan that did not ask for the organization's policies (no API call)."""
    return OrgPolicies(
        uid=uid(account, partition),
        name=account,
        account=account,
        state="not_requested",
        reason="not read (--no-scp, or a scan without --org or --scp)",
    )


__all__ = ["PERMISSIONS", "ErrorSink", "OrgPolicyReader", "OrgPolicySnapshot", "not_requested", "uid"]
