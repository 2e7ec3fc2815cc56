"""policy lint: duplicate keys (which JSON parsers resolve differently) are an ERROR with their place."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

from typer.testing import CliRunner

from cspm.cli import app
from cspm.iam.lint import lint_document, lint_file

DUPLICATE_EFFECT = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
     "Effect": "Deny"}
  ]
}
"""


def test_a_duplicate_effect_is_an_error_naming_the_path_and_both_values(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(DUPLICATE_EFFECT)
    (dup,) = [f for f in lint_file(path) if f.finding.code == "DUPLICATE_KEY"]
    assert dup.level.value == "ERROR"
    assert dup.finding.path == "Statement[0].Effect"
    assert (dup.line, dup.column) == (5, 16)  # the value that wins
    assert dup.finding.details == {"key": "Effect", "values": ['"Allow"', '"Deny"']}
    assert '"Allow" then "Deny"' in dup.finding.message


def test_the_cli_exits_3_on_a_duplicate_key(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(DUPLICATE_EFFECT)
    result = CliRunner().invoke(app, ["policy", "lint", "--json", str(path)])
    assert result.exit_code == 3
    assert [f["code"] for f in json.loads(result.stdout) if f["code"] == "DUPLICATE_KEY"] == ["DUPLICATE_KEY"]


def test_no_finding_without_duplicates_and_same_key_in_sibling_objects_is_fine() -> None:
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}] * 2}
    assert not [f for f in lint_document(json.dumps(doc)) if f.code == "DUPLICATE_KEY"]


def test_duplicates_in_an_array_item_and_in_a_url_encoded_export_document(tmp_path: Path) -> None:
    statement = '{"Effect":"Allow","Action":"s3:*","Action":"s3:GetObject","Resource":"*"}'
    inner = '{"Version":"2012-10-17","Statement":[' + statement + "]}"
    export = {
        "RoleDetailList": [
            {
                "RoleName": "r",
                "Arn": "arn:aws:iam::123456789012:role/r",
                "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": urllib.parse.quote(inner)}],
            }
        ],
        "UserDetailList": [],
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    (dup,) = [f for f in lint_file(path) if f.finding.code == "DUPLICATE_KEY"]
    assert dup.finding.path == "Statement[0].Action" and dup.finding.details["values"] == ['"s3:*"', '"s3:GetObject"']
    assert dup.policy.endswith("inline inline")

    array = tmp_path / "array.json"
    array.write_text('[{"Statement": []}, {"Statement": [], "Version": "2012-10-17", "Version": "2008-10-17"}]')
    (dup,) = [f for f in lint_file(array) if f.finding.code == "DUPLICATE_KEY"]
    assert dup.policy.endswith("array.json[1]") and dup.finding.path == "Version" and dup.line == 1
