"""End to end: the coordinator of a sharded organization scan reads the SCPs and RCPs once.

The organization of tests/e2e/test_org.py (one moto server), with SCPs enabled, an OU holding
the research account, and an SCP attached to that OU. Requests to Organizations are counted at
botocore's HTTP layer, in this process, where the shards run (a thread pool as the executor).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.endpoint
import pytest
from e2e.test_distributed import Recording, merged, plan_of
from e2e.test_org import REGION, Organization, org, organization

from cspm.coordinator import run_shards
from cspm.shards import ShardPlan

pytestmark = pytest.mark.e2e

__all__ = ["org", "organization"]  # the fixtures, shared with test_org

DENY_SID = "DenyModelDeletion0123"
ORGANIZATIONS = "AWSOrganizationsV20161128."


@pytest.fixture(scope="module")
def scps(organization: Organization) -> str:
    """SCPs on; research moved into an OU with an SCP of its own. The SCP's id."""
    orgs = boto3.client("organizations", region_name=REGION, endpoint_url=organization.url)
    root = orgs.list_roots()["Roots"][0]["Id"]
    orgs.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    ou = orgs.create_organizational_unit(ParentId=root, Name="ml")["OrganizationalUnit"]["Id"]
    orgs.move_account(AccountId=organization.id("research"), SourceParentId=root, DestinationParentId=ou)
    content = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": DENY_SID, "Effect": "Deny", "Action": "sagemaker:DeleteModel", "Resource": "*"}],
    }
    policy = orgs.create_policy(
        Content=json.dumps(content), Description="", Name="no-model-deletion", Type="SERVICE_CONTROL_POLICY"
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=policy, TargetId=ou)
    return str(policy)


class OrganizationsCalls:
    """Every Organizations request botocore sends from this process (the X-Amz-Target header)."""

    def __init__(self) -> None:
        self.operations: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, original: Any) -> Any:
        def send(endpoint: Any, request: Any) -> Any:
            target = request.headers.get("X-Amz-Target", b"")
            target = target.decode() if isinstance(target, bytes) else str(target)
            if target.startswith(ORGANIZATIONS):
                with self._lock:
                    self.operations.append(target.removeprefix(ORGANIZATIONS))
            return original(endpoint, request)

        return send


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[OrganizationsCalls]:
    counter = OrganizationsCalls()
    monkeypatch.setattr(botocore.endpoint.Endpoint, "_send", counter(botocore.endpoint.Endpoint._send))
    yield counter


def org_policies_of(parts: Path, account: str) -> dict[str, Any]:
    """The account's aws.organizations.policies snapshot, as its part holds it (the report lists
    resources without their contents)."""
    part = json.loads((parts / f"part-{account}.json").read_text(encoding="utf-8"))
    found: dict[str, Any] = next(r["data"] for r in part["resources"] if r["type"] == "aws.organizations.policies")
    return found


def test_shards_given_the_coordinators_snapshot_make_no_organizations_call(
    org: Organization,
    scps: str,
    calls: OrganizationsCalls,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="cspm")
    plan = plan_of(org, shard_size=2)
    read_by_coordinator = list(calls.operations)
    assert {"ListAccounts", "DescribeOrganization", "ListRoots", "ListParents", "DescribePolicy"} <= set(
        read_by_coordinator
    )
    assert plan.org_policies is not None and scps in plan.org_policies.policies
    # once per policy (FullAWSAccess on the root, and ours), not once per account or shard
    assert read_by_coordinator.count("DescribePolicy") == len(plan.org_policies.policies) == 2
    calls.operations.clear()

    with Recording() as executor:
        run_shards(plan, tmp_path / "once", executor)
    assert calls.operations == []  # zero Organizations calls from the shards
    research = org.id("research")
    for task in executor.tasks:  # each task carries only the SCPs of its own accounts
        sent = task.plan.org_policies
        assert sent is not None and task.plan.shards == [task.plan.shards[task.index]]
        assert (scps in sent.policies) == (research in task.plan.shards[0])

    # The same plan without the snapshot: every shard reads the policies itself, to the same report.
    with Recording() as executor:
        run_shards(plan.model_copy(update={"org_policies": None}), tmp_path / "each", executor)
    assert calls.operations.count("DescribeOrganization") == len(plan.shards)
    assert "DescribePolicy" in calls.operations
    assert merged(tmp_path / "once") == merged(tmp_path / "each")
    for account in plan.accounts:
        assert org_policies_of(tmp_path / "once", account) == org_policies_of(tmp_path / "each", account)
    levels = org_policies_of(tmp_path / "once", research)["levels"]
    assert [level["kind"] for level in levels] == ["root", "ou", "account"]
    assert scps in [p["id"] for p in levels[1]["scps"]]  # with FullAWSAccess, on every new OU
    assert DENY_SID not in caplog.text  # SCPs are not secrets; still, never logged


def test_an_aws_plan_of_the_earlier_format_still_runs(org: Organization, scps: str, tmp_path: Path) -> None:
    """A cspm-plan/1 written before Azure and GCP (no org_policies; parts without provider)."""
    plan = plan_of(org, shard_size=4)
    raw = json.loads(plan.model_dump_json())
    del raw["org_policies"]
    old = ShardPlan.model_validate(raw)
    assert old.provider == "aws" and old.org_policies is None
    with Recording() as executor:
        run_shards(old, tmp_path, executor)
    part = json.loads((tmp_path / f"part-{org.id('research')}.json").read_text())
    del part["provider"]
    (tmp_path / f"part-{org.id('research')}.json").write_text(json.dumps(part))
    report = merged(tmp_path)
    assert not any(e["service"] == "cspm" for e in report["errors"])
    assert org_policies_of(tmp_path, org.id("research"))["levels"][1]["kind"] == "ou"
