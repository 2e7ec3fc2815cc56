"""Privilege escalation methods, the escalation graph and the risk categories."""

from __future__ import annotations

from typing import Any

import pytest

from cspm.iam.actions import action_database
from cspm.iam.analysis import (
    Category,
    categorize,
    credentials_exposure,
    data_exfiltration,
    infrastructure_modification,
    privilege_escalation,
    resource_exposure,
)
from cspm.iam.categories import CREDENTIALS_EXPOSURE_PATTERNS, DATA_EXFILTRATION_PATTERNS
from cspm.iam.escalation import METHODS, EscalationGraph, PrincipalNode, escalation_methods
from cspm.iam.evaluate import EffectivePermissions, Verdict, effective_permissions
from cspm.iam.policy import parse_policy

ACCOUNT = "111122223333"


def perms(*statements: dict[str, Any]) -> EffectivePermissions:
    return effective_permissions([parse_policy({"Version": "2012-10-17", "Statement": list(statements)})])


def allow(action: Any, resource: Any = "*", **kw: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **kw}


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def user_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


def trust(principal: Any, **kw: Any) -> Any:
    return parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **kw}],
        }
    )


def test_every_table_action_and_pattern_exists_in_the_database() -> None:
    db = action_database()
    missing = [a for m in METHODS for a in m.actions if db.lookup(a) is None]
    missing += [p for p in DATA_EXFILTRATION_PATTERNS + CREDENTIALS_EXPOSURE_PATTERNS if not db.expand(p)]
    assert missing == []
    assert len({m.id for m in METHODS}) == len(METHODS)


@pytest.mark.parametrize(
    ("statements", "method", "verdict"),
    [
        ([allow(["iam:PassRole", "sagemaker:CreateTrainingJob"])], "sagemaker-training-job", Verdict.ALLOWED),
        ([allow("iam:PassRole"), allow("sagemaker:CreateNotebookInstance")], "sagemaker-notebook", Verdict.ALLOWED),
        ([allow(["iam:PassRole", "sagemaker:CreateProcessingJob"])], "sagemaker-processing-job", Verdict.ALLOWED),
        ([allow("sagemaker:CreatePresignedNotebookInstanceUrl")], "sagemaker-presigned-notebook-url", Verdict.ALLOWED),
        (
            [allow(["iam:PassRole", "lambda:CreateFunction", "lambda:AddPermission"])],
            "lambda-create-function",
            Verdict.ALLOWED,
        ),
        ([allow(["iam:PassRole", "glue:UpdateJob", "glue:CreateTrigger"])], "glue-job", Verdict.ALLOWED),
        ([allow(["iam:PassRole", "ec2:RequestSpotInstances"])], "ec2-run-instances", Verdict.ALLOWED),
        ([allow(["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:CreateService"])], "ecs-task", Verdict.ALLOWED),
        ([allow("iam:CreateAccessKey", user_arn("${aws:username}"))], "iam-create-access-key", Verdict.CONDITIONAL),
        (
            [allow("iam:PassRole", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}), allow("sagemaker:*")],
            "sagemaker-training-job",
            Verdict.CONDITIONAL,
        ),
        ([allow("iam:*")], "iam-put-role-policy", None),  # needs sts:AssumeRole as well
        ([allow(["iam:PutRolePolicy", "sts:AssumeRole"])], "iam-put-role-policy", Verdict.ALLOWED),
        ([allow("sagemaker:CreateTrainingJob")], "sagemaker-training-job", None),
        (
            [
                allow(["iam:PassRole", "sagemaker:CreateTrainingJob"]),
                {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"},
            ],
            "sagemaker-training-job",
            None,
        ),
    ],
)
def test_escalation_methods(statements: list[dict[str, Any]], method: str, verdict: Verdict | None) -> None:
    found = {m.method.id: m for m in escalation_methods(perms(*statements))}
    assert (found[method].verdict if method in found else None) is verdict


def test_escalation_split_across_policies_of_one_principal() -> None:
    split = effective_permissions(
        [
            parse_policy({"Statement": [allow("iam:PassRole", role_arn("*"))]}),
            parse_policy({"Statement": [allow("sagemaker:CreateTrainingJob")]}),
        ]
    )
    (match,) = [m for m in escalation_methods(split) if m.method.id == "sagemaker-training-job"]
    evidence = match.as_dict()
    assert evidence["actions"] == ["iam:PassRole", "sagemaker:CreateTrainingJob"]
    assert [s["policy"] for s in evidence["statements"]] == ["policy[0]", "policy[1]"]


def test_categories() -> None:
    p = perms(
        allow(["s3:GetObject", "secretsmanager:GetSecretValue", "s3:PutBucketPolicy", "iam:CreateAccessKey"]),
        allow("ssm:GetParameter", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}),
        allow("s3:PutObject", "arn:aws:s3:::only-this/*"),
    )
    exfil = data_exfiltration(p)
    assert exfil.unrestricted == ("s3:GetObject", "secretsmanager:GetSecretValue")
    assert exfil.conditional == ("ssm:GetParameter",) and exfil.found
    assert resource_exposure(p).unrestricted == ("s3:PutBucketPolicy",)
    assert credentials_exposure(p).unrestricted == ("iam:CreateAccessKey",)
    infra = infrastructure_modification(p)
    assert set(infra.unrestricted) == {"s3:PutBucketPolicy", "iam:CreateAccessKey"}  # PutObject is restricted
    assert privilege_escalation(p).unrestricted == ("iam-create-access-key",)
    results = categorize(p)
    assert set(results) == set(Category)
    assert results[Category.DATA_EXFILTRATION].as_dict()["unrestricted"] == [
        "s3:GetObject",
        "secretsmanager:GetSecretValue",
    ]


def test_read_only_has_no_categories() -> None:
    p = perms(allow(["s3:List*", "sagemaker:Describe*"]))
    assert not any(r.found for r in categorize(p).values())


# --- the graph ---------------------------------------------------------------------------------

ADMIN_ROLE = PrincipalNode(role_arn("admin"), perms(allow("*")), trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
SAGEMAKER_ADMIN = PrincipalNode(
    role_arn("sagemaker-admin"), perms(allow("*")), trust({"Service": "sagemaker.amazonaws.com"})
)
LAMBDA_ADMIN = PrincipalNode(role_arn("lambda-admin"), perms(allow("*")), trust({"Service": "lambda.amazonaws.com"}))


def node(name: str, *statements: dict[str, Any], kind: str = "user") -> PrincipalNode:
    arn = user_arn(name) if kind == "user" else role_arn(name)
    return PrincipalNode(arn, perms(*statements) if statements else effective_permissions([]))


def test_graph_pass_role_to_sagemaker() -> None:
    scientist = node("scientist", allow("iam:PassRole", role_arn("sagemaker-*")), allow("sagemaker:CreateTrainingJob"))
    graph = EscalationGraph([scientist, SAGEMAKER_ADMIN, LAMBDA_ADMIN, ADMIN_ROLE])
    path = graph.shortest_path_to_admin(scientist.id)
    assert path is not None and len(path) == 1
    assert path[0].as_dict() == {
        "source": scientist.id,
        "target": SAGEMAKER_ADMIN.id,
        "method": "sagemaker-training-job",
        "actions": ["iam:PassRole", "sagemaker:CreateTrainingJob"],
        "conditional": False,
        "via_service": "sagemaker.amazonaws.com",
        "requires_existing_resource": False,
    }
    assert graph.admin_equivalent[ADMIN_ROLE.id] == ["admin"]
    assert graph.shortest_path_to_admin(ADMIN_ROLE.id) == []


@pytest.mark.parametrize(
    ("passed_to", "reaches"),
    [
        ("sagemaker.amazonaws.com", True),
        ("lambda.amazonaws.com", False),
        (["glue.amazonaws.com", "sagemaker.amazonaws.com"], True),
    ],
)
def test_graph_respects_passed_to_service(passed_to: Any, reaches: bool) -> None:
    scientist = node(
        "scientist",
        allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": passed_to}}),
        allow("sagemaker:CreateNotebookInstance"),
    )
    graph = EscalationGraph([scientist, SAGEMAKER_ADMIN])
    path = graph.shortest_path_to_admin(scientist.id)
    assert (path is not None) is reaches
    if path:
        assert path[0].conditional is False  # the PassedToService condition was evaluated


def test_graph_needs_the_role_to_trust_the_service() -> None:
    scientist = node("scientist", allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]))
    graph = EscalationGraph([scientist, SAGEMAKER_ADMIN])
    assert graph.shortest_path_to_admin(scientist.id) is None
    graph = EscalationGraph([scientist, SAGEMAKER_ADMIN, LAMBDA_ADMIN])
    path = graph.shortest_path_to_admin(scientist.id)
    assert path is not None and path[0].target == LAMBDA_ADMIN.id


def test_graph_assume_role_chain() -> None:
    dev = node("dev", allow("sts:AssumeRole", role_arn("ci")))
    ci = PrincipalNode(
        role_arn("ci"),
        perms(allow("sts:AssumeRole", role_arn("admin"))),
        trust({"AWS": user_arn("dev")}),
    )
    outsider = node("outsider")  # no identity permission, and the trust names only the account root
    graph = EscalationGraph([dev, ci, ADMIN_ROLE, outsider])
    path = graph.shortest_path_to_admin(dev.id)
    assert [(e.source, e.target, e.method) for e in path or []] == [
        (dev.id, ci.id, "sts-assume-role"),
        (ci.id, ADMIN_ROLE.id, "sts-assume-role"),
    ]
    assert graph.shortest_path_to_admin(outsider.id) is None
    assert graph.paths_to_admin().keys() == {dev.id, ci.id}


def test_graph_same_account_trust_naming_the_user_needs_no_identity_grant() -> None:
    alice = node("alice")
    named = PrincipalNode(role_arn("named-admin"), perms(allow("*")), trust({"AWS": user_arn("alice")}))
    assert EscalationGraph([alice, named]).shortest_path_to_admin(alice.id) is not None


def test_graph_conditional_trust_edges() -> None:
    dev = node("dev", allow("sts:AssumeRole"))
    mfa_admin = PrincipalNode(
        role_arn("mfa-admin"),
        perms(allow("*")),
        trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
    )
    graph = EscalationGraph([dev, mfa_admin])
    path = graph.shortest_path_to_admin(dev.id)
    assert path is not None and path[0].conditional
    assert graph.shortest_path_to_admin(dev.id, include_conditional=False) is None


def test_graph_credentials_and_self_escalation() -> None:
    helpdesk = node("helpdesk", allow("iam:CreateAccessKey", user_arn("*")))
    boss = node("boss", allow("*"))
    self_editor = node("self-editor", allow("iam:PutUserPolicy", user_arn("self-editor")))
    role_editor = node("role-editor", allow(["iam:AttachRolePolicy", "sts:AssumeRole"], role_arn("worker")))
    worker = PrincipalNode(
        role_arn("worker"), perms(allow("s3:ListBucket")), trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    )
    graph = EscalationGraph([helpdesk, boss, self_editor, role_editor, worker])
    assert [e.method for e in graph.shortest_path_to_admin(helpdesk.id) or []] == ["iam-create-access-key"]
    assert graph.admin_equivalent[self_editor.id] == ["iam:PutUserPolicy"]
    assert [e.method for e in graph.shortest_path_to_admin(role_editor.id) or []] == ["iam-attach-role-policy"]
    assert graph.shortest_path_to_admin(worker.id) is None
    assert {e.method for e in graph.edges_from(helpdesk.id)} == {"iam-create-access-key"}
