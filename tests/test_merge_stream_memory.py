"""The streamed merge's memory savings (cspm.merge_stream) change nothing in report.json: a check's
findings read back in batches in the report's order, scores from counts, collection errors
sharing their fields, and the lineage and risks written item by item."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from test_merge_stream import ACCOUNTS, CHECKS, NOW, REGION, estates, single_and_merged

import cspm.merge_stream as ms
from cspm.engine import finding_order
from cspm.models import CollectionError, Finding, Status
from cspm.reporting.json_report import json_chunks
from cspm.resources.aws.iam import IamRole
from cspm.resources.aws.s3 import S3Bucket
from cspm.resources.aws.sagemaker import Model, ModelContainer
from cspm.resources.base import Resource
from cspm.scoring import baseline_scores, resource_scores, summarize
from cspm.shards import PLAN_FILE, read_plan_file


def _public_bucket_estate() -> tuple[list[str], list[Resource], list[CollectionError], list[tuple[type, str]]]:
    """Each account's model loads its artifact from the next account's bucket (public in the
    first): the lineage crosses accounts; every check has a finding per account."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}],
    }
    resources: list[Resource] = []
    for index, account in enumerate(ACCOUNTS):
        other = ACCOUNTS[(index + 1) % len(ACCOUNTS)]
        resources += [
            S3Bucket(
                uid=f"arn:aws:s3:::data-{account}",
                name=f"data-{account}",
                account=account,
                region=REGION,
                policy=policy if index == 0 else {},
                policy_is_public=index == 0,
            ),
            Model(
                uid=f"arn:aws:sagemaker:{REGION}:{account}:model/m0",
                name="m0",
                account=account,
                region=REGION,
                containers=(ModelContainer(model_data_url=f"s3://data-{other}/model.tar.gz", primary=True),),
            ),
            IamRole(uid=f"arn:aws:iam::{account}:role/ml-exec", name="ml-exec", account=account),
        ]
    a, b = ACCOUNTS[:2]
    errors = [
        CollectionError(account=x, region=REGION, service="ec2", operation="List", code="X", message="m")
        for x in (a, b)
    ]
    return list(ACCOUNTS), resources, errors, [(IamRole, b)]


def _streamed_text(tmp: Path) -> str:
    stream_out = tmp / "out" / "report.json"
    plan = read_plan_file(tmp / "parts" / PLAN_FILE)
    ms.stream_merge(tmp / "parts", stream_out, finished=plan.started_at + timedelta(minutes=5))
    return stream_out.read_text(encoding="utf-8")


def test_findings_read_back_in_batches_of_two_are_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ms, "_BATCH", 2)  # every check's findings cross batch boundaries
    single, _ = single_and_merged(tmp_path / "parts", *_public_bucket_estate(), seed=3)
    assert len(single.findings) > 2 * len({f.check_id for f in single.findings})  # several batches a check
    assert single.lineage is not None and single.lineage.nodes and single.lineage.edges
    assert single.errors and len(single.errors) == 2
    assert _streamed_text(tmp_path) == "".join(json_chunks(single))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(estate=estates())
def test_small_batches_give_the_in_memory_report_for_any_estate(
    estate: tuple[list[str], list[Resource], list[CollectionError], list[tuple[type[Resource], str]]],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    tmp = tmp_path_factory.mktemp("b")
    single, _ = single_and_merged(tmp / "parts", *estate, seed=7)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ms, "_BATCH", 3)
        assert _streamed_text(tmp) == "".join(json_chunks(single))


def test_the_line_order_is_the_finding_order(tmp_path: Path) -> None:
    single, _ = single_and_merged(tmp_path / "parts", *_public_bucket_estate(), seed=5)
    statuses = {f.status for f in single.findings}
    assert Status.PASS in statuses and Status.FAIL in statuses
    for f in single.findings:
        assert ms._line_order(f.model_dump_json().encode()) == finding_order(f)


def test_scores_and_summary_from_counts_equal_those_from_the_findings(tmp_path: Path) -> None:
    single, _ = single_and_merged(tmp_path / "parts", *_public_bucket_estate(), seed=9)
    findings: list[Finding] = list(single.findings)
    assert {f.status for f in findings} >= {Status.PASS, Status.FAIL}
    merge = ms._Merge.__new__(ms._Merge)
    merge.atoms = {}
    bag = ms._Bag()
    atoms = []
    for f in findings:
        atom = merge.atom(f)
        bag.add(atom)
        atoms.append(atom)
    assert len(bag) == len(findings) and len(merge.atoms) < len(findings)  # shared combinations
    assert baseline_scores(bag) == baseline_scores(findings)  # type: ignore[arg-type]
    assert summarize(bag) == summarize(findings)  # type: ignore[arg-type]
    assert resource_scores(tuple(atoms)) == resource_scores(findings)  # type: ignore[arg-type]
    assert baseline_scores(ms._Bag()) == baseline_scores([])  # type: ignore[arg-type]  # nothing assessed: None, not 100


def test_an_error_repeated_across_accounts_shares_its_fields(tmp_path: Path) -> None:
    accounts, *_ = _public_bucket_estate()
    single, _ = single_and_merged(tmp_path / "parts", *_public_bucket_estate(), seed=1)
    merge = ms._Merge(read_plan_file(tmp_path / "parts" / PLAN_FILE), tmp_path)
    for error in single.errors:
        merge.error(error)
    (a, rest_a), (b, rest_b) = merge.errors
    assert (a, b) == tuple(accounts[:2]) and rest_a is rest_b
    assert rest_a == (REGION, "ec2", "List", "X", "m")
    assert CHECKS and NOW  # the estate's checks and time are test_merge_stream's
