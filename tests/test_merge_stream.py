"""The merge of a sharded scan's parts (cspm.merge) builds the report the single-process path
builds from the same inventory and findings, whatever the accounts, resources, findings, errors
and incomplete listings (hypothesis), and keeps only what the report reads of each resource."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cspm.engine import Inventory, build_report, evaluate
from cspm.merge import MergedEntry, MergedProvider, merge_parts, needs_snapshot
from cspm.merge_stream import StreamedMerge, exit_code, stream_merge, streamable
from cspm.models import CollectionError, Finding, ScanReport, Scope, Severity, Status
from cspm.registry import CheckSpec, load_checks
from cspm.reporting.json_report import json_chunks
from cspm.resources.aws.ec2 import SecurityGroup
from cspm.resources.aws.iam import IamRole
from cspm.resources.aws.s3 import S3Bucket
from cspm.resources.aws.sagemaker import Model, ModelContainer
from cspm.resources.base import Resource
from cspm.shards import PLAN_FILE, AwsShardOptions, ShardPlan, cut, part_path, split_by_account

ACCOUNTS = [f"1111111111{i:02d}" for i in range(6)]
REGION = "us-east-1"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TYPES: tuple[type[Resource], ...] = (S3Bucket, Model, SecurityGroup, IamRole)
SERVICES = ("s3", "sagemaker", "ec2", "iam")


def _checks() -> list[CheckSpec]:
    """The AWS checks of the four types the estates hold (some read other types: ERROR findings)."""
    return [c for c in load_checks(["aws"]) if c.resource_type in TYPES]


CHECKS = _checks()


@st.composite
def estates(
    draw: st.DrawFn,
) -> tuple[list[str], list[Resource], list[CollectionError], list[tuple[type[Resource], str]]]:
    """Accounts, their resources (models loading artifacts and images of other accounts: the
    lineage crosses accounts), collection errors and incomplete listings."""
    accounts = draw(st.lists(st.sampled_from(ACCOUNTS), min_size=1, max_size=5, unique=True))
    resources: list[Resource] = []
    for account in accounts:
        for i in range(draw(st.integers(0, 2))):
            name = f"data-{account}-{i}"
            resources.append(S3Bucket(uid=f"arn:aws:s3:::{name}", name=name, account=account, region=REGION))
        role = f"arn:aws:iam::{account}:role/ml-exec"
        if draw(st.booleans()):
            resources.append(IamRole(uid=role, name="ml-exec", account=account))
        for i in range(draw(st.integers(0, 2))):
            other = draw(st.sampled_from(accounts))
            container = ModelContainer(
                image=f"{other}.dkr.ecr.{REGION}.amazonaws.com/trainer:1",
                model_data_url=f"s3://data-{other}-{draw(st.integers(0, 2))}/model.tar.gz",
                primary=True,
            )
            resources.append(
                Model(
                    uid=f"arn:aws:sagemaker:{REGION}:{account}:model/m{i}",
                    name=f"m{i}",
                    account=account,
                    region=REGION,
                    containers=(container,),
                    execution_role_arn=role,
                    network_isolation=draw(st.booleans()),
                )
            )
        for i in range(draw(st.integers(0, 2))):
            group = f"sg-{account}{i}"
            tags = draw(st.sampled_from([{}, {"team": "ml"}, {"note": "token ghp_" + "a" * 36}]))
            resources.append(
                SecurityGroup(
                    uid=f"arn:aws:ec2:{REGION}:{account}:security-group/{group}",
                    name=f"web-{i}",
                    account=account,
                    region=REGION,
                    group_id=group,
                    tags=tags,
                )
            )
    errors = [
        CollectionError(
            account=draw(st.sampled_from(accounts)),
            region=REGION,
            service=service,
            operation="List",
            code=draw(st.sampled_from(["AccessDenied", "Throttling"])),
            message=draw(st.sampled_from(["denied", "slow down", "denied"])),
        )
        for service in draw(st.lists(st.sampled_from(SERVICES), max_size=4))
    ]
    marks = draw(st.lists(st.tuples(st.sampled_from(TYPES), st.sampled_from(accounts)), max_size=2))
    return accounts, resources, errors, marks


def scanned(
    accounts: list[str],
    resources: list[Resource],
    errors: list[CollectionError],
    marks: list[tuple[type[Resource], str]],
    checks: list[CheckSpec],
) -> tuple[Inventory, list[Finding], dict[str, Scope], ShardPlan]:
    """An estate as one process scans it (inventory, findings, scopes) and its plan (shards of 2)."""
    inventory = Inventory()
    for resource in resources:
        inventory.add(resource)
    for error in errors:
        inventory.record_error(error)
    for rtype, account in marks:
        inventory.mark_incomplete(rtype, account, REGION, "List failed: AccessDenied")
    findings = evaluate(checks, inventory, NOW)
    scopes = {a: Scope(account=a, regions=[REGION]) for a in accounts}
    plan = ShardPlan(
        started_at=NOW,
        checks=[c.id for c in checks],
        options=AwsShardOptions(regions=[REGION]),
        shards=cut(accounts, 2),
    )
    return inventory, findings, scopes, plan


def single_and_merged(
    tmp: Path,
    accounts: list[str],
    resources: list[Resource],
    errors: list[CollectionError],
    marks: list[tuple[type[Resource], str]],
    seed: int,
) -> tuple[ScanReport, ScanReport]:
    inventory, findings, scopes, plan = scanned(accounts, resources, errors, marks, CHECKS)
    finished = NOW + timedelta(minutes=5)
    provider = MergedProvider("aws", list(scopes.values()))
    single = build_report(provider, CHECKS, inventory, findings, NOW, finished, scan_id=plan.scan_id)
    tmp.mkdir()
    (tmp / PLAN_FILE).write_text(plan.model_dump_json(), encoding="utf-8")
    shuffle = random.Random(seed).shuffle
    for part in split_by_account(plan, accounts, scopes, inventory, findings):
        # Parts arrive in any order, their lists in any order: the report's order is total.
        items: dict[str, list[Any]] = {k: list(getattr(part, k)) for k in ("resources", "errors", "findings")}
        for values in items.values():
            shuffle(values)
        shuffled = part.model_copy(update=items)
        part_path(tmp, part.account).write_text(shuffled.model_dump_json(), encoding="utf-8")
    return single, merge_parts(tmp, finished=finished)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(estate=estates(), seed=st.integers(0, 2**16))
def test_the_merge_of_the_parts_is_the_single_process_report(
    estate: tuple[list[str], list[Resource], list[CollectionError], list[tuple[type[Resource], str]]],
    seed: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    tmp = tmp_path_factory.mktemp("m")
    single, merged = single_and_merged(tmp / "parts", *estate, seed=seed)
    assert merged.model_dump_json() == single.model_dump_json()
    text = "".join(json_chunks(single))
    assert "".join(json_chunks(merged)) == text
    streamed = stream_merge(tmp / "parts", tmp / "out" / "report.json", finished=single.scan.finished_at)
    assert (tmp / "out" / "report.json").read_text(encoding="utf-8") == text
    assert [p.name for p in (tmp / "out").iterdir()] == ["report.json"]  # the temporary files are gone
    assert streamed.complete is single.scan.complete and streamed.errors == len(single.errors)
    for severity in Severity:
        assert streamed.failing[severity.value] == sum(
            1 for f in single.findings if f.status is Status.FAIL and f.severity.rank >= severity.rank
        )


def test_the_example_has_cross_account_lineage_findings_errors_and_marks(tmp_path: Path) -> None:
    """One fixed estate of the strategy's kind, to show the comparison above compares something."""
    a, b = ACCOUNTS[:2]
    resources: list[Resource] = [
        S3Bucket(uid=f"arn:aws:s3:::data-{b}-0", name=f"data-{b}-0", account=b, region=REGION),
        Model(
            uid=f"arn:aws:sagemaker:{REGION}:{a}:model/m0",
            name="m0",
            account=a,
            region=REGION,
            containers=(ModelContainer(model_data_url=f"s3://data-{b}-0/model.tar.gz", primary=True),),
        ),
        SecurityGroup(uid=f"arn:aws:ec2:{REGION}:{a}:security-group/sg-1", name="web", account=a, group_id="sg-1"),
    ]
    errors = [CollectionError(account=b, region=REGION, service="ec2", operation="List", code="X", message="m")]
    single, merged = single_and_merged(tmp_path / "parts", [a, b], resources, errors, [(IamRole, a)], seed=1)
    assert merged.model_dump_json() == single.model_dump_json()
    assert merged.lineage is not None
    artifact = f"arn:aws:s3:::data-{b}-0/model.tar.gz"  # account a's model, account b's bucket
    assert {(e.source, e.target) for e in merged.lineage.edges} == {
        (f"arn:aws:sagemaker:{REGION}:{a}:model/m0", artifact),
        (artifact, f"arn:aws:s3:::data-{b}-0"),
    }
    assert {f.account for f in merged.findings} == {a, b}
    assert merged.errors == single.errors and len(merged.errors) == 1 and not merged.scan.complete
    assert [r.uid for r in merged.resources] == sorted(r.uid for r in resources)


def test_a_part_that_fails_validation_in_the_middle_makes_only_its_account_an_error(tmp_path: Path) -> None:
    a, b, c = ACCOUNTS[:3]
    resources: list[Resource] = [
        S3Bucket(uid=f"arn:aws:s3:::data-{x}-0", name=f"data-{x}-0", account=x, region=REGION) for x in (a, b, c)
    ]
    single, _ = single_and_merged(tmp_path / "parts", [a, b, c], resources, [], [], seed=2)
    bad = json.loads(part_path(tmp_path / "parts", b).read_text(encoding="utf-8"))
    bad["resources"][0]["data"]["tags"] = "not a mapping"
    part_path(tmp_path / "parts", b).write_text(json.dumps(bad), encoding="utf-8")
    merged = merge_parts(tmp_path / "parts", finished=single.scan.finished_at)
    assert [(e.account, e.service, e.code) for e in merged.errors] == [(b, "cspm", "InvalidPart")]
    assert not merged.scan.complete
    assert {f.account for f in merged.findings} == {a, c}
    assert [f for f in merged.findings] == [f for f in single.findings if f.account != b]
    assert {r.account for r in merged.resources} == {a, c}


def test_only_the_snapshots_the_lineage_and_artifacts_read_are_kept_whole(tmp_path: Path) -> None:
    assert needs_snapshot(S3Bucket) and needs_snapshot(Model) and needs_snapshot(IamRole)
    assert not needs_snapshot(SecurityGroup)
    a = ACCOUNTS[0]
    group = SecurityGroup(
        uid=f"arn:aws:ec2:{REGION}:{a}:security-group/sg-1", name="web", account=a, group_id="sg-1", tags={"k": "v"}
    )
    single, merged = single_and_merged(tmp_path / "parts", [a], [group], [], [], seed=3)
    assert merged.resources == single.resources and merged.resources[0].tags == {"k": "v"}
    entry = MergedEntry(group.uid, group.resource_type, group.name, a, REGION, {})
    assert entry.cloud() == "aws" and not isinstance(entry, Resource)


def test_only_a_merge_to_report_json_and_the_summary_streams(tmp_path: Path) -> None:
    from cspm.mutelist import Mutelist
    from cspm.runner import OutputOptions

    assert streamable(OutputOptions(quiet=True))
    assert streamable(OutputOptions())  # the summary streams too (tests/test_merge_stream_summary.py)
    for quiet in (True, False):
        for other in ({"formats": ("sarif",)}, {"compliance": "cis"}, {"store": "default"}, {"json_path": "-"}):
            assert not streamable(OutputOptions(quiet=quiet, **other))
        assert not streamable(OutputOptions(quiet=quiet, json_path="copy.json"))
        assert not streamable(OutputOptions(quiet=quiet, mutelist=Mutelist(entries=())))


def test_the_streamed_exit_code_and_its_line_are_the_runners(capsys: pytest.CaptureFixture[str]) -> None:
    from cspm.runner import OutputOptions

    failing = dict.fromkeys((s.value for s in Severity), 0) | {"low": 2, "informational": 2}
    result = StreamedMerge(complete=False, errors=3, failing=failing, note=None)
    assert exit_code(result, OutputOptions(quiet=True, fail_on="low", strict=True)) == 3
    assert capsys.readouterr().err == "cspm: 2 unmuted failing finding(s) at or above low (exit 3)\n"
    assert exit_code(result, OutputOptions(quiet=True, fail_on="high", strict=True)) == 4
    assert capsys.readouterr().err == "cspm: the scan is incomplete: 3 collection error(s) (exit 4, --strict)\n"
    noted = StreamedMerge(complete=True, errors=0, failing=failing, note="why")
    assert exit_code(noted, OutputOptions(quiet=True, fail_on="high")) == 0
    assert capsys.readouterr().err == "cspm: note: why\n"


def test_an_output_directory_that_cannot_be_made_is_a_usage_error(tmp_path: Path) -> None:
    from cspm.errors import UsageError

    a = ACCOUNTS[0]
    bucket = S3Bucket(uid=f"arn:aws:s3:::data-{a}-0", name=f"data-{a}-0", account=a, region=REGION)
    single_and_merged(tmp_path / "parts", [a], [bucket], [], [], seed=4)
    (tmp_path / "file").write_text("not a directory", encoding="utf-8")
    with pytest.raises(UsageError, match="cannot write"):
        stream_merge(tmp_path / "parts", tmp_path / "file" / "out" / "report.json")
