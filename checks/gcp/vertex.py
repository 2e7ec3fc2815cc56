"""Vertex AI checks: private endpoints, customer-managed keys (on every model version too), and
the network, identity and shell access of custom training jobs, the exposure of model artifact
buckets, and feature stores' keys and online serving endpoints.

Google's generative-AI security best practices: ``gcp-genai``. CIS GCP has no Vertex AI item.
Defender for Cloud's GCP AI recommendations are mapped in docs/gcp-ai-controls.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from cspm.artifacts.verdict import free_of_unsafe_code, signature_verifies, uses_safe_format
from cspm.checks.gcp.storage import PUBLIC_ACCESS_PREVENTION, bucket_is_not_public
from cspm.models import Baseline, Result, Severity, Status, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.gcp.artifacts import GcsModelArtifact
from cspm.resources.gcp.iam import PolicyBinding
from cspm.resources.gcp.storage import PUBLIC_MEMBERS, GcsBucket
from cspm.resources.gcp.vertex import (
    VertexCustomJob,
    VertexDataset,
    VertexEndpoint,
    VertexFeatureOnlineStore,
    VertexFeaturestore,
    VertexModel,
    VertexTrainingPipeline,
)

# Vendor documentation the rationales rest on (docs/check-audit.md, section gcp.vertex).
_DOCS = "https://cloud.google.com/vertex-ai/docs"
PRIVATE_ENDPOINTS = f"{_DOCS}/predictions/choose-endpoint-type"
PSC_ENDPOINTS = f"{_DOCS}/predictions/private-service-connect"
ENDPOINT_REST = f"{_DOCS}/reference/rest/v1/projects.locations.endpoints"
CMEK = f"{_DOCS}/general/cmek"
ENCRYPTION_SPEC = f"{_DOCS}/reference/rest/v1/EncryptionSpec"
CUSTOM_JOB_SPEC = f"{_DOCS}/reference/rest/v1/CustomJobSpec"
VPC_PEERING = f"{_DOCS}/general/vpc-peering"
CUSTOM_SERVICE_ACCOUNT = f"{_DOCS}/general/custom-service-account"
INTERACTIVE_SHELL = f"{_DOCS}/training/monitor-debug-interactive-shell"
MODEL_VERSIONS = f"{_DOCS}/model-registry/versioning"
LIST_VERSIONS = f"{_DOCS}/reference/rest/v1/projects.locations.models/listVersions"
FEATURE_ONLINE_STORE = f"{_DOCS}/reference/rest/v1/projects.locations.featureOnlineStores"
FEATURESTORE = f"{_DOCS}/reference/rest/v1/projects.locations.featurestores"
FEATURE_STORE_SERVING = f"{_DOCS}/featurestore/latest/create-onlinestore"
VERTEX_CONTROLS = "https://cloud.google.com/docs/security/security-best-practices-genai/vertex-ai-controls"

_CMEK_REMEDIATION = "Recreate it with an encryptionSpec naming a Cloud KMS key in the same location."
_CMEK_COMPLIANCE = {"nist-800-53-r5": ["SC-12", "SC-28"]}


def _cmek(kms_key: str | None, what: str) -> Result:
    if kms_key:
        return passed(f"The {what} is encrypted with a customer-managed key.", evidence={"kms_key": kms_key})
    return failed(f"The {what} has no encryptionSpec; it uses a Google-managed key.")


@check(
    title="Vertex AI endpoint is private (Private Service Connect or VPC peering)",
    severity=Severity.HIGH,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Serve the model from an endpoint created with Private Service Connect "
    "(privateServiceConnectConfig) or a private endpoint on a peered VPC network; undeploy it "
    "from the public endpoint.",
    compliance={"nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0040", "AML.T0024"],
    references=(PRIVATE_ENDPOINTS, PSC_ENDPOINTS, ENDPOINT_REST),
)
def endpoint_is_private(endpoint: VertexEndpoint) -> Result:
    """A public Vertex AI endpoint takes prediction requests from the internet (with IAM
    authentication); a Private Service Connect endpoint or a private endpoint peered to your VPC
    network is reachable only from the networks you allow, so a leaked credential alone does not
    reach the model. The endpoint's ``network`` (peering) or
    ``privateServiceConnectConfig.enablePrivateServiceConnect`` decides; neither set is public."""
    if endpoint.private_service_connect:
        return passed(
            "The endpoint is served through Private Service Connect.",
            evidence={"project_allowlist": list(endpoint.psc_project_allowlist)},
        )
    if endpoint.network:
        return passed("The endpoint is private to a peered VPC network.", evidence={"network": endpoint.network})
    return failed(
        "The endpoint is public: neither Private Service Connect nor a VPC network is configured.",
        evidence={"deployed_models": [d.id for d in endpoint.deployed_models]},
    )


@check(
    title="Vertex AI endpoint is encrypted with a customer-managed key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation=_CMEK_REMEDIATION,
    compliance=_CMEK_COMPLIANCE,
    attack=["AML.T0035"],
    references=(CMEK, ENCRYPTION_SPEC),
)
def endpoint_encrypted_with_cmek(endpoint: VertexEndpoint) -> Result:
    """With an encryptionSpec, "this Endpoint and all sub-resources of this Endpoint will be
    secured by this key": the data Vertex AI keeps for it is encrypted with a Cloud KMS key you
    control, and disabling the key makes it unreadable. Not set means Google-managed keys."""
    return _cmek(endpoint.kms_key, "endpoint")


@check(
    title="Vertex AI model is encrypted with a customer-managed key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation=_CMEK_REMEDIATION,
    compliance=_CMEK_COMPLIANCE,
    attack=["AML.T0035", "AML.T0018"],
    references=(CMEK, ENCRYPTION_SPEC),
)
def model_encrypted_with_cmek(model: VertexModel) -> Result:
    """A model's encryptionSpec secures the model and the copies of its artifacts Vertex AI
    keeps with a Cloud KMS key you control. The artifacts in your own bucket (``artifactUri``)
    are covered by that bucket's key (gcp.storage.bucket_encrypted_with_cmek). Not set means
    Google-managed keys."""
    return _cmek(model.kms_key, "model")


@check(
    title="Vertex AI dataset is encrypted with a customer-managed key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation=_CMEK_REMEDIATION,
    compliance=_CMEK_COMPLIANCE,
    attack=["AML.T0035"],
    references=(CMEK, ENCRYPTION_SPEC),
)
def dataset_encrypted_with_cmek(dataset: VertexDataset) -> Result:
    """A dataset's encryptionSpec secures the dataset and its data items and annotations with a
    Cloud KMS key you control. Not set means Google-managed keys."""
    return _cmek(dataset.kms_key, "dataset")


@check(
    title="Vertex AI custom job is encrypted with a customer-managed key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation=_CMEK_REMEDIATION,
    compliance=_CMEK_COMPLIANCE,
    attack=["AML.T0035"],
    references=(CMEK, ENCRYPTION_SPEC),
)
def custom_job_encrypted_with_cmek(job: VertexCustomJob) -> Result:
    """A custom job's encryptionSpec makes its outputs and the disks of its workers encrypted
    with a Cloud KMS key you control. Not set means Google-managed keys."""
    return _cmek(job.kms_key, "custom job")


@check(
    title="Vertex AI training pipeline is encrypted with a customer-managed key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Recreate the pipeline with an encryptionSpec (and one on modelToUpload) naming a Cloud KMS key.",
    compliance=_CMEK_COMPLIANCE,
    attack=["AML.T0035", "AML.T0018"],
    references=(CMEK, ENCRYPTION_SPEC),
)
def training_pipeline_encrypted_with_cmek(pipeline: VertexTrainingPipeline) -> Result:
    """A training pipeline's encryptionSpec secures the pipeline and, unless modelToUpload has
    its own, the model it uploads. Either key counts for the model; the pipeline's own key must be
    set. Not set means Google-managed keys."""
    return _cmek(pipeline.kms_key, "training pipeline")


@check(
    title="Vertex AI custom job runs on a VPC network",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Run training with jobSpec.network set to a VPC network peered with Vertex AI "
    "(or a Private Service Connect interface), inside a VPC Service Controls perimeter.",
    compliance={"nist-800-53-r5": ["SC-7", "AC-4"]},
    attack=["AML.T0025"],
    references=(CUSTOM_JOB_SPEC, VPC_PEERING),
)
def custom_job_uses_private_network(job: VertexCustomJob) -> Result:
    """Without ``jobSpec.network`` (VPC peering) or a Private Service Connect interface the job
    runs on Google's network, outside your firewall rules and egress controls: training code can
    send data anywhere. With one, its traffic stays on, and is governed by, your network."""
    if job.network:
        return passed("The job runs peered to a VPC network.", evidence={"network": job.network})
    if job.psc_interface:
        return passed("The job uses a Private Service Connect interface.")
    return failed("The job is not attached to a VPC network.")


@check(
    title="Vertex AI custom job runs as a dedicated service account",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Create a service account with only the roles the training code needs and set it "
    "as jobSpec.serviceAccount; never the Compute Engine default service account.",
    compliance={"nist-800-53-r5": ["AC-6"]},
    attack=["AML.T0012"],
    references=(CUSTOM_SERVICE_ACCOUNT, CUSTOM_JOB_SPEC, VERTEX_CONTROLS),
)
def custom_job_uses_dedicated_service_account(job: VertexCustomJob) -> Result:
    """Without ``jobSpec.serviceAccount`` the code runs as the Vertex AI Custom Code Service
    Agent, a Google-managed identity shared by every such job in the project and granted the
    project-wide access the default needs (Google's page on custom service accounts). The Compute Engine default
    service account (``NUMBER-compute@developer.gserviceaccount.com``) often holds Editor on the
    project. A dedicated account limits what the code (or anyone who controls it) can reach."""
    account = job.service_account
    if account is None:
        return failed("The job runs as the Vertex AI Custom Code Service Agent (no serviceAccount).")
    if account.endswith("-compute@developer.gserviceaccount.com"):
        return failed(
            "The job runs as the Compute Engine default service account.", evidence={"service_account": account}
        )
    return passed(f"The job runs as {account}.", evidence={"service_account": account})


@check(
    title="Vertex AI custom job has interactive shell access disabled",
    severity=Severity.LOW,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Create training jobs without jobSpec.enableWebAccess.",
    compliance={"nist-800-53-r5": ["AC-17", "CM-7"]},
    attack=["AML.T0018"],
    references=(INTERACTIVE_SHELL, CUSTOM_JOB_SPEC),
)
def custom_job_web_access_disabled(job: VertexCustomJob) -> Result:
    """``enableWebAccess`` opens an interactive shell into the training containers for the
    principals allowed to use it: they run commands as the job's service account and can change
    the model being trained. Useful for debugging, not for
    production training. Not set means off."""
    if job.web_access:
        return failed("Interactive shell access (enableWebAccess) is enabled on the job.")
    return passed("Interactive shell access is disabled.")


@check(
    title="Vertex AI model artifacts are not in a publicly accessible bucket",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Remove allUsers and allAuthenticatedUsers from the artifact bucket and enforce public "
    "access prevention on it; keep model artifacts in a bucket of the model's project.",
    compliance={"gcp-genai": ["GCS-CO-4.1"], "nist-800-53-r5": ["AC-3", "AC-21"]},
    attack=["AML.T0010.003", "AML.T0018", "AML.T0044"],
    references=(f"{_DOCS}/reference/rest/v1/projects.locations.models", PUBLIC_ACCESS_PREVENTION),
)
def model_artifact_bucket_is_not_public(model: VertexModel, buckets: Sequence[GcsBucket]) -> Result:
    """A model's ``artifactUri`` names the Cloud Storage location of its files; anyone who can
    write there can replace the model that is next deployed, anyone who can read it can copy the
    model. The bucket is judged as gcp.storage.bucket_is_not_public judges it. A bucket that is not
    among the scanned buckets of the model's project (another project, one the caller cannot see)
    is unresolved: ERROR, never PASS."""
    uri = model.artifact_uri
    if uri is None:
        return not_applicable("The model has no artifactUri (its files are kept by Vertex AI).")
    if not uri.startswith("gs://"):
        return unknown(f"The artifactUri {uri} is not a Cloud Storage location.", evidence={"artifact_uri": uri})
    name = uri.removeprefix("gs://").split("/", 1)[0]
    bucket = next((b for b in buckets if b.name == name), None)
    if bucket is None:
        return unknown(
            f"The artifact bucket {name} is not among the buckets scanned in {model.account} "
            "(another project, or one the caller cannot list): unresolved.",
            evidence={"artifact_uri": uri, "bucket": name},
        )
    verdict = bucket_is_not_public(bucket)
    evidence = {"artifact_uri": uri, "bucket": name, **verdict.evidence}
    if verdict.status is Status.FAIL:
        return failed(f"The artifact bucket {name} is public: {verdict.message}", evidence=evidence)
    if verdict.status is Status.PASS:
        return passed(f"The artifact bucket {name} is not public.", evidence=evidence)
    return unknown(f"The artifact bucket {name}: {verdict.message}", evidence=evidence)


@check(
    title="Every version of a Vertex AI model is encrypted with a customer-managed key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Upload the versions again with an encryptionSpec naming a Cloud KMS key, then delete the "
    "versions encrypted with Google-managed keys (undeploy them first).",
    compliance=_CMEK_COMPLIANCE,
    attack=["AML.T0035", "AML.T0018"],
    references=(LIST_VERSIONS, MODEL_VERSIONS, ENCRYPTION_SPEC),
)
def model_versions_encrypted_with_cmek(model: VertexModel) -> Result:
    """models.list shows only a model's default version; any other version (an older one still
    deployed, a canary) has its own encryptionSpec and its own artifacts. A version with a
    Google-managed key is as exposed as a model without CMEK, whatever the default version says.
    Read with models.listVersions; a listing that failed is ERROR."""
    versions = model.versions
    if not versions:
        return unknown("The model's versions could not be listed (models.listVersions).")
    without = [v.version_id for v in versions if not v.kms_key]
    if without:
        deployed = [v.version_id for v in versions if not v.kms_key and v.deployed_to]
        return failed(
            f"Versions without a customer-managed key: {', '.join(without)}.",
            evidence={"versions": without, "deployed": deployed},
        )
    return passed(f"All {len(versions)} versions are encrypted with a customer-managed key.",
                  evidence={"kms_keys": sorted({v.kms_key for v in versions if v.kms_key})})  # fmt: skip


@check(
    title="Vertex AI feature online store is encrypted with a customer-managed key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation=_CMEK_REMEDIATION,
    compliance=_CMEK_COMPLIANCE,
    attack=["AML.T0035"],
    references=(FEATURE_ONLINE_STORE, CMEK),
)
def feature_online_store_encrypted_with_cmek(store: VertexFeatureOnlineStore) -> Result:
    """An online store keeps the feature values served to models, often customer data. Its
    encryptionSpec encrypts them with a Cloud KMS key you control. Not set means Google-managed keys."""
    return _cmek(store.kms_key, "feature online store")


@check(
    title="Vertex AI feature online store serves through Private Service Connect",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Recreate the Optimized online store with "
    "dedicatedServingEndpoint.privateServiceConnectConfig.enablePrivateServiceConnect and a project allowlist.",
    compliance={"nist-800-53-r5": ["AC-4", "SC-7"]},
    attack=["AML.T0024", "AML.T0040"],
    references=(FEATURE_ONLINE_STORE, FEATURE_STORE_SERVING),
)
def feature_online_store_is_private(store: VertexFeatureOnlineStore) -> Result:
    """Optimized online serving answers on a dedicated endpoint, public
    (``publicEndpointDomainName``) unless Private Service Connect is enabled on it. A Bigtable
    online store has no dedicated endpoint (it is served through the Vertex AI API), so the check
    does not apply to it."""
    if store.private_service_connect:
        return passed("The dedicated serving endpoint uses Private Service Connect.")
    if store.dedicated_endpoint:
        return failed("The dedicated serving endpoint is public.", evidence={"public_endpoint": store.public_endpoint})
    if store.storage == "optimized":
        return unknown("An Optimized online store without a dedicatedServingEndpoint in the answer.")
    return not_applicable("No dedicated serving endpoint (Bigtable online serving).")


@check(
    title="Vertex AI featurestore (legacy) is encrypted with a customer-managed key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation=_CMEK_REMEDIATION,
    compliance=_CMEK_COMPLIANCE,
    attack=["AML.T0035"],
    references=(FEATURESTORE, CMEK),
)
def featurestore_encrypted_with_cmek(store: VertexFeaturestore) -> Result:
    """A legacy featurestore's encryptionSpec encrypts its entity types, features and online and
    offline values with a Cloud KMS key you control. Not set means Google-managed keys."""
    return _cmek(store.kms_key, "featurestore")


@check(
    title="Artifacts of every Vertex AI model version are not in a publicly accessible bucket",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Remove allUsers and allAuthenticatedUsers from each version's artifact bucket and enforce "
    "public access prevention on it, or delete the versions whose artifacts sit in a public bucket.",
    compliance={"gcp-genai": ["GCS-CO-4.1"], "nist-800-53-r5": ["AC-3", "AC-21"]},
    attack=["AML.T0010.003", "AML.T0018", "AML.T0044"],
    references=(LIST_VERSIONS, MODEL_VERSIONS, PUBLIC_ACCESS_PREVENTION),
)
def model_version_artifact_buckets_are_not_public(model: VertexModel, buckets: Sequence[GcsBucket]) -> Result:
    """Each registry version keeps its own ``artifactUri``: a hotfix or canary version may load
    files from a bucket other than the default version's, and any deployed version serves what
    that bucket holds. Each bucket is judged as gcp.storage.bucket_is_not_public judges it; one
    not among the model project's scanned buckets is unresolved (ERROR), never PASS."""
    if model.versions is None:
        return unknown("The model's versions could not be listed (models.listVersions).")
    uris = {v.version_id: v.artifact_uri for v in model.versions if v.artifact_uri}
    if not uris:
        return not_applicable("No version has an artifactUri (their files are kept by Vertex AI).")
    public, unresolved = _version_buckets(uris, buckets)
    if public:
        return failed(f"Versions with artifacts in a public bucket: {', '.join(sorted(public))}.",
                      evidence={"public": public})  # fmt: skip
    if unresolved:
        return unknown(f"Artifact buckets not judged: {', '.join(sorted(set(unresolved.values())))}.",
                       evidence={"unresolved": unresolved})  # fmt: skip
    return passed(f"The artifact buckets of all {len(uris)} versions are not public.",
                  evidence={"buckets": sorted({_bucket_name(u) for u in uris.values()})})  # fmt: skip


def _bucket_name(uri: str) -> str:
    return uri.removeprefix("gs://").split("/", 1)[0]


def _version_buckets(uris: dict[str, str], buckets: Sequence[GcsBucket]) -> tuple[dict[str, str], dict[str, str]]:
    """(version -> public bucket, version -> bucket that could not be judged) for ``uris``."""
    by_name = {b.name: b for b in buckets}
    public: dict[str, str] = {}
    unresolved: dict[str, str] = {}
    for version, uri in uris.items():
        bucket = by_name.get(_bucket_name(uri)) if uri.startswith("gs://") else None
        verdict = bucket_is_not_public(bucket).status if bucket is not None else Status.ERROR
        if verdict is Status.FAIL:
            public[version] = _bucket_name(uri)
        elif verdict is not Status.PASS:
            unresolved[version] = _bucket_name(uri) if uri.startswith("gs://") else uri
    return public, unresolved


# ---------------------------------------------------------------------------------------------
# Model artifacts (--inspect-artifacts): the contents of the files in the model's artifactUri.
# The reasoning is shared with AWS (cspm.artifacts.verdict); these are its thin GCP entries.
# ---------------------------------------------------------------------------------------------

_PICKLE_WARNING = "https://docs.python.org/3/library/pickle.html"
_SAFETENSORS = "https://huggingface.co/docs/safetensors/index"
_MODEL_SIGNING = "https://github.com/sigstore/model-transparency"


@check(
    title="Vertex AI model artifacts import no code known to be dangerous",
    fail_title="Vertex AI model artifact runs code known to be dangerous when loaded",
    severity=Severity.CRITICAL,
    baseline=Baseline.INTEGRITY,
    remediation="Do not deploy the model. Find who wrote the objects under its artifactUri (Cloud Audit Logs "
    "data access), rebuild it from trusted code and data, and store the weights as safetensors or ONNX.",
    compliance={"nist-800-53-r5": ["SI-3", "SI-7", "SR-11"]},
    attack=["AML.T0010.003", "AML.T0011.000", "AML.T0018"],
    references=(_PICKLE_WARNING,),
)
def model_artifact_is_free_of_unsafe_code(model: VertexModel, artifacts: Sequence[GcsModelArtifact]) -> Result:
    """A pickle-based model file runs the code it names when the serving container loads it: a
    Vertex AI model whose artifactUri holds a pickle importing os.system, subprocess, eval or exec
    hands the serving identity to whoever wrote the object. Read only with --inspect-artifacts:
    pickle streams are scanned with picklescan (never unpickled), Keras files for Lambda layers,
    SavedModels for file-system and Python ops."""
    return free_of_unsafe_code(model, (), artifacts)


@check(
    title="Vertex AI model artifacts use a format that cannot carry code",
    fail_title="Vertex AI model artifact is serialised with pickle",
    severity=Severity.MEDIUM,
    baseline=Baseline.INTEGRITY,
    remediation="Save the weights as safetensors (or ONNX or GGUF) instead of pickle, torch.save or joblib, "
    "and serve them with a container that loads tensors only.",
    compliance={"nist-800-53-r5": ["SI-7", "CM-7"]},
    attack=["AML.T0010.003", "AML.T0011.000"],
    references=(_PICKLE_WARNING, _SAFETENSORS),
)
def model_artifact_uses_safe_format(model: VertexModel, artifacts: Sequence[GcsModelArtifact]) -> Result:
    """A pickle, joblib or PyTorch file (Vertex AI's prebuilt scikit-learn and XGBoost containers
    load model.pkl and model.joblib) runs whatever the next writer of the object puts in it;
    safetensors, ONNX and GGUF hold tensors only. Read only with --inspect-artifacts."""
    return uses_safe_format(model, (), artifacts)


@check(
    title="Vertex AI model artifacts carry a model signature that verifies",
    fail_title="Vertex AI model artifact signature is missing or does not verify",
    severity=Severity.HIGH,
    baseline=Baseline.INTEGRITY,
    remediation="Sign the model with OpenSSF Model Signing (model_signing sign) when it is produced, store "
    "the signature next to each model file as <name>.sig, and verify it before deployment.",
    compliance={"nist-800-53-r5": ["SI-7", "SI-7(6)", "SR-4"]},
    attack=["AML.T0010.003", "AML.T0018"],
    references=(_MODEL_SIGNING,),
)
def model_artifact_signature_verifies(model: VertexModel, artifacts: Sequence[GcsModelArtifact]) -> Result:
    """A signature binds the model files to who produced them: a file replaced in the bucket after
    training no longer verifies. Read with --inspect-artifacts and a signing key, certificate chain
    or Sigstore identity; under a signing policy (--require-signed-models all, or served: models
    deployed to an endpoint) a model without a signature fails."""
    return signature_verifies(model, (), artifacts, served=bool(model.deployed_to))


# ---------------------------------------------------------------------------------------------
# The IAM policies ON the resources (:getIamPolicy, cspm.providers.gcp.vertex_iam)
# ---------------------------------------------------------------------------------------------

ENDPOINT_ACCESS = f"{_DOCS}/general/endpoint-access-control"
ENDPOINT_GET_IAM_POLICY = f"{_DOCS}/reference/rest/v1beta1/projects.locations.endpoints/getIamPolicy"
FEATURE_ONLINE_STORE_GET_IAM_POLICY = f"{_DOCS}/reference/rest/v1/projects.locations.featureOnlineStores/getIamPolicy"
FEATURESTORE_GET_IAM_POLICY = f"{_DOCS}/reference/rest/v1/projects.locations.featurestores/getIamPolicy"
_POLICY_REMEDIATION = (
    "Remove allUsers and allAuthenticatedUsers from the {what}'s IAM policy (setIamPolicy with the "
    "bindings kept for named principals), and grant access to the groups or service accounts that need it."
)
_POLICY_COMPLIANCE = {"nist-800-53-r5": ["AC-3", "AC-6", "AC-21"]}


def _policy_is_not_public(bindings: tuple[PolicyBinding, ...] | None, error: str | None, what: str) -> Result:
    """FAIL for a binding naming allUsers or allAuthenticatedUsers (a condition narrows it, it is
    still granted to everyone: reported with the condition); ERROR when the policy was not read."""
    if bindings is None:
        return unknown(
            f"The {what}'s own IAM policy could not be read: {error or 'it was not collected'}.",
            evidence={"reason": error},
        )
    public = [
        {"role": b.role, "member": member, **({"condition": b.condition} if b.condition else {})}
        for b in bindings
        for member in b.members
        if member in PUBLIC_MEMBERS
    ]
    if public:
        grants = ", ".join(f"{g['role']} to {g['member']}" for g in public)
        return failed(f"The {what}'s IAM policy grants {grants}.", evidence={"public_bindings": public})
    return passed(
        f"The {what}'s IAM policy grants nothing to allUsers or allAuthenticatedUsers.",
        evidence={"bindings": len(bindings)},
    )


@check(
    title="Vertex AI endpoint's IAM policy grants nothing to allUsers or allAuthenticatedUsers",
    fail_title="Vertex AI endpoint's IAM policy is public",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation=_POLICY_REMEDIATION.format(what="endpoint"),
    compliance=_POLICY_COMPLIANCE,
    attack=["AML.T0040", "AML.T0024"],
    references=(ENDPOINT_ACCESS, ENDPOINT_GET_IAM_POLICY),
)
def endpoint_iam_policy_is_not_public(endpoint: VertexEndpoint) -> Result:
    """An endpoint's own IAM policy adds grants on that endpoint to the project's: a role such as
    Vertex AI User bound to allUsers lets anyone on the internet send prediction requests (and
    read its configuration); allAuthenticatedUsers is any Google account. Read with the v1beta1
    endpoints.getIamPolicy (the only API version that has it); unreadable is ERROR."""
    return _policy_is_not_public(endpoint.iam_bindings, endpoint.iam_policy_error, "endpoint")


@check(
    title="Vertex AI feature online store's IAM policy grants nothing to allUsers or allAuthenticatedUsers",
    fail_title="Vertex AI feature online store's IAM policy is public",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation=_POLICY_REMEDIATION.format(what="feature online store"),
    compliance=_POLICY_COMPLIANCE,
    references=(FEATURE_ONLINE_STORE_GET_IAM_POLICY, FEATURE_ONLINE_STORE),
)
def feature_online_store_iam_policy_is_not_public(store: VertexFeatureOnlineStore) -> Result:
    """A feature online store serves the feature values models are fed with (often personal or
    business data); a binding to allUsers or allAuthenticatedUsers on its own IAM policy lets
    anyone read, or with a writing role change, them. Unreadable is ERROR."""
    return _policy_is_not_public(store.iam_bindings, store.iam_policy_error, "feature online store")


@check(
    title="Vertex AI featurestore's IAM policy grants nothing to allUsers or allAuthenticatedUsers",
    fail_title="Vertex AI featurestore's IAM policy is public",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation=_POLICY_REMEDIATION.format(what="featurestore"),
    compliance=_POLICY_COMPLIANCE,
    references=(FEATURESTORE_GET_IAM_POLICY, FEATURESTORE),
)
def featurestore_iam_policy_is_not_public(store: VertexFeaturestore) -> Result:
    """A legacy featurestore holds entity types and feature values; a binding to allUsers or
    allAuthenticatedUsers on its own IAM policy opens them to anyone (every Google account).
    Unreadable is ERROR."""
    return _policy_is_not_public(store.iam_bindings, store.iam_policy_error, "featurestore")
