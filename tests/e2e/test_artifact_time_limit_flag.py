"""``--artifact-time-limit SECONDS``: the real ``cspm scan gcp --inspect-artifacts`` process
against the fake Cloud Storage and Vertex AI APIs on 127.0.0.1, one of whose objects drips; a bad
value (on the command line or in the configuration file) is exit 2 and one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cspm.artifacts.collect import DEFAULT_READ_SECONDS
from cspm.artifacts.options import DEFAULT_TIME_LIMIT
from cspm.demo.gcp_objects import MALICIOUS_PICKLE, safetensors_model
from support.azure import clean_env, run_cli
from support.gcp import PROJECT, FakeGcs, serve_http, service_account_file, vertex_model

pytestmark = pytest.mark.e2e

UNSAFE = "gcp.vertex.model_artifact_is_free_of_unsafe_code"
CHECKS = ["--checks", f"{UNSAFE},gcp.vertex.model_artifact_uses_safe_format"]
BODY = MALICIOUS_PICKLE[:31].ljust(200, b".")  # 200 x 0.05 s = 10 s dripped whole


@pytest.fixture
def fake() -> FakeGcs:
    fake = FakeGcs()
    fake.add_vertex("models", vertex_model("slow", artifact_uri="gs://models/slow/"))
    fake.add_vertex("models", vertex_model("fast", artifact_uri="gs://models/fast/"))
    fake.objects.put("models", "slow/model.pkl", BODY)
    fake.objects.put("models", "fast/model.safetensors", safetensors_model())
    fake.objects.dripping["models/slow/model.pkl"] = 0.05
    return fake


@pytest.fixture
def env(fake: FakeGcs, tmp_path: Path) -> Iterator[dict[str, str]]:
    with serve_http(fake) as base:
        key = service_account_file(tmp_path, token_uri=f"{base}/token")
        yield clean_env(tmp_path, GOOGLE_APPLICATION_CREDENTIALS=str(key), STORAGE_EMULATOR_HOST=base,
                        CSPM_GCP_VERTEX_ENDPOINT=base, CLOUDSDK_CONFIG=str(tmp_path / "gcloud"))  # fmt: skip


def _scan(tmp_path: Path, *extra: str) -> list[str]:
    return ["scan", "gcp", "--project", PROJECT, *CHECKS, "--inspect-artifacts", "--quiet",
            "--output-dir", str(tmp_path / "out"), *extra]  # fmt: skip


def test_the_flag_sets_the_time_limit_of_one_artifact_read(fake: FakeGcs, env: dict[str, str], tmp_path: Path) -> None:
    done = run_cli(_scan(tmp_path, "--artifact-time-limit", "0.5"), env)

    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    findings = {(f["check_id"], f["resource_uid"].rsplit("/", 1)[-1]): f for f in report["findings"]}
    slow = findings[(UNSAFE, "slow")]
    assert slow["status"] == "ERROR" and "still arriving after 0.5 s, the time limit" in slow["message"]
    assert fake.objects.dripped["models/slow/model.pkl"] < len(BODY) // 2  # hung up at the limit
    assert findings[(UNSAFE, "fast")]["status"] == "PASS"


def test_the_default_is_600_seconds() -> None:
    assert DEFAULT_TIME_LIMIT == DEFAULT_READ_SECONDS == 600


@pytest.mark.parametrize("value", ["0", "-3", "nan", "inf", "soon"])
def test_a_bad_time_limit_exits_2_with_one_line(env: dict[str, str], tmp_path: Path, value: str) -> None:
    done = run_cli(_scan(tmp_path, f"--artifact-time-limit={value}"), env)

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "--artifact-time-limit" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "report.json").exists()


def test_the_configuration_file_sets_it_and_refuses_a_bad_value(
    fake: FakeGcs, env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "cspm.toml"
    config.write_text("[scan.gcp]\nartifact-time-limit = 0.5\n")
    done = run_cli(["--config", str(config), *_scan(tmp_path)], env)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    slow = next(f for f in report["findings"] if f["check_id"] == UNSAFE and f["resource_uid"].endswith("/slow"))
    assert "still arriving after 0.5 s" in slow["message"]

    config.write_text("[scan.gcp]\nartifact-time-limit = 0\n")
    bad = run_cli(["--config", str(config), *_scan(tmp_path)], env)
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        f"cspm: error: config {config}: [scan.gcp] artifact-time-limit: "
        "Invalid value: a positive number of seconds, not 0"
    )
