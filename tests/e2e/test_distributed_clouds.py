"""End to end: Azure subscriptions and Google Cloud projects cut into shards, and their merge.

The fakes of cspm/demo (ARM over HTTPS, Cloud Storage / Resource Manager / Vertex AI / IAM over
HTTP) on 127.0.0.1, the real ``cspm`` process signing in the documented ways (a service
principal for Azure, a service-account key for ADC). Every merged report is compared with the
single-process report of the same estate: equal except for the scan id and the timestamps.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cloudpickle
import pytest
from distributed import Client, LocalCluster
from e2e.test_distributed import Recording, comparable, merged
from e2e.test_org import ORG_ID, FakeHierarchy, gcp_hierarchy

from cspm import shard_clouds
from cspm.coordinator import make_plan, run_shards
from cspm.dask_executor import ExecutorSpec, dask_executor
from cspm.registry import load_checks
from cspm.shards import AzureShardOptions, GcpShardOptions, ShardPlan, read_plan_file
from support.azure import (
    SUB,
    SUB2,
    TENANT,
    FakeArm,
    ai_account,
    ai_deployment,
    blob_service,
    clean_env,
    compute,
    container,
    hardened_account,
    hardened_workspace,
    make_cert,
    role_assignment,
    run_cli,
    serve_https,
    storage_account,
    subscription,
    workspace,
)
from support.gcp import acl_entry, bucket, iam_policy, serve_http, service_account_file

pytestmark = pytest.mark.e2e

SUB3 = "00000000-0000-0000-0000-000000000003"
SUB4 = "00000000-0000-0000-0000-000000000004"  # listed, nothing in it can be read
AZURE_SECRET = "azure-client-secret-0123456789"


@pytest.fixture(autouse=True)
def cold_workers() -> Iterator[None]:
    """Shards run in this process keep credentials warm between shards: not between tests,
    whose fakes listen on other ports."""
    shard_clouds._warm.clear()
    yield
    shard_clouds._warm.clear()


def report_of(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return data


def plan_in(parts: Path) -> ShardPlan:
    return read_plan_file(parts / "plan.json")


# ---------------------------------------------------------------------------------------------
# Azure: subscriptions
# ---------------------------------------------------------------------------------------------


def azure_estate() -> FakeArm:
    fake = FakeArm(
        subscriptions=[
            subscription(SUB, "prod"),
            subscription(SUB2, "dev"),
            subscription(SUB3, "research"),
            subscription(SUB4, "locked"),
        ]
    )
    fake.add_account(
        hardened_account("prodhardened"), blob=blob_service("prodhardened"), containers=[container("prodhardened", "d")]
    )
    fake.add_workspace(hardened_workspace("prod-ws"), [compute("prod-ws", "ci")])
    fake.add_rbac(SUB, [role_assignment("p-1", "Contributor", f"/subscriptions/{SUB}")])
    fake.add_account(
        storage_account("devopen", sub=SUB2),
        blob=blob_service("devopen", sub=SUB2, blob_days=None, container_days=None, versioning=None),
        containers=[container("devopen", "public-models", "Container", sub=SUB2)],
    )
    fake.add_workspace(workspace("dev-ws", sub=SUB2), [compute("dev-ws", "keys", disable_local_auth=False, sub=SUB2)])
    fake.add_ai_account(
        ai_account("research-ai", sub=SUB3), deployments=[ai_deployment("research-ai", "chat", sub=SUB3)]
    )
    fake.add_account(storage_account("researchdata", sub=SUB3), blob=blob_service("researchdata", sub=SUB3))
    fake.deny(f"/subscriptions/{SUB4}/")
    return fake


@pytest.fixture
def azure(tmp_path: Path) -> Iterator[tuple[FakeArm, dict[str, str]]]:
    fake = azure_estate()
    cert, key = make_cert(tmp_path)
    with serve_https(fake, cert, key) as base:
        env = clean_env(
            tmp_path,
            AZURE_CLIENT_ID="22222222-2222-2222-2222-222222222222",
            AZURE_CLIENT_SECRET=AZURE_SECRET,
            AZURE_TENANT_ID=TENANT,
            AZURE_AUTHORITY_HOST=base,
            CSPM_AZURE_ARM_ENDPOINT=base,
            REQUESTS_CA_BUNDLE=str(cert),
        )
        yield fake, env


def scan(cloud: str, env: dict[str, str], out: Path, *args: str) -> dict[str, Any]:
    done = run_cli(["scan", cloud, "--output-dir", str(out), "--quiet", *args], env, timeout=240)
    assert done.returncode == 0, done.stderr
    return comparable(report_of(out))


def test_azure_executor_local_matches_the_single_process_report(
    azure: tuple[FakeArm, dict[str, str]], tmp_path: Path
) -> None:
    fake, env = azure
    single = scan("azure", env, tmp_path / "single")
    assert {s["account"] for s in single["scan"]["scopes"]} == {SUB, SUB2, SUB3, SUB4}
    assert any(e["account"] == SUB4 for e in single["errors"]) and not single["scan"]["complete"]
    listings = sum(1 for _, path in fake.requests if path.rstrip("/") == "/subscriptions")
    sharded = scan("azure", env, tmp_path / "sharded", "--executor", "local:2", "--shard-size", "1")
    assert sharded == single
    parts = tmp_path / "sharded" / "parts"
    plan = plan_in(parts)
    assert plan.provider == "azure" and plan.shards == [[SUB], [SUB2], [SUB3], [SUB4]]
    assert sorted(p.name for p in parts.glob("part-*.json")) == sorted(f"part-{s}.json" for s in plan.accounts)
    assert all(json.loads(p.read_text())["provider"] == "azure" for p in parts.glob("part-*.json"))
    # the coordinator listed the subscriptions once; the shards listed none
    assert sum(1 for _, path in fake.requests if path.rstrip("/") == "/subscriptions") == 2 * listings
    assert not fake.violations


def test_azure_plan_shard_run_and_merge_equal_the_single_process_report(
    azure: tuple[FakeArm, dict[str, str]], tmp_path: Path
) -> None:
    _, env = azure
    single = scan("azure", env, tmp_path / "single", "--subscription", f"{SUB},{SUB2},{SUB3}")
    plan, parts = tmp_path / "shards.json", tmp_path / "parts"
    planned = run_cli(
        ["scan", "azure", "--subscription", f"{SUB},{SUB2},{SUB3}", "--plan", str(plan), "--shard-size", "2"], env
    )
    assert planned.returncode == 0 and "3 subscription(s) in 2 shard(s)" in planned.stderr, planned.stderr
    assert json.loads(plan.read_text())["shards"] == [[SUB, SUB2], [SUB3]]
    for index in range(2):
        ran = run_cli(["shard", "run", "--plan", str(plan), "--index", str(index), "--out", str(parts)], env)
        assert ran.returncode == 0, ran.stderr
    done = run_cli(["merge", str(parts), "--output-dir", str(tmp_path / "out"), "--quiet"], env)
    assert done.returncode == 0, done.stderr
    assert comparable(report_of(tmp_path / "out")) == single


def azure_in_process(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, shard_size: int) -> ShardPlan:
    """What `cspm scan azure --executor ...` plans, in this process (the env of the fake's principal)."""
    from cspm.providers.azure import AzureOptions, AzureProvider

    for name, value in env.items():
        if name not in ("PATH", "HOME"):
            monkeypatch.setenv(name, value)
    from cspm.artifacts.options import select_checks

    checks = select_checks(load_checks(["azure"]), inspect=False)  # as the CLI selects them
    options = AzureShardOptions(endpoint=env["CSPM_AZURE_ARM_ENDPOINT"])
    return make_plan(AzureProvider(AzureOptions()), checks, options, shard_size)


def test_azure_no_credential_crosses_the_scheduler_and_a_failed_shard_is_an_error_until_resumed(
    azure: tuple[FakeArm, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, env = azure
    plan = azure_in_process(env, monkeypatch, shard_size=2)
    assert plan.shards == [[SUB, SUB2], [SUB3, SUB4]]
    with Recording(failing=SUB3) as executor:
        run_shards(plan, tmp_path, executor)
    payloads = b"".join(cloudpickle.dumps(task) for task in executor.tasks)  # as Dask pickles them
    assert len(executor.tasks) == 2 and fake.tokens_issued > 0  # the shards signed in themselves
    for secret in (AZURE_SECRET.encode(), b"fake-arm-token", b"azure.identity", b"Credential"):
        assert secret not in payloads
    first = merged(tmp_path)
    assert not first["scan"]["complete"]
    failed = {e["account"] for e in first["errors"] if e["service"] == "cspm" and e["operation"] == "shard"}
    assert failed == {SUB3, SUB4}
    assert {r["account"] for r in first["resources"]} == {SUB, SUB2}
    with Recording() as executor:  # --resume: the failed shard's subscriptions, nothing else
        assert run_shards(plan, tmp_path, executor) == 1
    assert executor.accounts() == [SUB3, SUB4]
    again = merged(tmp_path)
    assert {r["account"] for r in again["resources"]} == {SUB, SUB2, SUB3}
    assert not any(e["service"] == "cspm" for e in again["errors"])


# ---------------------------------------------------------------------------------------------
# Google Cloud: projects
# ---------------------------------------------------------------------------------------------


def gcp_estate() -> FakeHierarchy:
    """tests/e2e/test_org.py's organization (three readable projects under it, a folder that
    cannot be listed), plus a public bucket and project IAM in ml-dev."""
    fake = gcp_hierarchy()
    fake.add_bucket(
        bucket("ml-dev-open", location="US", uniform=False, public_access_prevention="inherited"),
        project="ml-dev",
        policy=iam_policy("ml-dev-open", ("roles/storage.objectViewer", ["allUsers"]), project="ml-dev"),
        acl=[acl_entry("ml-dev-open", "allUsers", "READER")],
    )
    return fake


def slow(fake: FakeHierarchy, seconds: float) -> None:
    """Every Cloud Storage answer of ``fake`` ``seconds`` late."""
    answer = fake.handle

    def late(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        if "/storage/" in url:
            time.sleep(seconds)
        return answer(method, url, headers, body)

    fake.handle = late


@pytest.fixture
def gcp(tmp_path: Path) -> Iterator[tuple[FakeHierarchy, dict[str, str]]]:
    fake = gcp_estate()
    with serve_http(fake) as base:
        env = clean_env(
            tmp_path,
            GOOGLE_APPLICATION_CREDENTIALS=str(service_account_file(tmp_path, token_uri=f"{base}/token")),
            STORAGE_EMULATOR_HOST=base,
            CSPM_GCP_VERTEX_ENDPOINT=base,
            CSPM_GCP_CRM_ENDPOINT=base,
            CSPM_GCP_IAM_ENDPOINT=base,
            CSPM_GCP_NOTEBOOKS_ENDPOINT=base,
            CSPM_GCP_COMPUTE_ENDPOINT=base,
            CSPM_GCP_ACM_ENDPOINT=base,
            CLOUDSDK_CONFIG=str(tmp_path / "gcloud"),
        )
        yield fake, env


def test_gcp_organization_is_expanded_once_and_the_merge_equals_the_single_process_report(
    gcp: tuple[FakeHierarchy, dict[str, str]], tmp_path: Path
) -> None:
    fake, env = gcp
    single = scan("gcp", env, tmp_path / "single", "--organization", ORG_ID)
    assert sorted(s["account"] for s in single["scan"]["scopes"]) == ["ml-dev", "ml-prod", "ml-research"]
    assert "folders/30" in {e["account"] for e in single["errors"]}  # (and what the fake does not serve)
    searches = len(fake.searches)
    sharded = scan("gcp", env, tmp_path / "sharded", "--organization", ORG_ID, "--executor", "local:2",
                   "--shard-size", "2")  # fmt: skip
    assert sharded == single
    assert len(fake.searches) == 2 * searches  # the coordinator walked the hierarchy; no shard did
    plan = plan_in(tmp_path / "sharded" / "parts")
    assert plan.provider == "gcp" and plan.shards == [["ml-dev", "ml-prod"], ["ml-research"]]
    assert [e.account for e in plan.setup_errors] == ["folders/30", "folders/30"]
    assert not fake.violations


def test_gcp_plan_shard_run_and_merge_equal_the_single_process_report(
    gcp: tuple[FakeHierarchy, dict[str, str]], tmp_path: Path
) -> None:
    _, env = gcp
    projects = ("--project", "ml-prod", "--project", "ml-dev", "--project", "ml-research")
    single = scan("gcp", env, tmp_path / "single", *projects)
    plan, parts = tmp_path / "shards.json", tmp_path / "parts"
    planned = run_cli(["scan", "gcp", *projects, "--plan", str(plan), "--shard-size", "1"], env)
    assert planned.returncode == 0 and "3 project(s) in 3 shard(s)" in planned.stderr, planned.stderr
    for index in range(3):
        ran = run_cli(["shard", "run", "--plan", str(plan), "--index", str(index), "--out", str(parts)], env)
        assert ran.returncode == 0, ran.stderr
    done = run_cli(["merge", str(parts), "--output-dir", str(tmp_path / "out"), "--quiet"], env)
    assert done.returncode == 0, done.stderr
    assert comparable(report_of(tmp_path / "out")) == single


def test_gcp_no_credential_crosses_the_scheduler_and_a_killed_worker_is_replaced(
    gcp: tuple[FakeHierarchy, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cspm.artifacts.options import select_checks
    from cspm.providers.gcp import SERVICE_MODULES, GcpOptions, GcpProvider
    from cspm.selection import Selection

    fake, env = gcp
    single = scan("gcp", env, tmp_path / "single", "--organization", ORG_ID)
    for name, value in env.items():
        if name not in ("PATH", "HOME"):
            monkeypatch.setenv(name, value)  # the workers' own ADC: they inherit this environment
    key = json.loads(Path(env["GOOGLE_APPLICATION_CREDENTIALS"]).read_text())
    options = GcpOptions(organizations=(ORG_ID,), crm_endpoint=env["CSPM_GCP_CRM_ENDPOINT"])
    # every check the CLI selects: the model-artifact checks only run with --inspect-artifacts,
    # which a distributed scan does not take
    checks = select_checks(Selection().apply("gcp", available_services=list(SERVICE_MODULES)), inspect=False)
    plan = make_plan(GcpProvider(options), checks, GcpShardOptions(crm_endpoint=options.crm_endpoint), 1)
    parts = tmp_path / "parts"
    with Recording() as executor:
        run_shards(plan, parts, executor)
    payloads = b"".join(cloudpickle.dumps(task) for task in executor.tasks)
    assert len(executor.tasks) == 3
    for secret in (key["private_key"].encode(), key["private_key_id"].encode(), b"fake-gcp-token", b"google.auth"):
        assert secret not in payloads
    assert merged(parts) == single

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # as --executor local:N: 8787 may be taken
            scheduler_kwargs={"dashboard": False},
        ) as c,
        dask_executor(ExecutorSpec(address=c.scheduler_address)) as (dask, alive),
        Client(c) as client,
    ):
        pids: dict[str, int] = client.run(os.getpid)
        slow(fake, 0.3)  # each shard takes long enough to be killed in
        coordinator = ThreadPoolExecutor(max_workers=1)
        done = coordinator.submit(run_shards, plan, tmp_path / "killed", dask, alive=alive)
        deadline = time.monotonic() + 60
        while not (busy := [w for w, tasks in client.processing().items() if tasks]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert busy, "no shard started"
        os.kill(pids[busy[0]], signal.SIGKILL)  # mid-shard
        assert done.result(timeout=180) == 3
        coordinator.shutdown()
    assert merged(tmp_path / "killed") == single
    assert sorted(p.name for p in (tmp_path / "killed").glob("part-*.json")) == [
        "part-ml-dev.json",
        "part-ml-prod.json",
        "part-ml-research.json",
    ]


def test_azure_resume_scans_only_the_subscriptions_without_a_part(
    azure: tuple[FakeArm, dict[str, str]], tmp_path: Path
) -> None:
    fake, env = azure
    subs = ("--subscription", f"{SUB},{SUB2},{SUB3}")
    parts = tmp_path / "parts"
    first = scan("azure", env, tmp_path / "first", *subs, "--executor", "local:1", "--parts-dir", str(parts))
    (parts / f"part-{SUB2}.json").unlink()  # its shard never finished
    kept = {p.name: p.stat().st_mtime_ns for p in parts.glob("part-*.json")}
    other = run_cli(["scan", "azure", *subs, "--services", "storage", "--executor", "local:1", "--parts-dir",
                     str(parts), "--resume", "--quiet", "--output-dir", str(tmp_path / "other")], env)  # fmt: skip
    assert other.returncode == 2 and "other options or checks" in other.stderr, other.stderr
    fake.requests.clear()
    again = scan(
        "azure", env, tmp_path / "again", *subs, "--executor", "local:1", "--parts-dir", str(parts), "--resume"
    )
    assert again == first
    assert {p.name: p.stat().st_mtime_ns for p in parts.glob("part-*.json") if p.name in kept} == kept
    read = {path.split("/")[2].lower() for _, path in fake.requests if path.lower().startswith("/subscriptions/")}
    assert read == {SUB2}  # nothing else was scanned again


def test_gcp_an_unreachable_scheduler_is_one_line_exit_1_before_any_google_call(
    gcp: tuple[FakeHierarchy, dict[str, str]], tmp_path: Path
) -> None:
    fake, env = gcp
    fake.requests.clear()
    done = run_cli(
        ["scan", "gcp", "--project", "ml-prod", "--executor", "tcp://127.0.0.1:9", "--quiet", "--output-dir",
         str(tmp_path / "out")],
        {**env, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the Dask scheduler tcp://127.0.0.1:9" in lines[0], done.stderr
    assert fake.requests == []
