"""Sharded Azure and Google Cloud scans: options, plans, adapters (no cloud; see
e2e/test_distributed_clouds.py and e2e/test_distributed_scp.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cspm.cli import main
from cspm.errors import UsageError
from cspm.shard_clouds import adapter
from cspm.shards import AwsShardOptions, AzureShardOptions, GcpShardOptions, ShardPlan, read_plan_file


def plan(provider: str, options: object, shards: list[list[str]]) -> ShardPlan:
    return ShardPlan.model_validate(
        {"provider": provider, "started_at": datetime.now(UTC), "checks": [], "options": options, "shards": shards}
    )


@pytest.mark.parametrize(
    ("cloud", "args", "message"),
    [
        ("azure", ["--resume"], "only apply with --executor"),
        ("azure", ["--shard-size", "5"], "only apply with --executor"),
        ("azure", ["--plan", "p.json", "--executor", "local:2"], "cannot be combined"),
        ("azure", ["--plan", "p.json", "--parts-dir", "parts"], "not --plan"),
        ("azure", ["--executor", "local:2", "--timeout", "60"], "--timeout does not apply"),
        ("gcp", ["--executor", "tcp://10.1.1.1:8786"], "--insecure"),
        ("gcp", ["--insecure"], "only apply with --executor"),
        ("gcp", ["--plan", "p.json", "--resume"], "not --plan"),
        ("gcp", ["--executor", "local:0"], "1 to 256"),
        ("gcp", ["--plan", "p.json", "--inspect-artifacts"], "--inspect-artifacts does not apply"),
    ],
)
def test_contradictory_distribution_options_of_azure_and_gcp_exit_2(
    cloud: str, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", cloud, "--quiet", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_a_plan_carries_its_clouds_options_and_refuses_another_clouds(tmp_path: Path) -> None:
    azure = plan("azure", {"tenant": "t", "endpoint": "https://arm.example"}, [["s1", "s2"], ["s3"]])
    assert isinstance(azure.options, AzureShardOptions) and azure.options.tenant == "t"
    gcp = plan("gcp", {"crm_endpoint": "https://crm.example"}, [["p1"]])
    assert isinstance(gcp.options, GcpShardOptions)
    aws = plan("aws", {"regions": ["us-east-1"]}, [["111111111111"]])  # a cspm-plan/1 of before
    assert isinstance(aws.options, AwsShardOptions) and aws.org_policies is None
    for cloud, options in (("azure", {"regions": ["us-east-1"]}), ("aws", {"tenant": "t"}), ("gcp", {"tenant": "t"})):
        with pytest.raises(ValueError, match="Extra inputs"):
            plan(cloud, options, [["x"]])
    path = tmp_path / "plan.json"
    raw = json.loads(azure.model_dump_json())
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert read_plan_file(path) == azure
    raw["provider"] = "aws"  # an Azure plan that says AWS: refused, one line, exit 2
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(UsageError, match="not a valid shard plan"):
        read_plan_file(path)


def test_a_task_carries_one_shard_only() -> None:
    azure = plan("azure", {}, [["s1", "s2"], ["s3"]])
    task = azure.for_shard(1)
    assert task.shards == [["s3"]] and task.scan_id == azure.scan_id and task.options == azure.options


@pytest.mark.parametrize(
    ("cloud", "expected"),
    [
        ("azure", {"azure.storage.account", "azure.ml.workspace"}),
        ("gcp", {"gcp.storage.bucket"}),
        ("aws", {"aws.organizations.policies", "aws.s3.bucket"}),
    ],
)
def test_every_cloud_has_the_snapshot_classes_the_merge_validates_parts_with(cloud: str, expected: set[str]) -> None:
    classes = adapter(cloud).resource_classes()
    assert expected <= set(classes)
    assert all(cls.resource_type == name for name, cls in classes.items())


def test_an_unknown_cloud_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not supported"):
        adapter("oci")


def test_a_plan_refuses_the_model_artifact_checks() -> None:
    """A plan carries no artifact settings: planning them would fail every shard on a worker."""
    from cspm.coordinator import make_plan
    from cspm.errors import UsageError
    from cspm.registry import load_checks

    checks = [c for c in load_checks(["azure"]) if c.id.startswith("azure.ml.model_artifact_")]
    assert checks
    with pytest.raises(UsageError, match="artifact"):
        make_plan(object(), checks, None, 1)  # type: ignore[arg-type]
