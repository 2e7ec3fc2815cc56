"""SCPs and RCPs on moto's Organizations: collected per account, applied to the IAM verdicts.

The organization: root -> OU "ml" -> a member account, plus the management account. moto differs
from AWS in two ways that the helpers below make up for, in test code only:

- AWS attaches FullAWSAccess to every new OU and account; moto only to the root and the
  management account, so :func:`make_org` attaches it (as AWS would have).
- moto accepts SCPs whether or not the policy type is enabled; AWS refuses to attach one before
  EnablePolicyType. :func:`make_org` enables both types first, as AWS requires.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.exceptions
import pytest
from moto import mock_aws

from cspm.engine import Inventory, collect, evaluate
from cspm.iam.inventory import clear_memo, principal_view
from cspm.models import Finding, Status
from cspm.providers.aws import AwsOptions, AwsProvider
from cspm.registry import load_checks
from cspm.resources.aws.iam import IamAccount, IamGroup, IamPolicy, IamRole, IamUser
from cspm.resources.aws.organizations import OrgPolicies
from cspm.resources.base import Resource
from support.aws import ACCOUNT as MANAGEMENT

FULL_AWS_ACCESS = "p-FullAWSAccess"
SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
ADMIN_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
TYPES: set[type[Resource]] = {IamUser, IamGroup, IamRole, IamPolicy, IamAccount, OrgPolicies}
NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def aws() -> Iterator[None]:
    clear_memo()
    with mock_aws():
        yield
    clear_memo()


def orgs() -> Any:
    return boto3.client("organizations", region_name="us-east-1")


def make_org() -> dict[str, str]:
    """root -> OU ml -> member; FullAWSAccess everywhere (as AWS attaches it); SCPs and RCPs enabled."""
    client = orgs()
    client.create_organization(FeatureSet="ALL")
    root = client.list_roots()["Roots"][0]["Id"]
    for kind in (SCP, RCP):
        client.enable_policy_type(RootId=root, PolicyType=kind)
    ou = client.create_organizational_unit(ParentId=root, Name="ml")["OrganizationalUnit"]["Id"]
    member = client.create_account(Email="m@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"]
    client.move_account(AccountId=member, SourceParentId=root, DestinationParentId=ou)
    for target in (ou, member):
        client.attach_policy(PolicyId=FULL_AWS_ACCESS, TargetId=target)
    return {"root": root, "ou": ou, "member": member}


def scp(name: str, *statements: dict[str, Any], kind: str = SCP) -> str:
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    created = orgs().create_policy(Name=name, Description=name, Type=kind, Content=document)
    return str(created["Policy"]["PolicySummary"]["Id"])


def iam_of(account: str) -> Any:
    if account == MANAGEMENT:
        return boto3.client("iam", region_name="us-east-1")
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
    )["Credentials"]
    return boto3.client(
        "iam",
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def role(account: str, name: str, document: dict[str, Any] = ADMIN_DOC, path: str = "/") -> None:
    iam = iam_of(account)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}  # fmt: skip
    iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName=name, PolicyName="access", PolicyDocument=json.dumps(document))


def scan(options: AwsOptions, hook: Any = None) -> tuple[Inventory, list[Finding]]:
    provider = AwsProvider(options)
    provider.connect()
    if hook is not None:
        hook(provider)
    inventory = collect(provider.plan(TYPES), workers=4)
    for error in provider.setup_errors:
        inventory.record_error(error)
    specs = [s for s in load_checks(["aws"]) if s.service == "iam"]
    return inventory, evaluate(specs, inventory, NOW)


def finding(findings: list[Finding], check: str, name: str, account: str) -> Finding:
    uid = f"arn:aws:iam::{account}:role/{name}"
    [found] = [f for f in findings if f.check_id == f"aws.iam.{check}" and f.resource_uid == uid]
    return found


ORG = AwsOptions(org=True, regions=("us-east-1",), workers=4)


# -- collection -------------------------------------------------------------------------------------


def test_every_account_gets_its_chain_of_levels_and_their_policies() -> None:
    org = make_org()
    deny = scp("DenyIAM", {"Effect": "Deny", "Action": "iam:*", "Resource": "*"})
    orgs().attach_policy(PolicyId=deny, TargetId=org["ou"])
    rcp = scp("OrgOnly", {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"}, kind=RCP)
    orgs().attach_policy(PolicyId=rcp, TargetId=org["ou"])
    inventory, _ = scan(ORG)
    assert not inventory.errors
    by_account = {s.account: s for s in inventory.of_type(OrgPolicies) if isinstance(s, OrgPolicies)}
    assert set(by_account) == {MANAGEMENT, org["member"]}
    member = by_account[org["member"]]
    assert member.state == "read" and member.scp_enabled and member.rcp_enabled
    assert member.management_account == MANAGEMENT and not member.is_management_account
    assert member.levels is not None
    assert [(level.kind, level.id) for level in member.levels] == [
        ("root", org["root"]),
        ("ou", org["ou"]),
        ("account", org["member"]),
    ]
    ou_level = member.levels[1]
    assert ou_level.scps is not None and ou_level.rcps is not None
    assert sorted(p.name for p in ou_level.scps) == ["DenyIAM", "FullAWSAccess"]
    assert sorted(p.name for p in ou_level.rcps) == ["OrgOnly", "RCPFullAWSAccess"]
    assert all(p.document is not None for p in ou_level.scps)
    # The management account: SCPs do not apply, nothing more is read for it.
    assert by_account[MANAGEMENT].is_management_account and by_account[MANAGEMENT].levels == ()


# -- verdicts -----------------------------------------------------------------------------------------


def test_an_ou_deny_list_cuts_admin_and_the_evidence_names_the_scp() -> None:
    org = make_org()
    deny = scp("DenyIAM", {"Effect": "Deny", "Action": "iam:*", "Resource": "*"})
    orgs().attach_policy(PolicyId=deny, TargetId=org["ou"])
    role(org["member"], "ml-admin")
    _, findings = scan(ORG)
    admin = finding(findings, "role_is_not_admin", "ml-admin", org["member"])
    assert admin.status is Status.PASS, admin.message
    [cut] = admin.evidence["cut_by_scps"]
    assert cut["level"] == f"ou {org['ou']}"
    assert cut["denied_by"] == [f"{deny} (DenyIAM)"]
    assert all(a.startswith("iam:") for a in cut["actions"])
    assert admin.evidence["scps"]["applied"] is True


def test_an_account_allow_list_without_iam_cuts_admin() -> None:
    org = make_org()
    allow = scp("AllowDataOnly", {"Effect": "Allow", "Action": ["s3:*", "kms:Decrypt"], "Resource": "*"})
    orgs().attach_policy(PolicyId=allow, TargetId=org["member"])
    orgs().detach_policy(PolicyId=FULL_AWS_ACCESS, TargetId=org["member"])
    role(org["member"], "ml-admin")
    _, findings = scan(ORG)
    admin = finding(findings, "role_is_not_admin", "ml-admin", org["member"])
    assert admin.status is Status.PASS
    [cut] = admin.evidence["cut_by_scps"]
    assert cut["level"] == f"account {org['member']}"
    assert cut["policies"] == [f"{allow} (AllowDataOnly)"] and cut["denied_by"] == []  # an allow list: no Deny
    escalation = finding(findings, "role_cannot_escalate_privileges", "ml-admin", org["member"])
    assert escalation.status is Status.PASS, escalation.message
    blocked = [b for m in escalation.evidence["cut_by_scps"] for b in m["blocked"]]
    assert blocked and all(b["blocked_by"] == [f"account {org['member']}"] for b in blocked)


def test_the_management_account_is_not_limited_by_scps() -> None:
    org = make_org()
    deny = scp("DenyEverything", {"Effect": "Deny", "Action": "*", "Resource": "*"})
    orgs().attach_policy(PolicyId=deny, TargetId=org["root"])
    role(MANAGEMENT, "mgmt-admin")
    _, findings = scan(ORG)
    admin = finding(findings, "role_is_not_admin", "mgmt-admin", MANAGEMENT)
    assert admin.status is Status.FAIL
    assert admin.evidence["scps"]["applied"] is False
    assert "management account" in admin.evidence["scps"]["note"]


def test_a_service_linked_role_is_not_limited_by_scps() -> None:
    org = make_org()
    deny = scp("DenyIAM", {"Effect": "Deny", "Action": "iam:*", "Resource": "*"})
    orgs().attach_policy(PolicyId=deny, TargetId=org["ou"])
    role(org["member"], "AWSServiceRoleForML", path="/aws-service-role/ml.amazonaws.com/")
    role(org["member"], "ml-admin")
    inventory, _ = scan(ORG)
    roles = {r.name: r for r in inventory.all_in_account(IamRole, org["member"])}
    policies = inventory.all_in_account(IamPolicy, org["member"])
    organization = inventory.all_in_account(OrgPolicies, org["member"])
    linked = principal_view(roles["AWSServiceRoleForML"], policies, (), organization)  # type: ignore[arg-type]
    plain = principal_view(roles["ml-admin"], policies, (), organization)  # type: ignore[arg-type]
    assert linked.permissions.guardrails == () and linked.permissions.is_admin
    assert len(plain.permissions.guardrails) == 3 and not plain.permissions.is_admin


def _deny_describe_policy(policy_id: str) -> Any:
    """A test hook: the scanner's DescribePolicy of ``policy_id`` is refused (AccessDenied)."""

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if params.get("PolicyId") == policy_id:
            error = {"Error": {"Code": "AccessDeniedException", "Message": f"not allowed to read {policy_id}"}}
            raise botocore.exceptions.ClientError(error, "DescribePolicy")

    def install(provider: AwsProvider) -> None:
        client = provider._clients.client("organizations", provider.home_region)  # type: ignore[union-attr]
        client.meta.events.register("before-parameter-build.organizations.DescribePolicy", refuse)

    return install


def test_an_unreadable_scp_turns_admin_fails_into_errors_and_passes_stay() -> None:
    org = make_org()
    deny = scp("DenyIAM", {"Effect": "Deny", "Action": "iam:*", "Resource": "*"})
    orgs().attach_policy(PolicyId=deny, TargetId=org["ou"])
    role(org["member"], "ml-admin")
    role(org["member"], "ml-reader", READ_DOC)
    inventory, findings = scan(ORG, hook=_deny_describe_policy(deny))
    errors = [(e.service, e.operation, e.code) for e in inventory.errors]
    assert errors == [("organizations", "DescribePolicy", "AccessDeniedException")]
    admin = finding(findings, "role_is_not_admin", "ml-admin", org["member"])
    assert admin.status is Status.ERROR
    assert f"SCP {deny} (DenyIAM) at ou {org['ou']} could not be read" in admin.message
    reader = finding(findings, "role_is_not_admin", "ml-reader", org["member"])
    assert reader.status is Status.PASS
    escalation = finding(findings, "role_cannot_escalate_privileges", "ml-admin", org["member"])
    assert escalation.status is Status.ERROR


def test_outside_an_organization_scp_is_one_error_and_verdicts_are_unchanged() -> None:
    role(MANAGEMENT, "solo-admin")
    inventory, findings = scan(AwsOptions(regions=("us-east-1",), workers=2, scp=True))
    errors = [(e.service, e.operation, e.code) for e in inventory.errors]
    assert errors == [("organizations", "DescribeOrganization", "AWSOrganizationsNotInUseException")]
    admin = finding(findings, "role_is_not_admin", "solo-admin", MANAGEMENT)
    assert admin.status is Status.FAIL
    assert admin.evidence["scps"]["applied"] is False
    assert "not a member of an organization" in admin.evidence["scps"]["note"]


def test_a_single_account_scan_reads_no_organization_policies_by_default() -> None:
    make_org()
    role(MANAGEMENT, "solo-admin")
    calls: list[str] = []

    def spy(provider: AwsProvider) -> None:
        client = provider._clients.client("organizations", provider.home_region)  # type: ignore[union-attr]
        client.meta.events.register("before-call.organizations.*", lambda model, **_: calls.append(model.name))

    inventory, findings = scan(AwsOptions(regions=("us-east-1",), workers=2), hook=spy)
    assert calls == [] and not inventory.errors
    admin = finding(findings, "role_is_not_admin", "solo-admin", MANAGEMENT)
    assert admin.status is Status.FAIL
    assert "--scp" in admin.evidence["scps"]["note"]


def test_nested_ous_are_read_once_for_every_account_under_them() -> None:
    org = make_org()
    client = orgs()
    inner = client.create_organizational_unit(ParentId=org["ou"], Name="training")["OrganizationalUnit"]["Id"]
    client.attach_policy(PolicyId=FULL_AWS_ACCESS, TargetId=inner)
    members = []
    for i in range(2):
        status = client.create_account(Email=f"t{i}@example.com", AccountName=f"t{i}")["CreateAccountStatus"]
        client.move_account(AccountId=status["AccountId"], SourceParentId=org["root"], DestinationParentId=inner)
        client.attach_policy(PolicyId=FULL_AWS_ACCESS, TargetId=status["AccountId"])
        members.append(status["AccountId"])
    calls: list[tuple[str, str]] = []  # (operation, "target [policy type]")

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        target = params.get("ChildId") or params.get("TargetId") or params.get("PolicyId")
        calls.append((model.name, f"{target} {params.get('Filter', '')}".strip()))

    def spy(provider: AwsProvider) -> None:
        organizations = provider._clients.client("organizations", provider.home_region)  # type: ignore[union-attr]
        organizations.meta.events.register("before-parameter-build.organizations.*", record)

    inventory, _ = scan(ORG, hook=spy)
    assert not inventory.errors
    snapshots = {s.account: s for s in inventory.of_type(OrgPolicies) if isinstance(s, OrgPolicies)}
    for account in members:
        levels = snapshots[account].levels
        assert levels is not None
        assert [(level.kind, level.id) for level in levels] == [
            ("root", org["root"]),
            ("ou", org["ou"]),
            ("ou", inner),
            ("account", account),
        ]
    counts = {call: calls.count(call) for call in calls}
    assert all(n == 1 for n in counts.values()), {k: v for k, v in counts.items() if v > 1}
    assert ("ListPoliciesForTarget", f"{inner} {SCP}") in counts and ("ListParents", inner) in counts


# -- RCPs: requests from outside to the account's resources -------------------------------------------

PERIMETER_RCP = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "sts:AssumeRole",
    "Resource": "*",
    "Condition": {
        "StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-placeholder"},
        "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
    },
}


def test_a_perimeter_rcp_cuts_a_public_trust_in_members_not_in_the_management_account() -> None:
    org = make_org()
    rcp = scp("OrgOnlyAssume", PERIMETER_RCP, kind=RCP)
    orgs().attach_policy(PolicyId=rcp, TargetId=org["root"])
    anyone = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    public = {"Version": "2012-10-17", "Statement": [anyone]}
    for account in (org["member"], MANAGEMENT):
        iam_of(account).create_role(RoleName="open", AssumeRolePolicyDocument=json.dumps(public))
    _, findings = scan(ORG)
    member = finding(findings, "role_trust_is_not_public", "open", org["member"])
    assert member.status is Status.PASS, member.message
    [cut] = member.evidence["cut_by_rcps"]
    assert cut["level"] == f"root {org['root']}" and cut["policy"] == f"{rcp} (OrgOnlyAssume)"
    management = finding(findings, "role_trust_is_not_public", "open", MANAGEMENT)
    assert management.status is Status.FAIL
    assert "management account" in management.evidence["rcps"]["note"]
