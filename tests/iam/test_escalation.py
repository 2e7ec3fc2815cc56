"""Privilege escalation methods, the escalation graph and the risk categories."""

from __future__ import annotations

import itertools
import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
from cspm.iam.escalation import (
    CREDENTIAL_METHODS,
    GRANTS_ADMIN_METHODS,
    METHODS,
    ROLE_POLICY_ACTIONS,
    Edge,
    EscalationGraph,
    PrincipalNode,
    _assume_edge,
    escalation_methods,
    every_target,
    match_method,
    trust_allows,
    trusts_service,
)
from cspm.iam.evaluate import EffectivePermissions, Verdict, effective_permissions, principal_context
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
        "via": "iam:PassRole+sagemaker:CreateTrainingJob",
        "method": "sagemaker-training-job",
        "actions": ["iam:PassRole", "sagemaker:CreateTrainingJob"],
        "conditional": False,
        "via_service": "sagemaker.amazonaws.com",
        "requires_existing_resource": False,
        "statements": [
            {"policy": "policy[0]", "boundary": False, "index": 0, "sid": None, "actions": ["iam:PassRole"]},
            {
                "policy": "policy[0]",
                "boundary": False,
                "index": 1,
                "sid": None,
                "actions": ["sagemaker:CreateTrainingJob"],
            },
        ],
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


# --- the graph: new edges, trust conditions, every target ---------------------------------------


def group_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:group/{name}"


def known(arn: str, kind: str, *statements: dict[str, Any], trust_policy: Any = None, **kw: Any) -> PrincipalNode:
    """A node whose permissions know the principal (``aws:username``, ``aws:PrincipalArn`` …)."""
    name = arn.rsplit("/", 1)[-1]
    policy = [parse_policy({"Statement": list(statements)})] if statements else []
    context = principal_context(arn, kind, name if kind == "user" else None)
    return PrincipalNode(arn, effective_permissions(policy, principal_context=context), trust_policy, **kw)


def test_trust_conditions_on_the_caller_are_decided() -> None:
    ci_only = trust(
        {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        Condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/ci-*"}},
    )
    admin = PrincipalNode(role_arn("deployer"), perms(allow("*")), ci_only)
    ci = known(role_arn("ci-build"), "role", allow("sts:AssumeRole"))
    dev = known(user_arn("dev"), "user", allow("sts:AssumeRole"))
    graph = EscalationGraph([admin, ci, dev])
    path = graph.shortest_path_to_admin(ci.id)
    assert path is not None and path[0].conditional is False  # the condition holds for ci-build
    assert graph.shortest_path_to_admin(dev.id) is None  # and fails for dev
    assert trust_allows(ci_only, dev) == (Verdict.NOT_ALLOWED, False)


def test_every_target_tells_generic_escalation_from_targeted_grants() -> None:
    targets = every_target(ACCOUNT, user_arn("alice"))
    assert targets["iam:PassRole"] == f"arn:aws:iam::{ACCOUNT}:role/*"
    assert targets["iam:PutUserPolicy"] == user_arn("alice")
    cases = {
        "every role": (allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/*"), True),
        "any account": (allow("iam:PassRole", "arn:aws:iam::*:role/*"), True),
        "some roles": (allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/sagemaker-*"), False),
        "one role": (allow("iam:PassRole", role_arn("exec")), False),
    }
    for case, (statement, generic) in cases.items():
        p = perms(statement, allow("sagemaker:CreateTrainingJob"))
        found = {m.method.id for m in escalation_methods(p, targets)}
        assert ("sagemaker-training-job" in found) is generic, case
        assert "sagemaker-training-job" in {m.method.id for m in escalation_methods(p)}, case  # on some resource


def test_passed_to_service_is_known_for_pass_role_methods() -> None:
    p = perms(
        allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}),
        allow(["sagemaker:CreateTrainingJob", "lambda:CreateFunction", "lambda:InvokeFunction"]),
    )
    found = {m.method.id: m.verdict for m in escalation_methods(p)}
    assert found["sagemaker-training-job"] is Verdict.ALLOWED  # not conditional: the condition was evaluated
    assert "lambda-create-function" not in found


def test_graph_update_trust_policy_and_role_policy_edges() -> None:
    worker = PrincipalNode(role_arn("worker"), perms(allow("s3:ListBucket")), trust({"Service": "ec2.amazonaws.com"}))
    rewriter = known(user_arn("rewriter"), "user", allow("iam:UpdateAssumeRolePolicy", role_arn("worker")))
    attacher = known(user_arn("attacher"), "user", allow("iam:AttachRolePolicy", role_arn("worker")))
    passer = known(
        user_arn("passer"), "user", allow(["iam:PassRole", "ec2:RunInstances", "iam:PutRolePolicy"], role_arn("*"))
    )
    graph = EscalationGraph([worker, rewriter, attacher, passer])
    assert [e.method for e in graph.edges_from(rewriter.id)] == ["iam-update-assume-role-policy"]
    assert graph.shortest_path_to_admin(rewriter.id) is None  # worker is no admin
    # Attaching a policy to a role one cannot act as is no path for the attacher.
    assert graph.edges_from(attacher.id) == [] and graph.shortest_path_to_admin(attacher.id) is None
    # Passing the role to an instance and rewriting its policy is.
    path = graph.shortest_path_to_admin(passer.id)
    assert [(e.method, e.via) for e in path or []] == [
        ("iam-put-role-policy", "iam:PutRolePolicy+iam:PassRole+ec2:RunInstances")
    ]


def test_graph_groups_and_own_group_escalation() -> None:
    admins = known(group_arn("admins"), "group", allow("*"))
    support = known(group_arn("support"), "group", allow("iam:AddUserToGroup", group_arn("admins")))
    member = known(
        user_arn("member"), "user", allow("iam:PutGroupPolicy", group_arn("team")), groups=(group_arn("team"),)
    )
    outsider = known(user_arn("outsider"), "user", allow("iam:PutGroupPolicy", group_arn("team")))
    graph = EscalationGraph([admins, support, member, outsider])
    assert [(e.target, e.method) for e in graph.shortest_path_to_admin(support.id) or []] == [
        (admins.id, "iam-add-user-to-group")
    ]
    assert graph.admin_equivalent[member.id] == ["iam:PutGroupPolicy"]
    assert outsider.id not in graph.admin_equivalent
    assert admins.kind == "group" and graph.shortest_path_to_admin(admins.id) == []


# --- the graph's indexes find every edge the pairwise definition gives ----------------------------

PRINCIPALS = ["u1", "u2", "u3", "r1", "r2", "r3", "r4", "g1", "g2"]


def arn_of(name: str) -> str:
    return {"u": user_arn, "r": role_arn, "g": group_arn}[name[0]](name)


IDENTITY = [
    allow("sts:AssumeRole"),
    allow("sts:AssumeRole", role_arn("r1")),
    allow("sts:AssumeRole", role_arn("r*")),
    allow("sts:AssumeRole", "arn:aws:iam::*:role/r?"),
    allow("iam:PassRole"),
    allow("iam:PassRole", role_arn("r2")),
    allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}),
    allow(["sagemaker:CreateTrainingJob", "sagemaker:CreatePresignedNotebookInstanceUrl"]),
    allow(["lambda:CreateFunction", "lambda:InvokeFunction"]),
    allow(["bedrock:CreateAgent", "bedrock:InvokeAgent"]),
    allow("iam:PassRole", Condition={"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}}),
    allow(["bedrock-agentcore:CreateAgentRuntime", "bedrock-agentcore:InvokeAgentRuntime"]),
    allow("iam:CreateAccessKey", user_arn("*")),
    allow("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:username}"),
    allow("iam:AddUserToGroup", group_arn("g1")),
    allow("iam:UpdateAssumeRolePolicy", role_arn("r3")),
    allow(["iam:AttachRolePolicy", "iam:PutRolePolicy"]),
    allow("iam:PutUserPolicy", user_arn("u1")),
    allow("*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
    allow("*"),
    {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": role_arn("r2")},
    {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"},
]
TRUSTS = [
    {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    {"AWS": ACCOUNT},
    {"AWS": user_arn("u1")},
    {"AWS": role_arn("r1")},
    {"AWS": "*"},
    {"Service": "sagemaker.amazonaws.com"},
    {"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]},
    {"Service": "bedrock.amazonaws.com"},
    {"Service": "bedrock-agentcore.amazonaws.com"},
    {"AWS": "arn:aws:iam::999988887777:root"},
]
TRUST_CONDITIONS = [
    None,
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"ArnLike": {"aws:PrincipalArn": role_arn("r*")}},
]


@st.composite
def accounts(draw: st.DrawFn) -> list[PrincipalNode]:
    nodes = []
    for name in PRINCIPALS:
        kind = {"u": "user", "r": "role", "g": "group"}[name[0]]
        statements = draw(st.lists(st.sampled_from(IDENTITY), max_size=3))
        trust_doc = None
        if kind == "role":
            principals = draw(st.lists(st.sampled_from(TRUSTS), min_size=1, max_size=2))
            condition = draw(st.sampled_from(TRUST_CONDITIONS))
            extra = {"Condition": condition} if condition else {}
            trust_doc = parse_policy(
                {
                    "Statement": [
                        {"Effect": "Allow", "Principal": p, "Action": "sts:AssumeRole", **extra} for p in principals
                    ]
                }
            )
        groups = tuple(draw(st.lists(st.sampled_from([group_arn("g1"), group_arn("g2")]), max_size=1, unique=True)))
        nodes.append(
            known(arn_of(name), kind, *statements, trust_policy=trust_doc, groups=groups if kind == "user" else ())
        )
    return nodes


def pairwise_edges(nodes: list[PrincipalNode], admins: set[str]) -> set[tuple[str, str, str, bool]]:
    """The edges by their definition, examining every pair (the graph must find the same).
    An administrator (``admins``) needs no takeover: those edges are left out for it."""
    out: set[tuple[str, str, str, bool]] = set()
    for source in nodes:
        reached: dict[str, Edge] = {}
        for target in nodes:
            if target.id == source.id:
                continue
            found = [
                e
                for e in _pair_edges(source, target)
                if source.id not in admins or e.method != "iam-update-assume-role-policy"
            ]
            out.update((e.source, e.target, e.method, e.conditional) for e in found)
            for edge in found:
                if target.kind == "role" and edge.method != "iam-update-assume-role-policy":
                    reached.setdefault(target.id, edge)
        for role, how in reached.items() if source.id not in admins else ():
            for method, action in ROLE_POLICY_ACTIONS.items():
                decision = source.permissions.allows(action, role)
                if decision.possible:
                    conditional = decision.verdict is not Verdict.ALLOWED or how.conditional
                    out.add((source.id, role, method, conditional))
    return out


def _pair_edges(source: PrincipalNode, target: PrincipalNode) -> list[Edge]:
    out: list[Edge] = []
    p = source.permissions
    if target.kind == "role":
        edge = _assume_edge(source, target)
        out += [edge] if edge else []
        for method in METHODS:
            if method.service is None or not trusts_service(target.trust_policy, method.service):
                continue
            context = {"iam:PassedToService": method.service} if method.passes_role else None
            resources = None if method.existing_resource else {"iam:PassRole": target.id}
            found = match_method(p, method, resources, context)
            if found:
                conditional = found.verdict is not Verdict.ALLOWED or method.existing_resource
                out.append(Edge(source.id, target.id, method.id, (), conditional))
        update = p.allows("iam:UpdateAssumeRolePolicy", target.id)
        if update.possible and source.account == target.account:
            out.append(Edge(source.id, target.id, "iam-update-assume-role-policy", (), not update.allowed))
    if target.kind == "user":
        for method in METHODS:
            if method.id in CREDENTIAL_METHODS and (found := match_method(p, method, {method.actions[0]: target.id})):
                out.append(Edge(source.id, target.id, method.id, (), found.verdict is not Verdict.ALLOWED))
    if target.kind == "group" and source.kind in ("user", "group") and target.id not in source.groups:
        join = p.allows("iam:AddUserToGroup", target.id)
        if join.possible:
            out.append(Edge(source.id, target.id, "iam-add-user-to-group", (), not join.allowed))
    return out


def forward_shortest(graph: EscalationGraph, source: str, include_conditional: bool) -> int | None:
    """Path length by a breadth-first search forwards from ``source`` (the definition)."""
    if source in graph.admin_equivalent:
        return 0
    depth, seen, frontier = 1, {source}, [source]
    while frontier:
        following = []
        for node in frontier:
            for edge in graph.edges_from(node):
                if edge.conditional and not include_conditional:
                    continue
                if edge.target in graph.admin_equivalent or edge.method in GRANTS_ADMIN_METHODS:
                    return depth
                if edge.target not in seen:
                    seen.add(edge.target)
                    following.append(edge.target)
        frontier, depth = following, depth + 1
    return None


@settings(max_examples=int(os.environ.get("CSPM_IAM_FUZZ_EXAMPLES", "60")), deadline=None)
@given(accounts())
def test_indexed_graph_equals_the_pairwise_definition(nodes: list[PrincipalNode]) -> None:
    graph = EscalationGraph(nodes)
    edges = pairwise_edges(nodes, set(graph.admin_equivalent))
    assert {(e.source, e.target, e.method, e.conditional) for e in graph.edges} == edges
    for node in nodes:
        for include in (False, True):
            path = graph.shortest_path_to_admin(node.id, include_conditional=include)
            length = forward_shortest(graph, node.id, include)
            assert (None if path is None else len(path)) == length
            if path:
                assert path[0].source == node.id
                assert all(a.target == b.source for a, b in itertools.pairwise(path))
                last = path[-1]
                assert last.target in graph.admin_equivalent or last.method in GRANTS_ADMIN_METHODS
                assert include or not any(e.conditional for e in path)


# --- Bedrock and AgentCore ---------------------------------------------------------------------

BEDROCK_ADMIN = PrincipalNode(
    role_arn("bedrock-agent-admin"), perms(allow("*")), trust({"Service": "bedrock.amazonaws.com"})
)
AGENTCORE_ADMIN = PrincipalNode(
    role_arn("agentcore-admin"), perms(allow("*")), trust({"Service": "bedrock-agentcore.amazonaws.com"})
)
PASSED_TO_BEDROCK = {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}}


@pytest.mark.parametrize(
    ("statements", "method", "verdict"),
    [
        (
            [allow(["iam:PassRole", "bedrock:CreateModelCustomizationJob"])],
            "bedrock-customization-job",
            Verdict.ALLOWED,
        ),
        ([allow("bedrock:CreateModelCustomizationJob")], "bedrock-customization-job", None),
        ([allow(["iam:PassRole", "bedrock:CreateAgent", "bedrock:InvokeAgent"])], "bedrock-agent", Verdict.ALLOWED),
        ([allow(["iam:PassRole", "bedrock:UpdateAgent", "bedrock:InvokeAgent"])], "bedrock-agent", Verdict.ALLOWED),
        ([allow(["iam:PassRole", "bedrock:CreateAgent"])], "bedrock-agent", None),  # and nothing runs it
        ([allow("bedrock:InvokeAgent")], "bedrock-invoke-agent", Verdict.ALLOWED),
        (
            [allow(["bedrock:UpdateAgentActionGroup", "bedrock:InvokeAgent"])],
            "bedrock-agent-action-group",
            Verdict.ALLOWED,
        ),
        ([allow("bedrock:CreateAgentActionGroup")], "bedrock-agent-action-group", None),
        # AmazonBedrockFullAccess-style: PassRole only to Bedrock counts for Bedrock, not for AgentCore
        ([allow("iam:PassRole", Condition=PASSED_TO_BEDROCK), allow("bedrock:*")], "bedrock-agent", Verdict.ALLOWED),
        (
            [allow("iam:PassRole", Condition=PASSED_TO_BEDROCK), allow("bedrock-agentcore:*")],
            "agentcore-runtime",
            None,
        ),
        (
            [allow(["iam:PassRole", "bedrock-agentcore:CreateAgentRuntime", "bedrock-agentcore:InvokeAgentRuntime"])],
            "agentcore-runtime",
            Verdict.ALLOWED,
        ),
        (
            [allow(["iam:PassRole", "bedrock-agentcore:CreateAgentRuntime"])],
            "agentcore-runtime",
            None,
        ),
        (
            [allow(["iam:PassRole", "bedrock-agentcore:*CodeInterpreter*"])],
            "agentcore-code-interpreter",
            Verdict.ALLOWED,
        ),
        (
            [allow(["bedrock-agentcore:StartCodeInterpreterSession", "bedrock-agentcore:InvokeCodeInterpreter"])],
            "agentcore-existing-code-interpreter",
            Verdict.ALLOWED,
        ),
    ],
)
def test_bedrock_escalation_methods(statements: list[dict[str, Any]], method: str, verdict: Verdict | None) -> None:
    found = {m.method.id: m for m in escalation_methods(perms(*statements))}
    assert (found[method].verdict if method in found else None) is verdict


def test_graph_pass_role_to_a_bedrock_agent_reaches_only_roles_bedrock_trusts() -> None:
    builder = node(
        "agent-builder",
        allow("iam:PassRole", role_arn("*"), Condition=PASSED_TO_BEDROCK),
        allow(["bedrock:CreateAgent", "bedrock:InvokeAgent"]),
    )
    graph = EscalationGraph([builder, BEDROCK_ADMIN, SAGEMAKER_ADMIN, LAMBDA_ADMIN, AGENTCORE_ADMIN])
    edges = {(e.target, e.method, e.conditional) for e in graph.edges_from(builder.id)}
    # InvokeAgent alone also reaches the roles of existing agents (conditional: it needs one)
    assert edges == {(BEDROCK_ADMIN.id, "bedrock-agent", False), (BEDROCK_ADMIN.id, "bedrock-invoke-agent", True)}
    path = graph.shortest_path_to_admin(builder.id)
    assert path is not None and path[0].via == "iam:PassRole+bedrock:CreateAgent+bedrock:InvokeAgent"
    assert path[0].via_service == "bedrock.amazonaws.com"


def test_graph_customization_job_passes_a_bedrock_role() -> None:
    tuner = node("tuner", allow("iam:PassRole", role_arn("bedrock-*")), allow("bedrock:CreateModelCustomizationJob"))
    graph = EscalationGraph([tuner, BEDROCK_ADMIN, SAGEMAKER_ADMIN])
    path = graph.shortest_path_to_admin(tuner.id)
    assert [(e.target, e.method) for e in path or []] == [(BEDROCK_ADMIN.id, "bedrock-customization-job")]


def test_graph_invoking_an_agent_reaches_the_roles_of_agents_conditionally() -> None:
    """The caller may only invoke agents; an agent whose role reaches admin is a way there, but
    which agent runs with which role is not IAM data: the edge needs an existing agent."""
    caller = node("app", allow("bedrock:InvokeAgent"))
    graph = EscalationGraph([caller, BEDROCK_ADMIN, LAMBDA_ADMIN])
    (edge,) = graph.edges_from(caller.id)
    assert (edge.target, edge.method, edge.conditional, edge.requires_existing_resource) == (
        BEDROCK_ADMIN.id,
        "bedrock-invoke-agent",
        True,
        True,
    )
    assert graph.shortest_path_to_admin(caller.id, include_conditional=False) is None
    assert graph.shortest_path_to_admin(caller.id) == [edge]


def test_graph_agent_action_group_reaches_function_roles() -> None:
    caller = node("agent-dev", allow(["bedrock:CreateAgentActionGroup", "bedrock:InvokeAgent"]))
    graph = EscalationGraph([caller, BEDROCK_ADMIN, LAMBDA_ADMIN])
    methods = {(e.target, e.method) for e in graph.edges_from(caller.id)}
    assert methods == {(LAMBDA_ADMIN.id, "bedrock-agent-action-group"), (BEDROCK_ADMIN.id, "bedrock-invoke-agent")}
    assert all(e.conditional and e.requires_existing_resource for e in graph.edges_from(caller.id))


def test_graph_agentcore_runtime_and_code_interpreter() -> None:
    runtime_dev = node(
        "runtime-dev",
        allow("iam:PassRole", role_arn("agentcore-*")),
        allow(["bedrock-agentcore:CreateAgentRuntime", "bedrock-agentcore:InvokeAgentRuntime"]),
    )
    interpreter_user = node(
        "analyst", allow(["bedrock-agentcore:StartCodeInterpreterSession", "bedrock-agentcore:InvokeCodeInterpreter"])
    )
    graph = EscalationGraph([runtime_dev, interpreter_user, AGENTCORE_ADMIN, BEDROCK_ADMIN])
    assert [(e.target, e.method, e.conditional) for e in graph.edges_from(runtime_dev.id)] == [
        (AGENTCORE_ADMIN.id, "agentcore-runtime", False)
    ]
    assert [(e.target, e.method, e.conditional) for e in graph.edges_from(interpreter_user.id)] == [
        (AGENTCORE_ADMIN.id, "agentcore-existing-code-interpreter", True)
    ]
