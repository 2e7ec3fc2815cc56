"""End to end: organization scans cut into shards, and their merge (docs/distributed.md).

The organization of tests/e2e/test_org.py (the management account and three members, one moto
server behind the AssumeRole gate). Every merged report is compared with the single-process
report of the same organization: equal except for the scan id and the timestamps.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from e2e.harness import Run, run_cspm
from e2e.test_org import REGION, Organization, org, organization, scan_org

pytestmark = pytest.mark.e2e

__all__ = ["org", "organization"]  # the fixtures, shared with test_org


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """A report without what differs between two scans of the same estate: id and timestamps."""
    scan = {k: v for k, v in report["scan"].items() if k not in ("id", "started_at", "finished_at")}
    return {**report, "scan": scan}


def report_of(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def single(organization: Organization, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The single-process report, one member's role denied (an error that must merge as well)."""
    organization.gate.reset()
    organization.gate.locked = {organization.id("sandbox")}
    out = tmp_path_factory.mktemp("single")
    run = scan_org(organization, out, "--org")
    organization.gate.reset()
    assert run.returncode == 0, run.explain()
    return comparable(report_of(out))


def shard_commands(org: Organization, tmp_path: Path, *extra: str) -> tuple[Path, Path, Run]:
    """--plan, then every shard with `cspm shard run`: (plan file, parts directory, planning run)."""
    plan, parts = tmp_path / "shards.json", tmp_path / "parts"
    planned = scan_org(org, tmp_path / "unused", "--org", "--plan", str(plan), "--shard-size", "3", *extra)
    assert planned.returncode == 0, planned.explain()
    shards = json.loads(plan.read_text(encoding="utf-8"))["shards"]
    for index in range(len(shards)):
        ran = run_cspm("shard", "run", "--plan", str(plan), "--index", str(index), "--out", str(parts))
        assert ran.returncode == 0, ran.explain()
    return plan, parts, planned


@pytest.fixture(scope="module")
def sharded(organization: Organization, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Run]:
    """The organization planned and every shard run by the commands (the same member denied)."""
    organization.gate.reset()
    organization.gate.locked = {organization.id("sandbox")}
    done = shard_commands(organization, tmp_path_factory.mktemp("sharded"))
    organization.gate.reset()
    return done


@pytest.fixture
def parts(sharded: tuple[Path, Path, Run], tmp_path: Path) -> Path:
    """A copy of the sharded scan's parts directory, for a test to change."""
    return Path(shutil.copytree(sharded[1], tmp_path / "parts"))


def test_plan_shard_run_and_merge_equal_the_single_process_report(
    org: Organization, tmp_path: Path, single: dict[str, Any], sharded: tuple[Path, Path, Run]
) -> None:
    plan, parts, planned = sharded
    data = json.loads(plan.read_text(encoding="utf-8"))
    assert [len(s) for s in data["shards"]] == [3, 1]  # 4 accounts, --shard-size 3
    assert "shard run" in planned.stderr
    merged = run_cspm("merge", str(parts), "--quiet", output_dir=tmp_path / "out")
    assert merged.returncode == 0, merged.explain()
    report = report_of(tmp_path / "out")
    assert report["scan"]["id"] == data["scan_id"]  # fixed by the coordinator
    assert report["scan"]["started_at"].startswith(data["started_at"][:19])
    assert comparable(report) == single
    assert any(e["operation"] == "AssumeRole" and e["account"] == org.id("sandbox") for e in report["errors"])
    assert {p.name for p in parts.iterdir()} == {"plan.json", *(f"part-{a}.json" for s in data["shards"] for a in s)}


def test_the_report_tells_a_missing_or_invalid_part_and_merges_the_rest(
    org: Organization, tmp_path: Path, single: dict[str, Any], parts: Path
) -> None:
    (parts / f"part-{org.id('research')}.json").write_text('{"format": "cspm-part/1", "resources": 7', encoding="utf-8")
    (parts / f"part-{org.id('platform')}.json").unlink()
    merged = run_cspm("merge", str(parts), "--quiet", "--strict", output_dir=tmp_path / "out")
    assert merged.returncode == 4, merged.explain()  # incomplete
    report = report_of(tmp_path / "out")
    assert not report["scan"]["complete"]
    codes = {(e["account"], e["service"], e["code"]) for e in report["errors"]}
    assert (org.id("research"), "cspm", "InvalidPart") in codes
    assert (org.id("platform"), "cspm", "NoPart") in codes
    accounts = {r["account"] for r in report["resources"]}
    assert org.id("research") not in accounts and org.id("platform") not in accounts
    expected = {r["uid"] for r in single["resources"] if r["account"] not in (org.id("research"), org.id("platform"))}
    assert {r["uid"] for r in report["resources"]} == expected


@pytest.mark.parametrize("change", ["scan_id", "tool_version"])
def test_a_part_of_another_scan_or_version_is_refused(
    org: Organization, tmp_path: Path, parts: Path, change: str
) -> None:
    path = parts / f"part-{org.id('research')}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data[change] = "other"
    path.write_text(json.dumps(data), encoding="utf-8")
    merged = run_cspm("merge", str(parts), "--quiet", output_dir=tmp_path / "out")
    assert merged.returncode == 2, merged.explain()
    assert len(merged.stderr.strip().splitlines()) == 1
    assert "other" in merged.stderr
    assert not (tmp_path / "out" / "report.json").exists()


def test_a_part_dir_of_another_plan_is_refused_by_shard_run(org: Organization, tmp_path: Path, parts: Path) -> None:
    other = tmp_path / "other.json"
    planned = scan_org(org, tmp_path / "unused", "--org", "--plan", str(other), "--region", REGION)
    assert planned.returncode == 0, planned.explain()
    ran = run_cspm("shard", "run", "--plan", str(other), "--index", "0", "--out", str(parts))
    assert ran.returncode == 2 and "another scan" in ran.stderr, ran.explain()
