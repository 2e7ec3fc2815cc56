"""The scanner's own least privilege, on Azure and Google Cloud.

The fakes of the Azure Resource Manager and Cloud Storage APIs (tests/support/azure.py, gcp.py)
are wrapped here in an authorization layer that maps every request to the permission the cloud
checks for it, as the clouds document it, and refuses the request (403, in the cloud's own error
shape) when the scanner's role lacks it. Then, as for AWS:

1. every request the collectors send is a read, authorized by a permission the role grants;
2. every permission the role grants is used;
3. a scan holding exactly ``azure_role()`` / ``gcp_role()`` records no error;
4. the same role minus one permission records an error naming the operation it blocked.

The mapping, written once here:

- Azure: a GET of ``/subscriptions`` (or one subscription) needs
  ``Microsoft.Resources/subscriptions/read``; a GET of a resource path needs
  ``{namespace}/{type}[/{child type}...]/read``, the types being every other segment after
  ``/providers/{namespace}/`` (ARM's RBAC naming: ``.../blobServices/default/containers`` ->
  ``Microsoft.Storage/storageAccounts/blobServices/containers/read``).
- Google Cloud: from the Cloud Storage "IAM permissions for JSON methods" tables: buckets.list ->
  ``storage.buckets.list``; buckets.getIamPolicy -> ``storage.buckets.getIamPolicy``;
  bucketAccessControls.list and defaultObjectAccessControls.list -> ``storage.buckets.get`` and
  ``storage.buckets.getIamPolicy``; Resource Manager projects.search returns the projects on
  which the caller holds ``resourcemanager.projects.get``; projects.getIamPolicy (the one POST,
  a read) -> ``resourcemanager.projects.getIamPolicy``. IAM: serviceAccounts.list ->
  ``iam.serviceAccounts.list``; serviceAccounts.keys.list -> ``iam.serviceAccountKeys.list``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

from cspm.demo import gcp_iam, gcp_resource_iam
from cspm.demo import gcp_network as net
from cspm.demo.azure import data_version, ml_job, model_version
from cspm.demo.gcp_network import network_permissions
from cspm.demo.gcp_workbench import feature_online_store, featurestore, workbench_instance
from cspm.engine import collect
from cspm.errors import ScanError
from cspm.permissions import azure_role, gcp_role
from cspm.providers import azure, gcp
from support import azure as arm
from support import gcp as gcs

# ---------------------------------------------------------------------------------------------
# Azure
# ---------------------------------------------------------------------------------------------


def arm_permission(method: str, path: str) -> str:
    """The RBAC action ARM checks for a request (reads only: the scanner sends nothing else)."""
    assert method in ("GET", "HEAD"), f"{method} {path} is not a read"
    parts = [p for p in path.split("/") if p]
    if len(parts) <= 2 and parts[:1] == ["subscriptions"]:
        return "Microsoft.Resources/subscriptions/read"
    lowered = [p.lower() for p in parts]
    at = len(lowered) - 1 - lowered[::-1].index("providers")
    namespace, rest = parts[at + 1], parts[at + 2 :]
    return "/".join([namespace, *rest[0::2], "read"])


@dataclass
class RbacArm(arm.FakeArm):
    """The fake ARM, answering 403 AuthorizationFailed when the role lacks the permission."""

    role: set[str] = field(default_factory=set)
    checked: list[str] = field(default_factory=list)

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        path = urlparse(url).path.rstrip("/")
        if "/oauth2/" in path or "openid-configuration" in path:
            return super().handle(method, url, headers, body)
        action = arm_permission(method, path)
        self.checked.append(action)
        if action.lower() not in {a.lower() for a in self.role}:
            return 403, arm.arm_error(
                "AuthorizationFailed",
                f"The client does not have authorization to perform action '{action}' over scope '{path}'.",
            )
        return super().handle(method, url, headers, body)


def _azure_account(role: Iterable[str]) -> RbacArm:
    fake = RbacArm(role=set(role), subscriptions=[arm.subscription(arm.SUB)])
    fake.add_account(
        arm.hardened_account("mlstore"), blob=arm.blob_service("mlstore"), containers=[arm.container("mlstore", "data")]
    )
    fake.add_workspace(arm.hardened_workspace("ml-ws"), computes=[arm.compute("ml-ws", "ci")])
    endpoint = arm.online_endpoint("ml-ws", "scoring")
    fake.add_online_endpoint(endpoint, [arm.online_deployment(endpoint)])
    fake.add_registry(arm.ml_registry("shared"))
    fake.add_key_vault(arm.key_vault("ml-kv"))
    fake.add_listing(arm.workspace_id("ml-ws") + "/datastores", [arm.datastore("ml-ws")])
    fake.add_jobs([ml_job("ml-ws", "train")])
    fake.add_asset("models", [model_version("ml-ws", "model", job_name="train")])
    fake.add_asset("data", [data_version("ml-ws", "data")])
    fake.add_ai_account(
        arm.hardened_ai_account("ml-ai"),
        deployments=[arm.ai_deployment("ml-ai", "chat")],
        diagnostic_settings=[arm.diagnostic_setting(arm.ai_account_id("ml-ai"))],
    )
    return fake


def _azure_types() -> set[type]:
    return {t for name in azure.SERVICE_MODULES for t in azure.service_spec(name).produces}


def _scan_azure(fake: RbacArm) -> Any:
    """Every Azure collector, with no --subscription (so subscriptions are listed too)."""
    provider = azure.AzureProvider(azure.AzureOptions(credential=arm.FakeCredential(), endpoint=arm.ARM, retry_total=0))
    with arm.mounted(fake):
        provider.connect()
        inventory = collect(provider.plan(_azure_types()), workers=2)
    return inventory


def test_arm_permissions_follow_the_rbac_naming() -> None:
    sub = f"/subscriptions/{arm.SUB}"
    account = f"{sub}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a"
    assert arm_permission("GET", "/subscriptions") == "Microsoft.Resources/subscriptions/read"
    assert arm_permission("GET", f"{sub}/providers/Microsoft.Storage/storageAccounts") == (
        "Microsoft.Storage/storageAccounts/read"
    )
    assert arm_permission("GET", f"{account}/blobServices/default/containers") == (
        "Microsoft.Storage/storageAccounts/blobServices/containers/read"
    )
    ai = arm.ai_account_id("a")
    assert arm_permission("GET", f"{ai}/raiPolicies") == "Microsoft.CognitiveServices/accounts/raiPolicies/read"
    assert arm_permission("GET", f"{ai}/providers/Microsoft.Insights/diagnosticSettings") == (
        "Microsoft.Insights/diagnosticSettings/read"
    )
    with pytest.raises(AssertionError):
        arm_permission("POST", f"{account}/listKeys")


def test_the_azure_role_is_sufficient_and_every_permission_is_used() -> None:
    role = set(azure_role()["Actions"])
    fake = _azure_account(role)
    inventory = _scan_azure(fake)
    assert inventory.errors == []
    assert fake.violations == []
    assert {a.lower() for a in fake.checked} == {a.lower() for a in role}, "every permission used, no other"
    assert {type(r).__name__ for r in inventory.resources()} >= {
        "StorageAccount",
        "StorageContainer",
        "MlWorkspace",
        "AiServicesAccount",
        "AiDeployment",
    }


@pytest.mark.parametrize("dropped", sorted(azure_role()["Actions"]))
def test_an_azure_role_missing_one_permission_records_what_it_blocked(dropped: str) -> None:
    fake = _azure_account(set(azure_role()["Actions"]) - {dropped})
    if dropped in azure.CONNECT_PERMISSIONS:  # no subscription can be listed: nothing to scan
        with pytest.raises(ScanError, match=re.escape(dropped)):
            _scan_azure(fake)
        return
    inventory = _scan_azure(fake)
    assert inventory.errors, f"without {dropped} the scan must record an error"
    assert {e.code for e in inventory.errors} == {"AuthorizationFailed"}
    assert all(dropped in e.message for e in inventory.errors)


# ---------------------------------------------------------------------------------------------
# Google Cloud
# ---------------------------------------------------------------------------------------------

_BUCKET_READS = {
    "iam": {"storage.buckets.getIamPolicy"},
    "acl": {"storage.buckets.get", "storage.buckets.getIamPolicy"},
    "defaultObjectAcl": {"storage.buckets.get", "storage.buckets.getIamPolicy"},
}


def gcs_permissions(method: str, path: str) -> set[str]:
    """The IAM permissions Google Cloud checks for a request ({} for the OAuth token exchange)."""
    if method == "POST" and path.endswith("/token"):
        return set()
    if method == "POST" and re.fullmatch(r"/v3/projects/[^/:]+:getIamPolicy", path):
        return {"resourcemanager.projects.getIamPolicy"}
    if (on_resource := gcp_resource_iam.route_permission(method, path)) is not None:  # Vertex resource policies
        return {on_resource}
    depth = gcp_iam.route_permission(method, path)  # ancestry, folder/org/SA policies, roles.get
    if depth is not None:
        return {depth}
    assert method == "GET", f"{method} {path} is not a read"
    if (network := network_permissions(method, path)) is not None:
        return network
    accounts = re.fullmatch(r"/v1/projects/[^/]+/serviceAccounts(?P<keys>/[^/]+/keys)?", path)
    if accounts is not None:
        return {"iam.serviceAccountKeys.list" if accounts.group("keys") else "iam.serviceAccounts.list"}
    if path == "/v3/projects:search":
        return {"resourcemanager.projects.get"}
    if path == "/storage/v1/b":
        return {"storage.buckets.list"}
    if re.fullmatch(r"/v2/projects/[^/]+/locations/[^/]+/instances", path):  # Workbench (Notebooks v2)
        return {"notebooks.instances.list"}
    if re.fullmatch(r"/v1/projects/[^/]+/locations/[^/]+/models/[^/:]+:listVersions", path):
        return {"aiplatform.models.list"}
    # Vertex AI: each REST method is authorized by aiplatform.{collection}.{verb}.
    vertex = re.fullmatch(r"/v1/projects/[^/]+/locations(?:/[^/]+/(?P<collection>[A-Za-z]+))?", path)
    if vertex is not None:
        return {f"aiplatform.{vertex.group('collection') or 'locations'}.list"}
    match = re.fullmatch(r"/storage/v1/b/[^/]+(?:/(?P<what>[A-Za-z]+))?", path)
    assert match is not None, f"no permission is known for GET {path}"
    return _BUCKET_READS[match.group("what")] if match.group("what") else {"storage.buckets.get"}


@dataclass
class IamGcs(gcs.FakeGcs):
    """The fake Cloud Storage API, answering 403 when the role lacks a permission."""

    role: set[str] = field(default_factory=set)
    checked: set[str] = field(default_factory=set)

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        path = unquote(urlparse(url).path)
        needed = gcs_permissions(method, path)
        self.checked |= needed
        missing = needed - self.role
        if missing:
            text = f"caller does not have {', '.join(sorted(missing))} access to {path}."
            return 403, gcs.gcs_error(403, "forbidden", text)
        return super().handle(method, url, headers, body)


def _gcp_account(role: Iterable[str]) -> IamGcs:
    fake = IamGcs(role=set(role), projects=[gcs.PROJECT])
    fake.add_bucket(gcs.hardened_bucket("ml-models"))
    fake.add_bucket(gcs.bucket("ml-legacy", uniform=False, public_access_prevention="inherited"))
    for collection, raw in (
        ("endpoints", gcs.vertex_endpoint("ep")),
        ("models", gcs.vertex_model("model")),
        ("customJobs", gcs.custom_job("job")),
        ("trainingPipelines", gcs.training_pipeline("pipeline")),
        ("datasets", gcs.vertex_dataset("dataset")),
    ):
        fake.add_vertex(collection, raw)
    fake.add_vertex(
        "featureOnlineStores", feature_online_store("online", project=gcs.PROJECT_NUMBER, location="us-central1")
    )
    fake.add_vertex("featurestores", featurestore("legacy", project=gcs.PROJECT_NUMBER, location="us-central1"))
    fake.workbench[gcs.PROJECT] = [workbench_instance("notebook")]
    trainer = f"trainer@{gcs.PROJECT}.iam.gserviceaccount.com"
    fake.project_policies[gcs.PROJECT] = gcs.project_policy(("roles/aiplatform.user", [f"serviceAccount:{trainer}"]))
    fake.service_accounts[gcs.PROJECT] = [gcs.service_account(trainer)]
    # private paths: a project in a folder (folders.get), one policy with a perimeter, a subnet, a PSC endpoint
    fake.network.add_project(gcs.PROJECT, gcs.PROJECT_NUMBER, parent="folders/42")
    fake.network.add_folder("folders/42", net.DEFAULT_ORG)
    fake.network.add_policy(net.access_policy("7"), net.service_perimeter("7", "ml", resources=("projects/1",)))
    fake.network.subnetworks[gcs.PROJECT] = [net.subnetwork("subnet", project=gcs.PROJECT)]
    fake.network.forwarding_rules[gcs.PROJECT] = [net.forwarding_rule("psc", project=gcs.PROJECT, target="vpc-sc")]
    fake.iam_depth.ancestors[gcs.PROJECT] = ["folders/42", net.DEFAULT_ORG]  # their IAM policies are read too
    return fake


def _scan_gcp(fake: IamGcs) -> Any:
    """Every Google Cloud collector, with no --project (so projects are searched too)."""
    types = {t for name in gcp.SERVICE_MODULES for t in gcp.service_spec(name).produces}
    provider = gcp.GcpProvider(gcp.GcpOptions(credentials=gcs.fake_credentials(), retry_deadline=None))
    with gcs.mounted(fake):
        provider.connect()
        inventory = collect(provider.plan(types), workers=2)
    for error in provider.setup_errors:
        inventory.record_error(error)
    return inventory


def test_the_gcp_role_is_sufficient_and_every_permission_is_used() -> None:
    role = set(gcp_role()["includedPermissions"])
    fake = _gcp_account(role)
    inventory = _scan_gcp(fake)
    assert inventory.errors == []
    assert fake.violations == []
    assert fake.checked == role, "every permission used, no other"
    assert {r.name for r in inventory.resources()} == {
        "ml-models",
        "ml-legacy",
        "ep",
        "model",
        "job",
        "pipeline",
        "dataset",
        "notebook",
        "online",
        "legacy",
        f"serviceAccount:trainer@{gcs.PROJECT}.iam.gserviceaccount.com",  # the principal
        f"trainer@{gcs.PROJECT}.iam.gserviceaccount.com",  # the service account
        f"projects/{gcs.PROJECT}",  # its IAM hierarchy (ancestry, inherited and SA policies, roles)
        gcs.PROJECT,  # the project as VPC Service Controls sees it
        "subnet",
        "psc",
    }


@pytest.mark.parametrize("dropped", sorted(gcp_role()["includedPermissions"]))
def test_a_gcp_role_missing_one_permission_records_what_it_blocked(dropped: str) -> None:
    fake = _gcp_account(set(gcp_role()["includedPermissions"]) - {dropped})
    if dropped == "resourcemanager.projects.get":  # no project can be listed: nothing to scan
        with pytest.raises(ScanError, match=re.escape(dropped)):
            _scan_gcp(fake)
        return
    inventory = _scan_gcp(fake)
    assert inventory.errors, f"without {dropped} the scan must record an error"
    assert all(dropped in e.message for e in inventory.errors), inventory.errors
