"""`cspm permissions aws`: the scanner's policy comes from what the collectors declare."""

from __future__ import annotations

import json

import pytest

from cspm.cli import main
from cspm.permissions import aws_policy
from cspm.providers.aws import CONNECT_PERMISSIONS, SERVICE_MODULES, service_spec
from cspm.providers.aws.context import is_read_only


def test_the_policy_is_the_union_of_the_declarations() -> None:
    policy = aws_policy()
    (statement,) = policy["Statement"]
    expected = set(CONNECT_PERMISSIONS)
    for name in SERVICE_MODULES:
        expected.update(service_spec(name).permissions)
    assert set(statement["Action"]) == expected
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"


def test_every_declared_permission_is_a_read() -> None:
    for name in SERVICE_MODULES:
        spec = service_spec(name)
        assert spec.permissions, f"{name} declares no permissions"
        for action in spec.permissions:
            service, _, operation = action.partition(":")
            assert service and operation, action
            # IAM permission names follow API names, except a few S3 ones (ListAllMyBuckets...).
            assert is_read_only(operation) or operation == "GenerateCredentialReport", action


def test_one_service(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["permissions", "aws", "--services", "s3"]) == 0
    actions = json.loads(capsys.readouterr().out)["Statement"][0]["Action"]
    assert "s3:GetBucketPolicy" in actions and "sts:GetCallerIdentity" in actions
    assert not any(a.startswith("sagemaker:") for a in actions)


def test_unknown_service_or_cloud(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["permissions", "aws", "--services", "lambda"]) == 2
    assert "unknown service lambda" in capsys.readouterr().err
    assert main(["permissions", "oracle"]) == 2
