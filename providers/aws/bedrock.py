"""Amazon Bedrock: invocation logging, model customization and import, provisioned throughput,
guardrails, agents and knowledge bases (regional; clients ``bedrock``, ``bedrock-agent`` and,
for the log group of invocation logging, ``logs``).

Requests per region: GetModelInvocationLoggingConfiguration (1), DescribeLogGroups (1 when logs
go to CloudWatch Logs), and one paginated listing per kind (8, plus one per extra page):
ListModelCustomizationJobs, ListCustomModels, ListImportedModels, ListModelImportJobs,
ListProvisionedModelThroughputs, ListGuardrails, ListAgents, ListKnowledgeBases.

Requests per resource (constant; tests/providers/aws/test_bedrock.py counts them):

=========================  ====================================================================
customization job          GetModelCustomizationJob (1)
custom model               GetCustomModel (1)
imported model             GetImportedModel (1)
model import job           GetModelImportJob (1)
provisioned throughput     GetProvisionedModelThroughput (1)
guardrail                  GetGuardrail (its DRAFT) + ListGuardrails with its id (versions) (2)
agent                      GetAgent + ListAgentActionGroups + ListAgentKnowledgeBases (3)
action group               GetAgentActionGroup (1: the Lambda function it calls)
knowledge base             GetKnowledgeBase + ListDataSources (2)
data source                GetDataSource (1: its bucket, prefixes and KMS key)
=========================  ====================================================================

Agents are read as their working draft (``DRAFT``), whose action groups and knowledge bases
are those listed; an alias may serve an older prepared version.

Failures: a region where Bedrock is not offered answers the first call with
``UnrecognizedClientException`` or has no endpoint (``EndpointConnectionError``): that is
recorded once (code ``ServiceUnavailable``) and nothing else is sent there. The region yields no
resource, so no check says anything about it; its types are *not* marked incomplete, because a
check over every agent (or guardrail) of the account would then answer ERROR in every region
for the regions that cannot hold any (an account has a dozen such regions). A failed
listing marks its type incomplete in the region (its checks answer ERROR there). A failed Get
keeps the resource, built from its list entry, with every described field ``None``. A failed
sub-listing (action groups, an agent's knowledge bases, data sources) leaves that field ``None``.

An agent's guardrail is resolved against the region's guardrails and their versions, read in the
same unit: a guardrail (or version) that no longer exists is ``AgentGuardrail(exists=False)``
with the reason, for the lineage to show as an unresolved edge; when the guardrails could not be
listed, ``exists`` is None.

Secrets: customization ``hyperParameters`` are scanned with :mod:`cspm.secrets`; only the key and
the kind of secret are kept, never the value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from cspm.providers.aws.context import AwsContext
from cspm.providers.aws.sagemaker import _mapping_secrets
from cspm.providers.base import ABSENT, ServiceSpec
from cspm.resources.aws.bedrock import (
    ActionGroup,
    AgentGuardrail,
    BedrockAccount,
    BedrockAgent,
    ContentFilter,
    CustomizationJob,
    CustomModel,
    DataSource,
    GroundingFilter,
    Guardrail,
    ImportedModel,
    InvocationLogging,
    KmsEncryption,
    KnowledgeBase,
    LogGroupEncryption,
    ModelImportJob,
    PiiEntity,
    ProvisionedThroughput,
)
from cspm.resources.base import Resource

# A region where the service is not offered: no endpoint, or an endpoint that does not know the
# caller (botocore's name for the first; the service's error code for the second).
UNAVAILABLE = frozenset({"UnrecognizedClientException", "EndpointConnectionError"})
DRAFT = "DRAFT"


@dataclass(frozen=True)
class _Kind:
    """One kind of resource: its listing, its Get call and its translation."""

    rtype: type[Resource]
    client: str
    list_method: str
    result_key: str
    get_method: str
    get_param: str
    id_key: str  # the list entry's value for ``get_param`` (a name: AWS takes a name or an ARN)
    build: Callable[[dict[str, Any], dict[str, Any] | None, dict[str, Any]], Resource]
    uid_key: str = ""  # the list entry's ARN (empty: built from ``arn_resource`` and the id)
    name_key: str = ""  # the list entry's name (empty: ``id_key``)
    arn_resource: str = ""
    unwrap: str = ""  # the Get answer's member that holds the resource (bedrock-agent)


def collect(ctx: AwsContext) -> Iterator[Resource]:
    bedrock = ctx.client("bedrock")
    logging_raw = ctx.call(bedrock, "get_model_invocation_logging_configuration", absent=UNAVAILABLE)
    if logging_raw is ABSENT:
        ctx.error(
            "GetModelInvocationLoggingConfiguration",
            "ServiceUnavailable",
            f"Bedrock is not offered in {ctx.region} (no endpoint, or UnrecognizedClientException): not scanned",
        )
        return
    found = 0
    complete = True
    listed: dict[type[Resource], list[Resource]] = {}
    for kind in KINDS:
        summaries = ctx.paginate(ctx.client(kind.client), kind.list_method, kind.result_key, affects=(kind.rtype,))
        if summaries is None:
            complete = False
            continue
        found += len(summaries)
        listed[kind.rtype] = ctx.map(partial(_get, ctx, kind), summaries)
    guardrails = listed.get(Guardrail)
    for rtype, resources in listed.items():
        if rtype is BedrockAgent:
            yield from (_resolve_guardrail(agent, guardrails) for agent in resources)  # type: ignore[arg-type]
        else:
            yield from resources
    yield BedrockAccount(
        uid=ctx.arn("bedrock", "account", region=ctx.region),
        name=ctx.region,
        account=ctx.account,
        region=ctx.region,
        invocation_logging=_invocation_logging(ctx, logging_raw),
        resources_found=found if complete else None,
    )


def _get(ctx: AwsContext, kind: _Kind, summary: dict[str, Any]) -> Resource:
    client = ctx.client(kind.client)
    identifier = summary[kind.id_key]
    raw = ctx.call(client, kind.get_method, **{kind.get_param: identifier})
    if raw is not None and kind.unwrap:
        raw = raw.get(kind.unwrap) or {}
    uid = summary.get(kind.uid_key) if kind.uid_key else None
    base = {
        "uid": uid or ctx.arn("bedrock", f"{kind.arn_resource}/{identifier}", region=ctx.region),
        "name": summary.get(kind.name_key or kind.id_key) or identifier,
        "account": ctx.account,
        "region": ctx.region,
    }
    resource = kind.build(summary, raw, base)
    if isinstance(resource, Guardrail):
        return _with_versions(ctx, client, resource)
    if isinstance(resource, BedrockAgent):
        return _with_agent_parts(ctx, resource)
    if isinstance(resource, KnowledgeBase):
        return _with_data_sources(ctx, resource)
    return resource


# ---------------------------------------------------------------------------------------------
# Invocation logging
# ---------------------------------------------------------------------------------------------


def _invocation_logging(ctx: AwsContext, raw: dict[str, Any] | None) -> InvocationLogging | None:
    logging = invocation_logging_from_api(raw)
    if logging is None or not logging.cloudwatch_log_group:
        return logging
    logs = ctx.client("logs")
    described = ctx.call(logs, "describe_log_groups", logGroupNamePrefix=logging.cloudwatch_log_group)
    return logging.model_copy(
        update={"cloudwatch_encryption": log_group_from_api(described, logging.cloudwatch_log_group)}
    )


def invocation_logging_from_api(raw: dict[str, Any] | None) -> InvocationLogging | None:
    if raw is None:
        return None
    config = raw.get("loggingConfig") or {}
    cloudwatch = config.get("cloudWatchConfig") or {}
    s3 = config.get("s3Config") or {}
    large = cloudwatch.get("largeDataDeliveryS3Config") or {}
    kinds = ("text", "image", "embedding", "video", "audio")
    return InvocationLogging(
        enabled=bool(cloudwatch.get("logGroupName") or s3.get("bucketName")),
        cloudwatch_log_group=cloudwatch.get("logGroupName") or None,
        cloudwatch_role_arn=cloudwatch.get("roleArn") or None,
        large_data_s3_uri=_s3_uri(large.get("bucketName"), large.get("keyPrefix")),
        s3_bucket=s3.get("bucketName") or None,
        s3_key_prefix=s3.get("keyPrefix") or None,
        delivered=tuple(k for k in kinds if config.get(f"{k}DataDeliveryEnabled")),
    )


def log_group_from_api(raw: dict[str, Any] | None, name: str) -> LogGroupEncryption | None:
    """The named group among DescribeLogGroups' answer (a prefix search); None when unreadable."""
    if raw is None:
        return None
    group = next((g for g in raw.get("logGroups") or () if g.get("logGroupName") == name), None)
    if group is None:
        return LogGroupEncryption(exists=False)
    return LogGroupEncryption(kms_key_id=group.get("kmsKeyId") or None)


def _s3_uri(bucket: str | None, prefix: str | None) -> str | None:
    return f"s3://{bucket}/{prefix or ''}" if bucket else None


# ---------------------------------------------------------------------------------------------
# Customization and import: (list entry, Get answer or None, common fields) -> snapshot
# ---------------------------------------------------------------------------------------------


def _vpc(raw: dict[str, Any] | None) -> dict[str, tuple[str, ...]]:
    config = raw or {}
    return {
        "subnet_ids": tuple(config.get("subnetIds") or ()),
        "security_group_ids": tuple(config.get("securityGroupIds") or ()),
    }


def _kms(key: str | None) -> KmsEncryption:
    return KmsEncryption(kms_key_id=key or None)


def _training_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """What a customization job and its custom model both report about the training."""
    training = raw.get("trainingDataConfig") or {}
    logs = (training.get("invocationLogsConfig") or {}).get("invocationLogSource") or {}
    validators = (raw.get("validationDataConfig") or {}).get("validators") or ()
    hyperparameters = raw.get("hyperParameters") or {}
    return {
        "customization_type": raw.get("customizationType"),
        "base_model_arn": raw.get("baseModelArn"),
        "training_data_s3_uri": training.get("s3Uri"),
        "invocation_logs_s3_uri": logs.get("s3Uri"),
        "validation_data_s3_uris": tuple(v["s3Uri"] for v in validators if v.get("s3Uri")),
        "output_s3_uri": (raw.get("outputDataConfig") or {}).get("s3Uri"),
        "hyperparameter_keys": tuple(sorted(hyperparameters)),
        "secrets": _mapping_secrets("hyperParameters", hyperparameters),
    }


def customization_job_from_api(
    summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]
) -> CustomizationJob:
    listed = {"status": summary.get("status"), "created_at": summary.get("creationTime")}
    if raw is None:
        return CustomizationJob(**base, **listed, output_model_arn=summary.get("customModelArn"))
    config = raw.get("customizationConfig") or {}
    teacher = ((config.get("distillationConfig") or {}).get("teacherModelConfig") or {}).get("teacherModelIdentifier")
    grader = (((config.get("rftConfig") or {}).get("graderConfig") or {}).get("lambdaGrader") or {}).get("lambdaArn")
    return CustomizationJob(
        **base,
        status=raw.get("status") or listed["status"],
        created_at=raw.get("creationTime") or listed["created_at"],
        role_arn=raw.get("roleArn"),
        output_model_name=raw.get("outputModelName"),
        output_model_arn=raw.get("outputModelArn") or summary.get("customModelArn"),
        output_model_encryption=_kms(raw.get("outputModelKmsKeyArn")),
        **_vpc(raw.get("vpcConfig")),
        teacher_model=teacher,
        grader_lambda_arn=grader,
        **_training_fields(raw),
    )


def custom_model_from_api(summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]) -> CustomModel:
    listed = {
        "status": summary.get("modelStatus"),
        "created_at": summary.get("creationTime"),
        "base_model_arn": summary.get("baseModelArn"),
        "customization_type": summary.get("customizationType"),
    }
    if raw is None:
        return CustomModel(**base, **listed)
    fields = _training_fields(raw)
    return CustomModel(
        **base,
        **(fields | {"base_model_arn": fields["base_model_arn"] or listed["base_model_arn"]}),
        status=raw.get("modelStatus") or listed["status"],
        created_at=raw.get("creationTime") or listed["created_at"],
        job_arn=raw.get("jobArn"),
        job_name=raw.get("jobName"),
        encryption=_kms(raw.get("modelKmsKeyArn")),
    )


def _source(raw: dict[str, Any]) -> str | None:
    return ((raw.get("modelDataSource") or {}).get("s3DataSource") or {}).get("s3Uri")


def model_import_job_from_api(
    summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]
) -> ModelImportJob:
    listed = {
        "status": summary.get("status"),
        "created_at": summary.get("creationTime"),
        "imported_model_name": summary.get("importedModelName"),
        "imported_model_arn": summary.get("importedModelArn"),
    }
    if raw is None:
        return ModelImportJob(**base, **listed)
    return ModelImportJob(
        **base,
        status=raw.get("status") or listed["status"],
        created_at=raw.get("creationTime") or listed["created_at"],
        role_arn=raw.get("roleArn"),
        source_s3_uri=_source(raw),
        imported_model_name=raw.get("importedModelName") or listed["imported_model_name"],
        imported_model_arn=raw.get("importedModelArn") or listed["imported_model_arn"],
        imported_model_encryption=_kms(raw.get("importedModelKmsKeyArn")),
        **_vpc(raw.get("vpcConfig")),
    )


def imported_model_from_api(summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]) -> ImportedModel:
    listed = {"created_at": summary.get("creationTime"), "architecture": summary.get("modelArchitecture")}
    if raw is None:
        return ImportedModel(**base, **listed)
    return ImportedModel(
        **base,
        created_at=raw.get("creationTime") or listed["created_at"],
        architecture=raw.get("modelArchitecture") or listed["architecture"],
        job_arn=raw.get("jobArn"),
        job_name=raw.get("jobName"),
        source_s3_uri=_source(raw),
        encryption=_kms(raw.get("modelKmsKeyArn")),
    )


def provisioned_throughput_from_api(
    summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]
) -> ProvisionedThroughput:
    source = summary if raw is None else raw  # the list entry carries the same fields
    return ProvisionedThroughput(
        **base,
        status=source.get("status"),
        created_at=source.get("creationTime"),
        model_arn=source.get("modelArn"),
        desired_model_arn=source.get("desiredModelArn"),
        foundation_model_arn=source.get("foundationModelArn"),
        model_units=source.get("modelUnits"),
        commitment=source.get("commitmentDuration"),
    )


# ---------------------------------------------------------------------------------------------
# Guardrails
# ---------------------------------------------------------------------------------------------


def guardrail_from_api(summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]) -> Guardrail:
    listed = {
        "guardrail_id": summary["id"],
        "status": summary.get("status"),
        "created_at": summary.get("createdAt"),
        "updated_at": summary.get("updatedAt"),
    }
    if raw is None:
        return Guardrail(**base, **listed)
    content = (raw.get("contentPolicy") or {}).get("filters") or ()
    topics = (raw.get("topicPolicy") or {}).get("topics") or ()
    words = raw.get("wordPolicy") or {}
    sensitive = raw.get("sensitiveInformationPolicy") or {}
    grounding = (raw.get("contextualGroundingPolicy") or {}).get("filters") or ()
    return Guardrail(
        **base,
        **listed | {"status": raw.get("status") or listed["status"]},
        content_filters=tuple(_content_filter(f) for f in content),
        denied_topics=tuple(t["name"] for t in topics if t.get("type", "DENY") == "DENY" and t.get("name")),
        word_filters=len(words.get("words") or ()) + len(words.get("managedWordLists") or ()),
        pii_entities=tuple(
            PiiEntity(
                type=e["type"],
                action=e.get("action"),
                input_enabled=e.get("inputEnabled", True),
                output_enabled=e.get("outputEnabled", True),
            )
            for e in sensitive.get("piiEntities") or ()
        ),
        regexes=tuple(r.get("name", "") for r in sensitive.get("regexes") or ()),
        contextual_grounding=tuple(
            GroundingFilter(
                type=f["type"], threshold=f.get("threshold"), enabled=f.get("enabled", True), action=f.get("action")
            )
            for f in grounding
        ),
        encryption=_kms(raw.get("kmsKeyArn")),
        cross_region_profile=(raw.get("crossRegionDetails") or {}).get("guardrailProfileArn"),
    )


def _content_filter(raw: dict[str, Any]) -> ContentFilter:
    return ContentFilter(
        type=raw["type"],
        input_strength=raw.get("inputStrength"),
        output_strength=raw.get("outputStrength"),
        input_enabled=raw.get("inputEnabled", True),
        output_enabled=raw.get("outputEnabled", True),
        input_action=raw.get("inputAction"),
        output_action=raw.get("outputAction"),
    )


def _with_versions(ctx: AwsContext, client: Any, guardrail: Guardrail) -> Guardrail:
    listed = ctx.paginate(client, "list_guardrails", "guardrails", guardrailIdentifier=guardrail.guardrail_id)
    if listed is None:
        return guardrail
    versions = tuple(v["version"] for v in listed if v.get("version") and v["version"] != DRAFT)
    return guardrail.model_copy(update={"versions": versions})


# ---------------------------------------------------------------------------------------------
# Agents
# ---------------------------------------------------------------------------------------------


def agent_from_api(summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]) -> BedrockAgent:
    listed = {"agent_id": summary["agentId"], "status": summary.get("agentStatus")}
    if raw is None:
        return BedrockAgent(**base, **listed)
    guardrail = raw.get("guardrailConfiguration") or {}
    identifier = guardrail.get("guardrailIdentifier")
    executor = ((raw.get("customOrchestration") or {}).get("executor") or {}).get("lambda")
    override = (raw.get("promptOverrideConfiguration") or {}).get("overrideLambda")
    return BedrockAgent(
        **base,
        agent_id=listed["agent_id"],
        status=raw.get("agentStatus") or listed["status"],
        created_at=raw.get("createdAt"),
        role_arn=raw.get("agentResourceRoleArn"),
        foundation_model=raw.get("foundationModel"),
        guardrail=AgentGuardrail(
            configured=bool(identifier), identifier=identifier, version=guardrail.get("guardrailVersion")
        ),
        encryption=_kms(raw.get("customerEncryptionKeyArn")),
        idle_session_ttl_seconds=raw.get("idleSessionTTLInSeconds"),
        orchestration_lambda_arns=tuple(dict.fromkeys(a for a in (executor, override) if a)),
        memory_enabled=bool((raw.get("memoryConfiguration") or {}).get("enabledMemoryTypes")),
        collaboration=raw.get("agentCollaboration"),
    )


def _with_agent_parts(ctx: AwsContext, agent: BedrockAgent) -> BedrockAgent:
    client = ctx.client("bedrock-agent")
    ids: dict[str, Any] = {"agentId": agent.agent_id, "agentVersion": DRAFT}
    groups = ctx.paginate(client, "list_agent_action_groups", "actionGroupSummaries", **ids)
    attached = ctx.paginate(client, "list_agent_knowledge_bases", "agentKnowledgeBaseSummaries", **ids)
    described = None
    if groups is not None:
        described = tuple(ctx.map(partial(_action_group, ctx, client, agent.agent_id), groups))
    return agent.model_copy(
        update={
            "action_groups": described,
            "knowledge_base_ids": None if attached is None else tuple(k["knowledgeBaseId"] for k in attached),
        }
    )


def _action_group(ctx: AwsContext, client: Any, agent_id: str, summary: dict[str, Any]) -> ActionGroup:
    raw = ctx.call(
        client,
        "get_agent_action_group",
        agentId=agent_id,
        agentVersion=DRAFT,
        actionGroupId=summary["actionGroupId"],
    )
    return action_group_from_api(summary, None if raw is None else raw.get("agentActionGroup") or {})


def action_group_from_api(summary: dict[str, Any], raw: dict[str, Any] | None) -> ActionGroup:
    base = {
        "id": summary["actionGroupId"],
        "name": summary.get("actionGroupName") or summary["actionGroupId"],
        "state": summary.get("actionGroupState"),
    }
    if raw is None:
        return ActionGroup(**base, described=False)
    executor = raw.get("actionGroupExecutor") or {}
    schema = (raw.get("apiSchema") or {}).get("s3") or {}
    bucket, key = schema.get("s3BucketName"), schema.get("s3ObjectKey")
    return ActionGroup(
        **base | {"state": raw.get("actionGroupState") or base["state"]},
        lambda_arn=executor.get("lambda"),
        custom_control=executor.get("customControl"),
        api_schema_s3_uri=f"s3://{bucket}/{key or ''}" if bucket else None,
        parent_signature=raw.get("parentActionSignature"),
    )


def _resolve_guardrail(agent: BedrockAgent, guardrails: list[Resource] | None) -> BedrockAgent:
    """Whether the guardrail (and version) the agent names exists among the region's guardrails."""
    ref = agent.guardrail
    if ref is None or not ref.configured:
        return agent
    return agent.model_copy(update={"guardrail": resolve_guardrail(ref, guardrails)})


def resolve_guardrail(ref: AgentGuardrail, guardrails: list[Resource] | None) -> AgentGuardrail:
    if guardrails is None:
        return ref.model_copy(update={"exists": None, "reason": "the region's guardrails could not be listed"})
    match = next(
        (g for g in guardrails if isinstance(g, Guardrail) and ref.identifier in (g.guardrail_id, g.uid)),
        None,
    )
    if match is None:
        reason = f"guardrail {ref.identifier} does not exist in the region (deleted?)"
        return ref.model_copy(update={"exists": False, "reason": reason})
    version = ref.version or DRAFT
    if version != DRAFT and match.versions is not None and version not in match.versions:
        reason = f"guardrail {ref.identifier} has no version {version} (deleted?)"
        return ref.model_copy(update={"exists": False, "reason": reason, "guardrail_arn": match.uid})
    if version != DRAFT and match.versions is None:
        reason = f"the versions of guardrail {ref.identifier} could not be listed"
        return ref.model_copy(update={"exists": None, "reason": reason, "guardrail_arn": match.uid})
    return ref.model_copy(update={"exists": True, "guardrail_arn": match.uid})


# ---------------------------------------------------------------------------------------------
# Knowledge bases
# ---------------------------------------------------------------------------------------------

# storageConfiguration member -> the key of the store's ARN in it.
_VECTOR_STORES = (
    ("opensearchServerlessConfiguration", "collectionArn"),
    ("opensearchManagedClusterConfiguration", "domainArn"),
    ("rdsConfiguration", "resourceArn"),
    ("neptuneAnalyticsConfiguration", "graphArn"),
    ("s3VectorsConfiguration", "vectorBucketArn"),
    ("pineconeConfiguration", "connectionString"),
    ("redisEnterpriseCloudConfiguration", "endpoint"),
    ("mongoDbAtlasConfiguration", "endpoint"),
)


def knowledge_base_from_api(summary: dict[str, Any], raw: dict[str, Any] | None, base: dict[str, Any]) -> KnowledgeBase:
    listed = {"knowledge_base_id": summary["knowledgeBaseId"], "status": summary.get("status")}
    if raw is None:
        return KnowledgeBase(**base, **listed)
    config = raw.get("knowledgeBaseConfiguration") or {}
    vector = config.get("vectorKnowledgeBaseConfiguration") or config.get("managedKnowledgeBaseConfiguration") or {}
    managed = config.get("managedKnowledgeBaseConfiguration") or {}
    storage = raw.get("storageConfiguration") or {}
    store: tuple[dict[str, Any], str] = next(
        ((storage[k], key) for k, key in _VECTOR_STORES if storage.get(k)), ({}, "")
    )
    return KnowledgeBase(
        **(base | {"uid": raw.get("knowledgeBaseArn") or base["uid"]}),
        knowledge_base_id=listed["knowledge_base_id"],
        status=raw.get("status") or listed["status"],
        created_at=raw.get("createdAt"),
        role_arn=raw.get("roleArn"),
        kb_type=config.get("type"),
        embedding_model_arn=vector.get("embeddingModelArn"),
        storage_type=storage.get("type"),
        vector_store_arn=store[0].get(store[1]) if store[1] else None,
        vector_store_secret_arn=store[0].get("credentialsSecretArn"),
        encryption=_kms((managed.get("serverSideEncryptionConfiguration") or {}).get("kmsKeyArn")),
    )


def _with_data_sources(ctx: AwsContext, kb: KnowledgeBase) -> KnowledgeBase:
    client = ctx.client("bedrock-agent")
    kb_id = kb.knowledge_base_id
    summaries = ctx.paginate(client, "list_data_sources", "dataSourceSummaries", knowledgeBaseId=kb_id)
    if summaries is None:
        return kb
    sources = ctx.map(partial(_data_source, ctx, client, kb_id), summaries)
    return kb.model_copy(update={"data_sources": tuple(sources)})


def _data_source(ctx: AwsContext, client: Any, kb_id: str, summary: dict[str, Any]) -> DataSource:
    raw = ctx.call(client, "get_data_source", knowledgeBaseId=kb_id, dataSourceId=summary["dataSourceId"])
    return data_source_from_api(summary, None if raw is None else raw.get("dataSource") or {})


def data_source_from_api(summary: dict[str, Any], raw: dict[str, Any] | None) -> DataSource:
    base = {
        "id": summary["dataSourceId"],
        "name": summary.get("name") or summary["dataSourceId"],
        "status": summary.get("status"),
    }
    if raw is None:
        return DataSource(**base, described=False)
    config = raw.get("dataSourceConfiguration") or {}
    s3 = config.get("s3Configuration") or {}
    return DataSource(
        **base | {"status": raw.get("status") or base["status"]},
        type=config.get("type"),
        bucket_arn=s3.get("bucketArn"),
        inclusion_prefixes=tuple(s3.get("inclusionPrefixes") or ()),
        bucket_owner_account=s3.get("bucketOwnerAccountId"),
        encryption=_kms((raw.get("serverSideEncryptionConfiguration") or {}).get("kmsKeyArn")),
        data_deletion_policy=raw.get("dataDeletionPolicy"),
    )


# ---------------------------------------------------------------------------------------------
# What is listed, in order (guardrails before agents: agents are resolved against them)
# ---------------------------------------------------------------------------------------------

KINDS: tuple[_Kind, ...] = (
    _Kind(
        CustomizationJob,
        "bedrock",
        "list_model_customization_jobs",
        "modelCustomizationJobSummaries",
        "get_model_customization_job",
        "jobIdentifier",
        "jobName",
        customization_job_from_api,
        uid_key="jobArn",
        name_key="jobName",
    ),
    _Kind(
        CustomModel,
        "bedrock",
        "list_custom_models",
        "modelSummaries",
        "get_custom_model",
        "modelIdentifier",
        "modelName",
        custom_model_from_api,
        uid_key="modelArn",
        name_key="modelName",
    ),
    _Kind(
        ModelImportJob,
        "bedrock",
        "list_model_import_jobs",
        "modelImportJobSummaries",
        "get_model_import_job",
        "jobIdentifier",
        "jobArn",
        model_import_job_from_api,
        uid_key="jobArn",
        name_key="jobName",
    ),
    _Kind(
        ImportedModel,
        "bedrock",
        "list_imported_models",
        "modelSummaries",
        "get_imported_model",
        "modelIdentifier",
        "modelArn",
        imported_model_from_api,
        uid_key="modelArn",
        name_key="modelName",
    ),
    _Kind(
        ProvisionedThroughput,
        "bedrock",
        "list_provisioned_model_throughputs",
        "provisionedModelSummaries",
        "get_provisioned_model_throughput",
        "provisionedModelId",
        "provisionedModelArn",
        provisioned_throughput_from_api,
        uid_key="provisionedModelArn",
        name_key="provisionedModelName",
    ),
    _Kind(
        Guardrail,
        "bedrock",
        "list_guardrails",
        "guardrails",
        "get_guardrail",
        "guardrailIdentifier",
        "id",
        guardrail_from_api,
        uid_key="arn",
        name_key="name",
    ),
    _Kind(
        BedrockAgent,
        "bedrock-agent",
        "list_agents",
        "agentSummaries",
        "get_agent",
        "agentId",
        "agentId",
        agent_from_api,
        name_key="agentName",
        arn_resource="agent",
        unwrap="agent",
    ),
    _Kind(
        KnowledgeBase,
        "bedrock-agent",
        "list_knowledge_bases",
        "knowledgeBaseSummaries",
        "get_knowledge_base",
        "knowledgeBaseId",
        "knowledgeBaseId",
        knowledge_base_from_api,
        name_key="name",
        arn_resource="knowledge-base",
        unwrap="knowledgeBase",
    ),
)

PERMISSIONS = (
    "bedrock:GetModelInvocationLoggingConfiguration",
    "logs:DescribeLogGroups",
    "bedrock:ListModelCustomizationJobs",
    "bedrock:GetModelCustomizationJob",
    "bedrock:ListCustomModels",
    "bedrock:GetCustomModel",
    "bedrock:ListModelImportJobs",
    "bedrock:GetModelImportJob",
    "bedrock:ListImportedModels",
    "bedrock:GetImportedModel",
    "bedrock:ListProvisionedModelThroughputs",
    "bedrock:GetProvisionedModelThroughput",
    "bedrock:ListGuardrails",
    "bedrock:GetGuardrail",
    "bedrock:ListAgents",
    "bedrock:GetAgent",
    "bedrock:ListAgentActionGroups",
    "bedrock:GetAgentActionGroup",
    "bedrock:ListAgentKnowledgeBases",
    "bedrock:ListKnowledgeBases",
    "bedrock:GetKnowledgeBase",
    "bedrock:ListDataSources",
    "bedrock:GetDataSource",
)

SERVICE = ServiceSpec(
    name="bedrock",
    produces=(
        BedrockAccount,
        CustomizationJob,
        CustomModel,
        ModelImportJob,
        ImportedModel,
        ProvisionedThroughput,
        Guardrail,
        BedrockAgent,
        KnowledgeBase,
    ),
    regional=True,
    permissions=PERMISSIONS,
    collect=collect,
)
