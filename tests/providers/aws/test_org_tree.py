"""The read-ahead of the organization's SCPs and RCPs (org_tree) gives exactly what one account at
a time gives: the same exported snapshot, byte for byte, the same per-account snapshots and the
same recorded errors, whether the walk works, is denied in part or in whole, or calls fail.

moto's Organizations, in process. Organizations differ from AWS where tests/providers/aws/
test_org_policies.py says (FullAWSAccess on new OUs and accounts is attached here, as AWS would);
moto's ListTargetsForPolicy and ListChildren do not paginate (AWS: 20 per page), which changes
page counts, not answers.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions
import pytest
from moto import mock_aws

from cspm.providers.aws import ORG_POLICY_PERMISSIONS
from cspm.providers.aws.org_policies import OrgPolicyReader
from cspm.providers.aws.org_tree import WALK_PERMISSIONS, should_walk
from cspm.resources.aws.organizations import OrgPolicies
from support.aws import ACCOUNT as MANAGEMENT

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
FULL_AWS_ACCESS = "p-FullAWSAccess"
WALK_OPERATIONS = ("ListOrganizationalUnitsForParent", "ListAccountsForParent", "ListPolicies", "ListTargetsForPolicy")


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def orgs() -> Any:
    return boto3.client("organizations", region_name="us-east-1")


def _doc(sid: str, principal: bool = False) -> str:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}
    if principal:
        statement["Principal"] = "*"
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@dataclass
class Org:
    root: str
    ous: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)  # members, in creation order
    policies: list[str] = field(default_factory=list)


def build(seed: int, members: int = 24, ou_count: int = 7, policy_count: int = 8) -> Org:
    """A random organization: nested OUs (up to 4 deep), accounts spread over them (some moved
    twice), SCPs and RCPs attached at the root, OUs and accounts, one policy attached nowhere."""
    rng = random.Random(seed)
    client = orgs()
    client.create_organization(FeatureSet="ALL")
    root = client.list_roots()["Roots"][0]["Id"]
    for kind in (SCP, RCP):
        client.enable_policy_type(RootId=root, PolicyType=kind)
    org = Org(root)
    depth = {root: 0}
    for i in range(ou_count):
        parent = rng.choice([p for p in [root, *org.ous] if depth[p] < 4])
        ou = client.create_organizational_unit(ParentId=parent, Name=f"ou-{i}")["OrganizationalUnit"]["Id"]
        depth[ou] = depth[parent] + 1
        org.ous.append(ou)
        client.attach_policy(PolicyId=FULL_AWS_ACCESS, TargetId=ou)  # as AWS does
    for i in range(members):
        account = client.create_account(Email=f"m{i}@example.com", AccountName=f"m{i}")["CreateAccountStatus"][
            "AccountId"
        ]
        org.accounts.append(account)
        client.attach_policy(PolicyId=FULL_AWS_ACCESS, TargetId=account)
        parent = root
        for _ in range(rng.choice((1, 1, 2))):  # some accounts are moved twice
            destination = rng.choice([root, *org.ous])
            if destination != parent:
                client.move_account(AccountId=account, SourceParentId=parent, DestinationParentId=destination)
                parent = destination
    targets = [root, *org.ous, *org.accounts]
    for i in range(policy_count):
        kind = RCP if i % 3 == 2 else SCP
        created = client.create_policy(Name=f"p{i}", Description="", Type=kind, Content=_doc(f"S{i}", kind == RCP))
        policy = created["Policy"]["PolicySummary"]["Id"]
        org.policies.append(policy)
        if i == policy_count - 1:
            continue  # attached nowhere
        for target in rng.sample(targets, rng.randint(1, 4)):
            client.attach_policy(PolicyId=policy, TargetId=target)
    return org


class Sink:
    def __init__(self) -> None:
        self.account = ""
        self.errors: list[tuple[str, str, str]] = []

    def error(self, operation: str, code: str, message: str, *, service: str | None = None) -> None:
        self.errors.append((self.account, operation, code))


def denied(operation: str) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, operation)


Refuse = Callable[[str, dict[str, Any]], bool]  # (operation, params) -> refuse this call


@dataclass
class Read:
    snapshots: dict[str, OrgPolicies]
    exported: str
    errors: list[tuple[str, str, str]]
    calls: Counter[str]


def read(accounts: list[str], refuse: Refuse | None = None, **ahead: Any) -> Read:
    """Every account's snapshot, as the coordinator reads them (one sink, one account at a time)."""
    client = orgs()
    calls: Counter[str] = Counter()

    def before(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls[model.name] += 1
        if refuse is not None and refuse(model.name, params):
            raise denied(model.name)

    client.meta.events.register("before-parameter-build.organizations.*", before)
    reader = OrgPolicyReader(lambda: client, accounts=accounts if ahead else (), **ahead)
    sink = Sink()
    snapshots = {}
    for account in accounts:
        sink.account = account
        snapshots[account] = reader.snapshot(account, sink)
    return Read(snapshots, reader.export().model_dump_json(), sink.errors, calls)


def assert_same(old: Read, new: Read) -> None:
    assert new.exported == old.exported
    assert new.snapshots == old.snapshots
    assert new.errors == old.errors


def scanned(org: Org) -> list[str]:
    """The management account first, then all members but two (the scan's choice)."""
    return [MANAGEMENT, *org.accounts[2:]]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("walk", [True, False])
def test_the_read_ahead_gives_the_snapshot_of_one_account_at_a_time_byte_for_byte(seed: int, walk: bool) -> None:
    org = build(seed)
    accounts = scanned(org)
    old = read(accounts)
    new = read(accounts, walk=walk)
    assert_same(old, new)
    assert not old.errors
    levels = [level for s in old.snapshots.values() for level in s.levels or ()]
    assert {level.kind for level in levels} == {"root", "ou", "account"}
    assert any(level.rcps for level in levels) and any(p.id != FULL_AWS_ACCESS for lv in levels for p in lv.scps or ())
    if walk:  # nothing is asked per account
        assert new.calls["ListParents"] == 0 and new.calls["ListPoliciesForTarget"] == 0
        assert sum(new.calls.values()) < sum(old.calls.values())
    else:  # the same requests, each once, in parallel
        assert new.calls == old.calls


def test_the_walk_costs_a_few_requests_per_parent_and_policy_not_per_account() -> None:
    org = build(7, members=60, ou_count=5, policy_count=6)
    accounts = [MANAGEMENT, *org.accounts]
    old, new = read(accounts), read(accounts, walk=True)
    assert_same(old, new)
    parents = 1 + len(org.ous)
    # per account: ListParents per member and OU, ListPoliciesForTarget per level and type
    assert old.calls["ListParents"] == len(org.accounts) + len(org.ous)
    assert old.calls["ListPoliciesForTarget"] == 2 * (len(org.accounts) + len(org.ous) + 1)
    # the walk: a listing of OUs and one of accounts per parent (20 per page), per type and policy
    assert new.calls["ListOrganizationalUnitsForParent"] == parents
    assert parents <= new.calls["ListAccountsForParent"] <= parents + len(org.accounts) // 20
    policies = len(org.policies) + 2  # and FullAWSAccess, RCPFullAWSAccess
    assert new.calls["ListPolicies"] == 2 and new.calls["ListTargetsForPolicy"] == policies
    assert new.calls["DescribePolicy"] == old.calls["DescribePolicy"] <= policies
    assert sum(new.calls.values()) * 4 < sum(old.calls.values())


ALL_WALK: Refuse = lambda operation, _: operation in WALK_OPERATIONS  # noqa: E731


@pytest.mark.parametrize(
    "refuse",
    [
        pytest.param(ALL_WALK, id="the caller has only the per-account permissions"),
        pytest.param(lambda op, _: op == "ListAccountsForParent", id="accounts-per-parent-denied"),
        pytest.param(lambda op, _: op == "ListOrganizationalUnitsForParent", id="ous-per-parent-denied"),
        pytest.param(lambda op, _: op == "ListPolicies", id="list-policies-denied"),
        pytest.param(lambda op, p: op == "ListPolicies" and p.get("Filter") == RCP, id="rcps-not-listed"),
        pytest.param(lambda op, p: op == "ListTargetsForPolicy" and p["PolicyId"] == FULL_AWS_ACCESS, id="one-target"),
    ],
)
def test_a_denied_walk_falls_back_per_account_and_records_nothing_more(refuse: Refuse) -> None:
    org = build(11)
    accounts = scanned(org)
    old, new = read(accounts), read(accounts, refuse, walk=True)
    assert_same(old, new)
    assert new.errors == [] and all(s.state == "read" and s.levels for s in list(new.snapshots.values())[1:])
    if refuse is ALL_WALK:
        assert new.calls["ListParents"] == old.calls["ListParents"]
        assert new.calls["ListPoliciesForTarget"] == old.calls["ListPoliciesForTarget"]


def _lost_and_unreadable(org: Org) -> tuple[str, str]:
    """A scanned member (its parents cannot be listed) and a policy attached on some scanned
    member's chain (it cannot be described)."""
    policy = org.policies[0]
    orgs().attach_policy(PolicyId=policy, TargetId=org.accounts[3])
    return org.accounts[5], policy


@pytest.mark.parametrize("walk", [True, False])
@pytest.mark.parametrize("walk_denied", [True, False])
def test_failed_calls_are_recorded_once_on_the_same_account_and_the_snapshot_is_the_same(
    walk: bool, walk_denied: bool
) -> None:
    org = build(3)
    lost, unreadable = _lost_and_unreadable(org)

    def refuse(operation: str, params: dict[str, Any]) -> bool:
        if walk_denied and operation in WALK_OPERATIONS:
            return True
        if operation == "ListParents" and params.get("ChildId") == lost:
            return True
        if operation == "ListAccountsForParent":  # the walk cannot see where lost is either
            return lost in {a["Id"] for a in orgs().list_accounts_for_parent(ParentId=params["ParentId"])["Accounts"]}
        return operation == "DescribePolicy" and params.get("PolicyId") == unreadable

    accounts = scanned(org)
    old, new = read(accounts, refuse), read(accounts, refuse, walk=walk)
    assert_same(old, new)
    operations = [(operation, code) for _, operation, code in new.errors]
    assert sorted(operations) == [  # each once
        ("DescribePolicy", "AccessDeniedException"),
        ("ListParents", "AccessDeniedException"),
    ]
    assert new.snapshots[lost].levels is None and "ListParents" in (new.snapshots[lost].reason or "")


def test_an_unreadable_organization_is_read_once_and_every_snapshot_says_so() -> None:
    org = build(5, members=4, ou_count=2, policy_count=2)
    accounts = scanned(org)

    def refuse(operation: str, _: dict[str, Any]) -> bool:
        return operation == "DescribeOrganization"

    old, new = read(accounts, refuse), read(accounts, refuse, walk=True)
    assert_same(old, new)
    assert new.errors == [(MANAGEMENT, "DescribeOrganization", "AccessDeniedException")]
    assert {s.state for s in new.snapshots.values()} == {"unavailable"}
    assert set(new.calls) == {"DescribeOrganization"}


def test_the_read_ahead_walks_only_when_the_scan_covers_enough_of_the_organization() -> None:
    assert not should_walk(19, None) and should_walk(20, None)
    assert should_walk(2_000, 20_000) and not should_walk(1_999, 20_000)
    assert not should_walk(50, 20_000)  # a few accounts of a large organization: 3 requests each


def test_the_walk_permissions_are_declared_for_the_caller() -> None:
    assert set(WALK_PERMISSIONS) <= set(ORG_POLICY_PERMISSIONS)
    assert all(p.startswith("organizations:List") for p in WALK_PERMISSIONS)
    assert {p.split(":")[1] for p in WALK_PERMISSIONS} == set(WALK_OPERATIONS)


class Rewritten:
    """moto's client, whose ``method`` pages go through ``rewrite`` (what AWS may answer and
    moto does not)."""

    def __init__(self, method: str, rewrite: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self.client = orgs()
        self.method, self.rewrite = method, rewrite

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def get_paginator(self, method: str) -> Any:
        paginator = self.client.get_paginator(method)
        if method != self.method:
            return paginator
        rewrite = self.rewrite

        class Pages:
            def paginate(self, **params: Any) -> Any:
                for page in paginator.paginate(**params):
                    yield rewrite(page)

        return Pages()


def test_attached_policies_are_in_one_order_whichever_call_listed_them() -> None:
    org = build(2)
    accounts = scanned(org)
    # ListPoliciesForTarget in reverse order (AWS promises none)
    client = Rewritten("list_policies_for_target", lambda page: {**page, "Policies": page["Policies"][::-1]})
    per_account = OrgPolicyReader(lambda: client)
    walked = OrgPolicyReader(lambda: client, accounts=accounts, walk=True)
    for account in accounts:
        assert per_account.snapshot(account) == walked.snapshot(account)
    assert per_account.export().model_dump_json() == walked.export().model_dump_json()
    many = [level for a in accounts for level in per_account.snapshot(a).levels or () if len(level.scps or ()) > 1]
    assert many and all([p.id for p in level.scps or ()] == sorted(p.id for p in level.scps or ()) for level in many)


# -- the coordinator and the single-process scan read ahead -----------------------------------------


def _provider(hook: Callable[[Any], None]) -> Any:
    from cspm.providers.aws import AwsOptions, AwsProvider

    provider = AwsProvider(AwsOptions(org=True, regions=("us-east-1",), workers=4))
    provider.connect_session()
    organizations = provider._clients.client("organizations", provider.home_region)  # type: ignore[union-attr]
    organizations.meta.events.register("before-parameter-build.organizations.*", hook)
    provider.connect_session = lambda: None  # type: ignore[method-assign]  # keep the hooked client
    return provider


def test_the_coordinator_walks_the_tree_once_and_plans_the_snapshot_of_one_account_at_a_time() -> None:
    from cspm.shard_clouds import AwsShards

    org = build(13)
    calls: Counter[str] = Counter()
    listed = AwsShards().scopes(_provider(lambda model, **_: calls.update([model.name])))
    assert set(listed.scopes) == {MANAGEMENT, *org.accounts}
    assert listed.org_policies is not None and not listed.setup_errors
    assert calls["ListParents"] == calls["ListPoliciesForTarget"] == 0 and calls["ListTargetsForPolicy"] > 0
    reader = OrgPolicyReader(orgs)  # one account at a time, in the order of the plan
    for account in listed.scopes:
        reader.snapshot(account)
    assert listed.org_policies.model_dump_json() == reader.export().model_dump_json()


def test_a_single_process_org_scan_reads_ahead_on_its_first_account() -> None:
    from cspm.engine import collect

    org = build(17)
    calls: Counter[str] = Counter()
    provider = _provider(lambda model, **_: calls.update([model.name]))
    provider.connect()
    assert provider.organization_size == len(org.accounts) + 1
    inventory = collect(provider.plan({OrgPolicies}), workers=4)
    assert not inventory.errors
    got = {s.account: s for s in inventory.of_type(OrgPolicies) if isinstance(s, OrgPolicies)}
    assert set(got) == {MANAGEMENT, *org.accounts}
    assert calls["ListParents"] == calls["ListPoliciesForTarget"] == 0 and calls["ListAccountsForParent"] > 0
    reader = OrgPolicyReader(orgs)
    assert got == {account: reader.snapshot(account) for account in got}


def test_an_answer_of_an_unexpected_shape_is_left_out_and_read_per_account() -> None:
    org = build(19)
    accounts = scanned(org)
    old = read(accounts)
    # ListAccountsForParent pages without the accounts' ids
    shapeless = Rewritten(
        "list_accounts_for_parent", lambda page: {**page, "Accounts": [{"Name": a["Name"]} for a in page["Accounts"]]}
    )
    client, sink = shapeless, Sink()
    reader = OrgPolicyReader(lambda: client, accounts=accounts, walk=True)
    for account in accounts:
        sink.account = account
        assert reader.snapshot(account, sink) == old.snapshots[account]
    assert reader.export().model_dump_json() == old.exported and sink.errors == []


def test_every_call_of_either_read_is_declared_and_every_declared_action_is_called() -> None:
    org = build(23)
    accounts = scanned(org)
    runs = [read(accounts), read(accounts, walk=True), read(accounts, walk=False)]
    called = {f"organizations:{operation}" for run in runs for operation in run.calls}
    assert called == set(ORG_POLICY_PERMISSIONS)
