"""Issue 12: ``policy lint`` on an account export and the scanner build one graph.

The export is turned into the scanner's snapshots (:func:`cspm.iam.export.export_snapshots`) and
analysed by the scanner's builder (:class:`cspm.iam.inventory.AccountAnalysis`): users' permission
boundaries and group nodes count in both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cspm.iam.export import export_snapshots
from cspm.iam.inventory import AccountAnalysis, clear_memo
from cspm.iam.lint import lint_file
from cspm.resources.aws.iam import IamGroup, IamPolicy, IamRole, IamUser
from support.aws import ACCOUNT, collect_aws


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def arn(kind: str, name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"


ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
S3_ONLY = arn("policy", "s3-only")


def export(users: list[dict[str, Any]], groups: list[dict[str, Any]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "UserDetailList": users,
        "GroupDetailList": list(groups),
        "RoleDetailList": [],
        "Policies": [
            {"PolicyName": "AdministratorAccess", "Arn": ADMIN_ARN, "DefaultVersionId": "v1",
             "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True, "Document": doc(allow("*"))}]},
            {"PolicyName": "s3-only", "Arn": S3_ONLY, "DefaultVersionId": "v1",
             "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True, "Document": doc(allow("s3:*"))}]},
        ],
    }  # fmt: skip


def export_user(name: str, statements: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "UserName": name,
        "Arn": arn("user", name),
        "GroupList": [],
        "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": doc(*statements)}],
        "AttachedManagedPolicies": [],
        **extra,
    }


def codes(tmp_path: Path, data: dict[str, Any]) -> dict[str, list[Any]]:
    path = tmp_path / "gaad.json"
    path.write_text(json.dumps(data))
    out: dict[str, list[Any]] = {}
    for finding in lint_file(path):
        out.setdefault(finding.finding.code, []).append(finding)
    return out


@pytest.mark.parametrize("boundary", [None, S3_ONLY])
def test_lint_applies_a_user_s_permission_boundary(tmp_path: Path, boundary: str | None) -> None:
    extra = {"PermissionsBoundary": {"PermissionsBoundaryArn": boundary}} if boundary else {}
    user = export_user("self-editor", [allow("iam:AttachUserPolicy", arn("user", "self-editor"))], **extra)
    found = codes(tmp_path, export([user]))
    # The lone inline document is escalation whatever the boundary (lint of the document) …
    methods = [m["method"] for f in found["PRIVILEGE_ESCALATION"] for m in f.finding.details["methods"]]
    assert methods == ["iam-attach-user-policy"]
    # … but the user is admin-equivalent only without its s3-only boundary.
    equivalent = [f for f in found.get("ESCALATION_PATH_TO_ADMIN", ()) if f.policy == arn("user", "self-editor")]
    assert bool(equivalent) is (boundary is None)
    if equivalent:
        assert equivalent[0].finding.details == {"path": [], "admin_reasons": ["iam:AttachUserPolicy"]}
    clear_memo()
    analysis = AccountAnalysis(*_snapshots(export([user])))
    assert (arn("user", "self-editor") in analysis.graph.admin_equivalent) is (boundary is None)


def _snapshots(data: dict[str, Any]) -> tuple[Any, ...]:
    s = export_snapshots(data)
    return s.users, s.groups, s.roles, s.policies


def test_lint_has_group_nodes(tmp_path: Path) -> None:
    admins = {
        "GroupName": "admins",
        "Arn": arn("group", "admins"),
        "GroupPolicyList": [],
        "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN_ARN}],
    }
    joiner = export_user("joiner", [allow("iam:AddUserToGroup", arn("group", "admins"))])
    found = codes(tmp_path, export([joiner], [admins]))
    (path,) = [f for f in found["ESCALATION_PATH_TO_ADMIN"] if f.policy == arn("user", "joiner")]
    assert [(h["target"], h["method"]) for h in path.finding.details["path"]] == [
        (arn("group", "admins"), "iam-add-user-to-group")
    ]
    assert path.finding.path == "UserDetailList[0]"


# --- the same account, scanned and exported -----------------------------------------------------------


@pytest.fixture
def account() -> Iterator[Any]:
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        policy = lambda name, d: iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(d))["Policy"]["Arn"]  # noqa: E731
        s3_only = policy("s3-only", doc(allow("s3:*")))
        team = policy("team-read", doc(allow("s3:GetObject", "arn:aws:s3:::team/*")))
        admin = policy("admin", doc(allow("*")))
        iam.create_group(GroupName="admins")
        iam.attach_group_policy(GroupName="admins", PolicyArn=admin)
        iam.create_group(GroupName="team")
        iam.attach_group_policy(GroupName="team", PolicyArn=team)
        users = {
            "joiner": [allow("iam:AddUserToGroup", arn("group", "admins"))],
            "free": [allow("iam:AttachUserPolicy", arn("user", "free"))],
            "versioner": [allow("iam:CreatePolicyVersion", team)],
            "creator": [allow(["iam:CreateRole", "iam:PutRolePolicy"], arn("role", "new-*"))],
            "reader": [allow("s3:GetObject")],
        }
        for name, statements in users.items():
            iam.create_user(UserName=name)
            iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(doc(*statements)))
        iam.add_user_to_group(GroupName="team", UserName="versioner")
        trust = doc({"Effect": "Allow", "Principal": {"AWS": arn("user", "reader")}, "Action": "sts:AssumeRole"})
        iam.create_role(RoleName="ops", AssumeRolePolicyDocument=json.dumps(trust))
        iam.attach_role_policy(RoleName="ops", PolicyArn=admin)
        # moto 5.2.6 keeps no permission boundary of a user (CreateUser ignores it, GetAccountAuthorization-
        # Details omits it, PutUserPermissionsBoundary is not implemented): a role carries the boundary here,
        # and a user's boundary is tested on an export above.
        lambda_trust = doc(
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        )
        iam.create_role(
            RoleName="bounded", AssumeRolePolicyDocument=json.dumps(lambda_trust), PermissionsBoundary=s3_only
        )
        iam.put_role_policy(
            RoleName="bounded",
            PolicyName="p",
            PolicyDocument=json.dumps(doc(allow("iam:AttachRolePolicy", arn("role", "bounded")))),
        )
        yield iam


def test_scan_and_lint_of_the_same_account_agree(account: Any, tmp_path: Path) -> None:
    inventory = collect_aws(IamUser, IamGroup, IamRole, IamPolicy)
    scanned = [list(inventory.of_type(t)) for t in (IamUser, IamGroup, IamRole, IamPolicy)]
    details: dict[str, list[Any]] = {}
    for page in account.get_paginator("get_account_authorization_details").paginate():
        for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"):
            details.setdefault(key, []).extend(page.get(key, []))
    clear_memo()
    scan = AccountAnalysis(*scanned)
    clear_memo()
    lint = AccountAnalysis(*_snapshots(details))
    assert set(scan.views) == set(lint.views)
    assert scan.graph.admin_equivalent == lint.graph.admin_equivalent
    for principal in scan.views:
        a, b = scan.reach(principal), lint.reach(principal)
        assert [(e.target, e.method) for e in a.path or ()] == [(e.target, e.method) for e in b.path or ()], principal
        assert (a.path is None) == (b.path is None)
    expected_admin = {arn("user", n) for n in ("free", "versioner", "creator")} | {
        arn("group", "admins"),
        arn("role", "ops"),
    }
    assert set(scan.graph.admin_equivalent) == expected_admin
    assert scan.reach(arn("user", "joiner")).path and scan.reach(arn("user", "reader")).path
    assert scan.reach(arn("role", "bounded")).path is None
    # and the lint command reports the same paths
    path = tmp_path / "gaad.json"
    path.write_text(json.dumps(details, default=str))
    linted = {f.policy for f in lint_file(path) if f.finding.code == "ESCALATION_PATH_TO_ADMIN"}
    assert linted == {arn("user", n) for n in ("joiner", "reader", "free", "versioner", "creator")}
