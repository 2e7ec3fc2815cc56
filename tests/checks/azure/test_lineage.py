"""Azure lineage checks: storage accounts and key vaults of the AI chain must be private. Snapshots
come from the fake ARM through the real collectors; the verdicts through the engine (so a failed
workspace listing is ERROR, never PASS)."""

from __future__ import annotations

from datetime import UTC, datetime

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
    hardened_account,
    hardened_ai_account,
    hardened_workspace,
    key_vault,
    storage_account,
    workspace,
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
