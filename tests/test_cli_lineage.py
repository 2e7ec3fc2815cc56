"""``cspm lineage REPORT.json``: the tree, DOT and Mermaid outputs, and one-line errors (exit 2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

import cspm.cli
import cspm.reporting.lineage
from cspm.lineage import annotate, build_lineage
from cspm.models import (
    Baseline,
    Finding,
    ScanInfo,
    ScanReport,
    Scope,
    Severity,
    Status,
    ToolInfo,
    finding_uid,
)
from cspm.resources.aws.s3 import S3Bucket
from cspm.resources.aws.sagemaker import Endpoint, EndpointConfig, Model, ModelContainer, ProductionVariant, TrainingJob
from cspm.scoring import summarize

A, R = "123456789012", "us-east-1"
NOW = datetime(2026, 11, 25, tzinfo=UTC)
ART = "s3://art/out/job-1/output/model.tar.gz"
assert cspm.reporting.lineage.FORMATS == ("tree", "dot", "mermaid")


def sm(kind: str, name: str) -> dict[str, str]:
    return {"uid": f"arn:aws:sagemaker:{R}:{A}:{kind}/{name}", "name": name, "account": A, "region": R}


def report(tmp_path: Path, *, with_lineage: bool = True) -> Path:
    resources = [
        TrainingJob(**sm("training-job", "job-1"), input_s3_uris=("s3://data/train",), output_s3_path="s3://art/out"),
        Model(
            **sm("model", "model-1"),
            containers=(
                ModelContainer(image=f"763104351884.dkr.ecr.{R}.amazonaws.com/pytorch:2.3", model_data_url=ART),
            ),
        ),
        EndpointConfig(**sm("endpoint-config", "cfg"), variants=(ProductionVariant(name="v", model_name="model-1"),)),
        Endpoint(**sm("endpoint", "prod"), status="InService", endpoint_config_name="cfg"),
        S3Bucket(uid="arn:aws:s3:::art", name="art", account=A, region=R),
    ]
    fail = Finding(
        uid=finding_uid("aws.s3.bucket_versioning_enabled", "arn:aws:s3:::art"),
        check_id="aws.s3.bucket_versioning_enabled",
        title="t",
        status=Status.FAIL,
        severity=Severity.HIGH,
        baseline=Baseline.INTEGRITY,
        resource_uid="arn:aws:s3:::art",
        resource_type="aws.s3.bucket",
        account=A,
        region=R,
        message="m",
        remediation="r.",
    )
    lineage = annotate(build_lineage(resources).to_model(), [fail])
    scan = ScanInfo(
        id="x",
        provider="aws",
        started_at=NOW,
        finished_at=NOW,
        complete=True,
        scopes=[Scope(account=A, regions=[R])],
        checks_run=1,
    )
    built = ScanReport(
        tool=ToolInfo(version="0"),
        scan=scan,
        summary=summarize([fail]),
        resources=[],
        findings=[fail],
        errors=[],
        lineage=lineage if with_lineage else None,
    )
    path = tmp_path / "report.json"
    path.write_text(built.to_json(), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cspm.cli.main(["lineage", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_tree_follows_the_chain_and_marks_unresolved_edges(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(report(tmp_path)))
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("AI lineage: ") and "unresolved)" in lines[0]
    assert lines[1].endswith("endpoint prod")  # endpoints first
    text = "\n".join(lines)
    for fragment in (
        "serves → endpoint config cfg",
        "hosts → model model-1",
        f"loads → prefix {ART}",
        "in_bucket → bucket art  [high: 1 failing]",
        "trained_by → training job job-1",
        "reads → prefix s3://data/train",
        "✗ unresolved: bucket data is not in the inventory",
        "✗ unresolved: repository pytorch is in another account (763104351884)",
    ):
        assert fragment in text, fragment
    assert "\x1b[" not in out  # plain text


def test_dot_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(report(tmp_path)), "--format", "dot")
    assert code == 0
    assert out.startswith("digraph lineage {") and out.rstrip().endswith("}")
    endpoint, config = sm("endpoint", "prod")["uid"], sm("endpoint-config", "cfg")["uid"]
    assert f'"{endpoint}" -> "{config}" [label="serves"' in out
    assert 'label="reads (unresolved)"' in out and 'color="red"' in out and 'style="dashed"' in out
    assert 'fillcolor="#fbe0c3"' in out  # the failing bucket


def test_mermaid_export_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "lineage.mmd"
    code, out, _ = run(capsys, str(report(tmp_path)), "--format", "mermaid", "--output", str(target))
    assert code == 0 and out == ""
    text = target.read_text(encoding="utf-8")
    assert text.startswith("flowchart LR\n")
    assert '-->|"serves"|' in text and '-.->|"runs ✗ unresolved: repository pytorch' in text
    assert "class " in text and " high" in text and " unresolved" in text
    assert '"' not in text.split("|")[2].split("]")[0].strip('"')  # labels carry no raw quotes


def test_tree_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "tree.txt"
    assert run(capsys, str(report(tmp_path)), "-o", str(target))[0] == 0
    assert "hosts → model model-1" in target.read_text(encoding="utf-8")


def test_an_empty_lineage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = report(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["lineage"] = {"nodes": [], "edges": []}
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = run(capsys, str(path))
    assert code == 0 and "empty" in out


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: str(p / "missing.json"), "cannot read"),
        (lambda p: write(p, "{not json"), "bad.json:1:2: not valid JSON"),
        (lambda p: write(p, "[1, 2]"), "is not a cspm report"),
        (lambda p: write(p, '{"schema_version": "1", "findings": []}'), "has no lineage section"),
        (lambda p: str(report(p, with_lineage=False)), "has no lineage section"),
        (
            lambda p: write(
                p, '{"schema_version": "1", "findings": [], "lineage": {"nodes": [{"id": 3}], "edges": []}}'
            ),
            "has a corrupt lineage section: nodes.0.id",
        ),
    ],
    ids=["missing", "not-json", "not-a-report", "no-lineage", "null-lineage", "corrupt-lineage"],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Callable[[Path], str], message: str
) -> None:
    code, out, err = run(capsys, make(tmp_path))
    assert code == 2 and out == ""
    assert err.startswith("cspm: error: ") and message in err
    assert err.count("\n") == 1


def test_unknown_format_and_unwritable_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(report(tmp_path))
    code, _, err = run(capsys, path, "--format", "png")
    assert code == 2 and "unknown --format png; valid: tree, dot, mermaid" in err and err.count("\n") == 1
    (tmp_path / "a-file").write_text("")
    code, _, err = run(capsys, path, "--output", str(tmp_path / "a-file" / "dir.txt"))  # its parent is a file
    assert code == 2 and "cannot write" in err and err.count("\n") == 1
    code, _, err = run(capsys, path, "--output", str(tmp_path))  # a directory
    assert code == 2 and "a directory" in err and err.count("\n") == 1
