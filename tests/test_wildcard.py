"""Wildcard matching without backtracking (issue 11): agreement with simple references on random
patterns, step counts bounded by len(pattern) * len(text), and the hostile policies of the issue.

No test here measures time: the matcher counts its steps (:meth:`Wildcard.match_steps`).
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cspm import wildcard
from cspm.cli.policy import policy_app
from cspm.engine import Inventory, evaluate
from cspm.iam.actions import action_database, action_matches, all_actions, key_template_matches
from cspm.iam.conditions import Condition, evaluate_condition
from cspm.iam.lint import lint_document
from cspm.iam.statements import Match, pattern_meets_prefix, resource_match
from cspm.registry import load_checks
from cspm.resources.aws.iam import IamPolicy, IamRole, PolicyAttachment
from cspm.wildcard import ANY, STAR, Token, Wildcard, WildcardSet, intersects, intersects_steps, tokenize

SETTINGS = settings(max_examples=400, deadline=None)


# --- references: obviously correct, slow ----------------------------------------------------


def reference_match(tokens: tuple[Token, ...], text: str) -> bool:
    """The textbook recursive definition of a glob match, memoised."""

    @functools.cache
    def go(i: int, j: int) -> bool:
        if i == len(tokens):
            return j == len(text)
        if tokens[i] is STAR:
            return go(i + 1, j) or (j < len(text) and go(i, j + 1))
        return j < len(text) and (tokens[i] is ANY or tokens[i] == text[j]) and go(i + 1, j + 1)

    return go(0, 0)


def reference_intersects(a: tuple[Token, ...], b: tuple[Token, ...]) -> bool:
    """The recursive definition lint used before (it overflowed the stack on long resources)."""

    @functools.cache
    def go(i: int, j: int) -> bool:
        if i == len(a) or j == len(b):
            rest = a[i:] if j == len(b) else b[j:]
            return all(t is STAR for t in rest)
        if a[i] is STAR:
            return go(i + 1, j) or go(i, j + 1)
        if b[j] is STAR:
            return go(i, j + 1) or go(i + 1, j)
        return (a[i] == b[j] or ANY in (a[i], b[j])) and go(i + 1, j + 1)

    return go(0, 0)


def old_resource_regex(pattern: str) -> re.Pattern[str]:
    """How resources were matched before: a regular expression (fine for short patterns)."""
    escapes = {"${*}": "\x00", "${?}": "\x01", "${$}": "\x02"}
    special = {"*": ".*", "?": ".", "\x03": ".*", "\x00": r"\*", "\x01": r"\?", "\x02": r"\$"}
    for escape, marker in escapes.items():
        pattern = pattern.replace(escape, marker)
    pattern = re.sub(r"\$\{[^}]*\}", "\x03", pattern)
    return re.compile("".join(special.get(ch) or re.escape(ch) for ch in pattern), re.DOTALL)


patterns = st.text(alphabet="ab*?", max_size=12)
texts = st.text(alphabet="ab", max_size=14)


# --- agreement ------------------------------------------------------------------------------


@SETTINGS
@given(patterns, texts)
def test_matches_like_the_references(pattern: str, text: str) -> None:
    expected = reference_match(tokenize(pattern)[0], text)
    matcher = Wildcard(pattern)
    assert matcher.matches(text) is expected  # the one-operation shapes (exact, prefix*) included
    assert matcher.match_steps(text)[0] is expected  # the general path, for every shape
    assert fnmatch.fnmatchcase(text, pattern) is expected  # the two references agree, too


@SETTINGS
@given(st.lists(st.text(alphabet="aB*?", max_size=6), max_size=4), st.text(alphabet="AbaB", max_size=8))
def test_a_set_matches_when_any_of_its_patterns_does(patterns: list[str], text: str) -> None:
    expected = any(fnmatch.fnmatchcase(text.lower(), p.lower()) for p in patterns)
    assert WildcardSet(patterns, ignore_case=True).matches(text) is expected


@SETTINGS
@given(st.text(alphabet="aB*?", max_size=10), st.text(alphabet="AbaB", max_size=12))
def test_ignore_case_folds_both_sides_and_nothing_else(pattern: str, text: str) -> None:
    assert Wildcard(pattern, ignore_case=True).matches(text) is fnmatch.fnmatchcase(text.lower(), pattern.lower())
    assert Wildcard(pattern).matches(text) is fnmatch.fnmatchcase(text, pattern)


resource_pieces = st.sampled_from(["a", "b", "/", "*", "?", "$", "{", "}", "${x}", "${*}", "${?}", "${$}"])


@SETTINGS
@given(st.lists(resource_pieces, max_size=8).map("".join), st.text(alphabet="ab/*?${}x", max_size=12))
def test_resource_patterns_match_as_before(pattern: str, text: str) -> None:
    matcher = Wildcard(pattern, variables=True)
    assert matcher.matches(text) is (old_resource_regex(pattern).fullmatch(text) is not None)
    escaped = re.sub(r"\$\{[*?$]\}", "\x00", pattern)  # as the old code did: escapes, then variables
    assert matcher.has_variable is (re.search(r"\$\{[^}]*\}", escaped) is not None)


@SETTINGS
@given(patterns, patterns, texts)
def test_intersects_like_the_reference(a: str, b: str, text: str) -> None:
    ta, tb = tokenize(a)[0], tokenize(b)[0]
    assert intersects(ta, tb) is reference_intersects(ta, tb)
    if reference_match(ta, text) and reference_match(tb, text):
        assert intersects(ta, tb)  # a witness: they do meet


# --- complexity: steps, not seconds ---------------------------------------------------------


@SETTINGS
@given(st.text(alphabet="ab*?", max_size=40), st.text(alphabet="ab", max_size=200))
def test_steps_are_at_most_pattern_times_text(pattern: str, text: str) -> None:
    matched, steps = Wildcard(pattern).match_steps(text)
    assert matched is fnmatch.fnmatchcase(text, pattern)
    assert steps <= 3 * (len(pattern) + 1) * (len(text) + 1)


@pytest.mark.parametrize("pieces", [12, 64, 256])
@pytest.mark.parametrize("n", [100, 1_000, 10_000])
@pytest.mark.parametrize(
    ("piece", "tail"),
    [("*?", "*Q"), ("*a", "*b"), ("*a?", "*Q"), ("**", "?Q")],
    ids=["star-any", "star-a", "star-a-any", "stars"],
)
def test_hostile_patterns_cost_linear_steps(piece: str, tail: str, pieces: int, n: int) -> None:
    """Patterns that make a regex engine backtrack exponentially: here linear in text + pattern."""
    pattern = "a" + piece * pieces + tail
    matched, steps = Wildcard(pattern).match_steps("a" * n)
    assert not matched
    assert steps <= 4 * (len(pattern) + n)


def test_the_worst_case_grows_with_the_text_not_faster() -> None:
    """A segment that almost matches everywhere costs len(segment) per position: O(n*m), no more."""
    matcher = Wildcard("*" + "a" * 20 + "?b*c")
    steps = [matcher.match_steps("a" * n)[1] for n in (1_000, 2_000, 4_000)]
    assert steps[1] <= 2.1 * steps[0] and steps[2] <= 2.1 * steps[1]
    assert steps[2] <= 3 * 24 * 4_001


def test_intersection_visits_each_pair_of_positions_once_at_most() -> None:
    a = tokenize("arn:aws:s3:::" + "*a?" * 300 + "b")[0]
    b = tokenize("arn:${Partition}:s3:::${BucketName}/${ObjectName}", variables=True)[0]
    met, steps = intersects_steps(a, b)
    assert met
    assert steps <= (len(a) + 1) * (len(b) + 1)
    deep = tokenize("arn:aws:s3:::" + "a" * 5_000 + "*")[0]  # the recursive version overflowed here
    assert intersects(deep, b)
    assert not intersects(deep, tokenize("arn:aws:iam::*")[0])


def test_tokenizer_reads_escapes_variables_and_unclosed_braces() -> None:
    tokens, has_variable = tokenize("a${*}${?}${$}${x}?*${", variables=True)
    assert tokens == ("a", "*", "?", "$", STAR, ANY, STAR, "$", "{")
    assert has_variable
    assert tokenize("${x}", variables=False) == (("$", "{", "x", "}"), False)
    hostile = "${" * 20_000  # no "}": literal, and found so after one search
    assert tokenize(hostile, variables=True) == (tuple(hostile), False)


# --- callers keep their case rules and semantics --------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/x", Match.YES),
        ("arn:aws:s3:::B/*", "arn:aws:s3:::b/x", Match.NO),  # ARNs are case-sensitive
        ("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*", Match.YES),  # ${*} is a literal *
        ("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/x", Match.NO),
        ("arn:aws:s3:::b/${?}", "arn:aws:s3:::b/?", Match.YES),
        ("arn:aws:s3:::b/${?}", "arn:aws:s3:::b/x", Match.NO),
        ("arn:aws:s3:::b/${$}", "arn:aws:s3:::b/$", Match.YES),
        ("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/alice/k", Match.MAYBE),
        ("arn:aws:s3:::b/${aws:username", "arn:aws:s3:::b/${aws:username", Match.YES),  # unclosed: literal
    ],
)
def test_resource_match_semantics(pattern: str, resource: str, expected: Match) -> None:
    assert resource_match(pattern, resource) is expected


def test_action_and_condition_case_rules() -> None:
    assert action_matches("S3:get*", "s3:GetObject")
    assert action_matches("iam:?ASSROLE", "iam:PassRole")
    like = Condition("StringLike", "aws:PrincipalArn", ("arn:aws:iam::*:role/ML-*",))
    assert evaluate_condition(like, {"aws:PrincipalArn": "arn:aws:iam::1:role/ML-train"}) is True
    assert evaluate_condition(like, {"aws:PrincipalArn": "arn:aws:iam::1:role/ml-train"}) is False
    hostile = Condition("StringLike", "aws:PrincipalArn", ("a" + "*?" * 64 + "*Q",))
    assert evaluate_condition(hostile, {"aws:PrincipalArn": "a" * 5_000}) is False


def test_prefix_meeting_reads_escapes_literally() -> None:
    assert pattern_meets_prefix("arn:aws:s3:::b${*}", "arn:aws:s3:::b*")
    assert not pattern_meets_prefix("arn:aws:s3:::b${*}", "arn:aws:s3:::bx")
    assert pattern_meets_prefix("arn:aws:s3:::${aws:username}/x", "arn:aws:s3:::alice/")


def test_key_templates_need_one_character_per_variable() -> None:
    assert key_template_matches("aws:RequestTag/${TagKey}", "AWS:requesttag/team")
    assert not key_template_matches("aws:RequestTag/${TagKey}", "aws:RequestTag/")
    assert not key_template_matches("aws:RequestTag/${TagKey}", "aws:RequestTagX")
    assert key_template_matches("s3:ExistingObjectTag/<key>", "s3:ExistingObjectTag/a*b")


# --- the policies of the issue --------------------------------------------------------------


def hostile_policy(pieces: int) -> dict[str, Any]:
    action = "sagemaker:" + "*?" * pieces + "*Q"
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}


def test_the_126_byte_policy_costs_linear_steps_over_every_sagemaker_action() -> None:
    policy = hostile_policy(12)
    assert len(json.dumps(policy, separators=(",", ":"))) <= 130  # the size of the policy
    matcher = Wildcard(policy["Statement"][0]["Action"].split(":", 1)[1], ignore_case=True)
    names = action_database().action_names("sagemaker")
    assert len(names) > 300
    steps = sum(matcher.match_steps(wildcard.fold(name))[1] for name in names)
    assert steps <= 4 * sum(len(name) + len(matcher.pattern) for name in names)
    codes = {(f.code, f.path) for f in lint_document(policy)}
    assert ("INVALID_ACTION", "Statement[0].Action") in codes  # no sagemaker action ends with Q


def test_expand_of_a_hostile_pattern_over_every_action() -> None:
    pattern = "*:" + "?*" * 64 + "*q"
    matcher = Wildcard(pattern, ignore_case=True)
    actions = all_actions().actions
    assert len(actions) > 15_000
    steps = sum(matcher.match_steps(wildcard.fold(a))[1] for a in actions)
    assert steps <= 4 * sum(len(a) + len(pattern) for a in actions)
    expected = sorted(a for a in actions if a.lower().endswith("q") and len(a.split(":", 1)[1]) >= 65)
    assert list(action_database().expand(pattern)) == expected


class _StepBudget:
    """Counts every step the matcher spends while it is installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.steps = 0
        original = Wildcard.match_steps

        def counting(matcher: Wildcard, text: str) -> tuple[bool, int]:
            result = original(matcher, text)
            self.steps += result[1]
            return result

        monkeypatch.setattr(Wildcard, "match_steps", counting)


def test_policy_lint_of_a_64_piece_pattern_finishes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(hostile_policy(64)))
    budget = _StepBudget(monkeypatch)
    app = typer.Typer()
    app.add_typer(policy_app, name="policy")
    result = CliRunner().invoke(app, ["policy", "lint", str(path)])
    assert result.exit_code == 3, result.output  # findings at or above error: INVALID_ACTION
    assert "INVALID_ACTION" in result.stdout
    assert 0 < budget.steps <= 200_000  # measured: 46,256 (every sagemaker action, linear each)


def test_every_iam_check_on_a_role_with_hostile_patterns_stays_within_a_step_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The scan side of the issue: the policy as a managed policy on a role, through the engine."""
    account = "123456789012"
    hostile = "*?" * 64 + "*Q"
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sagemaker:" + hostile, "Resource": "*"},
            {"Effect": "Allow", "NotAction": "s3:" + hostile, "Resource": "arn:aws:s3:::" + hostile},
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": f"arn:aws:iam::{account}:role/" + hostile,
                "Condition": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/" + hostile}},
            },
        ],
    }
    policy = IamPolicy(
        uid=f"arn:aws:iam::{account}:policy/hostile",
        name="hostile",
        account=account,
        aws_managed=False,
        document=document,
        attachment_count=1,
        boundary_usage_count=0,
    )
    role = IamRole(
        uid=f"arn:aws:iam::{account}:role/ml",
        name="ml",
        account=account,
        path="/",
        trust_policy={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*" + hostile}, "Action": "sts:AssumeRole"}],
        },
        attached_policies=(PolicyAttachment(name="hostile", arn=policy.uid),),
    )
    inventory = Inventory()
    for resource in (policy, role):
        inventory.add(resource)
    checks = [spec for spec in load_checks(["aws"]) if spec.service == "iam"]
    budget = _StepBudget(monkeypatch)
    findings = evaluate(checks, inventory, datetime(2026, 6, 1, tzinfo=UTC))
    assert {f.resource_uid for f in findings} >= {policy.uid, role.uid}
    # Every known action against each hostile pattern once at most (cached), linear steps each.
    print("STEPS", budget.steps, 4 * len(all_actions()) * (len(hostile) + 100))
    assert 0 < budget.steps <= 4 * len(all_actions()) * (len(hostile) + 100)
