"""Amazon Bedrock checks: model-invocation logging, the encryption and network of model
customization and import, guardrails and the agents and knowledge bases behind them.

Compliance ids come from the Security Hub Bedrock control (Bedrock.1, AI Security Best
Practices); the other checks follow Prowler's Bedrock checks or the Bedrock user guide and cite
NIST SP 800-53. docs/bedrock-controls.md maps every Security Hub Bedrock and AgentCore control and
every Prowler Bedrock check to its cspm check, or says why it has none. Checks over the lineage
graph (training data writable by others, agents' roles through the escalation analysis) live
with the graph checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cspm.artifacts.verdict import free_of_unsafe_code, signature_verifies, uses_safe_format
from cspm.checks.aws._docs import security_hub_for
from cspm.checks.aws.iam import _trust
from cspm.checks.aws.sagemaker import (
    MODEL_SIGNING,
    PICKLE_WARNING,
    SAFETENSORS,
    SECRETS_NIST,
    HostedInVpc,
    _customer_managed,
    _endpoint_verdict,
    _hosted_by,
    _no_secrets,
    _Required,
    _runs_in_vpc,
)
from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.aws.artifacts import S3ModelArtifact
from cspm.resources.aws.bedrock import (
    BedrockAccount,
    BedrockAgent,
    CustomizationJob,
    CustomModel,
    Guardrail,
    ImportedModel,
    InvocationLogging,
    KnowledgeBase,
    ModelImportJob,
)
from cspm.resources.aws.bedrock_agentcore import AgentRuntime
from cspm.resources.aws.ec2 import Vpc
from cspm.resources.aws.iam import IamRole
from cspm.resources.aws.s3 import S3Bucket
from cspm.resources.aws.sagemaker import Model, NotebookInstance, ProcessingJob, TrainingJob

AT_REST_NIST = ["SC-12", "SC-28"]
NETWORK_NIST = ["AC-4", "SC-7"]
GUARDRAIL_NIST = ["SI-10", "SI-15"]

_UG = "https://docs.aws.amazon.com/bedrock/latest/userguide"
_sh = security_hub_for("bedrock")

INVOCATION_LOGGING = f"{_UG}/model-invocation-logging.html"
CUSTOMIZATION_ENCRYPTION = f"{_UG}/encryption-custom-job.html"
CUSTOMIZATION_VPC = f"{_UG}/vpc-model-customization.html"
IMPORT_ENCRYPTION = f"{_UG}/encryption-import-model.html"
PROMPT_ATTACK = f"{_UG}/guardrails-prompt-attack.html"
CONTENT_FILTERS = f"{_UG}/guardrails-content-filters.html"
SENSITIVE_FILTERS = f"{_UG}/guardrails-sensitive-filters.html"
AGENT_GUARDRAIL = f"{_UG}/agents-guardrail.html"
AGENT_ENCRYPTION = f"{_UG}/encryption-agents.html"
AGENT_SERVICE_ROLE = f"{_UG}/agents-permissions.html"
KB_ENCRYPTION = f"{_UG}/encryption-kb.html"
CROSS_SERVICE_CONFUSED_DEPUTY = f"{_UG}/cross-service-confused-deputy-prevention.html"
VPC_INTERFACE_ENDPOINTS = f"{_UG}/vpc-interface-endpoints.html"
CLOUDWATCH_LOGS_KMS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html"
BEDROCK_SERVICE = "bedrock.amazonaws.com"

# =============================================================================================
# Model-invocation logging (one per account and region)
# =============================================================================================


@check(
    title="Bedrock model-invocation logging is on in a region where Bedrock is used",
    severity=Severity.MEDIUM,
    baseline=Baseline.LOGGING,
    remediation="Turn on model invocation logging in the Bedrock settings of the region "
    "(PutModelInvocationLoggingConfiguration) with a CloudWatch Logs and/or S3 destination.",
    compliance={"nist-800-53-r5": ["AU-2", "AU-12"]},
    attack=["AML.T0034", "AML.T0051", "AML.T0054"],
    references=(INVOCATION_LOGGING,),
)
def invocation_logging_enabled(account: BedrockAccount) -> Result:
    """Model invocation logging records the prompts, responses and metadata of every model call
    in the region; CloudTrail records only that a call was made. Without it, prompt injection,
    jailbreak attempts and stolen-credential model use ("LLMjacking", cost harvesting) leave no
    record of what was asked. It is a per-region setting. A region is judged in use when the scan
    found Bedrock resources there (custom or imported models, jobs, throughputs, guardrails,
    agents, knowledge bases); on-demand invocations of foundation models leave no resource, so
    a region without resources is reported as not applicable, not as compliant."""
    logging = account.invocation_logging
    if logging is None:
        return unknown("The model invocation logging configuration could not be read.")
    if logging.enabled:
        return passed(
            f"Invocation logs go to {', '.join(logging.destinations)}.",
            {"destinations": list(logging.destinations), "delivered": list(logging.delivered)},
        )
    if account.resources_found is None:
        return unknown("Invocation logging is off, and whether Bedrock is used in the region is unknown.")
    if account.resources_found == 0:
        return not_applicable("Invocation logging is off; the region holds no Bedrock resources.")
    return failed(
        f"Invocation logging is off in a region with {account.resources_found} Bedrock resources.",
        {"resources_found": account.resources_found},
    )


@check(
    title="Bedrock model-invocation logs are encrypted with KMS at every destination",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Associate a KMS key with the CloudWatch Logs group (logs:AssociateKmsKey) and set SSE-KMS "
    "default encryption on the S3 buckets that receive invocation logs.",
    compliance={"nist-800-53-r5": [*AT_REST_NIST, "AU-9"]},
    attack=["AML.T0057", "AML.T0036"],
    references=(INVOCATION_LOGGING, CLOUDWATCH_LOGS_KMS),
)
def invocation_logs_encrypted_with_kms(account: BedrockAccount, buckets: Sequence[S3Bucket]) -> Result:
    """Invocation logs hold every prompt and completion in full: personal data, documents pasted
    into chats, whatever the model was asked to keep secret. Without a KMS key, CloudWatch Logs
    and S3 (SSE-S3) encrypt them with keys anyone who may read the logs can use; a KMS key adds a
    key policy and a CloudTrail record of each use. Every destination is judged: the log group,
    the S3 bucket, and the bucket that receives large payloads. A bucket outside the scanned
    account cannot be assessed. Regions without logging are not assessed here (see
    invocation_logging_enabled)."""
    logging = account.invocation_logging
    if logging is None:
        return unknown("The model invocation logging configuration could not be read.")
    if not logging.enabled:
        return not_applicable("Invocation logging is off.")
    weak, unread = _log_group_gaps(logging)
    for name in logging.s3_buckets:
        bucket = next((b for b in buckets if b.name == name), None)
        if bucket is None or bucket.encryption is None:
            unread.append(f"the default encryption of bucket {name}")
        elif not bucket.encryption.uses_kms:
            weak.append({"destination": "s3", "bucket": name, "algorithm": bucket.encryption.algorithm})
    if weak:
        return failed("Invocation logs go to destinations without KMS encryption.", {"unencrypted": weak})
    if unread:
        return unknown(f"Could not read {'; '.join(unread)}.", {"unread": unread})
    return passed(
        "Every invocation log destination is encrypted with KMS.", {"destinations": list(logging.destinations)}
    )


def _log_group_gaps(logging: InvocationLogging) -> tuple[list[dict[str, Any]], list[str]]:
    group, encryption = logging.cloudwatch_log_group, logging.cloudwatch_encryption
    if not group:
        return [], []
    if encryption is None:
        return [], [f"log group {group}"]
    if not encryption.exists:
        return [{"destination": "cloudwatch", "log_group": group, "problem": "the log group does not exist"}], []
    if encryption.kms_key_id is None:
        return [{"destination": "cloudwatch", "log_group": group, "problem": "no KMS key"}], []
    return [], []


# =============================================================================================
# Customization and import
# =============================================================================================


@check(
    title="Bedrock customization job encrypts its custom model with a customer-managed KMS key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Run customization jobs with customModelKmsKeyId set to a customer-managed key (the key of an "
    "existing custom model cannot be changed: retrain it with a key).",
    compliance={"nist-800-53-r5": AT_REST_NIST},
    attack=["AML.T0035", "AML.T0024.002"],
    references=(CUSTOMIZATION_ENCRYPTION,),
)
def customization_job_encrypts_model_with_kms(job: CustomizationJob) -> Result:
    """A custom model's weights embody its training data. Without customModelKmsKeyId Bedrock
    encrypts the model with an AWS-owned key, so no key policy of yours decides who can use,
    copy or serve it, and key use is not in your CloudTrail."""
    return _customer_managed(job.output_model_encryption, "The job's custom model")


@check(
    title="Bedrock custom model is encrypted with a customer-managed KMS key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Recreate the custom model with a customization job (or a model copy) that names a "
    "customer-managed key, and delete the model encrypted with the AWS-owned key.",
    compliance={"nist-800-53-r5": AT_REST_NIST},
    attack=["AML.T0035", "AML.T0024.002"],
    references=(CUSTOMIZATION_ENCRYPTION,),
)
def custom_model_encrypted_with_kms(model: CustomModel) -> Result:
    """As for the job that made it: a custom model without modelKmsKeyArn is encrypted with an
    AWS-owned key, outside your key policies and CloudTrail."""
    return _customer_managed(model.encryption, "The custom model")


@check(
    title="Bedrock customization job runs in a VPC",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Run customization jobs with a vpcConfig (subnets and security groups) and an S3 gateway "
    "endpoint whose policy allows only the training, validation and output buckets.",
    compliance={"nist-800-53-r5": NETWORK_NIST},
    attack=["AML.T0025", "AML.T0020"],
    references=(CUSTOMIZATION_VPC,),
)
def customization_job_runs_in_vpc(job: CustomizationJob) -> Result:
    """With a VPC configuration, the customization job reaches its training, validation and
    output data through your VPC, where security groups, an S3 endpoint policy and flow logs
    control and record which buckets it can read and write; without one the traffic is outside
    your network controls."""
    return _runs_in_vpc(job, "customization job")


@check(
    title="Bedrock customization job has no secrets in its hyperparameters",
    severity=Severity.HIGH,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Rotate the credentials found and stop passing credentials as hyperparameters.",
    compliance={"nist-800-53-r5": SECRETS_NIST},
    attack=["AML.T0055"],
    references=(CUSTOMIZATION_ENCRYPTION,),
)
def customization_job_has_no_secrets_in_hyperparameters(job: CustomizationJob) -> Result:
    """GetModelCustomizationJob and GetCustomModel return the hyperparameters in clear text to
    anyone with those read permissions, for as long as the job and the model exist. The finding
    names the key and the kind of secret, never the value."""
    return _no_secrets(job.secrets, "The customization job's hyperparameters")


@check(
    title="Bedrock model import job encrypts the imported model with a customer-managed KMS key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Import models with importedModelKmsKeyId set to a customer-managed key.",
    compliance={"nist-800-53-r5": AT_REST_NIST},
    attack=["AML.T0035"],
    references=(IMPORT_ENCRYPTION,),
)
def model_import_job_encrypts_model_with_kms(job: ModelImportJob) -> Result:
    """Imported weights are the model itself; without importedModelKmsKeyId Bedrock keeps them
    under an AWS-owned key, outside your key policies and CloudTrail."""
    return _customer_managed(job.imported_model_encryption, "The imported model")


@check(
    title="Bedrock imported model is encrypted with a customer-managed KMS key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Re-import the model with a customer-managed key and delete the copy under the AWS-owned key.",
    compliance={"nist-800-53-r5": AT_REST_NIST},
    attack=["AML.T0035"],
    references=(IMPORT_ENCRYPTION,),
)
def imported_model_encrypted_with_kms(model: ImportedModel) -> Result:
    """The imported model as it is stored: see model_import_job_encrypts_model_with_kms."""
    return _customer_managed(model.encryption, "The imported model")


@check(
    title="Bedrock model import job runs in a VPC",
    severity=Severity.LOW,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="Run model import jobs with a vpcConfig and an S3 gateway endpoint limited to the weights bucket.",
    compliance={"nist-800-53-r5": NETWORK_NIST},
    attack=["AML.T0010.003"],
    references=(IMPORT_ENCRYPTION,),
)
def model_import_job_runs_in_vpc(job: ModelImportJob) -> Result:
    """With a VPC configuration the import job reads the weights from S3 through your VPC, under
    its endpoint policy and flow logs."""
    return _runs_in_vpc(job, "model import job")


# =============================================================================================
# Guardrails
# =============================================================================================


@check(
    title="Bedrock guardrail blocks prompt attacks at high strength",
    severity=Severity.HIGH,
    baseline=Baseline.INTEGRITY,
    remediation="In the guardrail's content filters, set the PROMPT_ATTACK filter's input strength to HIGH "
    "with the BLOCK action, and publish a new version.",
    compliance={"nist-800-53-r5": GUARDRAIL_NIST},
    attack=["AML.T0051", "AML.T0054"],
    references=(PROMPT_ATTACK, CONTENT_FILTERS),
)
def guardrail_blocks_prompt_attacks(guardrail: Guardrail) -> Result:
    """The prompt attack filter detects jailbreaks, prompt injection and prompt leakage in user
    input; it applies to input only. Lower strengths let more attacks through, and the detect
    mode (action NONE) only reports them. The guardrail's working draft is judged; an agent that
    names a published version runs with the policies of that version."""
    if guardrail.content_filters is None:
        return unknown("The guardrail could not be described.")
    attack = guardrail.content_filter("PROMPT_ATTACK")
    if attack is None:
        return failed("The guardrail has no prompt attack filter.", {"filters": _filter_types(guardrail)})
    evidence = attack.model_dump(exclude_none=True)
    if not attack.input_enabled or (attack.input_action or "BLOCK") == "NONE":
        return failed("The prompt attack filter does not block input.", evidence)
    if attack.input_strength != "HIGH":
        return failed(f"The prompt attack filter's input strength is {attack.input_strength}.", evidence)
    return passed("The prompt attack filter blocks input at HIGH strength.", evidence)


def _filter_types(guardrail: Guardrail) -> list[str]:
    return [f.type for f in guardrail.content_filters or ()]


@check(
    title="Bedrock guardrail filters sensitive information",
    fail_title="Bedrock guardrail does not filter sensitive information",
    severity=Severity.MEDIUM,
    baseline=Baseline.INTEGRITY,
    remediation="Add sensitive information filters (PII entity types and/or regular expressions) with the "
    "BLOCK or ANONYMIZE action to the guardrail, and publish a new version.",
    compliance={"nist-800-53-r5": ["SI-15", "SC-28"]},
    attack=["AML.T0057"],
    references=(SENSITIVE_FILTERS,),
)
def guardrail_filters_sensitive_information(guardrail: Guardrail) -> Result:
    """Sensitive information filters detect personal data (PII entity types) and custom patterns
    in prompts and responses and block or mask them, so that the model neither receives nor
    leaks them. Filters in detect mode (action NONE) or disabled do not count."""
    if guardrail.pii_entities is None or guardrail.regexes is None:
        return unknown("The guardrail could not be described.")
    acting = [
        e.type
        for e in guardrail.pii_entities
        if (e.action or "BLOCK") != "NONE" and (e.input_enabled or e.output_enabled)
    ]
    evidence = {"pii_entities": acting, "regexes": list(guardrail.regexes)}
    if acting or guardrail.regexes:
        return passed("The guardrail filters sensitive information.", evidence)
    return failed("The guardrail has no sensitive information filter that blocks or masks.", evidence)


@check(
    title="Bedrock guardrail checks contextual grounding",
    fail_title="Bedrock guardrail does not check contextual grounding",
    severity=Severity.LOW,
    baseline=Baseline.INTEGRITY,
    remediation="Add contextual grounding checks (GROUNDING and RELEVANCE thresholds) to the guardrails of "
    "retrieval-augmented applications and agents with knowledge bases, and publish a new version.",
    compliance={"nist-800-53-r5": ["SI-10"]},
    attack=["AML.T0031"],
    references=(CONTENT_FILTERS,),
)
def guardrail_checks_contextual_grounding(guardrail: Guardrail) -> Result:
    """Contextual grounding checks block responses that are not supported by the retrieved source
    (GROUNDING) or do not answer the query (RELEVANCE): hallucinations, and answers steered by
    a poisoned or injected document (Prowler: bedrock_guardrail_contextual_grounding_filter_enabled)."""
    if guardrail.contextual_grounding is None:
        return unknown("The guardrail could not be described.")
    enabled = [f.type for f in guardrail.contextual_grounding if f.enabled and (f.action or "BLOCK") != "NONE"]
    if enabled:
        return passed(f"The guardrail checks {', '.join(enabled)}.", {"filters": enabled})
    return failed("The guardrail has no contextual grounding check that blocks.")


@check(
    title="Bedrock region in use has a guardrail",
    severity=Severity.LOW,
    baseline=Baseline.INTEGRITY,
    remediation="Create a guardrail with prompt attack and sensitive information filters in every region where "
    "Bedrock is used, and apply it to agents and applications.",
    compliance={"nist-800-53-r5": GUARDRAIL_NIST},
    attack=["AML.T0051", "AML.T0054"],
    references=(CONTENT_FILTERS,),
)
def region_has_guardrail(account: BedrockAccount, guardrails: Sequence[Guardrail]) -> Result:
    """A region without any guardrail (in status READY) cannot protect any model call made there
    (Prowler: bedrock_guardrails_configured). Regions without Bedrock resources are not assessed, as for
    invocation logging; whether a guardrail is actually applied is judged per agent."""
    here = [g for g in guardrails if g.region == account.region]
    ready = [g.uid for g in here if g.status == "READY"]
    if ready:
        return passed(f"{len(ready)} guardrail(s) ready in the region.", {"guardrails": ready})
    if any(g.status is None for g in here):
        return unknown("The status of the region's guardrails could not be read.")
    if account.resources_found is None:
        return unknown("The region has no guardrail, and whether Bedrock is used there is unknown.")
    if account.resources_found == 0:
        return not_applicable("The region holds no Bedrock resources.")
    return failed(
        f"No ready guardrail in a region with {account.resources_found} Bedrock resources.",
        {"guardrails": [{"uid": g.uid, "status": g.status} for g in here]},
    )


# =============================================================================================
# Agents
# =============================================================================================


@check(
    title="Bedrock agent is behind a guardrail",
    severity=Severity.HIGH,
    baseline=Baseline.INTEGRITY,
    remediation="Associate a guardrail (and a published version of it) with the agent, prepare the agent and "
    "update its aliases.",
    compliance={"nist-800-53-r5": GUARDRAIL_NIST},
    attack=["AML.T0051", "AML.T0054", "AML.T0053"],
    references=(AGENT_GUARDRAIL,),
)
def agent_uses_guardrail(agent: BedrockAgent) -> Result:
    """An agent acts on what users and retrieved documents tell it: it calls its action groups'
    Lambda functions and queries its knowledge bases with its own role. A guardrail screens the
    user input and the agent's responses for prompt attacks, denied topics and sensitive data.
    An agent that names a guardrail (or version) that no longer exists is not protected by it.
    The agent's working draft is judged."""
    ref = agent.guardrail
    if ref is None:
        return unknown("The agent could not be described.")
    if not ref.configured:
        return failed("The agent has no guardrail.", {"knowledge_bases": list(agent.knowledge_base_ids or ())})
    evidence = ref.model_dump(exclude_none=True)
    if ref.exists is False:
        return failed(f"The agent names a guardrail that does not exist: {ref.reason}.", evidence)
    if ref.exists is None:
        return unknown(f"Whether the agent's guardrail exists is unknown: {ref.reason}.", evidence)
    return passed(f"The agent uses guardrail {ref.identifier} version {ref.version or 'DRAFT'}.", evidence)


@check(
    title="Bedrock agent encrypts its session data with a customer-managed KMS key",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Update the agent with customerEncryptionKeyArn set to a customer-managed key.",
    compliance={"nist-800-53-r5": AT_REST_NIST},
    attack=["AML.T0057"],
    references=(AGENT_ENCRYPTION,),
)
def agent_encrypted_with_kms(agent: BedrockAgent) -> Result:
    """Bedrock keeps an agent's session information (conversation, memory) encrypted; without
    customerEncryptionKeyArn the key is AWS-owned, so no key policy of yours governs it."""
    return _customer_managed(agent.encryption, "The agent's session data")


@check(
    title="Bedrock agent's service role trusts Bedrock only for this account",
    fail_title="Bedrock agent's service role trusts Bedrock without naming the source account or agent",
    severity=Severity.MEDIUM,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="In the role's trust policy, add aws:SourceAccount (your account) and aws:SourceArn "
    "(arn:aws:bedrock:<region>:<account>:agent/<id>) conditions to the bedrock.amazonaws.com statement.",
    compliance={"nist-800-53-r5": ["AC-3", "AC-6"]},
    attack=["AML.T0012"],
    references=(AGENT_SERVICE_ROLE, CROSS_SERVICE_CONFUSED_DEPUTY),
)
def agent_role_trust_names_source(agent: BedrockAgent, roles: Sequence[IamRole]) -> Result:
    """The agent service role is assumed by bedrock.amazonaws.com. The Bedrock user guide's trust
    policy for it carries aws:SourceAccount and aws:SourceArn conditions, against the
    cross-service confused deputy: without them Bedrock acting for another account could be made
    to use the role. A role outside the scanned inventory (deleted, or in another account) cannot
    be assessed."""
    if agent.role_arn is None:
        return unknown("The agent could not be described.")
    role = next((r for r in roles if r.uid == agent.role_arn), None)
    if role is None:
        return unknown(f"The agent's role {agent.role_arn} is not in the scanned IAM inventory.")
    trust, early = _trust(role)
    if early is not None:
        return early
    unguarded = [ref.as_dict() for svc, ref in trust.services_without_source_guard if svc.lower() == BEDROCK_SERVICE]
    evidence = {"role": role.uid, "unguarded": unguarded}
    if unguarded:
        return failed("The role trusts bedrock.amazonaws.com without aws:SourceAccount or aws:SourceArn.", evidence)
    if BEDROCK_SERVICE not in {s.lower() for s in trust.trusted_services}:
        return failed("The role does not trust bedrock.amazonaws.com: the agent cannot assume it.", evidence)
    return passed("The role's trust of bedrock.amazonaws.com names the source account or agent.", evidence)


@check(
    title="Bedrock agent's service role is not shared with other agents",
    severity=Severity.LOW,
    baseline=Baseline.LEAST_PRIVILEGE,
    remediation="Give each agent its own service role, with only the models, knowledge bases and schemas "
    "that agent uses.",
    compliance={"nist-800-53-r5": ["AC-6"]},
    attack=["AML.T0053"],
    references=(AGENT_SERVICE_ROLE,),
)
def agent_role_not_shared(agent: BedrockAgent, agents: Sequence[BedrockAgent]) -> Result:
    """A role shared by several agents holds the union of their permissions, so a prompt injection
    against any of them reaches every model, knowledge base and schema the others need (Prowler:
    bedrock_agent_role_not_shared_across_agents)."""
    if agent.role_arn is None:
        return unknown("The agent could not be described.")
    others = [a.uid for a in agents if a.uid != agent.uid and a.role_arn == agent.role_arn]
    if others:
        return failed(f"{len(others)} other agent(s) use the same role.", {"role": agent.role_arn, "agents": others})
    return passed("No other agent uses the agent's role.", {"role": agent.role_arn})


# =============================================================================================
# Knowledge bases
# =============================================================================================


@check(
    title="Bedrock knowledge base data sources are encrypted with customer-managed KMS keys",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Set serverSideEncryptionConfiguration.kmsKeyArn of every data source to a customer-managed key.",
    compliance={"aws-ai-security": ["Bedrock.1"], "nist-800-53-r5": AT_REST_NIST},
    attack=["AML.T0036"],
    references=(_sh(1), KB_ENCRYPTION),
)
def knowledge_base_data_sources_encrypted_with_kms(kb: KnowledgeBase) -> Result:
    """During ingestion Bedrock stores the data source's documents and chunks transiently; with
    no KMS key on the data source they are encrypted with an AWS-owned key (Security Hub
    Bedrock.1, which judges each data source). A knowledge base without data sources is not
    assessed."""
    if kb.data_sources is None:
        return unknown("The knowledge base's data sources could not be listed.")
    if not kb.data_sources:
        return not_applicable("The knowledge base has no data sources.")
    unread = [s.id for s in kb.data_sources if s.encryption is None]
    weak = [
        {"data_source": s.id, "name": s.name, "kms_key_id": s.encryption.kms_key_id}
        for s in kb.data_sources
        if s.encryption is not None and not s.encryption.customer_managed
    ]
    if weak:
        return failed(f"{len(weak)} data source(s) without a customer-managed key.", {"data_sources": weak})
    if unread:
        return unknown("Some data sources could not be described.", {"undescribed": unread})
    return passed("Every data source is encrypted with a customer-managed key.")


# =============================================================================================
# PrivateLink from the VPCs that host AI workloads
# =============================================================================================

BEDROCK_RUNTIME = _Required(
    "bedrock-runtime", frozenset({"bedrock-runtime", "bedrock-runtime-fips"}), "Interface", private_dns=True
)
BEDROCK_AGENT_RUNTIME = _Required(
    "bedrock-agent-runtime", frozenset({"bedrock-agent-runtime", "bedrock-agent-runtime-fips"}), "Interface", True
)


@check(
    title="VPC hosting AI workloads reaches Bedrock through PrivateLink",
    severity=Severity.MEDIUM,
    baseline=Baseline.PRIVATE_ENDPOINT,
    remediation="In every VPC that hosts AI workloads in a region where Bedrock is used, create a bedrock-runtime "
    "interface endpoint (and bedrock-agent-runtime where agents or knowledge bases are used) with private DNS.",
    compliance={"nist-800-53-r5": ["AC-4", "SC-7", "SC-7(3)"]},
    attack=["AML.T0025"],
    references=(VPC_INTERFACE_ENDPOINTS,),
)
def ai_vpc_has_bedrock_endpoints(
    vpc: Vpc,
    accounts: Sequence[BedrockAccount],
    notebooks: Sequence[NotebookInstance],
    training_jobs: Sequence[TrainingJob],
    models: Sequence[Model],
    processing_jobs: Sequence[ProcessingJob],
    customization_jobs: Sequence[CustomizationJob],
    import_jobs: Sequence[ModelImportJob],
    runtimes: Sequence[AgentRuntime],
    agents: Sequence[BedrockAgent],
    knowledge_bases: Sequence[KnowledgeBase],
) -> Result:
    """Code in a VPC calls Bedrock models (InvokeModel, Converse) at bedrock-runtime and agents
    and knowledge bases (InvokeAgent, Retrieve) at bedrock-agent-runtime. Without interface
    endpoints those prompts and responses leave the VPC through a NAT or internet gateway, where
    no endpoint policy limits which models and accounts they reach; private DNS makes the SDK's
    default host names resolve to the endpoints (Prowler: bedrock_vpc_endpoints_configured). A
    VPC is judged when it hosts AI workloads (SageMaker notebooks, jobs and models, Bedrock
    customization and import jobs, AgentCore runtimes in VPC mode) in a region where the scan
    found Bedrock resources; other VPCs are not assessed."""
    account = next((a for a in accounts if a.region == vpc.region), None)
    if account is None or account.resources_found == 0:
        return not_applicable("Bedrock is not used in the VPC's region (no Bedrock resources found).")
    if account.resources_found is None:
        return unknown("Whether Bedrock is used in the VPC's region is unknown.")
    candidates: list[HostedInVpc] = [
        *notebooks,
        *training_jobs,
        *models,
        *processing_jobs,
        *customization_jobs,
        *import_jobs,
        *(r for r in runtimes if r.network_mode == "VPC"),
    ]
    hosted = _hosted_by(vpc, candidates, kind="AI")
    if isinstance(hosted, Result):
        return hosted
    required = [BEDROCK_RUNTIME]
    if any(r.region == vpc.region for r in (*agents, *knowledge_bases)):
        required.append(BEDROCK_AGENT_RUNTIME)
    success = f"The VPC has {', '.join(r.label for r in required)} endpoints with private DNS."
    return _endpoint_verdict(vpc, hosted, required, success, kind="AI")


# ---------------------------------------------------------------------------------------------
# Model artifacts (--inspect-artifacts): the weights an imported model was imported from. The
# reasoning is shared with SageMaker's (cspm.artifacts.verdict); custom models' weights are
# AWS-managed and cannot be read (docs/artifacts.md).
# ---------------------------------------------------------------------------------------------

CUSTOM_MODEL_IMPORT = f"{_UG}/model-customization-import-model.html"


@check(
    title="Bedrock imported model artifacts import no code known to be dangerous",
    fail_title="Bedrock imported model's source holds a model file that runs dangerous code when loaded",
    severity=Severity.CRITICAL,
    baseline=Baseline.INTEGRITY,
    remediation="Find who wrote the files under the model's S3 source (S3 data events), remove them, rebuild "
    "the weights from trusted code and data as safetensors, and import the model again.",
    compliance={"nist-800-53-r5": ["SI-3", "SI-7", "SR-11"]},
    attack=["AML.T0010.003", "AML.T0011.000", "AML.T0018"],
    references=(PICKLE_WARNING, CUSTOM_MODEL_IMPORT),
)
def imported_model_artifact_is_free_of_unsafe_code(
    model: ImportedModel, artifacts: Sequence[S3ModelArtifact]
) -> Result:
    """An imported model is loaded from the model files under its S3 source
    (modelDataSource.s3DataSource.s3Uri). A pickle there that imports os.system, subprocess, eval
    or exec is a file someone planted for whatever loads that folder next (a re-import, a
    fine-tuning or evaluation job). Read only with --inspect-artifacts: every model file under the
    prefix is scanned with picklescan (never unpickled); configuration and tokenizer files are not."""
    return free_of_unsafe_code(model, (), artifacts)


@check(
    title="Bedrock imported model artifacts use a format that cannot carry code",
    fail_title="Bedrock imported model's source holds a model file serialised with pickle",
    severity=Severity.MEDIUM,
    baseline=Baseline.INTEGRITY,
    remediation="Keep only safetensors weights (with config.json and the tokenizer) under the imported "
    "model's S3 source; convert or delete pickle, PyTorch and joblib files.",
    compliance={"nist-800-53-r5": ["SI-7", "CM-7"]},
    attack=["AML.T0010.003", "AML.T0011.000"],
    references=(PICKLE_WARNING, SAFETENSORS, CUSTOM_MODEL_IMPORT),
)
def imported_model_artifact_uses_safe_format(model: ImportedModel, artifacts: Sequence[S3ModelArtifact]) -> Result:
    """Custom Model Import reads safetensors; pickle, PyTorch or joblib files next to them are
    read by nothing AWS runs, but by every tool that loads the folder with torch.load. Formats
    that hold tensors only take code out of the question. Read only with --inspect-artifacts."""
    return uses_safe_format(model, (), artifacts)


@check(
    title="Bedrock imported model artifacts carry a model signature that verifies",
    fail_title="Bedrock imported model artifact signature is missing or does not verify",
    severity=Severity.HIGH,
    baseline=Baseline.INTEGRITY,
    remediation="Sign the model files with OpenSSF Model Signing (model_signing sign) when they are produced, "
    "store each signature next to its file as <key>.sig, and verify them before importing.",
    compliance={"nist-800-53-r5": ["SI-7", "SI-7(6)", "SR-4"]},
    attack=["AML.T0010.003", "AML.T0018"],
    references=(MODEL_SIGNING, CUSTOM_MODEL_IMPORT),
)
def imported_model_artifact_signature_verifies(model: ImportedModel, artifacts: Sequence[S3ModelArtifact]) -> Result:
    """A signature binds the weights to who produced them: files replaced under the source prefix
    after they were produced no longer verify. Read with --inspect-artifacts and a signing key,
    certificate chain or Sigstore identity; under a signing policy (--require-signed-models
    all|served) an imported model without a signature fails; an imported model answers on-demand
    InvokeModel as soon as it is imported, so ``served`` covers every one."""
    return signature_verifies(model, (), artifacts, served=True)
