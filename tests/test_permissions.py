"""`cspm permissions aws|azure|gcp`: the scanner's policies come from what the collectors declare.

That each policy is *sufficient* and that every call a collector makes is *declared* is proven
against the fakes in tests/resilience/test_least_privilege.py (AWS) and
tests/resilience/test_cloud_roles.py (Azure, GCP).
"""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest

from cspm.cli import main
from cspm.errors import UsageError
from cspm.permissions import (
    AWS_ACTION_EXCEPTIONS,
    AZURE_SCOPE_PLACEHOLDER,
    aws_action,
    aws_policy,
    azure_role,
    gcp_role,
    policy_for,
)
from cspm.providers import aws, azure, gcp
from cspm.providers.aws.context import is_read_only

# ---------------------------------------------------------------------------------------------
# AWS
# ---------------------------------------------------------------------------------------------


def test_the_policy_is_the_union_of_the_declarations() -> None:
    policy = aws_policy()
    (statement,) = policy["Statement"]
    expected = set(aws.CONNECT_PERMISSIONS)
    for name in aws.SERVICE_MODULES:
        expected.update(aws.service_spec(name).permissions)
    assert set(statement["Action"]) == expected
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"


def _botocore_operations() -> dict[str, set[str]]:
    """IAM action -> the botocore (service, operation) pairs it authorizes, for every service a
    collector uses."""
    session = botocore.session.get_session()
    services = set(aws.botocore_services())
    found: dict[str, set[str]] = {}
    for service in services:
        for operation in session.get_service_model(service).operation_names:
            found.setdefault(aws_action(service, operation), set()).add(f"{service}:{operation}")
    return found


def test_every_declared_permission_authorizes_a_read_operation_that_exists() -> None:
    operations = _botocore_operations()
    for action in aws_policy()["Statement"][0]["Action"]:
        assert action in operations, f"{action} names no operation of the SDK (a typo?)"
        calls = operations[action]
        assert all(is_read_only(call.split(":", 1)[1]) for call in calls), f"{action} authorizes {calls}"


def test_api_names_map_to_iam_actions() -> None:
    assert aws_action("s3", "ListBuckets") == "s3:ListAllMyBuckets"
    assert aws_action("s3", "GetBucketEncryption") == "s3:GetEncryptionConfiguration"
    assert aws_action("s3", "GetPublicAccessBlock") == "s3:GetBucketPublicAccessBlock"
    assert aws_action("s3control", "GetPublicAccessBlock") == "s3:GetAccountPublicAccessBlock"
    assert aws_action("s3", "GetBucketPolicyStatus") == "s3:GetBucketPolicyStatus"
    assert aws_action("sagemaker", "DescribeTrainingJob") == "sagemaker:DescribeTrainingJob"
    session = botocore.session.get_session()
    for (service, operation), action in AWS_ACTION_EXCEPTIONS.items():
        assert operation in session.get_service_model(service).operation_names, (service, operation)
        assert action.startswith("s3:")


def test_one_service(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["permissions", "aws", "--services", "s3"]) == 0
    actions = json.loads(capsys.readouterr().out)["Statement"][0]["Action"]
    assert "s3:GetBucketPolicy" in actions and "sts:GetCallerIdentity" in actions
    assert not any(a.startswith("sagemaker:") for a in actions)


def test_unknown_service_or_cloud(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["permissions", "aws", "--services", "glue"]) == 2
    assert "unknown service glue" in capsys.readouterr().err
    assert main(["permissions", "oracle"]) == 2


# ---------------------------------------------------------------------------------------------
# Azure and GCP
# ---------------------------------------------------------------------------------------------


def _declared(provider: Any) -> set[str]:
    expected = set(getattr(provider, "CONNECT_PERMISSIONS", ()))
    for name in provider.SERVICE_MODULES:
        expected.update(provider.service_spec(name).permissions)
    return expected


def test_the_azure_role_is_the_union_of_the_declarations() -> None:
    role = azure_role()
    assert set(role["Actions"]) == _declared(azure)
    assert role["IsCustom"] is True and role["Name"]
    assert role["NotActions"] == role["DataActions"] == role["NotDataActions"] == []
    assert role["AssignableScopes"] == [AZURE_SCOPE_PLACEHOLDER]
    for action in role["Actions"]:
        provider, _, rest = action.partition("/")
        assert provider.startswith("Microsoft.") and rest.endswith("/read"), f"{action} is not a read"


def test_the_azure_role_of_one_service_at_given_scopes() -> None:
    scope = "/subscriptions/00000000-0000-0000-0000-000000000001"
    role = azure_role(["storage"], scopes=[scope])
    assert role["AssignableScopes"] == [scope]
    assert "Microsoft.Storage/storageAccounts/read" in role["Actions"]
    assert not any(a.startswith("Microsoft.MachineLearningServices/") for a in role["Actions"])


def test_the_gcp_role_is_the_union_of_the_declarations() -> None:
    role = gcp_role()
    assert set(role["includedPermissions"]) == _declared(gcp)
    assert role["title"] and role["stage"] == "GA"
    for permission in role["includedPermissions"]:
        verb = permission.rsplit(".", 1)[1]
        assert verb in ("get", "list", "getIamPolicy"), f"{permission} is not a read"


@pytest.mark.parametrize("cloud", ["azure", "gcp"])
def test_unknown_services_of_azure_and_gcp(cloud: str) -> None:
    with pytest.raises(UsageError, match="unknown service lambda"):
        policy_for(cloud, ["lambda"])


def test_policy_for_each_cloud() -> None:
    assert policy_for("aws") == aws_policy()
    assert policy_for("azure", ["ml"]) == azure_role(["ml"])
    assert policy_for("gcp") == gcp_role()
    with pytest.raises(UsageError, match="valid: aws, azure, gcp"):
        policy_for("oracle")


@pytest.mark.parametrize(("cloud", "build"), [("azure", azure_role), ("gcp", gcp_role)])
def test_the_cli_prints_the_azure_and_gcp_roles(cloud: str, build: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["permissions", cloud]) == 0
    assert json.loads(capsys.readouterr().out) == build()


def test_the_cli_prints_the_azure_role_of_one_service(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["permissions", "azure", "--services", "ml"]) == 0
    assert json.loads(capsys.readouterr().out) == azure_role(["ml"])


@pytest.mark.parametrize(
    ("services", "noted"), [([], True), (["--services", "authorization"], True), (["--services", "ml"], False)]
)
def test_the_azure_role_names_the_graph_permission_it_cannot_hold(
    services: list[str], noted: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """Directory.Read.All is a Microsoft Graph permission, not an ARM action: said on stderr, never in the JSON."""
    assert main(["permissions", "azure", *services]) == 0
    captured = capsys.readouterr()
    assert "Directory.Read.All" not in captured.out
    assert ("Directory.Read.All" in captured.err) is noted
