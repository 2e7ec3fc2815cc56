"""Azure lineage checks: storage accounts and key vaults of the AI chain must be private; an online
endpoint's model must come from protected storage, and a model's container be written only by its
workspace. Snapshots come from the fake ARM through the real collectors; the verdicts through the
engine (so a failed workspace listing, or unreadable role assignments, are ERROR, never PASS)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cspm.demo.azure import data_version, ml_job, model_version
from cspm.engine import evaluate
from cspm.models import Finding, Status
from cspm.providers import azure
from cspm.registry import load_checks
from cspm.resources.azure.ml import MlWorkspace
from support.azure import (
    SUB,
    FakeArm,
    account_id,
    blob_service,
    collect_azure,
    container,
    datastore,
    hardened_account,
    hardened_ai_account,
    hardened_workspace,
    key_vault,
    online_deployment,
    online_endpoint,
    role_assignment,
    storage_account,
    workspace,
    workspace_id,
)

CHECKS = ("azure.lineage.ai_storage_account_is_private", "azure.lineage.ai_key_vault_is_private")
KV_RG = "ml-rg"


def _scan(fake: FakeArm) -> list[Finding]:
    types = {t for name in azure.SERVICE_MODULES for t in azure.service_spec(name).produces}
    inventory, _ = collect_azure(fake, *types)
    specs = [s for s in load_checks(["azure"]) if s.id in CHECKS]
    return evaluate(specs, inventory, datetime(2026, 1, 1, tzinfo=UTC))


def _verdicts(findings: list[Finding]) -> dict[tuple[str, str], Status]:
    return {(f.check_id.rsplit(".", 1)[1], f.resource_uid.rsplit("/", 1)[-1]): f.status for f in findings}


def _estate() -> FakeArm:
    fake = FakeArm()
    fake.add_account(hardened_account("private"), blob=blob_service("private"))
    fake.add_account(storage_account("public"), blob=blob_service("public"))
    fake.add_account(storage_account("unused"), blob=blob_service("unused"))
    fake.add_workspace(hardened_workspace("secure", storageAccount=account_id("private")))
    fake.add_workspace(workspace("open", storageAccount=account_id("public"), keyVault=_vault_id("open-kv")))
    fake.add_key_vault(key_vault("ml-kv"))  # hardened: the secure workspace's (hardened_workspace's default)
    fake.add_key_vault(key_vault("open-kv", hardened=False, connections=(("pe-kv", "Pending"),)))
    fake.add_ai_account(hardened_ai_account("ai"))  # its customer-managed key is in ml-kv
    return fake


def _vault_id(name: str) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{KV_RG}/providers/Microsoft.KeyVault/vaults/{name}"


def test_storage_and_vaults_of_the_ai_chain_must_be_private() -> None:
    findings = _scan(_estate())
    assert _verdicts(findings) == {
        ("ai_storage_account_is_private", "private"): Status.PASS,
        ("ai_storage_account_is_private", "public"): Status.FAIL,
        ("ai_key_vault_is_private", "ml-kv"): Status.PASS,
        ("ai_key_vault_is_private", "open-kv"): Status.FAIL,  # public, and its one connection is Pending
    }  # "unused" is no AI resource's: not assessed
    public = next(f for f in findings if f.resource_uid.endswith("/public"))
    assert public.message == "Used by open, but public network access is Enabled and no approved private endpoint."
    assert [u["relation"] for u in public.evidence["used_by"]] == ["stores_in"]
    vault = next(f for f in findings if f.resource_uid.endswith("/ml-kv"))
    assert {u["name"] for u in vault.evidence["used_by"]} == {"secure", "ai"}


def test_without_the_workspaces_listing_the_chain_is_error_not_pass() -> None:
    fake = _estate()
    fake.deny(f"/subscriptions/{SUB}/providers/Microsoft.MachineLearningServices/workspaces")
    findings = _scan(fake)
    assert {f.status for f in findings} == {Status.ERROR}
    assert all(MlWorkspace.resource_type in f.message for f in findings)


# ---------------------------------------------------------------------------------------------
# The Azure ML chain: an online endpoint's model must not come from public or broadly writable
# storage; a model asset's container must be writable only by its workspace.
# ---------------------------------------------------------------------------------------------

ENDPOINT_CHECK = "azure.lineage.online_endpoint_model_storage_is_protected"
MODEL_CHECK = "azure.lineage.model_storage_is_writable_only_by_workspace"
WS = workspace_id("ws")
DATA = account_id("mldata")


def _ml_estate(
    *, training_access: str = "None", assignments: tuple[dict[str, Any], ...] = (), **account: Any
) -> FakeArm:
    fake = FakeArm()
    fake.add_account(
        storage_account("mldata", **{"allowBlobPublicAccess": True, **account}),
        blob=blob_service("mldata"),
        containers=[container("mldata", "training", training_access), container("mldata", "models")],
    )
    fake.add_workspace(hardened_workspace("ws", principal_id="ws-oid"))
    fake.add_listing(
        f"{WS}/datastores",
        [
            datastore("ws", "training", account="mldata", container_name="training"),
            datastore("ws", "workspaceblobstore", account="mldata", container_name="models"),
        ],
    )
    fake.add_jobs([ml_job("ws", "train-1", inputs={"training_data": "azureml://datastores/training/paths/fraud/"})])
    fake.add_asset("models", [model_version("ws", "fraud", job_name="train-1")])
    endpoint = online_endpoint("ws", "scoring")
    fake.add_online_endpoint(endpoint, [online_deployment(endpoint, model=f"{WS}/models/fraud/versions/1")])
    registry_only = online_endpoint("ws", "catalog")
    fake.add_online_endpoint(registry_only, [online_deployment(registry_only)])
    fake.add_rbac(SUB, [role_assignment("ws-oid", "Storage Blob Data Contributor", DATA), *assignments])
    return fake


def _ml_findings(fake: FakeArm) -> dict[str, Finding]:
    types = {t for name in azure.SERVICE_MODULES for t in azure.service_spec(name).produces}
    inventory, _ = collect_azure(fake, *types)
    specs = [s for s in load_checks(["azure"]) if s.id in (ENDPOINT_CHECK, MODEL_CHECK)]
    found = evaluate(specs, inventory, datetime(2026, 1, 1, tzinfo=UTC))
    return {f"{f.check_id.rsplit('.', 1)[1]}:{f.resource_uid.rsplit('/', 1)[-1]}": f for f in found}


ENDPOINT = "online_endpoint_model_storage_is_protected:scoring"
MODEL = "model_storage_is_writable_only_by_workspace:1"


def test_private_storage_written_only_by_the_workspace_passes() -> None:
    findings = _ml_findings(_ml_estate(allowSharedKeyAccess=False))
    assert findings[ENDPOINT].status is Status.PASS and findings[MODEL].status is Status.PASS
    assert findings[ENDPOINT].evidence["containers"] == [
        f"{DATA}/blobServices/default/containers/{c}" for c in ("models", "training")
    ]
    assert "online_endpoint_model_storage_is_protected:catalog" not in findings  # a registry model: not applicable


def test_a_model_trained_on_a_public_container_fails_the_endpoint() -> None:
    findings = _ml_findings(_ml_estate(training_access="Container", allowSharedKeyAccess=False))
    endpoint = findings[ENDPOINT]
    assert endpoint.status is Status.FAIL
    [exposed] = endpoint.evidence["exposed"]
    assert (
        exposed["anonymous_access"] == "Container" and exposed["what"] == "training data of job train-1 (model fraud:1)"
    )
    assert findings[MODEL].status is Status.PASS  # its artifact's container is not the public one


def test_a_subscription_wide_data_role_fails_both() -> None:
    broad = role_assignment(
        "data-team", "Storage Blob Data Contributor", f"/subscriptions/{SUB}", principal_type="Group"
    )
    findings = _ml_findings(_ml_estate(assignments=(broad,), allowSharedKeyAccess=False))
    assert findings[ENDPOINT].status is Status.FAIL and findings[MODEL].status is Status.FAIL
    writers = findings[MODEL].evidence["writers"]
    assert [(w["principal_id"], w["via"], w["scope_level"]) for w in writers] == [
        ("data-team", "data role", "subscription")
    ]


@pytest.mark.parametrize(
    ("assignment", "shared_key", "expected"),
    [
        (("pipeline", "Storage Blob Data Owner", "account"), False, Status.FAIL),  # narrow, but not the workspace
        (("pipeline", "Contributor", "rg"), True, Status.FAIL),  # listKeys while Shared Key is allowed
        (("pipeline", "Contributor", "rg"), False, Status.PASS),  # keys do not work: Contributor has no data action
        (("pipeline", "Storage Blob Data Reader", "account"), True, Status.PASS),
    ],
)
def test_who_can_write_the_model_container(
    assignment: tuple[str, str, str], shared_key: bool, expected: Status
) -> None:
    principal, role, where = assignment
    scope = {"account": DATA, "rg": f"/subscriptions/{SUB}/resourceGroups/ml-rg"}[where]
    findings = _ml_findings(
        _ml_estate(assignments=(role_assignment(principal, role, scope),), allowSharedKeyAccess=shared_key)
    )
    assert findings[MODEL].status is expected
    assert findings[ENDPOINT].status is Status.PASS  # not broad: the endpoint check leaves it to the model check


def test_unreadable_role_assignments_are_error_naming_what_is_missing() -> None:
    fake = _ml_estate()
    fake.deny(f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments")
    findings = _ml_findings(fake)
    for key in (ENDPOINT, MODEL):
        assert findings[key].status is Status.ERROR
        assert "Microsoft.Authorization/roleAssignments/read" in findings[key].message


def test_unreadable_datastores_are_error_not_pass() -> None:
    fake = _ml_estate()
    fake.deny(f"{WS}/datastores")
    findings = _ml_findings(fake)
    assert (
        findings[MODEL].status is Status.ERROR
        and "datastores of workspace ws could not be listed" in findings[MODEL].message
    )
    assert findings[ENDPOINT].status is Status.ERROR


def test_a_model_listing_denied_is_error_for_the_endpoint() -> None:
    fake = _ml_estate()
    fake.deny(f"{WS}/models")
    findings = _ml_findings(fake)
    assert findings[ENDPOINT].status is Status.ERROR and "azure.ml.model" in findings[ENDPOINT].message
    [unlisted] = [f for k, f in findings.items() if k.startswith("model_storage") and k.endswith(":*")]
    assert unlisted.status is Status.ERROR and "ModelContainers_List failed" in unlisted.message


def test_a_model_in_a_job_artifact_store_is_judged_on_that_container() -> None:
    fake = _ml_estate(allowSharedKeyAccess=False)
    fake.add_listing(
        f"{WS}/datastores", [datastore("ws", "workspaceartifactstore", account="mldata", container_name="models")]
    )
    fake.add_asset(
        "models", [model_version("ws", "mlflow", "2", model_uri="azureml://jobs/run-9/outputs/artifacts/paths/model/")]
    )
    finding = _ml_findings(fake)["model_storage_is_writable_only_by_workspace:2"]
    assert finding.status is Status.PASS and finding.evidence["container"].endswith("/containers/models")


def _storage_findings(fake: FakeArm) -> dict[str, Finding]:
    fake.add_asset("data", [data_version("ws", "feats", data_uri="azureml://datastores/training/paths/feats/")])
    types = {t for name in azure.SERVICE_MODULES for t in azure.service_spec(name).produces}
    inventory, _ = collect_azure(fake, *types)
    wanted = ("azure.lineage.job_storage_is_not_anonymous", "azure.lineage.data_asset_storage_is_not_anonymous")
    found = evaluate([s for s in load_checks(["azure"]) if s.id in wanted], inventory, datetime(2026, 1, 1, tzinfo=UTC))
    return {f.check_id.rsplit(".", 1)[1].split("_storage")[0]: f for f in found}


@pytest.mark.parametrize(
    ("access", "denied", "expected"),
    [
        ("None", None, Status.PASS),
        ("Container", None, Status.FAIL),
        ("Blob", None, Status.FAIL),
        ("None", "datastores", Status.ERROR),
    ],
)
def test_jobs_and_data_assets_use_no_anonymous_container(access: str, denied: str | None, expected: Status) -> None:
    """job_storage_is_not_anonymous and data_asset_storage_is_not_anonymous: PASS, FAIL, and ERROR
    when the datastores (so the containers behind the URIs) could not be read."""
    fake = _ml_estate(training_access=access)
    if denied:
        fake.deny(f"{WS}/{denied}")
    findings = _storage_findings(fake)
    assert findings["job"].status is expected and findings["data_asset"].status is expected
    if expected is Status.FAIL:
        assert findings["job"].evidence["exposed"][0]["what"] == "input training_data"
        assert findings["data_asset"].evidence["exposed"][0]["anonymous_access"] == access
    if expected is Status.ERROR:
        assert "could not be listed" in findings["job"].message


def test_an_account_that_forbids_anonymous_access_overrides_the_container() -> None:
    findings = _storage_findings(_ml_estate(training_access="Container", allowBlobPublicAccess=False))
    assert findings["job"].status is Status.PASS and findings["data_asset"].status is Status.PASS
