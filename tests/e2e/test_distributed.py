"""End to end: organization scans cut into shards, and their merge (docs/distributed.md).

The organization of tests/e2e/test_org.py (the management account and three members, one moto
server behind the AssumeRole gate). Every merged report is compared with the single-process
report of the same organization: equal except for the scan id and the timestamps.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import cloudpickle
import pytest
from distributed import Client, LocalCluster
from e2e.harness import Run, run_cspm
from e2e.test_org import REGION, Organization, org, organization, scan_org

from cspm.artifacts.options import select_checks
from cspm.coordinator import SchedulerLost, make_plan, run_shards
from cspm.dask_executor import ExecutorSpec, dask_executor
from cspm.merge import merge_parts
from cspm.providers.aws import SERVICE_MODULES, AwsOptions, AwsProvider
from cspm.selection import Selection
from cspm.shards import EXTERNAL_ID_ENV, AwsShardOptions, ShardPlan, ShardTask

pytestmark = pytest.mark.e2e
T = TypeVar("T")

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


# ---------------------------------------------------------------------------------------------
# The coordinator, in this process, on an executor: Dask's, or a thread pool that plays a failing one
# ---------------------------------------------------------------------------------------------


def plan_of(org: Organization, shard_size: int = 1, *, external_id: str | None = None) -> ShardPlan:
    """What `cspm scan aws --org --executor ...` plans, every check selected (the model-artifact
    checks only run with --inspect-artifacts, which a distributed scan does not take)."""
    options = AwsOptions(endpoint_url=org.url, regions=(REGION,), org=True, workers=8, external_id=external_id)
    checks = select_checks(Selection().apply("aws", available_services=list(SERVICE_MODULES)), inspect=False)
    return make_plan(AwsProvider(options), checks, AwsShardOptions.of(options), shard_size)


def merged(parts: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(merge_parts(parts).to_json())
    return comparable(report)


class Recording(ThreadPoolExecutor):
    """A thread pool that keeps every task it is given, and fails the shards of ``failing``."""

    def __init__(self, failing: str = "") -> None:
        super().__init__(max_workers=2)
        self.failing = failing
        self.tasks: list[ShardTask] = []

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        task = fn
        assert isinstance(task, ShardTask) and not args and not kwargs  # nothing but the task crosses
        self.tasks.append(task)
        if self.failing in task.plan.shards[task.index]:
            failed: Future[T] = Future()
            failed.set_exception(RuntimeError("the worker died 3 times running this shard"))
            return failed
        return super().submit(fn)

    def accounts(self) -> list[str]:
        return sorted(a for t in self.tasks for a in t.plan.shards[t.index])


def test_a_shard_failing_beyond_its_retries_is_an_error_and_resume_finishes_the_scan(
    org: Organization, tmp_path: Path, single: dict[str, Any]
) -> None:
    org.gate.locked = {org.id("sandbox")}
    plan = plan_of(org, shard_size=2)
    research = org.id("research")
    with Recording(failing=research) as executor:
        run_shards(plan, tmp_path, executor)
    first = merged(tmp_path)
    assert not first["scan"]["complete"]
    failed = [e for e in first["errors"] if e["account"] == research and e["service"] == "cspm"]
    assert [e["operation"] for e in failed] == ["shard"] and "died 3 times" in failed[0]["message"]
    assert research not in {r["account"] for r in first["resources"]}
    shard_of_research = next(s for s in plan.shards if research in s)
    with Recording() as executor:  # --resume: the failed shard's accounts, and nothing else
        assert run_shards(plan, tmp_path, executor) == 1
    assert executor.accounts() == sorted(shard_of_research)
    assert merged(tmp_path) == single
    with Recording() as executor:  # all done: nothing is scanned again
        assert run_shards(plan, tmp_path, executor) == 0
    assert executor.tasks == []


def test_no_credential_crosses_the_scheduler(
    org: Organization, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {"AWS_SECRET_ACCESS_KEY": "caller-secret-0123456789", "AWS_SESSION_TOKEN": "caller-token-0123456789"}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(EXTERNAL_ID_ENV, "external-id-0123456789")  # what the workers read
    plan = plan_of(org, shard_size=2, external_id="external-id-0123456789")
    with Recording() as executor:
        run_shards(plan, tmp_path, executor)
    payloads = b"".join(cloudpickle.dumps(task) for task in executor.tasks)  # as Dask pickles them
    assert len(executor.tasks) == 2
    for secret in (*secrets.values(), "external-id-0123456789"):
        assert secret.encode() not in payloads
    assert b"botocore" not in payloads and b"Credentials" not in payloads
    sent = [r.get("ExternalId") for r in org.gate.requests]
    assert sent and set(sent) == {"external-id-0123456789"}  # the workers assumed the roles with it


@pytest.fixture
def cluster() -> Iterator[LocalCluster]:
    """Two worker processes on 127.0.0.1, as `--executor local:2` starts them."""
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    ) as running:
        yield running


def test_a_worker_killed_mid_scan_is_replaced_and_the_report_is_identical(
    org: Organization, tmp_path: Path, single: dict[str, Any], cluster: LocalCluster
) -> None:
    org.gate.locked = {org.id("sandbox")}
    plan = plan_of(org, shard_size=1)
    with dask_executor(ExecutorSpec(address=cluster.scheduler_address)) as (executor, alive), Client(cluster) as client:
        pids: dict[str, int] = client.run(os.getpid)
        coordinator = ThreadPoolExecutor(max_workers=1)
        done = coordinator.submit(run_shards, plan, tmp_path, executor, alive=alive)
        deadline = time.monotonic() + 60
        while not (busy := [w for w, tasks in client.processing().items() if tasks]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert busy, "no shard started"
        os.kill(pids[busy[0]], signal.SIGKILL)  # mid-shard
        assert done.result(timeout=180) == len(plan.shards)
        coordinator.shutdown()
    assert merged(tmp_path) == single
    assert sorted(p.name for p in tmp_path.glob("part-*.json")) == sorted(f"part-{a}.json" for a in plan.accounts)


def test_the_scheduler_going_away_keeps_the_parts_for_resume(
    org: Organization, tmp_path: Path, single: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    org.gate.locked = {org.id("sandbox")}
    monkeypatch.setattr("cspm.dask_executor.LOST_AFTER_SECONDS", 2.0)
    plan = plan_of(org, shard_size=1)
    first = LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0")
    with (
        pytest.raises(SchedulerLost, match="--resume"),
        dask_executor(ExecutorSpec(address=first.scheduler_address)) as (executor, alive),
    ):
        closer = threading.Timer(0.5, first.close)  # mid-scan: four shards on one worker take longer
        closer.start()
        run_shards(plan, tmp_path, executor, alive=alive)
    closer.join()
    assert (tmp_path / "plan.json").exists()
    kept = sorted(tmp_path.glob("part-*.json"))
    assert len(kept) < len(plan.accounts)
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0") as second,
        dask_executor(ExecutorSpec(address=second.scheduler_address)) as (executor, alive),
    ):
        assert run_shards(plan, tmp_path, executor, alive=alive) == len(plan.accounts) - len(kept)
    assert merged(tmp_path) == single


def test_an_unreachable_scheduler_is_one_line_and_exit_1(org: Organization, tmp_path: Path) -> None:
    run = run_cspm(
        *("scan", "aws", "--endpoint-url", org.url, "--region", REGION, "--quiet", "--org"),
        *("--executor", "tcp://127.0.0.1:9"),
        env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"},
        output_dir=tmp_path,
    )
    assert run.returncode == 1, run.explain()
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the Dask scheduler tcp://127.0.0.1:9" in lines[0], run.stderr


def test_executor_local_matches_the_single_process_report(
    org: Organization, tmp_path: Path, single: dict[str, Any]
) -> None:
    org.gate.locked = {org.id("sandbox")}
    run = scan_org(org, tmp_path / "out", "--org", "--executor", "local:2", "--shard-size", "2")
    assert run.returncode == 0, run.explain()
    # --quiet: the denied account's warning (from its worker), none of Dask's own logging
    assert [line for line in run.stderr.splitlines() if "not scanned: AssumeRole failed" not in line] == []
    assert comparable(report_of(tmp_path / "out")) == single
    assert len(list((tmp_path / "out" / "parts").glob("part-*.json"))) == 4


def test_resume_finishes_a_planned_scan_without_scanning_finished_accounts_again(
    org: Organization, tmp_path: Path, single: dict[str, Any], parts: Path
) -> None:
    org.gate.locked = {org.id("sandbox")}
    (parts / f"part-{org.id('platform')}.json").unlink()  # its shard never finished
    kept = {p.name: p.stat().st_mtime_ns for p in parts.glob("part-*.json")}
    other = scan_org(org, tmp_path / "other", "--org", "--executor", "local:1", "--parts-dir", str(parts),
                     "--resume", "--services", "s3")  # fmt: skip
    assert other.returncode == 2 and "other options or checks" in other.stderr, other.explain()
    org.gate.requests.clear()
    run = scan_org(
        org,
        tmp_path / "out",
        "--org",
        "--executor",
        "local:1",
        "--shard-size",
        "3",
        "--parts-dir",
        str(parts),
        "--resume",
    )
    assert run.returncode == 0, run.explain()
    assert comparable(report_of(tmp_path / "out")) == single
    assert {p.name: p.stat().st_mtime_ns for p in parts.glob("part-*.json") if p.name in kept} == kept
    assumed = {r["RoleArn"].split(":")[4] for r in org.gate.requests if "RoleArn" in r}
    assert assumed == {org.id("platform")}  # nothing else was scanned again
