"""The Lambda collector against moto (in-process mock_aws): functions with their roles, one
request per page, and a failed listing recorded (functions incomplete), never an empty account."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from moto import mock_aws

from cspm.providers.aws import SERVICE_MODULES
from cspm.providers.aws.awslambda import function_from_api
from cspm.resources.aws.awslambda import LambdaFunction
from support.aws import ACCOUNT, collect_aws, one

REGION = "us-east-1"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(SERVICE_MODULES, "lambda", "cspm.providers.aws.awslambda")
    with mock_aws():
        yield


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _function(name: str, role: str) -> None:
    iam = boto3.client("iam", region_name=REGION)
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName=name, Runtime="python3.12", Role=arn, Handler="handler.handler", Code={"ZipFile": _zip()}
    )


def test_functions_with_their_roles(aws: None) -> None:
    _function("refund-tool", "refund-tool-role")
    _function("search-tool", "search-tool-role")
    inventory = collect_aws(LambdaFunction, regions=[REGION])
    refund = one(inventory, LambdaFunction, "refund-tool")
    assert refund.uid == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:refund-tool"
    assert refund.role_arn == f"arn:aws:iam::{ACCOUNT}:role/refund-tool-role"
    assert (refund.runtime, refund.package_type) == ("python3.12", "Zip")
    assert refund.last_modified is not None
    assert len(inventory.of_type(LambdaFunction)) == 2
    assert inventory.errors == []


def test_a_denied_listing_is_recorded_and_marks_functions_incomplete(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = BaseClient._make_api_call

    def denied(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        if operation_name == "ListFunctions":
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", denied)
    inventory = collect_aws(LambdaFunction, regions=[REGION])
    assert inventory.of_type(LambdaFunction) == []
    assert [(e.service, e.operation, e.code) for e in inventory.errors] == [
        ("lambda", "ListFunctions", "AccessDeniedException")
    ]
    assert inventory.incomplete_scopes(LambdaFunction)


@pytest.mark.parametrize(
    ("entry", "role", "modified"),
    [
        (
            {"Role": "arn:aws:iam::1:role/r", "LastModified": "2026-11-30T10:00:00.000+0000"},
            "arn:aws:iam::1:role/r",
            2026,
        ),
        ({"Role": "", "LastModified": "yesterday"}, None, None),
        ({"LastModified": "2026-12-06T09:59:18.922948000Z"}, None, 2026),
        ({}, None, None),
    ],
)
def test_translation(entry: dict[str, Any], role: str | None, modified: int | None) -> None:
    base = {"FunctionArn": "arn:aws:lambda:us-east-1:1:function:f", "FunctionName": "f"}
    function = function_from_api(base | entry, "1", REGION)
    assert function is not None and function.role_arn == role
    assert (function.last_modified.year if function.last_modified else None) == modified
    assert function_from_api({"FunctionName": "no-arn"}, "1", REGION) is None
