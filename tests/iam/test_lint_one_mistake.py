"""``policy lint`` says what a mistake does, once: dead Deny statements, never-matching guards,
one type finding per condition, one escalation finding per set of statements, and a default
``--fail-on`` that blocks on security warnings, as the AWS IAM policy validator tools do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from cspm.cli.policy import policy_app
from cspm.iam.lint import lint_document

app = typer.Typer()
app.add_typer(policy_app, name="policy")
runner = CliRunner()

BUCKET = "arn:aws:s3:::acme-training-data"
MODELS = "arn:aws:s3:::acme-model-artifacts"

# A SageMaker training job's execution role, as the project's source paper writes it: read the
# training data, write the model artifacts, pull the image, write logs — and a final Deny meant to
# stop anyone making an artifact public. Its guard is `Bool` on a string key, so it never applies.
TRAINING_JOB_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadTrainingData",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [BUCKET, f"{BUCKET}/*"],
        },
        {"Sid": "WriteModel", "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": f"{MODELS}/*"},
        {"Sid": "RegistryToken", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {
            "Sid": "PullImage",
            "Effect": "Allow",
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Resource": "arn:aws:ecr:us-east-1:111122223333:repository/acme-trainer",
        },
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "arn:aws:logs:*:*:log-group:/aws/sagemaker/TrainingJobs:*",
        },
        {
            "Sid": "DenyPublicArtifacts",
            "Effect": "Deny",
            "Action": ["s3:PutObject", "s3:PutObjectAcl"],
            "Resource": f"{MODELS}/*",
            "Condition": {"Bool": {"s3:x-amz-acl": "public-read"}},
        },
    ],
}


def by_path(doc: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for f in lint_document(doc):
        out.setdefault(f.path, []).append(f)
    return out


def test_the_papers_dead_deny_is_one_security_warning_naming_the_fix() -> None:
    findings = lint_document(TRAINING_JOB_POLICY)
    (dead,) = [f for f in findings if f.code == "DENY_NEVER_APPLIES"]
    assert dead.level.value == "SECURITY_WARNING"
    assert dead.path == "Statement[5]"
    assert "StringEquals" in dead.message and "never applies" in dead.message
    assert dead.details["fix"] == "StringEquals"
    assert dead.details["condition"] == "Statement[5].Condition.Bool.s3:x-amz-acl"
    condition_path = "Statement[5].Condition.Bool.s3:x-amz-acl"
    assert not [f for f in findings if f.path == condition_path], "the type findings are folded into the dead Deny"


def test_the_papers_policy_fails_lint_by_default(tmp_path: Path) -> None:
    path = tmp_path / "training-job.json"
    path.write_text(json.dumps(TRAINING_JOB_POLICY))
    result = runner.invoke(app, ["policy", "lint", str(path)])
    assert result.exit_code == 3, result.output
    assert "DENY_NEVER_APPLIES" in result.stdout
    fixed = json.loads(json.dumps(TRAINING_JOB_POLICY))
    fixed["Statement"][5]["Condition"] = {"StringEquals": {"s3:x-amz-acl": "public-read"}}
    path.write_text(json.dumps(fixed))
    result = runner.invoke(app, ["policy", "lint", str(path), "--json"])
    assert "DENY_NEVER_APPLIES" not in result.stdout, result.stdout
    assert result.exit_code == 0, result.stdout


def stmt(effect: str, condition: dict[str, Any]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": effect, "Action": "s3:PutObject", "Resource": f"{MODELS}/*", "Condition": condition}],
    }


@pytest.mark.parametrize(
    ("effect", "condition", "code", "fix"),
    [
        ("Deny", {"Bool": {"s3:x-amz-acl": "public-read"}}, "DENY_NEVER_APPLIES", "StringEquals"),
        ("Allow", {"Bool": {"aws:SecureTransport": "yes"}}, "ALLOW_CONDITION_NEVER_MATCHES", "Bool"),
        ("Deny", {"NumericLessThan": {"aws:MultiFactorAuthAge": "one hour"}}, "DENY_NEVER_APPLIES", "NumericEquals"),
        ("Deny", {"DateGreaterThan": {"aws:CurrentTime": "tomorrow"}}, "DENY_NEVER_APPLIES", "DateEquals"),
        ("Allow", {"IpAddress": {"aws:SourceIp": "office"}}, "ALLOW_CONDITION_NEVER_MATCHES", "IpAddress"),
        ("Deny", {"ArnEquals": {"aws:SourceArn": "my-topic"}}, "DENY_NEVER_APPLIES", "ArnLike"),
        (
            "Deny",
            {"ForAnyValue:Bool": {"s3:x-amz-acl": ["public-read", "public-read-write"]}},
            "DENY_NEVER_APPLIES",
            "ForAnyValue:StringEquals",
        ),
    ],
)
def test_a_condition_that_is_never_true_switches_its_statement_off(
    effect: str, condition: dict[str, Any], code: str, fix: str
) -> None:
    (finding,) = [
        f for f in lint_document(stmt(effect, condition)) if f.code.endswith(("NEVER_APPLIES", "NEVER_MATCHES"))
    ]
    assert finding.code == code
    assert finding.path == "Statement[0]"
    assert finding.details["fix"] == fix


@pytest.mark.parametrize(
    "condition",
    [
        {"BoolIfExists": {"s3:x-amz-acl": "public-read"}},  # true for requests without the key
        {"ForAllValues:Bool": {"s3:x-amz-acl": "public-read"}},  # true for requests without the key
        {"Bool": {"aws:SecureTransport": ["true", "yes"]}},  # one value can match
        {"ArnLike": {"aws:SourceArn": "*my-topic"}},  # a wildcard ARN pattern can match
        {"StringEquals": {"s3:x-amz-acl": "public-read"}},  # right operator
        {"NotIpAddress": {"aws:SourceIp": "office"}},  # negated: not certain what IAM does; no claim
        {"IpAddress": {"aws:SourceIp": "${aws:PrincipalTag/office-cidr}"}},  # a variable: decided per request
    ],
)
def test_no_dead_statement_claim_unless_it_is_certain(condition: dict[str, Any]) -> None:
    for effect in ("Allow", "Deny"):
        codes = {f.code for f in lint_document(stmt(effect, condition))}
        assert not codes & {"DENY_NEVER_APPLIES", "ALLOW_CONDITION_NEVER_MATCHES"}, (effect, condition, codes)


def test_one_condition_mistake_is_one_type_finding() -> None:
    found = by_path(stmt("Deny", {"Bool": {"s3:x-amz-acl": ["true", "public-read"]}}))
    (only,) = found["Statement[0].Condition.Bool.s3:x-amz-acl"]
    assert only.code == "OPERATOR_KEY_TYPE_MISMATCH"
    assert only.details["values"] == ["public-read"]
    assert only.details["fix"] == "StringEquals"


def test_a_value_mismatch_alone_is_still_reported() -> None:
    found = by_path(stmt("Allow", {"BoolIfExists": {"aws:SecureTransport": "yes"}}))
    codes = {f.code for f in found["Statement[0].Condition.BoolIfExists.aws:SecureTransport"]}
    assert "TYPE_MISMATCH_BOOL" in codes


def test_one_pass_role_statement_is_one_escalation_finding_listing_every_method() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": [
                    "sagemaker:CreateNotebookInstance",
                    "sagemaker:CreateTrainingJob",
                    "sagemaker:CreateProcessingJob",
                    "glue:CreateDevEndpoint",
                    "lambda:CreateFunction",
                    "lambda:InvokeFunction",
                    "ec2:RunInstances",
                ],
                "Resource": "*",
            },
        ],
    }
    (finding,) = [f for f in lint_document(doc) if f.code == "PRIVILEGE_ESCALATION"]
    methods = [m["method"] for m in finding.details["methods"]]
    assert len(methods) >= 4 and len(set(methods)) == len(methods)
    assert f"{len(methods)} ways" in finding.message
    assert set(finding.details["statements"]) == {"Statement[0]", "Statement[1]"}


@pytest.mark.parametrize(
    ("args", "code"),
    [([], 3), (["--fail-on", "security_warning"], 3), (["--fail-on", "error"], 0), (["--fail-on", "none"], 0)],
)
def test_default_fail_on_blocks_on_security_warnings(tmp_path: Path, args: list[str], code: int) -> None:
    path = tmp_path / "admin.json"
    path.write_text(
        json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    )
    result = runner.invoke(app, ["policy", "lint", str(path), *args])
    assert result.exit_code == code, result.output
    assert "FULL_ADMIN" in result.stdout
