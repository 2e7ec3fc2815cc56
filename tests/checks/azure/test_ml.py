"""Azure ML checks: a table of (case, snapshot, expected status) per check.

Workspace properties come from one listing; a workspace that could not be listed gives ERROR
through the engine (``test_unlisted_workspaces_give_error_for_every_check``). ``computes`` comes
from a second call and has its own unreadable case.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cspm.checks.azure import ml
from cspm.engine import Inventory, evaluate
from cspm.models import Status
from cspm.registry import load_checks
from cspm.resources.azure.identity import ManagedIdentity
from cspm.resources.azure.ml import MlCompute, MlDatastore, MlOnlineEndpoint, MlRegistry, MlWorkspace
from cspm.resources.azure.monitor import DiagnosticSetting
from cspm.resources.azure.network import PrivateEndpointConnection
from support.azure import principals, role_assignment

SUB = "00000000-0000-0000-0000-000000000001"


def workspace(**fields: Any) -> MlWorkspace:
    """A hardened, fully readable workspace; override fields per case."""
    base: dict[str, Any] = {
        "uid": f"/subscriptions/{SUB}/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ws",
        "name": "ws",
        "account": SUB,
        "region": "eastus",
        "resource_group": "ml-rg",
        "kind": "Default",
        "public_network_access": "Disabled",
        "encryption_status": "Enabled",
        "encryption_key": "https://kv.vault.azure.net/keys/ml/1",
        "private_endpoint_connections": (PrivateEndpointConnection(name="pe", status="Approved"),),
        "managed_network_isolation": "AllowOnlyApprovedOutbound",
        "system_datastores_auth_mode": "Identity",
        "computes": (MlCompute(name="ci", compute_type="ComputeInstance", local_auth_enabled=False),),
    }
    base.update(fields)
    return MlWorkspace(**base)


@pytest.mark.parametrize(
    ("check", "case", "fields", "expected"),
    [
        (ml.workspace_disables_public_network_access, "disabled", {}, Status.PASS),
        (
            ml.workspace_disables_public_network_access,
            "enabled (or unset)",
            {"public_network_access": "Enabled"},
            Status.FAIL,
        ),
        (ml.workspace_uses_private_endpoint, "approved", {}, Status.PASS),
        (
            ml.workspace_uses_private_endpoint,
            "rejected",
            {"private_endpoint_connections": (PrivateEndpointConnection(name="pe", status="Rejected"),)},
            Status.FAIL,
        ),
        (ml.workspace_uses_private_endpoint, "none", {"private_endpoint_connections": ()}, Status.FAIL),
        (ml.workspace_restricts_outbound_traffic, "approved only", {}, Status.PASS),
        (
            ml.workspace_restricts_outbound_traffic,
            "internet outbound",
            {"managed_network_isolation": "AllowInternetOutbound"},
            Status.FAIL,
        ),
        (
            ml.workspace_restricts_outbound_traffic,
            "no managed network",
            {"managed_network_isolation": "Disabled"},
            Status.FAIL,
        ),
        (ml.workspace_encrypted_with_cmk, "cmk", {}, Status.PASS),
        (ml.workspace_encrypted_with_cmk, "microsoft keys", {"encryption_status": "Disabled"}, Status.FAIL),
        (ml.workspace_encrypted_with_cmk, "project", {"kind": "Project", "encryption_status": "Disabled"}, None),
        (ml.workspace_datastores_use_identity, "identity", {}, Status.PASS),
        (
            ml.workspace_datastores_use_identity,
            "user delegation SAS",
            {"system_datastores_auth_mode": "UserDelegationSAS"},
            Status.PASS,
        ),
        (
            ml.workspace_datastores_use_identity,
            "access key (unset)",
            {"system_datastores_auth_mode": "AccessKey"},
            Status.FAIL,
        ),
    ],
)
def test_workspace_property_checks(check: Any, case: str, fields: dict[str, Any], expected: Status | None) -> None:
    result = check(workspace(**fields))
    assert result.status is expected, f"{case}: {result.message}"


CI_LOCAL = MlCompute(name="ci-open", compute_type="ComputeInstance", local_auth_enabled=True)
CLUSTER_OK = MlCompute(name="cluster", compute_type="AmlCompute", local_auth_enabled=False)
K8S = MlCompute(name="aks", compute_type="Kubernetes", local_auth_enabled=True)


@pytest.mark.parametrize(
    ("case", "computes", "expected"),
    [
        ("all disabled", (CLUSTER_OK,), Status.PASS),
        ("one instance with local auth", (CLUSTER_OK, CI_LOCAL), Status.FAIL),
        ("only attached compute", (K8S,), None),
        ("no compute", (), None),
        ("computes unreadable", None, Status.ERROR),
    ],
)
def test_workspace_computes_disable_local_auth(
    case: str, computes: tuple[MlCompute, ...] | None, expected: Status | None
) -> None:
    result = ml.workspace_computes_disable_local_auth(workspace(computes=computes))
    assert result.status is expected, case
    if expected is Status.FAIL:
        assert result.evidence == {"computes": ["ci-open"]}


def test_unlisted_workspaces_give_error_for_every_check() -> None:
    specs = [s for s in load_checks(["azure"]) if s.service == "ml"]
    inventory = Inventory()
    from cspm.resources.azure.ml_assets import MlModel  # the model_artifact_* checks' resource

    for rtype in (MlWorkspace, MlOnlineEndpoint, MlRegistry, MlModel):
        inventory.mark_incomplete(rtype, SUB, "global", "Workspaces_ListBySubscription failed: AuthorizationFailed")
    findings = evaluate(specs, inventory, datetime(2026, 1, 1, tzinfo=UTC))
    assert {f.check_id for f in findings} == {s.id for s in specs}
    assert {f.status for f in findings} == {Status.ERROR}


def test_no_managed_network_is_named_as_such() -> None:
    """Disabled is what an unset managedNetwork means: no managed network, not a weaker mode."""
    result = ml.workspace_restricts_outbound_traffic(workspace(managed_network_isolation="Disabled"))
    assert result.status is Status.FAIL and "no managed network" in result.message
    assert result.evidence == {"isolation_mode": "Disabled"}


def test_datastore_auth_mode_is_informational() -> None:
    """Its remediation is a public preview Microsoft does not recommend for production: reported, not scored."""
    from cspm.models import Severity

    spec = next(s for s in load_checks(["azure"]) if s.id == "azure.ml.workspace_datastores_use_identity")
    assert spec.severity is Severity.INFORMATIONAL and spec.severity.weight == 0


SYSTEM = ManagedIdentity(type="SystemAssigned", principal_id="p-1")
USER_ASSIGNED = ManagedIdentity(type="UserAssigned", user_assigned_principals=("p-1",))


@pytest.mark.parametrize(
    ("case", "identity", "role", "expected"),
    [
        (
            "identity is owner on the subscription",
            ManagedIdentity(type="SystemAssigned", principal_id="p-1"),
            "Owner",
            Status.FAIL,
        ),
        ("identity is a reader", ManagedIdentity(type="SystemAssigned", principal_id="p-1"), "Reader", Status.PASS),
        (
            "user-assigned identity",
            ManagedIdentity(type="UserAssigned", user_assigned_principals=("p-1",)),
            "User Access Administrator",
            Status.FAIL,
        ),
        ("no identity", ManagedIdentity(type="None"), "Owner", None),
    ],
)
def test_workspace_identity_is_not_privileged(
    case: str, identity: ManagedIdentity, role: str, expected: Status
) -> None:
    held = principals([role_assignment("p-1", role, f"/subscriptions/{SUB}")])
    result = ml.workspace_identity_is_not_privileged(workspace(identity=identity), held)
    assert result.status is expected, f"{case}: {result.message}"


def endpoint(**fields: Any) -> MlOnlineEndpoint:
    base: dict[str, Any] = {
        "uid": f"{workspace().uid}/onlineEndpoints/scoring",
        "name": "scoring",
        "account": SUB,
        "region": "eastus",
        "workspace_id": workspace().uid,
        "workspace_name": "ws",
        "auth_mode": "AADToken",
        "public_network_access": "Disabled",
        "identity": SYSTEM,
        "deployments": (),
    }
    base.update(fields)
    return MlOnlineEndpoint(**base)


def registry(**fields: Any) -> MlRegistry:
    base: dict[str, Any] = {
        "uid": f"/subscriptions/{SUB}/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/registries/r",
        "name": "r",
        "account": SUB,
        "resource_group": "ml-rg",
        "public_network_access": "Disabled",
        "private_endpoint_connections": (PrivateEndpointConnection(name="pe", status="Approved"),),
    }
    base.update(fields)
    return MlRegistry(**base)


@pytest.mark.parametrize(
    ("check", "case", "subject", "expected"),
    [
        (
            ml.workspace_uses_application_insights,
            "hub with insights",
            workspace(application_insights="/x/ai"),
            Status.PASS,
        ),
        (ml.workspace_uses_application_insights, "hub without", workspace(kind="Hub"), Status.FAIL),
        (ml.workspace_uses_application_insights, "project", workspace(kind="Project"), None),
        (ml.online_endpoint_uses_token_auth, "entra token", endpoint(), Status.PASS),
        (ml.online_endpoint_uses_token_auth, "aml token", endpoint(auth_mode="AMLToken"), Status.PASS),
        (ml.online_endpoint_uses_token_auth, "key", endpoint(auth_mode="Key"), Status.FAIL),
        (ml.online_endpoint_disables_public_network_access, "disabled", endpoint(), Status.PASS),
        (
            ml.online_endpoint_disables_public_network_access,
            "enabled (or unset)",
            endpoint(public_network_access="Enabled"),
            Status.FAIL,
        ),
        (ml.registry_disables_public_network_access, "disabled", registry(), Status.PASS),
        (ml.registry_disables_public_network_access, "enabled", registry(public_network_access="Enabled"), Status.FAIL),
        (ml.registry_uses_private_endpoint, "approved", registry(), Status.PASS),
        (
            ml.registry_uses_private_endpoint,
            "pending",
            registry(private_endpoint_connections=(PrivateEndpointConnection(name="pe", status="Pending"),)),
            Status.FAIL,
        ),
        (ml.registry_uses_private_endpoint, "none", registry(private_endpoint_connections=()), Status.FAIL),
    ],
)
def test_hub_endpoint_and_registry_checks(check: Any, case: str, subject: Any, expected: Status | None) -> None:
    result = check(subject)
    assert result.status is expected, f"{case}: {result.message}"


@pytest.mark.parametrize(
    ("case", "identity", "role", "expected"),
    [
        ("endpoint identity is contributor", SYSTEM, "Contributor", Status.FAIL),
        ("endpoint identity is a reader", SYSTEM, "Reader", Status.PASS),
        ("no identity", ManagedIdentity(type="None"), "Owner", None),
    ],
)
def test_online_endpoint_identity_is_not_privileged(
    case: str, identity: ManagedIdentity, role: str, expected: Status | None
) -> None:
    held = principals([role_assignment("p-1", role, f"/subscriptions/{SUB}")])
    result = ml.online_endpoint_identity_is_not_privileged(endpoint(identity=identity), held)
    assert result.status is expected, case


LOGS = DiagnosticSetting(name="to-law", categories=("AmlComputeJobEvent",), destinations=("workspace",))


@pytest.mark.parametrize(
    ("case", "settings", "expected"),
    [
        ("logs to a workspace", (LOGS,), Status.PASS),
        ("metrics only", (DiagnosticSetting(name="m", destinations=("workspace",)),), Status.FAIL),
        ("logs to nowhere", (DiagnosticSetting(name="n", category_groups=("allLogs",)),), Status.FAIL),
        ("no setting", (), Status.FAIL),
        ("unreadable", None, Status.ERROR),
    ],
)
def test_workspace_sends_resource_logs(
    case: str, settings: tuple[DiagnosticSetting, ...] | None, expected: Status
) -> None:
    result = ml.workspace_sends_resource_logs(workspace(diagnostic_settings=settings))
    assert result.status is expected, f"{case}: {result.message}"


def store(name: str, credentials: str) -> MlDatastore:
    return MlDatastore(name=name, datastore_type="AzureBlob", credentials_type=credentials)


@pytest.mark.parametrize(
    ("case", "stores", "expected"),
    [
        ("identity-based", (store("a", "None"), store("b", "ServicePrincipal")), Status.PASS),
        ("an account key", (store("a", "None"), store("b", "AccountKey")), Status.FAIL),
        ("a SAS token", (store("a", "Sas"),), Status.FAIL),
        ("no credentials type", (store("a", "Unknown"),), Status.ERROR),
        ("no datastore", (), None),
        ("unreadable", None, Status.ERROR),
    ],
)
def test_workspace_datastores_use_entra_id(
    case: str, stores: tuple[MlDatastore, ...] | None, expected: Status | None
) -> None:
    result = ml.workspace_datastores_use_entra_id(workspace(datastores=stores))
    assert result.status is expected, f"{case}: {result.message}"


# ---------------------------------------------------------------------------------------------
# model_artifact_* (--inspect-artifacts): the shared reasoning (cspm.artifacts.verdict) on the
# blobs of an Azure ML model asset version (collected by cspm.providers.azure.artifacts)
# ---------------------------------------------------------------------------------------------

BLOB_DIR = "https://mlstore.blob.core.windows.net/models/fraud/3"
WS_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
MODEL_ID = f"{WS_ID}/models/fraud/versions/3"


def _model(uri: str | None = BLOB_DIR, *, folder: bool = True, unresolved: str | None = None) -> Any:
    from cspm.resources.azure.ml_assets import MlModel

    return MlModel(
        uid=MODEL_ID,
        name="fraud:3",
        account="s",
        workspace_id=WS_ID,
        model_name="fraud",
        version="3",
        model_type="mlflow_model" if folder else "custom_model",
        model_uri="azureml://datastores/workspaceblobstore/paths/fraud/3" + ("" if folder else "/model.pkl"),
        artifact_blob_uri=uri if folder or uri is None else f"{uri}/model.pkl",
        artifact_unresolved=unresolved,
    )


def _blob(name: str = "model.safetensors", **fields: Any) -> Any:
    from cspm.resources.azure.artifacts import AzureBlobModelArtifact

    uri = f"{BLOB_DIR}/{name}"
    kind = "pickle" if name.endswith(".pkl") else "safetensors"
    base: dict[str, Any] = {"uid": uri, "name": uri, "account": "s", "uri": uri, "sha256": "ab" * 32,
                            "format": kind, "members": ((name, kind),), "dangerous": (),
                            "scanners": {"picklescan": "1.0.5"}}  # fmt: skip
    return AzureBlobModelArtifact(**(base | fields))


def _os_system() -> Any:
    from cspm.resources.artifacts import ImportFound

    return ImportFound(module="os", name="system", member="model.pkl")


@pytest.mark.parametrize(
    ("case", "model", "artifacts", "unsafe", "fmt"),
    [
        ("safetensors folder", _model, lambda: (_blob(),), Status.PASS, Status.PASS),
        ("pickle running os.system", lambda: _model(folder=False),
         lambda: (_blob("model.pkl", dangerous=(_os_system(),)),), Status.FAIL, Status.FAIL),
        ("benign pickle", lambda: _model(folder=False), lambda: (_blob("model.pkl"),), Status.PASS, Status.FAIL),
        ("blob unreadable", lambda: _model(folder=False),
         lambda: (_blob("model.pkl", error="Get Blob failed", sha256=None, format=None, dangerous=None, members=()),),
         Status.ERROR, Status.ERROR),
        ("not inspected", _model, lambda: (), Status.ERROR, Status.ERROR),
        ("location unresolved", lambda: _model(None, unresolved="datastore gone was not collected"), lambda: (),
         Status.ERROR, Status.ERROR),
    ],
)  # fmt: skip
def test_model_artifact_checks(case: str, model: Any, artifacts: Any, unsafe: Status, fmt: Status) -> None:
    found = artifacts()
    result = ml.model_artifact_is_free_of_unsafe_code(model(), found)
    assert result.status is unsafe, f"{case}: {result.message}"
    assert ml.model_artifact_uses_safe_format(model(), found).status is fmt, case
    if case == "location unresolved":
        assert "datastore gone" in result.message


@pytest.mark.parametrize(
    ("case", "status", "policy", "served", "expected"),
    [
        ("verified", "verified", "all", False, Status.PASS),
        ("does not verify", "invalid", "all", False, Status.FAIL),
        ("absent under 'all'", "absent", "all", False, Status.FAIL),
        ("absent under 'served', deployed", "absent", "served", True, Status.FAIL),
        ("absent under 'served', not deployed", "absent", "served", False, None),
        ("unverifiable", "unverifiable", "all", False, Status.ERROR),
        ("not looked at", None, None, False, None),
    ],
)
def test_model_artifact_signature_verifies(
    case: str, status: str | None, policy: str | None, served: bool, expected: Status | None
) -> None:
    from cspm.resources.artifacts import SignatureCheck
    from cspm.resources.azure.ml import MlOnlineDeployment

    signature = None if status is None else SignatureCheck(status=status, method="key", detail="why")
    found = (_blob(signing_policy=policy, signature=signature),)
    deployment = MlOnlineDeployment(name="blue", compute_type="Managed", model=MODEL_ID if served else "azureml:x:1")
    endpoints = [endpoint(deployments=(deployment,))]
    result = ml.model_artifact_signature_verifies(_model(), found, endpoints)
    assert result.status is expected, f"{case}: {result.message}"
