"""``cspm demo``: the simulated acme-ml estate on AWS, Azure and Google Cloud, scanned by the real
process as one report, and its isolation from the user's own cloud configuration."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from cspm.demo import azure as demo_azure
from cspm.demo import demo_environment, isolated_environment, skipped_line
from cspm.demo import gcp as demo_gcp

SERVICES = ("iam", "s3", "ec2", "sagemaker")
# ERROR findings the demo may show: fields moto never returns (cspm/demo/seed.py lists the gaps).
MOTO_FIELD_GAPS = {"aws.sagemaker.notebook_runs_on_supported_platform"}
# The archived model's artifact bucket was deleted: its artifact cannot be read (the story of an
# unresolved lineage edge), so the artifact checks answer ERROR on that one model only.
ARCHIVED_ARTIFACT = {
    "aws.sagemaker.model_artifact_is_free_of_unsafe_code",
    "aws.sagemaker.model_artifact_uses_safe_format",
}


# A user's own configuration of the three clouds, pointing at places that would break the demo
# (a profile that does not exist, closed ports, missing files): the demo must ignore all of it.
REAL_LOOKING_SETTINGS = {
    "AWS_PROFILE": "someones-real-profile",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
    "AWS_SESSION_TOKEN": "a-real-looking-session-token",
    "AZURE_CLIENT_ID": "99999999-9999-9999-9999-999999999999",
    "AZURE_CLIENT_SECRET": "a-real-looking-secret",
    "AZURE_TENANT_ID": "99999999-9999-9999-9999-999999999998",
    "AZURE_AUTHORITY_HOST": "https://127.0.0.1:1",
    "CSPM_AZURE_ARM_ENDPOINT": "https://127.0.0.1:1",
    "IDENTITY_ENDPOINT": "http://127.0.0.1:1/msi/token",
    "REQUESTS_CA_BUNDLE": "/nonexistent/corporate-ca.pem",
    "GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent/real-key.json",
    "GOOGLE_CLOUD_PROJECT": "someones-real-project",
    "STORAGE_EMULATOR_HOST": "http://127.0.0.1:1",
    "CSPM_GCP_VERTEX_ENDPOINT": "http://127.0.0.1:1",
    "CSPM_GCP_NOTEBOOKS_ENDPOINT": "http://127.0.0.1:1",
    "CSPM_GCP_CRM_ENDPOINT": "http://127.0.0.1:1",
    "CSPM_GCP_IAM_ENDPOINT": "http://127.0.0.1:1",
    "CSPM_GCP_COMPUTE_ENDPOINT": "http://127.0.0.1:1",
    "CSPM_GCP_ACM_ENDPOINT": "http://127.0.0.1:1",
    "CLOUDSDK_CONFIG": "/nonexistent/gcloud",
}
CLOUDS = ("aws", "azure", "gcp")


def _cspm() -> list[str]:
    script = Path(sys.executable).with_name("cspm")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "cspm.cli"]


@pytest.fixture(scope="module")
def demo_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], float]:
    out = tmp_path_factory.mktemp("demo")
    env = dict(os.environ, **REAL_LOOKING_SETTINGS)  # never used: the demo must ignore all of it
    started = time.monotonic()
    proc = subprocess.run(
        [*_cspm(), "demo", "--quiet", "--output-dir", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )
    seconds = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, json.loads((out / "report.json").read_text(encoding="utf-8")), seconds


@pytest.mark.e2e
def test_demo_exits_0_and_says_it_is_simulated(demo_run: tuple[Any, dict[str, Any], float]) -> None:
    proc, _, _ = demo_run
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "simulated" in lines[0] and "no real cloud is contacted" in lines[0]
    for cloud in (
        "an AWS account (acme-ml",
        "an Azure subscription (acme-ml",
        "a Google Cloud project (acme-ml-research",
    ):
        assert cloud in lines[0], lines[0]
    assert len(re.findall(r"127\.0\.0\.1:\d+", lines[0])) == 3, lines[0]


@pytest.mark.e2e
def test_demo_is_one_report_across_three_clouds(demo_run: tuple[Any, dict[str, Any], float]) -> None:
    _, report, _ = demo_run
    assert report["scan"]["provider"] == "aws+azure+gcp"
    assert report["scan"]["complete"] is True
    assert report["errors"] == []
    assert {s["account"]: s["regions"] for s in report["scan"]["scopes"]} == {
        "123456789012": ["us-east-1", "eu-west-1"],
        demo_azure.DEMO_SUBSCRIPTION: ["eastus", "westeurope"],
        demo_gcp.DEMO_PROJECT: ["europe-west4", "us"],
    }
    statuses: dict[str, set[str]] = defaultdict(set)
    for finding in report["findings"]:
        statuses[finding["check_id"].split(".")[0]].add(finding["status"])
    assert set(statuses) == set(CLOUDS)
    assert statuses["azure"] == statuses["gcp"] == {"PASS", "FAIL"}  # every Azure and GCP setting readable
    assert {"PASS", "FAIL"} <= statuses["aws"]
    types = {r["type"] for r in report["resources"]}
    assert {"azure.storage.account", "azure.storage.container", "azure.ml.workspace", "gcp.storage.bucket"} <= types


AZURE_AND_GCP_VERDICTS = {
    # the hardened ML data account and the legacy one
    ("azure.storage.account_disallows_anonymous_blob_access", demo_azure.DATA_ACCOUNT): "PASS",
    ("azure.storage.account_disallows_anonymous_blob_access", demo_azure.LEGACY_ACCOUNT): "FAIL",
    ("azure.storage.account_disallows_shared_key_access", demo_azure.DATA_ACCOUNT): "PASS",
    ("azure.storage.account_disallows_shared_key_access", demo_azure.LEGACY_ACCOUNT): "FAIL",
    ("azure.storage.account_requires_tls_1_2", demo_azure.DATA_ACCOUNT): "PASS",
    ("azure.storage.account_requires_tls_1_2", demo_azure.LEGACY_ACCOUNT): "FAIL",
    ("azure.storage.account_uses_private_endpoint", demo_azure.DATA_ACCOUNT): "PASS",
    ("azure.storage.account_uses_private_endpoint", demo_azure.LEGACY_ACCOUNT): "FAIL",
    ("azure.storage.account_disables_public_network_access", demo_azure.DATA_ACCOUNT): "PASS",
    ("azure.storage.account_denies_network_access_by_default", demo_azure.LEGACY_ACCOUNT): "FAIL",
    ("azure.storage.account_blob_versioning_enabled", demo_azure.DATA_ACCOUNT): "PASS",
    ("azure.storage.account_blob_soft_delete_enabled", demo_azure.DATA_ACCOUNT): "PASS",
    ("azure.storage.account_blob_soft_delete_enabled", demo_azure.LEGACY_ACCOUNT): "FAIL",
    ("azure.storage.account_encrypted_with_cmk", demo_azure.DATA_ACCOUNT): "PASS",
    ("azure.storage.account_encrypted_with_cmk", demo_azure.LEGACY_ACCOUNT): "FAIL",
    ("azure.storage.account_requires_secure_transfer", demo_azure.LEGACY_ACCOUNT): "PASS",
    ("azure.storage.container_is_not_public", "datasets"): "FAIL",
    ("azure.storage.container_is_not_public", "training-data"): "PASS",
    # the locked-down workspace and the open sandbox
    ("azure.ml.workspace_disables_public_network_access", demo_azure.SECURE_WORKSPACE): "PASS",
    ("azure.ml.workspace_disables_public_network_access", demo_azure.OPEN_WORKSPACE): "FAIL",
    ("azure.ml.workspace_encrypted_with_cmk", demo_azure.SECURE_WORKSPACE): "PASS",
    ("azure.ml.workspace_encrypted_with_cmk", demo_azure.OPEN_WORKSPACE): "FAIL",
    ("azure.ml.workspace_computes_disable_local_auth", demo_azure.OPEN_WORKSPACE): "FAIL",
    ("azure.ml.workspace_identity_is_not_privileged", demo_azure.SECURE_WORKSPACE): "PASS",
    ("azure.ml.workspace_identity_is_not_privileged", demo_azure.OPEN_WORKSPACE): "FAIL",  # Contributor
    ("azure.ml.workspace_datastores_use_entra_id", demo_azure.SECURE_WORKSPACE): "PASS",
    ("azure.ml.workspace_datastores_use_entra_id", demo_azure.OPEN_WORKSPACE): "FAIL",  # account key
    ("azure.ml.workspace_sends_resource_logs", demo_azure.SECURE_WORKSPACE): "PASS",
    ("azure.ml.workspace_sends_resource_logs", demo_azure.OPEN_WORKSPACE): "FAIL",
    ("azure.ml.workspace_uses_application_insights", demo_azure.AI_HUB): "PASS",
    ("azure.ml.workspace_uses_application_insights", demo_azure.AI_PROJECT): None,  # uses the hub's
    ("azure.ml.online_endpoint_uses_token_auth", demo_azure.SECURE_ENDPOINT): "PASS",
    ("azure.ml.online_endpoint_uses_token_auth", demo_azure.OPEN_ENDPOINT): "FAIL",
    ("azure.ml.online_endpoint_disables_public_network_access", demo_azure.OPEN_ENDPOINT): "FAIL",
    ("azure.ml.registry_uses_private_endpoint", demo_azure.REGISTRY): "PASS",
    ("azure.keyvault.vault_uses_private_endpoint", demo_azure.SECURE_VAULT): "PASS",
    ("azure.keyvault.vault_uses_private_endpoint", demo_azure.LEGACY_VAULT): "FAIL",
    ("azure.keyvault.vault_is_recoverable", demo_azure.LEGACY_VAULT): "FAIL",
    # the AI chain's storage and vaults, judged along the lineage
    ("azure.lineage.ai_storage_account_is_private", demo_azure.DATA_ACCOUNT): "PASS",
    ("azure.lineage.ai_storage_account_is_private", demo_azure.LEGACY_ACCOUNT): "FAIL",
    ("azure.lineage.ai_key_vault_is_private", demo_azure.SECURE_VAULT): "PASS",
    ("azure.lineage.ai_key_vault_is_private", demo_azure.LEGACY_VAULT): "FAIL",
    # the production Azure OpenAI account and the playground
    ("azure.cognitiveservices.account_disables_local_auth", demo_azure.SECURE_AI_ACCOUNT): "PASS",
    ("azure.cognitiveservices.account_disables_local_auth", demo_azure.OPEN_AI_ACCOUNT): "FAIL",
    ("azure.cognitiveservices.account_uses_private_endpoint", demo_azure.SECURE_AI_ACCOUNT): "PASS",
    ("azure.cognitiveservices.account_uses_private_endpoint", demo_azure.OPEN_AI_ACCOUNT): "FAIL",  # Pending
    ("azure.cognitiveservices.account_sends_audit_logs", demo_azure.SECURE_AI_ACCOUNT): "PASS",
    ("azure.cognitiveservices.account_sends_audit_logs", demo_azure.OPEN_AI_ACCOUNT): "FAIL",
    ("azure.cognitiveservices.deployment_blocks_prompt_attacks", "gpt-4o-support"): "PASS",
    ("azure.cognitiveservices.deployment_blocks_prompt_attacks", "embeddings"): "PASS",  # DefaultV2
    ("azure.cognitiveservices.deployment_blocks_prompt_attacks", "gpt-35-legacy"): "FAIL",  # Microsoft.Default
    ("azure.cognitiveservices.deployment_filters_harmful_content", "gpt-4o-mini-test"): "FAIL",  # filter deleted
    # who holds what
    ("azure.authorization.principal_has_no_privileged_subscription_role", demo_azure.DEPLOY_PIPELINE): "FAIL",
    ("azure.authorization.principal_has_no_privileged_subscription_role", demo_azure.OPENAI_IDENTITY): "PASS",
    ("azure.authorization.principal_cannot_escalate_privileges", demo_azure.SANDBOX_WS_IDENTITY): "FAIL",
    ("azure.authorization.principal_has_no_wildcard_custom_role", demo_azure.DATA_SCIENTISTS): "FAIL",
    ("azure.authorization.principal_has_no_broad_data_plane_role", demo_azure.DATA_SCIENTISTS): "FAIL",
    ("azure.authorization.principal_is_resolved", demo_azure.DELETED_PRINCIPAL): "FAIL",
    ("azure.authorization.principal_is_resolved", demo_azure.DELETED_USER): "FAIL",  # Graph: gone; ARM: User
    ("azure.authorization.principal_is_resolved", demo_azure.DEPLOY_PIPELINE): "PASS",  # Graph has it
    # the hardened model-artifacts bucket and the public training-data bucket
    ("gcp.storage.bucket_is_not_public", demo_gcp.MODELS_BUCKET): "PASS",
    ("gcp.storage.bucket_is_not_public", demo_gcp.PUBLIC_BUCKET): "FAIL",
    ("gcp.storage.bucket_uniform_access_enabled", demo_gcp.MODELS_BUCKET): "PASS",
    ("gcp.storage.bucket_uniform_access_enabled", demo_gcp.PUBLIC_BUCKET): "FAIL",
    ("gcp.storage.bucket_enforces_public_access_prevention", demo_gcp.MODELS_BUCKET): "PASS",
    ("gcp.storage.bucket_encrypted_with_cmek", demo_gcp.MODELS_BUCKET): "PASS",
    ("gcp.storage.bucket_versioning_enabled", demo_gcp.MODELS_BUCKET): None,  # retention policy instead
    ("gcp.storage.bucket_versioning_enabled", demo_gcp.PUBLIC_BUCKET): "FAIL",
    ("gcp.storage.bucket_retention_policy_locked", demo_gcp.MODELS_BUCKET): "PASS",
    ("gcp.storage.bucket_retention_policy_locked", demo_gcp.PUBLIC_BUCKET): "FAIL",
    ("gcp.storage.bucket_access_logging_enabled", demo_gcp.MODELS_BUCKET): "PASS",
}


@pytest.mark.e2e
def test_demo_tells_the_azure_and_gcp_story(demo_run: tuple[Any, dict[str, Any], float]) -> None:
    _, report, _ = demo_run
    names = {r["uid"]: r["name"] for r in report["resources"] if not r["type"].startswith("aws.")}
    verdicts = {(f["check_id"], names.get(f["resource_uid"])): f["status"] for f in report["findings"]}
    assert {key: verdicts.get(key) for key in AZURE_AND_GCP_VERDICTS} == AZURE_AND_GCP_VERDICTS
    public = next(
        f for f in report["findings"] if f["check_id"] == "gcp.storage.bucket_is_not_public" and f["status"] == "FAIL"
    )
    assert public["evidence"]["iam"] == ["allUsers:roles/storage.objectViewer"]
    assert public["severity"] == "critical"


@pytest.mark.e2e
def test_demo_report_shows_every_service_with_passes_and_failures(demo_run: tuple[Any, dict[str, Any], float]) -> None:
    _, report, _ = demo_run
    statuses: dict[str, set[str]] = defaultdict(set)
    for finding in report["findings"]:
        statuses[finding["resource_type"].split(".")[1]].add(finding["status"])
    assert set(SERVICES) <= set(statuses)
    for service, seen in statuses.items():
        assert {"PASS", "FAIL"} <= seen, (service, seen)
    assert report["summary"]["fail_by_severity"]["critical"] >= 1
    assert report["errors"] == []
    unassessed = {f["check_id"] for f in report["findings"] if f["status"] == "ERROR"}
    assert unassessed <= MOTO_FIELD_GAPS | ARCHIVED_ARTIFACT, unassessed
    unread = {f["resource_uid"].rsplit("/", 1)[1] for f in report["findings"] if f["check_id"] in ARCHIVED_ARTIFACT
              and f["status"] == "ERROR"}  # fmt: skip
    assert unread <= {"fraud-detection-model-v0-archived"}, unread
    assert report["scan"]["complete"] is True
    assert report["scan"]["scopes"][0]["regions"] == ["us-east-1", "eu-west-1"]
    regions = {f["region"] for f in report["findings"]}
    assert {"us-east-1", "eu-west-1", "global"} <= regions


@pytest.mark.e2e
def test_demo_tells_the_ml_story(demo_run: tuple[Any, dict[str, Any], float]) -> None:
    """The headline findings of the acme-ml account are all there."""
    _, report, _ = demo_run
    names = {r["uid"]: r["name"] for r in report["resources"]}
    failing = {(f["check_id"], names.get(f["resource_uid"])) for f in report["findings"] if f["status"] == "FAIL"}
    passing = {(f["check_id"], names.get(f["resource_uid"])) for f in report["findings"] if f["status"] == "PASS"}
    assert ("aws.iam.role_is_not_admin", "AcmeSageMakerExecution-Legacy") in failing
    assert ("aws.iam.role_is_not_admin", "AcmeSageMakerExecution-Training") in passing
    assert ("aws.iam.policy_grants_no_admin", "AcmeBreakGlassAdmin") in failing
    assert ("aws.iam.policy_has_no_service_wildcards", "AcmeSageMakerPowerUser") in failing
    assert ("aws.iam.console_user_has_mfa", "dana.scientist") in failing
    assert ("aws.iam.console_user_has_mfa", "priya.admin") in passing
    assert ("aws.iam.user_has_one_active_key", "svc-ci-deployer") in failing
    assert ("aws.iam.role_trust_guards_cross_account", "AcmeVendorModelAudit") in failing
    assert ("aws.iam.role_trust_guards_cross_account", "AcmePartnerLabeling") in passing
    assert any(check == "aws.iam.password_policy_is_strong" for check, _ in failing)
    assert ("aws.s3.bucket_is_not_public", "acme-ml-datasets-public") in failing
    assert ("aws.s3.bucket_is_not_public", "acme-ml-training-data") in passing
    assert ("aws.s3.bucket_versioning_enabled", "acme-ml-model-artifacts") in failing
    assert ("aws.ec2.security_group_restricts_high_risk_ports", "jupyter-open") in failing
    assert ("aws.sagemaker.notebook_has_no_direct_internet_access", "fraud-detection-research") in failing
    assert ("aws.sagemaker.notebook_has_no_direct_internet_access", "recsys-eu-secure-workbench") in passing
    assert ("aws.sagemaker.ai_vpc_has_private_endpoints", "ml-private") in passing
    assert ("aws.sagemaker.ai_vpc_has_private_endpoints", "ml-legacy") in failing


@pytest.mark.e2e
def test_demo_follows_the_ai_supply_chain(demo_run: tuple[Any, dict[str, Any], float]) -> None:
    """Images, keys, trails and the lineage checks that connect them to SageMaker."""
    _, report, _ = demo_run
    names = {r["uid"]: r["name"] for r in report["resources"]}
    verdicts = {(f["check_id"], names.get(f["resource_uid"]), f["region"]): f["status"] for f in report["findings"]}
    expected: dict[tuple[str, str], str | None] = {
        ("aws.lineage.training_role_cannot_escalate_to_admin", "fraud-detection-experiment-quick-lr-sweep"): "FAIL",
        # The production job runs with network isolation: its containers get no AWS credentials,
        # so the check does not apply (no finding).
        ("aws.lineage.training_role_cannot_escalate_to_admin", "fraud-detection-train-2024-11-03-1415"): None,
        ("aws.lineage.endpoint_model_artifacts_are_protected", "fraud-detection-prod"): "FAIL",
        ("aws.lineage.model_images_are_scanned_and_immutable", "fraud-detection-model-v3"): "PASS",
        ("aws.lineage.model_images_are_scanned_and_immutable", "fraud-detection-model-v1-legacy"): "FAIL",
        ("aws.ecr.repository_tags_are_immutable", "acme-ml/inference-legacy"): "FAIL",
        ("aws.ecr.repository_tags_are_immutable", "acme-ml/inference"): "PASS",
        ("aws.kms.key_rotation_enabled", "alias/acme-ml-eval-exports"): "FAIL",
        ("aws.kms.key_rotation_enabled", "alias/acme-ml-data"): "PASS",
        ("aws.cloudtrail.trail_is_logging", "acme-ml-audit"): "PASS",
        ("aws.cloudtrail.trail_log_file_validation_enabled", "acme-ml-audit"): "FAIL",
        # --inspect-artifacts (on in the demo when picklescan is installed): the production
        # endpoint serves a pickle that calls os.system; the shadow model is safetensors.
        ("aws.sagemaker.model_artifact_is_free_of_unsafe_code", "fraud-detection-model-v3"): "FAIL",
        ("aws.sagemaker.model_artifact_uses_safe_format", "fraud-detection-model-v3"): "FAIL",
        ("aws.sagemaker.model_artifact_is_free_of_unsafe_code", "fraud-detection-model-finetuned"): "PASS",
        ("aws.sagemaker.model_artifact_uses_safe_format", "fraud-detection-model-finetuned"): "PASS",
    }
    for (check_id, name), status in expected.items():
        found = {v for (c, n, region), v in verdicts.items() if c == check_id and n == name and region != "eu-west-1"}
        assert found == ({status} if status else set()), (check_id, name, found)


@pytest.mark.e2e
def test_demo_risks_rank_the_public_data_path_and_the_admin_role_first(
    demo_run: tuple[Any, dict[str, Any], float],
) -> None:
    """The public benchmark bucket → fine-tuning job → model → InService endpoint path, and the
    legacy administrator role behind internet-reachable notebooks and endpoints, lead the risks."""
    _, report, _ = demo_run
    names = {n["id"]: n["name"] for n in report["lineage"]["nodes"]}
    risks = [r for r in report["risks"] if r["provider"] == "aws"]  # GCP's: test_demo_gcp_lineage_…
    top = [(r["kind"], names.get(r["path"]["nodes"][0]), names.get(r["path"]["nodes"][-1])) for r in risks[:5]]
    # the Bedrock model fine-tuned on the same public bucket (95) ranks with the SageMaker one; then
    # the paths to the legacy administrator tie at 90 (the staging endpoints, the ops copilot's
    # tool), ordered by id
    assert sorted(top[:4]) == [
        ("admin_role_on_internet_notebook", "fraud-detection-research", "AcmeSageMakerExecution-Legacy"),
        ("admin_role_on_internet_notebook", "recsys-eu-research", "AcmeSageMakerExecution-Legacy"),
        ("poisoned_bedrock_model_in_service", "acme-ml-datasets-public", "support-llm-prod"),
        ("untrusted_training_data", "acme-ml-datasets-public", "fraud-detection-shadow"),
    ]
    tied = [r for r in risks if r["score"] == 90.0]
    assert risks[4] == min(tied, key=lambda r: r["id"])
    assert {r["kind"] for r in tied} == {"admin_role_behind_endpoint", "unguarded_agent_reaches_admin"}
    assert {names[r["path"]["nodes"][0]] for r in risks if r["kind"] == "admin_role_behind_endpoint"} >= {
        "fraud-detection-staging",
        "recsys-eu-staging",
    }
    data = next(r for r in risks if r["kind"] == "untrusted_training_data")
    assert [names[n] for n in data["path"]["nodes"]] == [
        "acme-ml-datasets-public",
        "s3://acme-ml-datasets-public/benchmarks/fraud-2023/",
        "fraud-detection-finetune-benchmark",
        "fraud-detection-model-finetuned",
        "fraud-detection-shadow-config",
        "fraud-detection-shadow",
    ]
    assert data["fix"]["check_id"] == "aws.s3.bucket_is_not_public" and data["severity"] == "critical"
    assert all(r["score"] <= risks[4]["score"] for r in risks[5:])
    uids = {f["uid"] for f in report["findings"]}
    assert all(set(r["findings"]) <= uids and r["findings"] for r in risks)


def test_demo_gcp_lineage_shows_the_public_bucket_chain(demo_run: tuple[Any, dict[str, Any], float]) -> None:
    """GCP's chain: public training bucket → custom job (default compute service account) → model
    → endpoint, deployed at 0 % of the traffic; its risk, and the endpoint's lineage findings."""
    _, report, _ = demo_run
    names = {n["id"]: n["name"] for n in report["lineage"]["nodes"]}
    gcp_risks = [r for r in report["risks"] if r["provider"] == "gcp"]
    paths = {tuple(names[n] for n in r["path"]["nodes"]) for r in gcp_risks if r["kind"] == "untrusted_training_data"}
    assert (
        demo_gcp.PUBLIC_BUCKET,
        f"gs://{demo_gcp.PUBLIC_BUCKET}/churn-v2/",
        "train-churn-v2",
        "churn-model-v2",
        "churn-public",
    ) in paths
    [admin] = [r for r in gcp_risks if r["kind"] == "admin_role_behind_endpoint"]  # the compute account: Editor
    assert [names[n] for n in admin["path"]["nodes"]][:2] == [
        "churn-public",
        f"{demo_gcp.DEMO_PROJECT_NUMBER}-compute@developer.gserviceaccount.com",
    ]
    edges = report["lineage"]["edges"]
    job = next(n for n, name in names.items() if name == "train-churn-v2")
    [runs_as] = [e for e in edges if e["source"] == job and e["relation"] == "runs_as"]
    assert names[runs_as["target"]] == f"{demo_gcp.DEMO_PROJECT_NUMBER}-compute@developer.gserviceaccount.com"
    assert any(e["relation"] == "hosts" and "(0% of traffic)" in e["api_field"] for e in edges)
    verdicts = {
        (f["check_id"], f["resource_uid"].rsplit("/", 1)[-1]): f["status"]
        for f in report["findings"]
        if f["check_id"].startswith("gcp.lineage.")
    }
    assert verdicts[("gcp.lineage.endpoint_models_come_from_private_buckets", "churn-public")] == "FAIL"
    assert verdicts[("gcp.lineage.endpoint_models_come_from_private_buckets", "fraud-psc")] == "PASS"
    assert verdicts[("gcp.lineage.custom_job_output_is_in_private_bucket", "train-churn-v2")] == "FAIL"


def test_demo_risks_include_the_bedrock_model_trained_on_public_data(
    demo_run: tuple[Any, dict[str, Any], float],
) -> None:
    """support-llm-v1, fine-tuned on transcripts in the public datasets bucket, is served by the
    provisioned throughput support-llm-prod: a risk fixed at the bucket."""
    _, report, _ = demo_run
    names = {n["id"]: n["name"] for n in report["lineage"]["nodes"]}
    (risk,) = [r for r in report["risks"] if r["kind"] == "poisoned_bedrock_model_in_service"]
    path = [names.get(n, n) for n in risk["path"]["nodes"]]
    assert path[0] == "acme-ml-datasets-public"
    assert path[2:] == ["support-llm-finetune", "support-llm-v1", "support-llm-prod"]
    assert risk["fix"]["check_id"] == "aws.s3.bucket_is_not_public"


def test_demo_risks_include_the_support_assistants_writable_knowledge_base(
    demo_run: tuple[Any, dict[str, Any], float],
) -> None:
    """A content vendor's account may write acme-ml-support-kb, which the support assistant retrieves from."""
    _, report, _ = demo_run
    names = {n["id"]: n["name"] for n in report["lineage"]["nodes"]}
    (risk,) = [r for r in report["risks"] if r["kind"] == "agent_knowledge_base_injection"]
    assert names[risk["path"]["nodes"][0]] == "acme-ml-support-kb"
    assert risk["path"]["nodes"][-1] == risk["fix"]["resource_uid"]
    assert risk["fix"]["check_id"] == "aws.lineage.agent_knowledge_base_data_is_not_broadly_writable"
    assert risk["factors"]["exposure"]["value"] == "other_account"


def test_demo_risks_include_the_unguarded_ops_copilot(demo_run: tuple[Any, dict[str, Any], float]) -> None:
    """The ops copilot has no guardrail, and its runbook tool's role can reach administrator."""
    _, report, _ = demo_run
    types = {n["id"]: n["type"] for n in report["lineage"]["nodes"]}
    (risk,) = [r for r in report["risks"] if r["kind"] == "unguarded_agent_reaches_admin"]
    assert [types.get(n) for n in risk["path"]["nodes"][:3]] == [
        "aws.bedrock.agent",
        "aws.lambda.function",
        "aws.iam.role",
    ]
    assert risk["fix"]["check_id"] == "aws.lineage.unguarded_agent_tools_cannot_reach_admin"
    assert risk["factors"]["blast_radius"]["value"] == "admin"


def test_demo_risks_include_the_unsafe_pickle_behind_fraud_detection_prod(
    demo_run: tuple[Any, dict[str, Any], float],
) -> None:
    """The pickle that calls os.system (read by --inspect-artifacts, on in the demo when picklescan
    is installed) is served by the production endpoint: a risk fixed by the model's artifact finding."""
    _, report, _ = demo_run
    if not report.get("artifacts"):
        pytest.skip("picklescan is not installed: the demo reads no artifact")
    names = {n["id"]: n["name"] for n in report["lineage"]["nodes"]}
    unsafe = [r for r in report["risks"] if r["kind"] == "unsafe_artifact_in_production" and r["provider"] == "aws"]
    assert [[names.get(n, n) for n in r["path"]["nodes"]][1:] for r in unsafe] == [
        ["fraud-detection-model-v3", "fraud-detection-prod-config", "fraud-detection-prod"]
    ]
    gcp = [r for r in report["risks"] if r["kind"] == "unsafe_artifact_in_production" and r["provider"] == "gcp"]
    assert [[names.get(n, n) for n in r["path"]["nodes"]][1:] for r in gcp] == [["churn-model", "churn-public"]]
    assert gcp[0]["fix"]["check_id"] == "gcp.vertex.model_artifact_is_free_of_unsafe_code"
    (risk,) = unsafe
    assert risk["fix"]["check_id"] == "aws.sagemaker.model_artifact_is_free_of_unsafe_code"
    assert names[risk["fix"]["resource_uid"]] == "fraud-detection-model-v3"
    assert "system" in risk["title"]


def test_demo_environment_replaces_every_real_credential_source() -> None:
    current = {
        "AWS_PROFILE": "prod",
        "AWS_SESSION_TOKEN": "token",
        "AWS_ENDPOINT_URL": "https://example.invalid",
        "AWS_ENDPOINT_URL_S3": "https://example.invalid",
        "NO_PROXY": "internal.example",
    }
    changes = demo_environment(current)
    for removed in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        assert changes[removed] is None
    assert changes["AWS_CONFIG_FILE"] == changes["AWS_SHARED_CREDENTIALS_FILE"] == "/dev/null"
    assert changes["AWS_ACCESS_KEY_ID"] and changes["AWS_SECRET_ACCESS_KEY"]
    assert changes["NO_PROXY"] == "internal.example,127.0.0.1,localhost"


def test_isolated_environment_restores_the_callers_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "prod")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with isolated_environment():
        assert "AWS_PROFILE" not in os.environ
        assert os.environ["AWS_ACCESS_KEY_ID"] != "AKIAREALKEY"
        assert os.environ["AWS_CONFIG_FILE"] == "/dev/null"
    assert os.environ["AWS_PROFILE"] == "prod"
    assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAREALKEY"
    assert "AWS_ENDPOINT_URL" not in os.environ


def test_isolated_environment_restores_on_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "prod")
    with pytest.raises(RuntimeError), isolated_environment():
        raise RuntimeError("boom")
    assert os.environ["AWS_PROFILE"] == "prod"


def test_run_demo_stops_the_server_and_restores_the_environment_on_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.exceptions
    import requests

    from cspm.demo import run_demo
    from cspm.demo import seed as seed_module
    from cspm.errors import ScanError
    from cspm.runner import OutputOptions

    monkeypatch.setenv("AWS_PROFILE", "prod")
    seen: list[str] = []

    def broken_seed(url: str, regions: Any) -> Any:
        seen.append(url)
        assert "AWS_PROFILE" not in os.environ
        raise botocore.exceptions.ClientError({"Error": {"Code": "ValidationException", "Message": "no"}}, "CreateVpc")

    monkeypatch.setattr(seed_module, "seed", broken_seed)
    with pytest.raises(ScanError, match="could not build the simulated account"):
        run_demo(OutputOptions(quiet=True), workers=2)
    assert seen and seen[0].startswith("http://127.0.0.1:")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{seen[0]}/moto-api/data.json", timeout=2)
    assert os.environ["AWS_PROFILE"] == "prod"


def test_demo_environment_removes_every_azure_and_google_setting() -> None:
    current = {**REAL_LOOKING_SETTINGS, "AZURE_FEDERATED_TOKEN_FILE": "/var/run/token", "MSAL_FORCE_REGION": "x"}
    changes = demo_environment(current)
    for name in current:
        assert changes[name] is None, name
    for name in ("MSI_ENDPOINT", "IMDS_ENDPOINT", "GCE_METADATA_HOST", "CURL_CA_BUNDLE"):
        assert changes[name] is None, name


def test_isolated_environment_also_undoes_what_was_set_inside(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/corporate-ca.pem")
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    before = dict(os.environ)
    with isolated_environment():
        assert "REQUESTS_CA_BUNDLE" not in os.environ
        os.environ.update(STORAGE_EMULATOR_HOST="http://127.0.0.1:9", REQUESTS_CA_BUNDLE="/tmp/fake.pem")
        os.environ.setdefault("DISABLE_GCS_PYTHON_CLIENT_OTEL_BUCKET_METADATA", "true")  # as an SDK would
    assert dict(os.environ) == before


def test_skipped_line_names_the_clouds_and_the_extras() -> None:
    assert skipped_line(["azure"]) == (
        "cspm: demo: skipped Azure: its SDK is not installed (pip install 'cspm[azure]')"
    )
    assert skipped_line(["azure", "gcp"]) == (
        "cspm: demo: skipped Azure and Google Cloud: their SDKs are not installed (pip install 'cspm[azure,gcp]')"
    )


@pytest.fixture
def small_aws_account(monkeypatch: pytest.MonkeyPatch) -> None:
    """For the in-process runs: a one-bucket AWS account in one region (its content is not what
    these tests are about, and the full seed takes seconds), and the user's real-looking settings."""
    from cspm.demo import seed as seed_module

    def small_seed(url: str, regions: Any) -> Any:
        clients = seed_module.Clients(url)
        clients("s3").create_bucket(Bucket="acme-ml-small")
        return seed_module.Seeded(account=clients("sts").get_caller_identity()["Account"])

    monkeypatch.setattr(seed_module, "seed", small_seed)
    monkeypatch.setattr(seed_module, "REGIONS", ("us-east-1",))
    for name, value in REAL_LOOKING_SETTINGS.items():
        monkeypatch.setenv(name, value)


def _recording(original: Any, seen: list[Any]) -> Any:
    """A stand-in for a demo cloud's ``simulated`` context manager that appends what it yields to ``seen``."""

    @contextmanager
    def wrapper(directory: Path) -> Iterator[Any]:
        with original(directory) as simulated:
            seen.append(simulated)
            yield simulated

    return wrapper


@pytest.mark.parametrize(
    ("missing_module", "skipped", "scanned"),
    [("azure.identity", "azure", "gcp"), ("google.cloud.storage", "gcp", "azure")],
)
def test_without_an_sdk_the_demo_scans_the_other_clouds_and_restores_everything(
    missing_module: str,
    skipped: str,
    scanned: str,
    small_aws_account: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cspm.demo import run_demo
    from cspm.runner import OutputOptions

    monkeypatch.setitem(sys.modules, missing_module, None)  # `import` now raises ImportError
    before = dict(os.environ)
    fakes: list[Any] = []
    demo_module = demo_azure if scanned == "azure" else demo_gcp
    monkeypatch.setattr(demo_module, "simulated", _recording(demo_module.simulated, fakes))

    code = run_demo(OutputOptions(output_dir=tmp_path, quiet=True), workers=4)

    assert code == 0
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2, lines
    assert lines[1] == skipped_line([skipped])
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["scan"]["provider"] == f"aws+{scanned}"
    assert report["errors"] == [] and report["scan"]["complete"] is True
    assert {f["check_id"].split(".")[0] for f in report["findings"]} == {"aws", scanned}
    assert {f["status"] for f in report["findings"] if f["check_id"].startswith(scanned)} == {"PASS", "FAIL"}

    [simulated] = fakes
    assert simulated.fake.tokens_issued >= 1, "the provider signed in at the fake, through the documented settings"
    assert simulated.fake.violations == []
    assert dict(os.environ) == before, "the environment is restored exactly"
    on_disk = {"azure": "REQUESTS_CA_BUNDLE", "gcp": "GOOGLE_APPLICATION_CREDENTIALS"}[scanned]
    assert not Path(simulated.environment[on_disk]).exists(), "the demo's certificate and keys are deleted"
    ports = [int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", lines[0])]
    assert len(ports) == 2
    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_a_failing_sign_in_stops_every_server_and_restores_the_environment(
    small_aws_account: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cspm.demo import run_demo
    from cspm.errors import CredentialsError
    from cspm.runner import OutputOptions

    started: list[Any] = []
    monkeypatch.setattr(demo_azure, "simulated", _recording(demo_azure.simulated, started))
    wrong = demo_azure.demo_environment  # the fake accepts only the demo's own client secret

    def wrong_secret(base: str, cert: Path) -> dict[str, str]:
        return {**wrong(base, cert), "AZURE_CLIENT_SECRET": "not-the-demo-secret"}

    monkeypatch.setattr(demo_azure, "demo_environment", wrong_secret)
    before = dict(os.environ)

    with pytest.raises(CredentialsError, match="AADSTS7000215"):
        run_demo(OutputOptions(quiet=True), workers=2)

    assert dict(os.environ) == before
    [simulated] = started
    port = int(simulated.url.rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


@pytest.mark.e2e
def test_two_demo_runs_have_the_same_ids_and_diff_empty(
    demo_run: tuple[Any, dict[str, Any], float], tmp_path: Path
) -> None:
    """The simulated account's ids come from moto's seeded generator (DEMO_SEED): a second run
    has the same resources and findings, so `cspm diff` of the two reports is empty (issue 18)."""
    _, first, _ = demo_run
    proc = subprocess.run(
        [*_cspm(), "demo", "--quiet", "--output-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    second = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert sorted(r["uid"] for r in second["resources"]) == sorted(r["uid"] for r in first["resources"])
    assert sorted(f["uid"] for f in second["findings"]) == sorted(f["uid"] for f in first["findings"])
    # Risk ids hash the kind and the path's node ids: the same in both runs, in the same order.
    assert [r["id"] for r in second["risks"]] == [r["id"] for r in first["risks"]] != []
    if first.get("artifacts"):  # the artifact risk's id too (picklescan installed)
        assert "unsafe_artifact_in_production" in {r["kind"] for r in second["risks"]}
    assert {"poisoned_bedrock_model_in_service", "agent_knowledge_base_injection", "unguarded_agent_reaches_admin"} <= {
        r["kind"] for r in second["risks"]
    }
    old = tmp_path / "first.json"
    old.write_text(json.dumps(first), encoding="utf-8")
    diff = subprocess.run(
        [*_cspm(), "diff", str(old), str(tmp_path / "report.json"), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert diff.returncode == 0, diff.stderr
    summary = json.loads(diff.stdout)
    assert (len(summary["new"]), len(summary["resolved"])) == (0, 0), diff.stdout[:500]


@pytest.mark.e2e
def test_demo_tells_the_bedrock_story(demo_run: tuple[Any, dict[str, Any], float]) -> None:
    """The Bedrock estate (cspm.demo.bedrock_seed): a fine-tuned model in service trained on public
    data, an agent whose knowledge base a vendor's account may write, an unguarded agent whose
    runbook tool reaches admin, an agent naming a deleted guardrail, all in the lineage."""
    from cspm.demo import bedrock_seed as seeded

    _, report, _ = demo_run
    names = {r["uid"]: r["name"] for r in report["resources"]}
    verdicts = {(f["check_id"], names.get(f["resource_uid"])): f for f in report["findings"]}
    expected = {
        ("aws.lineage.provisioned_model_training_data_is_not_broadly_writable", seeded.THROUGHPUT): "FAIL",
        ("aws.lineage.agent_knowledge_base_data_is_not_broadly_writable", "support-assistant"): "FAIL",
        ("aws.lineage.unguarded_agent_tools_cannot_reach_admin", "support-assistant"): "PASS",  # LOW, but a filter
        ("aws.lineage.unguarded_agent_tools_cannot_reach_admin", "ops-copilot"): "FAIL",
        ("aws.lineage.unguarded_agent_tools_cannot_reach_admin", "hr-policy-bot"): "PASS",  # no tool reaches admin
        ("aws.iam.role_cannot_reach_admin", "AcmeAgentTool-Ops"): "FAIL",
    }
    assert {key: verdicts[key]["status"] for key in expected} == expected
    ops = verdicts[("aws.lineage.unguarded_agent_tools_cannot_reach_admin", "ops-copilot")]
    assert "acme-ops-runbook runs as AcmeAgentTool-Ops" in ops["message"]
    assert "AcmeSageMakerExecution-Legacy (sagemaker-training-job)" in ops["message"]
    assert (
        seeded.CONTENT_VENDOR
        in verdicts[("aws.lineage.agent_knowledge_base_data_is_not_broadly_writable", "support-assistant")]["message"]
    )

    lineage = report["lineage"]
    node = {n["id"]: n for n in lineage["nodes"]}
    chain = {
        (node[e["source"]]["name"], e["relation"], node[e["target"]]["name"], e["resolved"]) for e in lineage["edges"]
    }
    assert {
        (seeded.THROUGHPUT, "hosts", seeded.CUSTOM_MODEL, True),
        (seeded.CUSTOM_MODEL, "trained_by", seeded.FINETUNE_JOB, True),
        (seeded.FINETUNE_JOB, "reads", seeded.PUBLIC_CHATS, True),
        (seeded.IMPORTED_MODEL, "imported_by", seeded.IMPORT_JOB, True),
        ("support-assistant", "retrieves", "support-articles", True),
        ("support-articles", "reads", f"s3://{seeded.KB_BUCKET}/articles/", True),
        ("support-assistant", "guarded_by", "support-guardrail", True),
        ("ops-copilot", "invokes", "acme-ops-runbook", True),
        ("acme-ops-runbook", "runs_as", "AcmeAgentTool-Ops", True),
        ("hr-policy-bot", "guarded_by", seeded.DELETED_GUARDRAIL, False),
    } <= chain
    # the severity rule: the knowledge-base bucket feeds an agent, its S3 findings are raised
    raised = [
        f for f in report["findings"]
        if names.get(f["resource_uid"]) == seeded.KB_BUCKET and "ai_supply_chain" in f["evidence"]
    ]  # fmt: skip
    assert raised and all(
        u["type"] == "aws.bedrock.knowledge_base" for f in raised for u in f["evidence"]["ai_supply_chain"]["used_by"]
    )


def test_the_demo_prints_the_bedrock_part_of_the_lineage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cspm.demo import _show_lineage
    from cspm.lineage import build_lineage
    from cspm.runner import OutputOptions
    from support import bedrock as B

    lineage = build_lineage(B.estate()).to_model()
    report = {"schema_version": "1", "findings": [], "lineage": lineage.model_dump(mode="json")}
    (tmp_path / "report.json").write_text(json.dumps(report), encoding="utf-8")
    _show_lineage(OutputOptions(output_dir=tmp_path))
    printed = capsys.readouterr().out
    part = printed.split("Bedrock models and agents, from the same graph:\n", 1)[1]
    assert "agent support-agent" in part and "provisioned throughput fraud-llm-pt" in part
    assert "hosts → custom model fraud-llm" in part and "retrieves → knowledge base support-docs" in part


def test_demo_lineage_tree_marks_the_unsafe_artifact(demo_run: tuple[Any, dict[str, Any], float]) -> None:
    import os

    from cspm.models import Lineage
    from cspm.reporting.lineage import render_tree

    _, report, _ = demo_run
    lineage = Lineage.model_validate(report["lineage"])
    unsafe = [n for n in lineage.nodes if n.dangerous_imports and n.type.startswith("aws.")]
    assert {n.name.split("/")[3] for n in unsafe} == {"fraud-detection"}  # the production model's artifact
    gcp = [n.name for n in lineage.nodes if n.dangerous_imports and n.type.startswith("gcp.")]
    assert gcp == [f"gs://{demo_gcp.PUBLIC_BUCKET}/churn/model/model.pkl"]  # the GCP churn model's pickle
    assert unsafe[0].dangerous_imports == [f"{os.system.__module__}.system"] and unsafe[0].sha256
    tree = render_tree(lineage, width=400)
    assert f"⚠ unsafe code: {os.system.__module__}.system" in tree
    assert "(tar.gz, sha256 " in tree  # the safetensors artifacts, inspected and clean


@pytest.mark.e2e
def test_demo_report_renders_a_valid_ai_bom(demo_run: tuple[Any, dict[str, Any], float]) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    from cspm.models import ScanReport
    from cspm.reporting.formats import render

    _, report, _ = demo_run
    text = render(ScanReport.model_validate(report), "cyclonedx")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    types = {c["type"] for c in bom["components"]}
    assert {"machine-learning-model", "data", "container", "file", "application"} <= types
    unsafe = [
        c
        for c in bom["components"]
        if {"name": "cspm:artifact:dangerous_imports", "value": f"{os.system.__module__}.system"}
        in c.get("properties", [])
    ]
    assert len(unsafe) == 1 and unsafe[0]["hashes"][0]["alg"] == "SHA-256"


def test_demo_lineage_on_a_terminal_that_is_not_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tree after the summary: ASCII guides and marks, no escapes, on an ASCII stdout."""
    import io

    from cspm.demo import _show_lineage
    from cspm.runner import OutputOptions
    from support.report_factory import risky_report

    (tmp_path / "report.json").write_text(risky_report().to_json(), encoding="utf-8")
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", errors="backslashreplace")
    monkeypatch.setattr(sys, "stdout", stream)
    _show_lineage(OutputOptions(output_dir=tmp_path))
    stream.flush()
    text = raw.getvalue().decode("ascii")
    assert "+-- " in text and "serves -> endpoint config fraud-config" in text
    assert "x unresolved: not an image of a private ECR registry" in text and "\\u" not in text
