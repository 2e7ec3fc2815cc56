"""The SCP snapshot a coordinator reads once: exported, sent as JSON, and answered from without a call.

moto's Organizations (in process), with a reader whose calls fail where a test says: the
snapshots a preloaded reader builds from the exported JSON equal what the reading reader built,
failures included, and it never calls Organizations.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import botocore.exceptions
import pytest
from moto import mock_aws

from cspm.providers.aws.org_policies import OrgPolicyReader
from cspm.scp_snapshot import OrgPolicySnapshot, ParentInfo, ReadFailure

SCP = "SERVICE_CONTROL_POLICY"
FULL_AWS_ACCESS = "p-FullAWSAccess"
DOC = '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]}'


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def denied(operation: str) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, operation)


class Failing:
    """moto's Organizations client, failing ListParents for ``child`` and DescribePolicy for ``policy``."""

    def __init__(self, child: str, policy: str) -> None:
        self.client = boto3.client("organizations", region_name="us-east-1")
        self.child, self.policy = child, policy

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def describe_policy(self, PolicyId: str) -> Any:
        if PolicyId == self.policy:
            raise denied("DescribePolicy")
        return self.client.describe_policy(PolicyId=PolicyId)

    def get_paginator(self, method: str) -> Any:
        paginator = self.client.get_paginator(method)
        if method != "list_parents":
            return paginator
        outer = self

        class Pages:
            def paginate(self, **params: Any) -> Any:
                if params.get("ChildId") == outer.child:
                    raise denied("ListParents")
                return paginator.paginate(**params)

        return Pages()


class Sink:
    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def error(self, operation: str, code: str, message: str, *, service: str | None = None) -> None:
        self.errors.append((operation, code))


def organization() -> tuple[list[str], str, str]:
    """root -> OU ml -> research (an SCP on the OU, an unreadable one on research); platform
    under the root; lost, whose parents cannot be listed. (accounts, the OU's SCP, the unreadable)"""
    orgs = boto3.client("organizations", region_name="us-east-1")
    orgs.create_organization(FeatureSet="ALL")
    root = orgs.list_roots()["Roots"][0]["Id"]
    orgs.enable_policy_type(RootId=root, PolicyType=SCP)
    ou = orgs.create_organizational_unit(ParentId=root, Name="ml")["OrganizationalUnit"]["Id"]
    accounts = [
        orgs.create_account(Email=f"{n}@example.com", AccountName=n)["CreateAccountStatus"]["AccountId"]
        for n in ("research", "platform", "lost")
    ]
    orgs.move_account(AccountId=accounts[0], SourceParentId=root, DestinationParentId=ou)
    policies = [
        orgs.create_policy(Name=n, Description=n, Type=SCP, Content=DOC)["Policy"]["PolicySummary"]["Id"]
        for n in ("on-ou", "unreadable")
    ]
    orgs.attach_policy(PolicyId=policies[0], TargetId=ou)
    orgs.attach_policy(PolicyId=policies[1], TargetId=accounts[0])
    return accounts, policies[0], policies[1]


def test_a_preloaded_reader_answers_as_the_reader_did_failures_included_without_a_call() -> None:
    accounts, on_ou, unreadable = organization()
    reader, sink = OrgPolicyReader(lambda: Failing(accounts[2], unreadable)), Sink()
    read = {a: reader.snapshot(a, sink) for a in accounts}
    assert sink.errors == [("DescribePolicy", "AccessDeniedException"), ("ListParents", "AccessDeniedException")]
    assert read[accounts[2]].levels is None and "ListParents" in (read[accounts[2]].reason or "")
    research = read[accounts[0]].levels or ()
    assert on_ou in [p.id for p in research[1].scps or ()]
    assert [p.error for p in research[2].scps or () if p.id == unreadable] == [
        "DescribePolicy failed: AccessDeniedException"
    ]

    sent = OrgPolicySnapshot.model_validate_json(reader.export().model_dump_json())  # as the plan carries it
    assert isinstance(sent.parents[accounts[2]], ReadFailure) and isinstance(sent.parents[accounts[0]], ParentInfo)

    def no_call() -> Any:
        raise AssertionError("a preloaded reader called Organizations")

    whole, quiet = OrgPolicyReader.preloaded(sent, no_call), Sink()
    assert {a: whole.snapshot(a, quiet) for a in accounts} == read
    assert quiet.errors == []  # recorded once, by the coordinator's reader
    for account in accounts:  # a task's share of the snapshot is enough for its accounts
        cut = sent.for_accounts([account])
        assert OrgPolicyReader.preloaded(cut, no_call).snapshot(account) == read[account]
    assert on_ou not in sent.for_accounts([accounts[1]]).policies
    assert set(sent.for_accounts([accounts[0]]).policies) == {FULL_AWS_ACCESS, on_ou, unreadable}
