"""The organization's tree and its SCP/RCP attachments read ahead, for many accounts at once.

:class:`~cspm.providers.aws.org_policies.OrgPolicyReader` answers one account at a time: a
``ListParents`` chain and ``ListPoliciesForTarget`` per level and policy type, serialised by one
lock. For thousands of accounts that is one sequential request per account and call (docs/
distributed.md, "The SCPs and RCPs, read once"). :class:`TreeReader` reads the same facts for
every account first, with few requests and a small thread pool, and returns only the answers
that succeeded (:class:`Known`); the reader then answers each account from them, and what is
missing (a call that failed or was denied) is asked again the old way, one account at a time,
where the failure is recorded exactly as before. So the snapshot is the same either way; only
the number and order of requests change.

Two ways to read, per fact:

- **The walk** (many accounts, :func:`should_walk`): the parent map top down,
  ``ListOrganizationalUnitsForParent`` and ``ListAccountsForParent`` per parent (the root, then
  each level of OUs), and at the same time the attachments per policy: ``ListPolicies`` per
  enabled type, then ``ListTargetsForPolicy`` per policy. A type's attachments are used only when
  every policy of that type was listed completely: "nothing attached here" is known only then.
- **Per account** (few accounts, or what the walk could not read, e.g. the caller may not call
  the walk's operations): ``ListParents`` per account, then per OU met, level by level;
  ``ListPoliciesForTarget`` per (level, type).

Then ``DescribePolicy`` for every policy attached on the chain of a scanned account. At most
:data:`WORKERS` requests are in flight (one semaphore over every page of every phase):
Organizations' rate is organization-wide and low, and botocore's adaptive retries slow down when
it throttles.

Requests, with N accounts (n of them scanned), M OUs, P policies of the enabled types, T enabled
types, every page holding at most 20 items (Organizations' MaxResults for all of these):

- per account (the reader alone, and this module's fallback): ``2 + n + M' + T·(1 + M' + n) + P'``
  (M', P': the OUs and policies over the scanned accounts);
- the walk: ``2 + Σ_parents (⌈OUs/20⌉ + ⌈accounts/20⌉) + T·⌈P/20⌉ + Σ_p ⌈targets(p)/20⌉ + P'``,
  about ``2·(M + 1) + N/20 + (attachments)/20 + 2·P``. AWS attaches ``FullAWSAccess`` (and
  ``RCPFullAWSAccess``) to every OU and account, so the attachments are about T·(N + M), and
  listing those targets, one page after the other, is the walk's critical path.

Measured in ``bench/scp_read.py`` (docs/distributed.md).

No call here records an error: the reader's own calls do, when it asks again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from cspm.providers.aws.context import SDK_ERRORS, api_name, classify

log = logging.getLogger(__name__)

# What the walk adds to the reader's PERMISSIONS (read-only List* calls of the management or
# delegated administrator account).
WALK_PERMISSIONS: Final = (
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListAccountsForParent",
    "organizations:ListPolicies",
    "organizations:ListTargetsForPolicy",
)
WORKERS: Final = 4  # Organizations' rate is organization-wide and low: a few calls in flight
WALK_FROM: Final = 20  # fewer scanned accounts than this: per account (3 requests each) is cheaper
WALK_SHARE: Final = 10  # ... or fewer than a tenth of the organization's accounts
MAX_DEPTH: Final = 8  # AWS allows five levels of OUs under the root
ROOT: Final = "ROOT"
OU: Final = "ORGANIZATIONAL_UNIT"

# The walk's listings of a parent's children: its OUs (first), its accounts.
_CHILDREN: Final = (
    ("list_organizational_units_for_parent", "OrganizationalUnits"),
    ("list_accounts_for_parent", "Accounts"),
)
Summary = dict[str, Any]
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Known:
    """What was read without a failure: the reader answers from it, and asks for the rest."""

    parents: dict[str, tuple[str, str]] = field(default_factory=dict)  # child -> (parent, ROOT | OU)
    # Every attachment of a type (from the walk): a target missing here has none of that type.
    complete: dict[str, dict[str, list[Summary]]] = field(default_factory=dict)  # type -> target -> summaries
    attached: dict[tuple[str, str], list[Summary]] = field(default_factory=dict)  # (target, type) -> summaries
    described: dict[str, dict[str, Any]] = field(default_factory=dict)  # policy id -> DescribePolicy answer
    walked: bool = False
    failures: list[str] = field(default_factory=list)  # "Operation: Code" of the calls that failed

    def attachments(self, target: str, kind: str) -> list[Summary] | None:
        complete = self.complete.get(kind)
        if complete is not None:
            return list(complete.get(target, ()))
        found = self.attached.get((target, kind))
        return None if found is None else list(found)


def should_walk(scanned: int, organization_size: int | None) -> bool:
    """Walk the whole tree when that costs fewer requests than reading per account."""
    if scanned < WALK_FROM:
        return False
    return organization_size is None or scanned * WALK_SHARE >= organization_size


class _Failed(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class TreeReader:
    """Reads ahead for the accounts of one scan; see the module docstring."""

    def __init__(self, client: Callable[[], Any], workers: int = WORKERS) -> None:
        self._client = client
        self._workers = max(1, workers)
        self._slots = threading.BoundedSemaphore(self._workers)  # requests in flight, all phases
        self._lock = threading.Lock()
        self._known = Known()

    # -- calls (no error is recorded: the reader asks again for what is missing) -----------------

    def _pages(self, method: str, key: str, **params: Any) -> list[Summary]:
        client = self._client()
        items: list[Summary] = []
        try:
            pages = iter(client.get_paginator(method).paginate(**params))
            while True:
                with self._slots:  # one page, one request
                    page = next(pages, None)
                if page is None:
                    break
                items.extend(page.get(key, []))
        except SDK_ERRORS as exc:
            code, _ = classify(exc)
            raise _Failed(f"{api_name(client, method)}: {code}") from exc
        return items

    def _parallel(self, work: Callable[[T], R], items: Iterable[T]) -> list[R | _Failed]:
        def guarded(item: T) -> R | _Failed:
            try:
                return work(item)
            except _Failed as failed:
                return failed
            except (KeyError, TypeError, ValueError) as exc:  # an answer of an unexpected shape
                return _Failed(f"an unexpected answer ({type(exc).__name__}: {exc})")

        todo = list(items)
        if len(todo) <= 1 or self._workers == 1:
            results = [guarded(item) for item in todo]
        else:
            with ThreadPoolExecutor(max_workers=min(self._workers, len(todo)), thread_name_prefix="cspm-org") as pool:
                results = list(pool.map(guarded, todo))
        with self._lock:
            self._known.failures.extend(r.text for r in results if isinstance(r, _Failed))
        return results

    # -- the whole read ---------------------------------------------------------------------------

    def read(self, accounts: Sequence[str], root_id: str, types: Sequence[str], *, walk: bool) -> Known:
        """What ``accounts`` need (their chains up to ``root_id``, what is attached on them for
        each of ``types``, those policies' documents), read with as few requests as it can."""
        known = self._known
        known.walked = walk
        if walk:  # the parent map and each type's attachments do not depend on each other
            with ThreadPoolExecutor(max_workers=1 + len(types), thread_name_prefix="cspm-org-walk") as phases:
                started = [phases.submit(self._walk, root_id)]
                started += [phases.submit(self._attachments_of_type, kind) for kind in types]
                for future in started:
                    future.result()
        self._parents_of(accounts, root_id)
        targets = self._targets(accounts, root_id)
        for kind in types:
            if kind not in known.complete:
                self._attachments_per_target(targets, kind)
        policies = {
            str(s["Id"]): None for target in targets for kind in types for s in known.attachments(target, kind) or ()
        }
        self._describe(list(policies))
        if known.failures:
            log.info("organization read-ahead: %d calls failed (%s ...); asked again per account",
                     len(known.failures), known.failures[0])  # fmt: skip
        return known

    # -- parents ----------------------------------------------------------------------------------

    def _walk(self, root_id: str) -> None:
        """The parent of every OU and account, top down, one level of OUs at a time."""
        level = [root_id]
        for depth in range(MAX_DEPTH):
            if not level:
                return
            kind = ROOT if depth == 0 else OU
            asks = [(parent, listing) for parent in level for listing in _CHILDREN]
            below: list[str] = []
            for (parent, listing), children in zip(asks, self._parallel(self._children, asks), strict=True):
                if isinstance(children, _Failed):
                    continue  # those children: per account, later
                for child in children:
                    self._known.parents[child] = (parent, kind)
                if listing == _CHILDREN[0]:
                    below.extend(children)
            level = below

    def _children(self, ask: tuple[str, tuple[str, str]]) -> list[str]:
        parent, (method, key) = ask
        return [str(child["Id"]) for child in self._pages(method, key, ParentId=parent)]

    def _parents_of(self, accounts: Sequence[str], root_id: str) -> None:
        """ListParents, in parallel, for the accounts (then the OUs) whose parent is not known."""
        parents = self._known.parents
        asked: set[str] = set()
        todo = [a for a in dict.fromkeys(accounts) if a not in parents]
        for _ in range(MAX_DEPTH + 1):
            if not todo:
                return
            asked.update(todo)
            found = self._parallel(self._parent, todo)
            above: list[str] = []
            for child, parent in zip(todo, found, strict=True):
                if isinstance(parent, _Failed) or parent is None:
                    continue
                parents[child] = parent
                if parent[0] != root_id and parent[1] != ROOT and parent[0] not in parents:
                    above.append(parent[0])
            todo = [c for c in dict.fromkeys(above) if c not in asked]

    def _parent(self, child: str) -> tuple[str, str] | None:
        found = self._pages("list_parents", "Parents", ChildId=child)
        return (str(found[0]["Id"]), str(found[0].get("Type", ""))) if found else None

    def _targets(self, accounts: Sequence[str], root_id: str) -> list[str]:
        """Every level on a complete chain from an account up to the root, in first-met order."""
        targets: dict[str, None] = {}
        for account in accounts:
            chain, child = [account], account
            for _ in range(MAX_DEPTH):
                parent = self._known.parents.get(child)
                if parent is None:
                    break
                chain.append(parent[0])
                if parent[1] == ROOT or parent[0] == root_id:
                    targets.update(dict.fromkeys(chain))
                    break
                child = parent[0]
        return list(targets)

    # -- attachments ------------------------------------------------------------------------------

    def _attachments_of_type(self, kind: str) -> None:
        """Every policy of ``kind`` and all its targets; kept only when all of it was read."""
        try:
            policies = self._pages("list_policies", "Policies", Filter=kind)
        except _Failed as failed:
            with self._lock:
                self._known.failures.append(failed.text)
            return
        found = self._parallel(lambda p: self._pages("list_targets_for_policy", "Targets", PolicyId=p["Id"]), policies)
        if any(isinstance(f, _Failed) for f in found):
            return
        by_target: dict[str, list[Summary]] = {}
        for policy, targets in zip(policies, found, strict=True):
            assert not isinstance(targets, _Failed)
            for target in targets:
                by_target.setdefault(str(target["TargetId"]), []).append(policy)
        with self._lock:
            self._known.complete[kind] = by_target

    def _attachments_per_target(self, targets: Sequence[str], kind: str) -> None:
        def attached(target: str) -> list[Summary]:
            return self._pages("list_policies_for_target", "Policies", TargetId=target, Filter=kind)

        for target, found in zip(targets, self._parallel(attached, targets), strict=True):
            if not isinstance(found, _Failed):
                self._known.attached[(target, kind)] = found

    # -- policies -----------------------------------------------------------------------------------

    def _describe(self, policy_ids: Sequence[str]) -> None:
        client = self._client()

        def describe(policy_id: str) -> dict[str, Any]:
            try:
                with self._slots:
                    answer: dict[str, Any] = client.describe_policy(PolicyId=policy_id)
            except SDK_ERRORS as exc:
                raise _Failed(f"DescribePolicy: {classify(exc)[0]}") from exc
            return answer

        for policy_id, found in zip(policy_ids, self._parallel(describe, policy_ids), strict=True):
            if not isinstance(found, _Failed):
                self._known.described[policy_id] = found
