"""Amazon Bedrock snapshots: model-invocation logging, model customization and import, provisioned
throughput, guardrails, agents and knowledge bases.

As for SageMaker, each resource comes from a List call and one Get call; when the Get call fails
the resource is kept with every field it would have filled ``None``. A setting that may be absent
in a successful answer (a customer KMS key, a guardrail on an agent, a VPC) is an explicit value
(``KmsEncryption(kms_key_id=None)``, ``AgentGuardrail(configured=False)``, ``()``), so ``None``
on a resource always means "could not be read".

The S3 URIs, role ARNs, model ARNs, Lambda ARNs, guardrail and knowledge base ids are kept as
data: they are the edges of the lineage graph (training data → customization job → custom model
→ provisioned throughput; knowledge-base bucket → knowledge base → agent → guardrail; agent →
action group Lambda → role; import source → model import job → imported model).

Secrets: customization hyperparameters are scanned by the collector (:mod:`cspm.secrets`); a
snapshot keeps only where a secret is and what kind it is (:class:`SecretFinding`), never a value.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from cspm.resources.aws.sagemaker import KmsEncryption, SecretFinding
from cspm.resources.base import Resource, Scope, Snapshot

__all__ = [
    "ActionGroup",
    "AgentGuardrail",
    "BedrockAccount",
    "BedrockAgent",
    "ContentFilter",
    "CustomModel",
    "CustomizationJob",
    "DataSource",
    "GroundingFilter",
    "Guardrail",
    "ImportedModel",
    "InvocationLogging",
    "KmsEncryption",
    "KnowledgeBase",
    "LogGroupEncryption",
    "ModelImportJob",
    "PiiEntity",
    "ProvisionedThroughput",
    "SecretFinding",
]

# ---------------------------------------------------------------------------------------------
# Model-invocation logging (one per account and region)
# ---------------------------------------------------------------------------------------------


class LogGroupEncryption(Snapshot):
    """The CloudWatch Logs group invocation logs go to (logs:DescribeLogGroups).

    ``exists`` False: no log group of that name (Bedrock cannot deliver there). ``kms_key_id``
    None: the group uses CloudWatch Logs' own service-managed encryption."""

    exists: bool = True
    kms_key_id: str | None = None


class InvocationLogging(Snapshot):
    """GetModelInvocationLoggingConfiguration. ``enabled`` False: no configuration (logging off)."""

    enabled: bool = False
    cloudwatch_log_group: str | None = None  # cloudWatchConfig.logGroupName
    cloudwatch_role_arn: str | None = None  # cloudWatchConfig.roleArn (Bedrock writes with it)
    # cloudWatchConfig.largeDataDeliveryS3Config: bodies over 100 KB go to S3 (s3://bucket/prefix)
    large_data_s3_uri: str | None = None
    # None when there is no CloudWatch destination, or when the log group could not be read
    # (then ``cloudwatch_log_group`` is set and an error is recorded).
    cloudwatch_encryption: LogGroupEncryption | None = None
    s3_bucket: str | None = None  # s3Config.bucketName
    s3_key_prefix: str | None = None
    # What is delivered: text, image, embedding, video, audio (the *DataDeliveryEnabled flags).
    delivered: tuple[str, ...] = ()

    @property
    def destinations(self) -> tuple[str, ...]:
        """ "cloudwatch" and/or "s3": where the logs go."""
        return tuple(d for d, on in (("cloudwatch", self.cloudwatch_log_group), ("s3", self.s3_bucket)) if on)

    @property
    def s3_buckets(self) -> tuple[str, ...]:
        """Every bucket that receives log data (the S3 destination and large-data delivery)."""
        large = self.large_data_s3_uri.removeprefix("s3://").split("/", 1)[0] if self.large_data_s3_uri else None
        return tuple(dict.fromkeys(b for b in (self.s3_bucket, large) if b))


class BedrockAccount(Resource):
    """Bedrock's settings of one account in one region. ``name`` is the region.

    ``resources_found``: how many Bedrock resources (customization jobs, custom and imported
    models, import jobs, provisioned throughputs, guardrails, agents, knowledge bases) the scan
    found in the region: what "Bedrock is used here" is judged by. None when a listing failed.
    On-demand model invocations leave no resource, so 0 does not prove that nobody calls Bedrock.
    """

    resource_type: ClassVar[str] = "aws.bedrock.account"
    scope: ClassVar[Scope] = Scope.REGION

    invocation_logging: InvocationLogging | None = None  # None: unreadable
    resources_found: int | None = None


# ---------------------------------------------------------------------------------------------
# Model customization and import
# ---------------------------------------------------------------------------------------------


class CustomizationJob(Resource):
    """One model customization job (GetModelCustomizationJob): fine-tuning, continued
    pre-training, distillation or reinforcement fine-tuning."""

    resource_type: ClassVar[str] = "aws.bedrock.customization_job"

    status: str | None = None  # InProgress | Completed | Failed | Stopping | Stopped
    created_at: datetime | None = None
    customization_type: str | None = None  # FINE_TUNING | CONTINUED_PRE_TRAINING | DISTILLATION | ...
    role_arn: str | None = None
    base_model_arn: str | None = None
    output_model_name: str | None = None
    output_model_arn: str | None = None  # set once the job has produced the model
    training_data_s3_uri: str | None = None  # trainingDataConfig.s3Uri
    # trainingDataConfig.invocationLogsConfig.invocationLogSource.s3Uri (distillation from logs)
    invocation_logs_s3_uri: str | None = None
    validation_data_s3_uris: tuple[str, ...] | None = None  # validationDataConfig.validators[].s3Uri
    output_s3_uri: str | None = None  # outputDataConfig.s3Uri
    output_model_encryption: KmsEncryption | None = None  # outputModelKmsKeyArn
    # vpcConfig. None: unreadable; (): the job does not run in a customer VPC.
    subnet_ids: tuple[str, ...] | None = None
    security_group_ids: tuple[str, ...] | None = None
    teacher_model: str | None = None  # customizationConfig.distillationConfig.teacherModelConfig
    grader_lambda_arn: str | None = None  # customizationConfig.rftConfig.graderConfig.lambdaGrader
    hyperparameter_keys: tuple[str, ...] | None = None  # names only; values are never kept
    secrets: tuple[SecretFinding, ...] | None = None  # found in hyperParameters; () when none


class CustomModel(Resource):
    """One custom model (GetCustomModel), the product of a customization job."""

    resource_type: ClassVar[str] = "aws.bedrock.custom_model"

    status: str | None = None  # modelStatus: Active | Creating | Failed
    created_at: datetime | None = None
    customization_type: str | None = None
    job_arn: str | None = None
    job_name: str | None = None
    base_model_arn: str | None = None
    encryption: KmsEncryption | None = None  # modelKmsKeyArn (None in the answer: an AWS-owned key)
    training_data_s3_uri: str | None = None
    invocation_logs_s3_uri: str | None = None
    validation_data_s3_uris: tuple[str, ...] | None = None
    output_s3_uri: str | None = None
    hyperparameter_keys: tuple[str, ...] | None = None
    secrets: tuple[SecretFinding, ...] | None = None


class ModelImportJob(Resource):
    """One custom model import job (GetModelImportJob): weights copied in from S3."""

    resource_type: ClassVar[str] = "aws.bedrock.model_import_job"

    status: str | None = None  # InProgress | Completed | Failed
    created_at: datetime | None = None
    role_arn: str | None = None
    source_s3_uri: str | None = None  # modelDataSource.s3DataSource.s3Uri
    imported_model_name: str | None = None
    imported_model_arn: str | None = None
    imported_model_encryption: KmsEncryption | None = None  # importedModelKmsKeyArn
    subnet_ids: tuple[str, ...] | None = None  # vpcConfig; () when not in a customer VPC
    security_group_ids: tuple[str, ...] | None = None


class ImportedModel(Resource):
    """One imported model (GetImportedModel)."""

    resource_type: ClassVar[str] = "aws.bedrock.imported_model"

    created_at: datetime | None = None
    job_arn: str | None = None
    job_name: str | None = None
    source_s3_uri: str | None = None  # modelDataSource.s3DataSource.s3Uri
    architecture: str | None = None
    encryption: KmsEncryption | None = None  # modelKmsKeyArn


class ProvisionedThroughput(Resource):
    """One provisioned model throughput (GetProvisionedModelThroughput): the capacity that serves
    a custom model (or a base model) for inference."""

    resource_type: ClassVar[str] = "aws.bedrock.provisioned_throughput"

    status: str | None = None  # Creating | InService | Updating | Failed
    created_at: datetime | None = None
    model_arn: str | None = None  # the model it serves now
    desired_model_arn: str | None = None  # the model it is being updated to
    foundation_model_arn: str | None = None
    model_units: int | None = None
    commitment: str | None = None  # OneMonth | SixMonths; None for no commitment


# ---------------------------------------------------------------------------------------------
# Guardrails
# ---------------------------------------------------------------------------------------------


class ContentFilter(Snapshot):
    """contentPolicy.filters[]: one category (HATE, INSULTS, SEXUAL, VIOLENCE, MISCONDUCT,
    PROMPT_ATTACK) with its strengths (NONE | LOW | MEDIUM | HIGH)."""

    type: str
    input_strength: str | None = None
    output_strength: str | None = None
    input_enabled: bool = True  # absent: enabled (API reference)
    output_enabled: bool = True
    input_action: str | None = None  # BLOCK | NONE (detect only)
    output_action: str | None = None


class PiiEntity(Snapshot):
    """sensitiveInformationPolicy.piiEntities[]: a PII type and what happens to it."""

    type: str
    action: str | None = None  # BLOCK | ANONYMIZE | NONE
    input_enabled: bool = True
    output_enabled: bool = True


class GroundingFilter(Snapshot):
    """contextualGroundingPolicy.filters[]: GROUNDING or RELEVANCE with its threshold."""

    type: str
    threshold: float | None = None
    enabled: bool = True
    action: str | None = None


class Guardrail(Resource):
    """One guardrail (GetGuardrail of its working draft), with the versions published from it.

    ``uid`` is the guardrail ARN (without a version). The policies are those of the DRAFT:
    an agent that names a numbered version runs with the policies published in that version.
    ``()`` for a policy: none configured.
    """

    resource_type: ClassVar[str] = "aws.bedrock.guardrail"

    guardrail_id: str
    status: str | None = None  # CREATING | UPDATING | VERSIONING | READY | FAILED | DELETING
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # The numbered versions (ListGuardrails with the guardrail's id); None when unreadable.
    versions: tuple[str, ...] | None = None
    content_filters: tuple[ContentFilter, ...] | None = None
    denied_topics: tuple[str, ...] | None = None  # topicPolicy.topics[].name (type DENY)
    word_filters: int | None = None  # custom words plus managed word lists
    pii_entities: tuple[PiiEntity, ...] | None = None
    regexes: tuple[str, ...] | None = None  # sensitiveInformationPolicy.regexes[].name
    contextual_grounding: tuple[GroundingFilter, ...] | None = None
    encryption: KmsEncryption | None = None  # kmsKeyArn
    cross_region_profile: str | None = None  # crossRegionDetails.guardrailProfileArn

    def content_filter(self, category: str) -> ContentFilter | None:
        """The filter of ``category`` (e.g. PROMPT_ATTACK), None when not configured or unreadable."""
        return next((f for f in self.content_filters or () if f.type == category), None)


# ---------------------------------------------------------------------------------------------
# Agents
# ---------------------------------------------------------------------------------------------


class AgentGuardrail(Snapshot):
    """An agent's guardrailConfiguration, and whether the guardrail it names exists.

    ``configured`` False: the agent has no guardrail. Otherwise ``identifier`` (an id or an ARN)
    and ``version`` are as the agent names them; ``exists`` says whether the region's guardrails
    (listed in the same scan) include it: False with ``reason`` for a dangling reference (the
    guardrail or that version was deleted), None when the guardrails could not be listed.
    """

    configured: bool = False
    identifier: str | None = None
    version: str | None = None
    exists: bool | None = None
    reason: str | None = None
    guardrail_arn: str | None = None  # the resolved guardrail's uid when it exists


class ActionGroup(Snapshot):
    """One action group of the agent's working draft (ListAgentActionGroups, GetAgentActionGroup).

    ``lambda_arn`` None with ``custom_control`` set: the action returns control to the caller
    (RETURN_CONTROL). ``described`` False: GetAgentActionGroup failed and only the summary is known.
    """

    id: str
    name: str
    state: str | None = None  # ENABLED | DISABLED
    described: bool = True
    lambda_arn: str | None = None  # actionGroupExecutor.lambda
    custom_control: str | None = None  # actionGroupExecutor.customControl
    api_schema_s3_uri: str | None = None  # apiSchema.s3 (s3://bucket/key)
    parent_signature: str | None = None  # AMAZON.UserInput | AMAZON.CodeInterpreter | ...


class BedrockAgent(Resource):
    """One agent, as its working draft (GetAgent without a version) is configured."""

    resource_type: ClassVar[str] = "aws.bedrock.agent"

    agent_id: str
    status: str | None = None  # CREATING | PREPARING | PREPARED | NOT_PREPARED | DELETING | FAILED | ...
    created_at: datetime | None = None
    role_arn: str | None = None  # agentResourceRoleArn
    foundation_model: str | None = None
    guardrail: AgentGuardrail | None = None
    encryption: KmsEncryption | None = None  # customerEncryptionKeyArn
    idle_session_ttl_seconds: int | None = None
    # Lambda functions the agent calls besides its action groups: custom orchestration and the
    # prompt override parser. () when none.
    orchestration_lambda_arns: tuple[str, ...] | None = None
    memory_enabled: bool | None = None  # memoryConfiguration.enabledMemoryTypes non-empty
    collaboration: str | None = None  # agentCollaboration: SUPERVISOR | SUPERVISOR_ROUTER | DISABLED
    action_groups: tuple[ActionGroup, ...] | None = None
    knowledge_base_ids: tuple[str, ...] | None = None  # ListAgentKnowledgeBases (DRAFT)

    @property
    def lambda_arns(self) -> tuple[str, ...]:
        """Every Lambda function the agent can invoke (action groups and orchestration)."""
        groups = (g.lambda_arn for g in self.action_groups or () if g.lambda_arn)
        return tuple(dict.fromkeys((*groups, *(self.orchestration_lambda_arns or ()))))


# ---------------------------------------------------------------------------------------------
# Knowledge bases
# ---------------------------------------------------------------------------------------------


class DataSource(Snapshot):
    """One data source of a knowledge base (ListDataSources, GetDataSource).

    ``encryption`` None: GetDataSource failed (then ``described`` is False);
    ``KmsEncryption(kms_key_id=None)``: the transient data is encrypted with an AWS-owned key.
    """

    id: str
    name: str
    status: str | None = None  # AVAILABLE | DELETING | DELETE_UNSUCCESSFUL
    described: bool = True
    type: str | None = None  # S3 | WEB | CONFLUENCE | SALESFORCE | SHAREPOINT | CUSTOM | ...
    bucket_arn: str | None = None  # s3Configuration.bucketArn
    inclusion_prefixes: tuple[str, ...] = ()  # s3Configuration.inclusionPrefixes
    bucket_owner_account: str | None = None
    encryption: KmsEncryption | None = None  # serverSideEncryptionConfiguration.kmsKeyArn
    data_deletion_policy: str | None = None  # RETAIN | DELETE

    @property
    def bucket_name(self) -> str | None:
        return self.bucket_arn.rsplit(":", 1)[-1] if self.bucket_arn else None


class KnowledgeBase(Resource):
    """One knowledge base (GetKnowledgeBase) with its data sources."""

    resource_type: ClassVar[str] = "aws.bedrock.knowledge_base"

    knowledge_base_id: str
    status: str | None = None  # CREATING | ACTIVE | DELETING | UPDATING | FAILED | ...
    created_at: datetime | None = None
    role_arn: str | None = None
    kb_type: str | None = None  # VECTOR | KENDRA | SQL | MANAGED
    embedding_model_arn: str | None = None
    storage_type: str | None = None  # OPENSEARCH_SERVERLESS | PINECONE | RDS | S3_VECTORS | ...
    vector_store_arn: str | None = None  # the collection, domain, cluster, graph or vector bucket
    vector_store_secret_arn: str | None = None  # credentialsSecretArn of third-party stores
    # The KMS key of a managed knowledge base (serverSideEncryptionConfiguration); for the other
    # kinds the vector store's own encryption applies and this is KmsEncryption(None).
    encryption: KmsEncryption | None = None
    data_sources: tuple[DataSource, ...] | None = None  # None: ListDataSources failed
