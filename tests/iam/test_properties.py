"""Property tests: random policies never crash, Deny never adds, wider Actions never remove.

``CSPM_IAM_FUZZ_EXAMPLES`` raises the example count (``bench/iam_fuzz.py`` runs 10,000).
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cspm.iam.actions import ActionSet
from cspm.iam.analysis import admin_statements, resource_policy_exposure, service_wildcards, trust_policy_analysis
from cspm.iam.evaluate import Verdict, effective_permissions
from cspm.iam.policy import PolicyDocument, PolicyError, parse_policy
from cspm.iam.statements import Match, resource_match

EXAMPLES = int(os.environ.get("CSPM_IAM_FUZZ_EXAMPLES", "120"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ACTIONS = ["s3:GetObject", "s3:PutObject", "iam:PassRole", "sagemaker:CreateTrainingJob", "ec2:RunInstances"]
PATTERNS = [*ACTIONS, "*", "s3:*", "s3:Get*", "S3:getobject", "iam:?assRole", "*:Create*", "sagemaker:*", "s?:*"]
RESOURCES = ["arn:aws:s3:::ml-data/x", "arn:aws:iam::111122223333:role/r", "arn:aws:ec2:us-east-1:1:instance/i-1"]
RESOURCE_PATTERNS = [
    "*",
    "arn:aws:s3:::ml-data/*",
    "arn:aws:s3:::*",
    "arn:aws:iam::111122223333:role/*",
    "arn:aws:s3:::ml-data/${aws:username}",
    "arn:*",
]
QUERIES = [(a, r) for a in ACTIONS for r in ["*", None, *RESOURCES]]
RANK = {Verdict.DENIED: 0, Verdict.NOT_ALLOWED: 0, Verdict.CONDITIONAL: 1, Verdict.ALLOWED: 2}

conditions = st.one_of(
    st.none(),
    st.just({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
    st.just({"StringEquals": {"aws:SourceVpce": "vpce-1"}}),
)


@st.composite
def statements(draw: st.DrawFn, effect: str | None = None) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"]))}
    action_key = draw(st.sampled_from(["Action", "NotAction"]))
    stmt[action_key] = draw(st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=3))
    resource_key = draw(st.sampled_from(["Resource", "Resource", "NotResource"]))
    stmt[resource_key] = draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2))
    condition = draw(conditions)
    if condition:
        stmt["Condition"] = condition
    return stmt


policies = st.lists(statements(), min_size=1, max_size=5).map(
    lambda stmts: parse_policy({"Version": "2012-10-17", "Statement": stmts})
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.sampled_from(PATTERNS + RESOURCE_PATTERNS),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["Effect", "Action", "NotAction", "Resource", "Principal", "Condition", "Sid", "AWS", "x"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)
random_documents = st.fixed_dictionaries(
    {},
    optional={
        "Version": st.sampled_from(["2012-10-17", "2008-10-17", "bad"]),
        "Statement": st.one_of(json_values, st.lists(json_values, max_size=3)),
    },
)


def verdicts(policy_list: list[PolicyDocument]) -> list[int]:
    perms = effective_permissions(policy_list)
    return [RANK[perms.allows(action, resource).verdict] for action, resource in QUERIES]


@SETTINGS
@given(random_documents)
def test_random_documents_never_crash(raw: dict[str, Any]) -> None:
    for candidate in (raw, json.dumps(raw)):
        try:
            doc = parse_policy(candidate)
        except PolicyError as exc:
            assert isinstance(exc.path, str) and exc.message
            continue
        perms = effective_permissions([doc])
        assert all(perms.allows(a, r).verdict in Verdict for a, r in QUERIES)
        admin_statements(doc)
        service_wildcards(doc)
        resource_policy_exposure(doc, "111122223333")
        trust_policy_analysis(doc, "111122223333")


@SETTINGS
@given(policies, statements(effect="Deny"))
def test_adding_a_deny_never_adds_permissions(policy: PolicyDocument, deny: dict[str, Any]) -> None:
    extra = parse_policy({"Statement": [deny]})
    before = verdicts([policy])
    after = verdicts([policy, extra])
    assert all(a <= b for a, b in zip(after, before, strict=True))


@SETTINGS
@given(policies, st.data())
def test_widening_an_allow_action_never_removes(policy: PolicyDocument, data: st.DataObject) -> None:
    allows = [s for s in policy.statements if s.is_allow and s.actions is not None]
    raw_statements = [_to_raw(s) for s in policy.statements]
    if allows:
        target = data.draw(st.sampled_from(allows))
        raw_statements[target.index]["Action"] = [*target.actions, data.draw(st.sampled_from(PATTERNS))]  # type: ignore[misc]
    wider = parse_policy({"Statement": raw_statements})
    before = verdicts([policy])
    after = verdicts([wider])
    assert all(a >= b for a, b in zip(after, before, strict=True))


def _to_raw(stmt: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"Effect": stmt.effect}
    for key, value in (
        ("Action", stmt.actions),
        ("NotAction", stmt.not_actions),
        ("Resource", stmt.resources),
        ("NotResource", stmt.not_resources),
    ):
        if value is not None:
            out[key] = list(value)
    if stmt.conditions:
        out["Condition"] = {c.operator: {c.key: list(c.values)} for c in stmt.conditions}
    return out


UNIVERSE = ActionSet([*ACTIONS, "s3:GetObjectAcl", "iam:CreateUser", "ec2:DescribeInstances"])
PRINCIPAL = {"aws:username": "alice", "aws:PrincipalArn": "arn:aws:iam::111122223333:user/alice"}


@SETTINGS
@given(policies, st.one_of(st.none(), policies), st.booleans())
def test_grants_agree_with_allows_on_every_resource(
    policy: PolicyDocument, boundary: PolicyDocument | None, known: bool
) -> None:
    """The set algebra of ``grants`` gives each action exactly the verdict of ``allows(action, "*")``."""
    perms = effective_permissions([policy], boundary, principal_context=PRINCIPAL if known else None)
    grants = perms.grants(UNIVERSE)
    for action in sorted(UNIVERSE.actions):
        verdict = perms.allows(action, "*").verdict
        assert (action in grants.allowed) is (verdict is Verdict.ALLOWED), action
        assert (action in grants.conditional) is (verdict is Verdict.CONDITIONAL), action


@SETTINGS
@given(policies)
def test_possible_anywhere_and_resource_patterns_are_supersets(policy: PolicyDocument) -> None:
    """The pruning helpers of the escalation graph never drop an action or a resource ``allows`` finds."""
    perms = effective_permissions([policy], principal_context=PRINCIPAL)
    possible = perms.possible_anywhere(UNIVERSE)
    for action in sorted(UNIVERSE.actions):
        for resource in [None, "*", *RESOURCES]:
            if not perms.allows(action, resource).possible:
                continue
            assert action in possible
            patterns = perms.resource_patterns(action)
            if patterns is not None and resource not in (None, "*"):
                assert any(resource_match(p, resource) is not Match.NO for p in patterns), (action, resource)
