"""The IAM collector against moto (in-process mock_aws): snapshots, bulk calls, error handling.

Moto facts these tests rely on (measured, moto 5):
- GetAccountAuthorizationDetails returns everything in one page and omits ``PolicyName`` /
  ``PolicyId`` in ``Policies[]``, and the ``PermissionsBoundary`` of users; with
  ``MOTO_IAM_LOAD_MANAGED_POLICIES=true`` it returns all 1,582 AWS-managed policies.
- The credential report has no ``<root_account>`` row and a fixed ``GeneratedTime`` (2015).
- The first GenerateCredentialReport answers STARTED, the second COMPLETE.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto import mock_aws

from cspm.engine import evaluate
from cspm.models import Status
from cspm.providers.aws import iam as collector
from cspm.registry import load_checks
from cspm.resources.aws.iam import IamAccount, IamGroup, IamPolicy, IamRole, IamUser
from support.aws import ACCOUNT, collect_aws, one

ALL_TYPES = (IamUser, IamGroup, IamRole, IamPolicy, IamAccount)
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
S3_READ = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ml-data/*"}],
}
SAGEMAKER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def iam(aws: None) -> Any:
    return boto3.client("iam", region_name="us-east-1")


def intercept(
    monkeypatch: pytest.MonkeyPatch, handler: Callable[[str, dict[str, Any], Callable[[], Any]], Any]
) -> None:
    """Route every SDK call through ``handler(operation, params, call_original)``."""
    original = BaseClient._make_api_call

    def patched(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        return handler(operation_name, api_params, lambda: original(self, operation_name, api_params))

    monkeypatch.setattr(BaseClient, "_make_api_call", patched)


def deny(*operations: str) -> Callable[[str, dict[str, Any], Callable[[], Any]], Any]:
    def handler(operation: str, _: dict[str, Any], call: Callable[[], Any]) -> Any:
        if operation in operations:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, operation)
        return call()

    return handler


def seed_ml_account(iam: Any) -> dict[str, str]:
    """A small ML account: a data-science group, a user in it, an execution role, two policies."""
    read = iam.create_policy(PolicyName="ml-data-read", Path="/ml/", PolicyDocument=json.dumps(ADMIN))["Policy"]
    iam.create_policy_version(PolicyArn=read["Arn"], PolicyDocument=json.dumps(S3_READ), SetAsDefault=True)
    unused = iam.create_policy(PolicyName="unused-admin", PolicyDocument=json.dumps(ADMIN))["Policy"]
    iam.create_group(GroupName="data-scientists")
    iam.attach_group_policy(GroupName="data-scientists", PolicyArn=read["Arn"])
    iam.put_group_policy(GroupName="data-scientists", PolicyName="notebooks", PolicyDocument=json.dumps(S3_READ))
    iam.create_user(UserName="alice", Path="/people/", Tags=[{"Key": "team", "Value": "ml"}])
    iam.add_user_to_group(UserName="alice", GroupName="data-scientists")
    iam.put_user_policy(UserName="alice", PolicyName="scratch", PolicyDocument=json.dumps(ADMIN))
    iam.attach_user_policy(UserName="alice", PolicyArn=read["Arn"])
    iam.create_login_profile(UserName="alice", Password="A-long-password-1!")
    iam.create_access_key(UserName="alice")
    iam.create_user(UserName="bob")
    iam.create_role(
        RoleName="SageMakerExecution",
        Path="/service-role/",
        AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST),
        PermissionsBoundary=read["Arn"],
        Tags=[{"Key": "workload", "Value": "training"}],
    )
    iam.attach_role_policy(RoleName="SageMakerExecution", PolicyArn=read["Arn"])
    iam.put_role_policy(RoleName="SageMakerExecution", PolicyName="inline-admin", PolicyDocument=json.dumps(ADMIN))
    iam.create_instance_profile(InstanceProfileName="training")
    iam.add_role_to_instance_profile(InstanceProfileName="training", RoleName="SageMakerExecution")
    return {"read": read["Arn"], "unused": unused["Arn"]}


# ---------------------------------------------------------------------------------------------
# Snapshots
# ---------------------------------------------------------------------------------------------


def test_principals_and_policies_snapshot(iam: Any) -> None:
    arns = seed_ml_account(iam)

    inventory = collect_aws(*ALL_TYPES)

    assert not inventory.errors
    alice = one(inventory, IamUser, "alice")
    assert alice.uid == f"arn:aws:iam::{ACCOUNT}:user/people/alice" and alice.path == "/people/"
    assert alice.tags == {"team": "ml"} and alice.groups == ("data-scientists",)
    assert [(p.name, p.document) for p in alice.inline_policies] == [("scratch", ADMIN)]
    assert [(a.name, a.arn) for a in alice.attached_policies] == [("ml-data-read", arns["read"])]
    assert alice.permissions_boundary is None  # moto drops user boundaries; roles keep theirs

    group = one(inventory, IamGroup, "data-scientists")
    assert group.members == ("alice",)
    assert [p.name for p in group.inline_policies] == ["notebooks"]
    assert [a.arn for a in group.attached_policies] == [arns["read"]]

    role = one(inventory, IamRole, "SageMakerExecution")
    assert role.trust_policy == SAGEMAKER_TRUST and role.trust_policy_error is None
    assert role.path == "/service-role/" and role.tags == {"workload": "training"}
    assert role.permissions_boundary == arns["read"]
    assert role.instance_profiles == (f"arn:aws:iam::{ACCOUNT}:instance-profile/training",)
    assert [p.name for p in role.inline_policies] == ["inline-admin"]

    read = one(inventory, IamPolicy, "ml-data-read")  # named from the ARN: moto omits PolicyName
    assert read.uid == arns["read"] and read.path == "/ml/" and not read.aws_managed
    assert read.default_version_id == "v2" and read.document == S3_READ  # the default version, not v1
    assert read.attachment_count == 3 and read.boundary_usage_count == 1
    unused = one(inventory, IamPolicy, "unused-admin")
    assert unused.attachment_count == 0 and unused.document == ADMIN
    assert len(inventory.of_type(IamPolicy)) == 2  # no AWS-managed policies without the moto flag


def test_policy_sets_resolve_from_the_snapshots(iam: Any) -> None:
    arns = seed_ml_account(iam)
    inventory = collect_aws(*ALL_TYPES)
    policies = inventory.of_type(IamPolicy)
    groups = inventory.of_type(IamGroup)

    alice = one(inventory, IamUser, "alice").policy_set(policies, groups)
    assert [s.label for s in alice.sources] == [
        "inline:scratch",
        f"managed:{arns['read']}",
        "group:data-scientists/inline:notebooks",
        f"group:data-scientists/managed:{arns['read']}",
    ]
    assert alice.problems == [] and all(s.document for s in alice.sources)

    role = one(inventory, IamRole, "SageMakerExecution").policy_set(policies)
    assert role.boundary is not None and role.boundary.document == S3_READ


def test_credential_report_and_account(iam: Any) -> None:
    seed_ml_account(iam)
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True, PasswordReusePrevention=5)

    inventory = collect_aws(IamUser, IamAccount)

    alice = one(inventory, IamUser, "alice").credentials
    assert alice is not None
    assert alice.password_enabled is True and alice.mfa_active is False
    assert alice.password_last_used is None  # moto: "no_information"
    assert alice.password_last_changed is not None and alice.password_last_changed.tzinfo is not None
    assert [(k.slot, k.active, k.last_used) for k in alice.access_keys] == [(1, True, None), (2, False, None)]
    assert alice.access_keys[0].last_rotated is not None
    bob = one(inventory, IamUser, "bob").credentials
    assert bob is not None and bob.password_enabled is False and bob.active_keys == []

    [account] = inventory.of_type(IamAccount)
    assert account.uid == f"arn:aws:iam::{ACCOUNT}:root"
    assert account.mfa_enabled is False and account.access_keys_present is False
    assert account.password_policy is not None and account.password_policy.configured
    assert account.password_policy.minimum_length == 12 and account.password_policy.reuse_prevention == 5
    assert account.password_policy.require_symbols and not account.password_policy.require_numbers
    # moto's report has no root row: unknown, never "no root credentials".
    assert account.root is None and account.root_error == "the credential report has no <root_account> row"


def test_no_password_policy_is_absent_not_unknown(iam: Any) -> None:
    inventory = collect_aws(IamAccount)
    [account] = inventory.of_type(IamAccount)
    assert account.password_policy is not None and account.password_policy.configured is False
    assert not inventory.errors


def test_attached_aws_managed_policies_are_kept_with_their_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # read when mock_aws resets the backend
    seen: Counter[str] = Counter()

    def count_policies(operation: str, _: dict[str, Any], call: Callable[[], Any]) -> Any:
        response = call()
        if operation == "GetAccountAuthorizationDetails":
            seen["aws-managed"] += sum(":iam::aws:policy/" in p["Arn"] for p in response["Policies"])
        return response

    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        client.create_role(RoleName="SageMakerExecution", AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST))
        client.attach_role_policy(
            RoleName="SageMakerExecution", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
        )
        intercept(monkeypatch, count_policies)
        inventory = collect_aws(IamRole, IamPolicy)

    assert seen["aws-managed"] > 1000  # moto returns every AWS-managed policy (1,582 measured)
    [admin] = inventory.of_type(IamPolicy)  # only the one in use is kept
    assert admin.name == "AdministratorAccess" and admin.aws_managed and admin.attachment_count == 1
    assert admin.document == ADMIN
    role = one(inventory, IamRole, "SageMakerExecution")
    findings = evaluate(_checks("role_is_not_admin", "policy_grants_no_admin"), inventory, _now())
    by_check = {f.check_id: f for f in findings}
    assert by_check["aws.iam.role_is_not_admin"].status is Status.FAIL
    assert by_check["aws.iam.role_is_not_admin"].resource_uid == role.uid
    assert "aws.iam.policy_grants_no_admin" not in by_check  # AWS-managed: not a finding of its own


# ---------------------------------------------------------------------------------------------
# Least privilege end to end: the collector's snapshots through the principal checks
# ---------------------------------------------------------------------------------------------

ROOT_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
    ],
}
LOGS_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "logs.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
PRINCIPAL_CHECKS = (
    "user_cannot_reach_admin",
    "user_cannot_escalate_privileges",
    "user_cannot_pass_every_role",
    "user_is_not_near_admin",
    "user_is_not_admin",
    "group_cannot_escalate_privileges",
    "role_cannot_reach_admin",
    "sagemaker_role_has_no_admin_or_full_s3",
    "role_trust_guards_service_principals",
)


def _seed_escalation_account(client: Any) -> None:
    """A data scientist who can pass any SageMaker role to a training job, an admin SageMaker role,
    a power user, and a log-delivery role trusted without a source condition."""
    train = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Train", "Effect": "Allow", "Action": "sagemaker:CreateTrainingJob", "Resource": "*"},
            {
                "Sid": "Pass",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            },
        ],
    }
    client.create_group(GroupName="scientists")
    client.put_group_policy(GroupName="scientists", PolicyName="train", PolicyDocument=json.dumps(train))
    client.create_user(UserName="scientist")
    client.add_user_to_group(UserName="scientist", GroupName="scientists")
    client.create_user(UserName="power")
    client.attach_user_policy(UserName="power", PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess")
    client.create_role(RoleName="sm-admin", AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST))
    client.attach_role_policy(RoleName="sm-admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    client.create_role(RoleName="sm-scoped", AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST))
    client.put_role_policy(RoleName="sm-scoped", PolicyName="read", PolicyDocument=json.dumps(S3_READ))
    client.create_role(RoleName="delivery", AssumeRolePolicyDocument=json.dumps(LOGS_TRUST))


def test_escalation_findings_from_collected_snapshots(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # real AWS-managed documents
    with mock_aws():
        _seed_escalation_account(boto3.client("iam", region_name="us-east-1"))
        inventory = collect_aws(IamUser, IamGroup, IamRole, IamPolicy)

    assert not inventory.errors
    findings = evaluate(_checks(*PRINCIPAL_CHECKS), inventory, _now())
    status = {(f.check_id.rsplit(".", 1)[-1], f.resource_uid.rsplit("/", 1)[-1]): f for f in findings}
    path = status[("user_cannot_reach_admin", "scientist")]
    assert path.status is Status.FAIL
    assert [(h["target"].rsplit("/", 1)[-1], h["via"]) for h in path.evidence["path"]] == [
        ("sm-admin", "iam:PassRole+sagemaker:CreateTrainingJob")
    ]
    assert path.evidence["path"][0]["conditional"] is False  # iam:PassedToService was evaluated
    assert [(s["policy"], s["sid"]) for s in path.evidence["path"][0]["statements"]] == [
        ("group:scientists/inline:train", "Pass"),
        ("group:scientists/inline:train", "Train"),
    ]
    assert status[("user_cannot_escalate_privileges", "scientist")].status is Status.FAIL
    assert status[("group_cannot_escalate_privileges", "scientists")].status is Status.FAIL
    assert status[("user_cannot_pass_every_role", "scientist")].status is Status.FAIL
    near = status[("user_is_not_near_admin", "power")]
    assert near.status is Status.FAIL and near.severity.value == "high"
    assert {"iam", "organizations"} <= set(near.evidence["excluded_services"])
    assert status[("user_is_not_admin", "power")].status is Status.PASS
    assert status[("sagemaker_role_has_no_admin_or_full_s3", "sm-admin")].status is Status.FAIL
    assert status[("sagemaker_role_has_no_admin_or_full_s3", "sm-scoped")].status is Status.PASS
    assert status[("role_cannot_reach_admin", "sm-scoped")].status is Status.PASS
    assert ("role_cannot_reach_admin", "sm-admin") not in status  # an administrator: role_is_not_admin
    assert status[("role_trust_guards_service_principals", "delivery")].status is Status.FAIL
    assert status[("role_trust_guards_service_principals", "sm-admin")].status is Status.PASS


def test_an_unreadable_policy_leaves_the_paths_through_it_unassessed(iam: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    iam.create_user(UserName="dev")
    iam.put_user_policy(
        UserName="dev",
        PolicyName="assume",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
        ),
    )
    iam.create_role(RoleName="ops", AssumeRolePolicyDocument=json.dumps(ROOT_TRUST))
    iam.put_role_policy(RoleName="ops", PolicyName="broken", PolicyDocument=json.dumps(S3_READ))

    def corrupt(operation: str, _: dict[str, Any], call: Callable[[], Any]) -> Any:
        response = call()
        if operation == "GetAccountAuthorizationDetails":
            for role in response["RoleDetailList"]:
                role["RolePolicyList"][0]["PolicyDocument"] = "%7Bnot json"
        return response

    intercept(monkeypatch, corrupt)
    inventory = collect_aws(IamUser, IamGroup, IamRole, IamPolicy)

    assert [(e.operation, e.code) for e in inventory.errors] == [(collector.OPERATION, "MalformedPolicyDocument")]
    findings = {
        f.resource_uid.rsplit("/", 1)[-1]: f
        for f in evaluate(_checks("user_cannot_reach_admin", "role_cannot_reach_admin"), inventory, _now())
    }
    assert findings["dev"].status is Status.ERROR  # it can become ops, whose policy is unreadable
    assert findings["dev"].evidence["uncertain"] == [f"arn:aws:iam::{ACCOUNT}:role/ops"]
    assert findings["ops"].status is Status.ERROR and "inline policy broken" in findings["ops"].message


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def _checks(*names: str) -> list[Any]:
    wanted = {f"aws.iam.{n}" for n in names}
    return [s for s in load_checks(["aws"]) if s.id in wanted]


def _now() -> datetime:
    return datetime(2026, 6, 1, tzinfo=UTC)


def test_a_denied_authorization_details_marks_principals_and_policies_incomplete(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_ml_account(iam)
    intercept(monkeypatch, deny("GetAccountAuthorizationDetails"))

    inventory = collect_aws(*ALL_TYPES)

    reason = "GetAccountAuthorizationDetails failed: AccessDenied"
    for rtype in (IamUser, IamGroup, IamRole, IamPolicy):
        assert inventory.of_type(rtype) == []
        assert inventory.incomplete_scopes(rtype) == [(ACCOUNT, "global", reason)]
    assert len(inventory.of_type(IamAccount)) == 1  # the account settings come from other calls
    assert not inventory.incomplete_scopes(IamAccount)
    assert [(e.service, e.operation, e.code, e.region) for e in inventory.errors] == [
        ("iam", "GetAccountAuthorizationDetails", "AccessDenied", "global")
    ]


def test_a_denied_credential_report_leaves_credentials_unknown(iam: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_ml_account(iam)
    intercept(monkeypatch, deny("GetCredentialReport", "GetAccountSummary"))

    inventory = collect_aws(IamUser, IamAccount)

    alice = one(inventory, IamUser, "alice")
    assert alice.credentials is None
    assert alice.credentials_error == "the credential report could not be read (GetCredentialReport failed)"
    [account] = inventory.of_type(IamAccount)
    assert account.root is None and account.mfa_enabled is None and account.access_keys_present is None
    assert {e.operation for e in inventory.errors} == {"GetCredentialReport", "GetAccountSummary"}
    assert not inventory.incomplete_scopes(IamUser)
    findings = evaluate(_checks("console_user_has_mfa", "root_has_mfa"), inventory, _now())
    assert {f.status for f in findings} == {Status.ERROR}
    assert any("GetCredentialReport failed" in f.message for f in findings)


def test_a_report_that_never_completes_is_bounded(iam: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    iam.create_user(UserName="alice")
    monkeypatch.setattr(collector, "REPORT_WAIT", 0.3)
    monkeypatch.setattr(collector, "REPORT_POLL_SLEEPS", (0.05,))
    calls: Counter[str] = Counter()

    def still_running(operation: str, _: dict[str, Any], call: Callable[[], Any]) -> Any:
        calls[operation] += 1
        if operation == "GenerateCredentialReport":
            return {"State": "STARTED"}
        return call()

    intercept(monkeypatch, still_running)
    inventory = collect_aws(IamUser)

    assert 2 <= calls["GenerateCredentialReport"] <= 8 and calls["GetCredentialReport"] == 0
    alice = one(inventory, IamUser, "alice")
    assert alice.credentials is None and alice.credentials_error == "the credential report was not ready after 0.3 s"
    assert [(e.operation, e.code) for e in inventory.errors] == [("GenerateCredentialReport", "ReportNotReady")]


def _mangle_details(
    mutate: Callable[[dict[str, Any]], None],
) -> Callable[[str, dict[str, Any], Callable[[], Any]], Any]:
    def handler(operation: str, _: dict[str, Any], call: Callable[[], Any]) -> Any:
        response = call()
        if operation == "GetAccountAuthorizationDetails":
            mutate(response)
        return response

    return handler


def test_a_malformed_document_keeps_the_resource_and_names_the_problem(
    iam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    arns = seed_ml_account(iam)

    def break_documents(response: dict[str, Any]) -> None:
        # What boto3 hands over when it cannot decode a document: the (URL-encoded) text.
        for policy in response["Policies"]:
            if policy["Arn"] == arns["unused"]:
                for version in policy["PolicyVersionList"]:
                    version["Document"] = "%7B%22Statement%22%3A%20%5B"  # '{"Statement": ['
        role = response["RoleDetailList"][0]
        role["RolePolicyList"][0]["PolicyDocument"] = "{not json"
        role["AssumeRolePolicyDocument"] = '["a", "list"]'

    intercept(monkeypatch, _mangle_details(break_documents))
    inventory = collect_aws(*ALL_TYPES)

    unused = one(inventory, IamPolicy, "unused-admin")
    assert unused.document is None and unused.document_error is not None
    assert unused.document_error.startswith("the document is not valid JSON")
    role = one(inventory, IamRole, "SageMakerExecution")
    assert role.trust_policy is None and role.trust_policy_error == "the document is not a JSON object"
    assert role.inline_policies[0].document is None
    assert [(e.operation, e.code) for e in inventory.errors] == [
        ("GetAccountAuthorizationDetails", "MalformedPolicyDocument")
    ] * 3
    assert any(arns["unused"] in e.message for e in inventory.errors)
    assert not inventory.incomplete_scopes(IamPolicy)  # the other policies are still assessed

    findings = evaluate(
        _checks("policy_grants_no_admin", "policy_has_no_service_wildcards", "role_trust_is_not_public"),
        inventory,
        _now(),
    )
    broken = {(f.check_id, f.status) for f in findings if f.resource_uid in (unused.uid, role.uid)}
    assert broken == {
        ("aws.iam.policy_grants_no_admin", Status.ERROR),
        ("aws.iam.policy_has_no_service_wildcards", Status.ERROR),
        ("aws.iam.role_trust_is_not_public", Status.ERROR),
    }
    assert all("not valid JSON" in f.message for f in findings if f.resource_uid == unused.uid)
    healthy = [f for f in findings if f.resource_uid == arns["read"]]
    assert {f.status for f in healthy} == {Status.PASS}


def test_user_boundary_from_the_response(iam: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real AWS returns a user's PermissionsBoundary; moto does not, so the test adds it."""
    arns = seed_ml_account(iam)

    def add_boundary(response: dict[str, Any]) -> None:
        for user in response["UserDetailList"]:
            if user["UserName"] == "alice":
                user["PermissionsBoundary"] = {
                    "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                    "PermissionsBoundaryArn": arns["read"],
                }

    intercept(monkeypatch, _mangle_details(add_boundary))
    inventory = collect_aws(*ALL_TYPES)

    assert one(inventory, IamUser, "alice").permissions_boundary == arns["read"]
    assert one(inventory, IamPolicy, "ml-data-read").boundary_usage_count == 2
    # alice's inline admin policy is capped by the S3-read boundary.
    findings = evaluate(_checks("user_is_not_admin"), inventory, _now())
    assert {f.resource_uid.rsplit("/", 1)[-1]: f.status for f in findings} == {"alice": Status.PASS, "bob": Status.PASS}


# ---------------------------------------------------------------------------------------------
# Request count: bulk APIs only
# ---------------------------------------------------------------------------------------------


def _iam_calls(monkeypatch: pytest.MonkeyPatch, principals: int) -> Counter[str]:
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        policy = client.create_policy(PolicyName="shared", PolicyDocument=json.dumps(S3_READ))["Policy"]["Arn"]
        for i in range(principals):
            client.create_role(RoleName=f"role-{i}", AssumeRolePolicyDocument=json.dumps(SAGEMAKER_TRUST))
            client.attach_role_policy(RoleName=f"role-{i}", PolicyArn=policy)
            client.put_role_policy(RoleName=f"role-{i}", PolicyName="inline", PolicyDocument=json.dumps(S3_READ))
            client.create_user(UserName=f"user-{i}")
            client.create_access_key(UserName=f"user-{i}")
        calls: Counter[str] = Counter()

        def count(operation: str, _: dict[str, Any], call: Callable[[], Any]) -> Any:
            calls[operation] += 1
            return call()

        with monkeypatch.context() as patch:
            intercept(patch, count)
            inventory = collect_aws(*ALL_TYPES)
        assert len(inventory.of_type(IamRole)) == principals and not inventory.errors
    return calls


def test_iam_calls_do_not_grow_with_principals(monkeypatch: pytest.MonkeyPatch) -> None:
    few = _iam_calls(monkeypatch, 5)
    many = _iam_calls(monkeypatch, 50)
    iam_operations = {p.removeprefix("iam:") for p in collector.PERMISSIONS}
    assert set(few) == iam_operations | {"GetCallerIdentity", "DescribeRegions"}  # the last two: connect()
    assert few == many
    assert few["GetAccountAuthorizationDetails"] == 1  # one page in moto (real AWS: one per 1,000 items)
    assert few["GenerateCredentialReport"] <= 3 and few["GetCredentialReport"] == 1
    assert few["GetAccountSummary"] == 1 and few["GetAccountPasswordPolicy"] == 1


def _split_into_pages(seen: list[dict[str, Any]], *, marker: str | None = "page-2") -> Any:
    """Serve moto's single page as two: users and groups first, roles and policies after ``marker``."""

    def handler(operation: str, params: dict[str, Any], call: Callable[[], Any]) -> Any:
        if operation != "GetAccountAuthorizationDetails":
            return call()
        seen.append(dict(params))
        response = call()
        if "Marker" not in params:
            page = {k: response[k] for k in ("UserDetailList", "GroupDetailList")}
            return {**page, "IsTruncated": True, **({"Marker": marker} if marker else {})}
        return {k: response[k] for k in ("RoleDetailList", "Policies")} | {"IsTruncated": False}

    return handler


def test_every_page_is_read(iam: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_ml_account(iam)
    seen: list[dict[str, Any]] = []
    intercept(monkeypatch, _split_into_pages(seen))

    inventory = collect_aws(*ALL_TYPES)

    assert not inventory.errors
    assert [p.get("Marker") for p in seen] == [None, "page-2"]
    assert seen[0]["MaxItems"] == 1000 and seen[0]["Filter"] == collector.DETAIL_FILTER
    assert {rtype: len(inventory.of_type(rtype)) for rtype in ALL_TYPES} == {
        IamUser: 2,
        IamGroup: 1,
        IamRole: 1,
        IamPolicy: 2,
        IamAccount: 1,
    }


def test_a_truncated_page_without_a_marker_is_incomplete(iam: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_ml_account(iam)
    intercept(monkeypatch, _split_into_pages([], marker=None))

    inventory = collect_aws(*ALL_TYPES)

    assert inventory.of_type(IamUser) == [] and inventory.of_type(IamPolicy) == []
    reason = "GetAccountAuthorizationDetails failed: PaginationError"
    assert inventory.incomplete_scopes(IamRole) == [(ACCOUNT, "global", reason)]


# ---------------------------------------------------------------------------------------------
# Pure translation: recorded responses
# ---------------------------------------------------------------------------------------------

REAL_REPORT = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,"
    "cert_2_active,cert_2_last_rotated\n"
    "<root_account>,arn:aws:iam::123456789012:root,2019-01-01T00:00:00+00:00,not_supported,"
    "2026-05-30T10:00:00+00:00,not_supported,not_supported,true,true,2020-01-01T00:00:00+00:00,"
    "2020-02-01T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
    "carol,arn:aws:iam::123456789012:user/carol,2024-01-01T00:00:00+00:00,true,no_information,"
    "2024-01-01T00:00:00+00:00,N/A,false,true,2024-01-02T00:00:00+00:00,N/A,N/A,N/A,"
    "true,2025-01-02T00:00:00+00:00,2026-05-01T12:00:00Z,eu-west-1,sagemaker,false,N/A,false,N/A\n"
)


def test_parse_a_real_credential_report() -> None:
    rows = collector.parse_credential_report(REAL_REPORT.encode())
    root = rows[collector.ROOT_ROW]
    assert root.password_enabled is None and root.mfa_active is True
    assert root.password_last_used == datetime(2026, 5, 30, 10, tzinfo=UTC)
    assert [k.slot for k in root.active_keys] == [1]
    carol = rows["arn:aws:iam::123456789012:user/carol"]
    assert carol.password_enabled is True and carol.password_last_used is None
    assert [(k.slot, k.last_used) for k in carol.active_keys] == [
        (1, None),
        (2, datetime(2026, 5, 1, 12, tzinfo=UTC)),
    ]


@pytest.mark.parametrize(
    "content",
    [b"", b"not,a,report\n1,2,3\n", REAL_REPORT.replace("true,true", "maybe,true").encode()],
    ids=["empty", "other csv", "bad value"],
)
def test_a_malformed_credential_report_is_refused(content: bytes) -> None:
    with pytest.raises((ValueError, KeyError)):
        collector.parse_credential_report(content)


@pytest.mark.parametrize(
    ("raw", "document", "problem"),
    [
        (ADMIN, ADMIN, None),
        (json.dumps(ADMIN), ADMIN, None),
        (
            "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D",
            {"Version": "2012-10-17", "Statement": []},
            None,
        ),
        ("{not json", None, "the document is not valid JSON"),
        ("[1, 2]", None, "the document is not a JSON object"),
        (None, None, "the document is missing from the response"),
        (42, None, "the document is a int, not JSON"),
    ],
)
def test_decode_document(raw: Any, document: Any, problem: str | None) -> None:
    decoded, why = collector.decode_document(raw)
    assert decoded == document
    assert (why or "").startswith(problem or "")
    assert (why is None) is (problem is None)
