"""Bedrock and AgentCore in the AI lineage graph: one handler per resource type (docs/lineage.md).

The graph, its nodes, relations and the reference resolution are :mod:`cspm.lineage`'s; this
module only says which API fields of the Bedrock snapshots are references::

    provisioned throughput ─hosts→ custom model ─trained_by→ customization job ─reads→ s3://data/ ─in_bucket→ bucket
    imported model ─imported_by→ model import job ─reads→ s3://weights/
    imported model ─loads→ s3://weights/model.safetensors (each file --inspect-artifacts read) ─in_bucket→ bucket
    agent ─retrieves→ knowledge base ─reads→ data-source bucket
    agent ─guarded_by→ guardrail;  agent ─invokes→ action-group Lambda function;  ─runs_as→ role

A reference the scan cannot resolve keeps its edge, unresolved, with the reason: a guardrail an
agent names that no longer exists (the collector's own finding, from the region's guardrail list),
a knowledge base or job that is gone, a bucket outside the scan, a Lambda function that is not
in the scan (then the role it runs as cannot be followed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cspm.lineage import (
    BASED_ON,
    CUSTOM_MODEL,
    CUSTOMIZATION_JOB,
    GUARDED_BY,
    GUARDRAIL,
    HOSTS,
    IMPORTED_BY,
    IMPORTED_MODEL,
    INVOKES,
    KNOWLEDGE_BASE,
    LOADS,
    MODEL_IMPORT_JOB,
    READS,
    RETRIEVES,
    TRAINED_BY,
    WRITES,
    _keys,
)
from cspm.resources.aws.bedrock import (
    BedrockAgent,
    CustomizationJob,
    CustomModel,
    Guardrail,
    ImportedModel,
    KnowledgeBase,
    ModelImportJob,
    ProvisionedThroughput,
)
from cspm.resources.aws.bedrock_agentcore import AgentRuntime
from cspm.resources.base import Resource

if TYPE_CHECKING:
    from cspm.lineage import _Builder


def _is_foundation_model(arn: str) -> bool:
    return ":foundation-model/" in arn or not arn.startswith("arn:")


def _base_model(b: _Builder, referrer: Resource, arn: str) -> None:
    """What a customization starts from: an AWS foundation model, or another custom model."""
    if _is_foundation_model(arn):
        b.foundation_model(referrer, arn, BASED_ON, "baseModelArn")
    else:
        b.named_ref(referrer, CUSTOM_MODEL, arn, BASED_ON, "baseModelArn")


def _customization_job(b: _Builder, job: Resource) -> None:
    assert isinstance(job, CustomizationJob)
    if job.training_data_s3_uri:
        b.s3(job, job.training_data_s3_uri, READS, "trainingDataConfig.s3Uri")
    if job.invocation_logs_s3_uri:
        b.s3(job, job.invocation_logs_s3_uri, READS, "trainingDataConfig.invocationLogsConfig…s3Uri")
    for uri in job.validation_data_s3_uris or ():
        b.s3(job, uri, READS, "validationDataConfig.validators[].s3Uri")
    if job.output_s3_uri:
        b.s3(job, job.output_s3_uri, WRITES, "outputDataConfig.s3Uri")
    if job.role_arn:
        b.role(job, job.role_arn, "roleArn")
    if job.base_model_arn:
        _base_model(b, job, job.base_model_arn)
    if job.grader_lambda_arn:
        b.function(job, job.grader_lambda_arn, INVOKES, "customizationConfig.rftConfig.graderConfig.lambdaGrader")
    _keys(b, job, ((job.output_model_encryption, "outputModelKmsKeyArn"),))


def _custom_model(b: _Builder, model: Resource) -> None:
    """The model's training data is its job's; when the job is not in the scan (customization jobs
    are listed for a limited time), the model's own copy of the job's configuration is followed."""
    assert isinstance(model, CustomModel)
    job = model.job_arn or model.job_name
    trained_by = bool(job) and b.named_ref(model, CUSTOMIZATION_JOB, job or "", TRAINED_BY, "jobArn")
    if not trained_by:
        if model.training_data_s3_uri:
            b.s3(model, model.training_data_s3_uri, READS, "trainingDataConfig.s3Uri")
        if model.invocation_logs_s3_uri:
            b.s3(model, model.invocation_logs_s3_uri, READS, "trainingDataConfig.invocationLogsConfig…s3Uri")
        for uri in model.validation_data_s3_uris or ():
            b.s3(model, uri, READS, "validationDataConfig.validators[].s3Uri")
    if model.base_model_arn and not trained_by:  # else the job says it
        _base_model(b, model, model.base_model_arn)
    _keys(b, model, ((model.encryption, "modelKmsKeyArn"),))


def _model_import_job(b: _Builder, job: Resource) -> None:
    assert isinstance(job, ModelImportJob)
    if job.source_s3_uri:
        b.s3(job, job.source_s3_uri, READS, "modelDataSource.s3DataSource.s3Uri")
    if job.role_arn:
        b.role(job, job.role_arn, "roleArn")
    _keys(b, job, ((job.imported_model_encryption, "importedModelKmsKeyArn"),))


def _imported_model(b: _Builder, model: Resource) -> None:
    assert isinstance(model, ImportedModel)
    job = model.job_arn or model.job_name
    imported_by = bool(job) and b.named_ref(model, MODEL_IMPORT_JOB, job or "", IMPORTED_BY, "jobArn")
    if not imported_by and model.source_s3_uri:
        b.s3(model, model.source_s3_uri, READS, "modelDataSource.s3DataSource.s3Uri")
    _files(b, model)
    _keys(b, model, ((model.encryption, "modelKmsKeyArn"),))


def _files(b: _Builder, model: ImportedModel) -> None:
    """imported model ─loads→ each file of its source folder that ``--inspect-artifacts`` read, as
    a SageMaker model loads its ``ModelDataUrl``: the path node's id is the object's ARN, the
    artifact's uid, so its SHA-256, format and verdict land on it (and it is a ``file`` of the
    AI-BOM) ─in_bucket→ its bucket. A folder that could not be listed, or holds no model file, is
    the folder's own artifact (its uri ends in ``/``): one such node, carrying the error."""
    if not model.source_s3_uri:
        return
    root = model.source_s3_uri if model.source_s3_uri.endswith("/") else model.source_s3_uri + "/"
    api_field = "modelDataSource.s3DataSource.s3Uri (a file under it, read by --inspect-artifacts)"
    for artifact in b.s3_artifacts:
        uri = str(getattr(artifact, "uri", "") or "")
        if uri.startswith(root) and artifact.account == model.account:
            b.s3(model, uri, LOADS, api_field)


def _provisioned_throughput(b: _Builder, throughput: Resource) -> None:
    assert isinstance(throughput, ProvisionedThroughput)
    for arn, api_field in ((throughput.model_arn, "modelArn"), (throughput.desired_model_arn, "desiredModelArn")):
        if not arn:
            continue
        if _is_foundation_model(arn):
            b.foundation_model(throughput, arn, HOSTS, api_field)
        elif ":imported-model/" in arn:
            b.named_ref(throughput, IMPORTED_MODEL, arn, HOSTS, api_field)
        else:
            b.named_ref(throughput, CUSTOM_MODEL, arn, HOSTS, api_field)


def _guardrail(b: _Builder, guardrail: Resource) -> None:
    assert isinstance(guardrail, Guardrail)
    _keys(b, guardrail, ((guardrail.encryption, "kmsKeyArn"),))


def _agent(b: _Builder, agent: Resource) -> None:
    assert isinstance(agent, BedrockAgent)
    if agent.role_arn:
        b.role(agent, agent.role_arn, "agentResourceRoleArn")
    _agent_guardrail(b, agent)
    for kb in agent.knowledge_base_ids or ():
        b.named_ref(agent, KNOWLEDGE_BASE, kb, RETRIEVES, "ListAgentKnowledgeBases[].knowledgeBaseId")
    for group in agent.action_groups or ():
        if group.lambda_arn:
            b.function(agent, group.lambda_arn, INVOKES, f"actionGroups[{group.name}].actionGroupExecutor.lambda")
        if group.api_schema_s3_uri:
            b.s3(agent, group.api_schema_s3_uri, READS, f"actionGroups[{group.name}].apiSchema.s3")
    for arn in agent.orchestration_lambda_arns or ():
        b.function(agent, arn, INVOKES, "customOrchestration / promptOverrideConfiguration.overrideLambda")
    _keys(b, agent, ((agent.encryption, "customerEncryptionKeyArn"),))


def _agent_guardrail(b: _Builder, agent: BedrockAgent) -> None:
    """The guardrail the agent names; the collector already compared it with the region's
    guardrails (``exists``), whose answer wins over the graph's own lookup."""
    config = agent.guardrail
    if config is None or not config.configured or not (config.guardrail_arn or config.identifier):
        return
    target = config.guardrail_arn or config.identifier or ""
    api_field = "guardrailConfiguration.guardrailIdentifier"
    if config.exists is False:
        version = f" version {config.version}" if config.version else ""
        why = config.reason or f"guardrail {target}{version} does not exist (deleted)"
        b.dangling(agent, GUARDRAIL, target, GUARDED_BY, api_field, why)
        return
    b.named_ref(agent, GUARDRAIL, target, GUARDED_BY, api_field)


def _knowledge_base(b: _Builder, kb: Resource) -> None:
    assert isinstance(kb, KnowledgeBase)
    if kb.role_arn:
        b.role(kb, kb.role_arn, "roleArn")
    for source in kb.data_sources or ():
        bucket = source.bucket_name
        if bucket:
            api_field = f"dataSources[{source.name}].s3Configuration.bucketArn"
            for uri in [f"s3://{bucket}/{p}" for p in source.inclusion_prefixes] or [f"s3://{bucket}"]:
                b.s3(kb, uri, READS, api_field)
        _keys(b, kb, ((source.encryption, f"dataSources[{source.name}].serverSideEncryptionConfiguration.kmsKeyArn"),))
    _keys(b, kb, ((kb.encryption, "serverSideEncryptionConfiguration.kmsKeyArn"),))


def _agent_runtime(b: _Builder, runtime: Resource) -> None:
    assert isinstance(runtime, AgentRuntime)
    if runtime.role_arn:
        b.role(runtime, runtime.role_arn, "roleArn")
    if runtime.container_uri:
        b.image(runtime, runtime.container_uri, "agentRuntimeArtifact.containerConfiguration.containerUri")
    if runtime.code_s3_uri:
        b.s3(runtime, runtime.code_s3_uri, READS, "agentRuntimeArtifact.codeConfiguration.code.s3")


HANDLERS: dict[str, Callable[[_Builder, Resource], None]] = {
    CustomizationJob.resource_type: _customization_job,
    CustomModel.resource_type: _custom_model,
    ModelImportJob.resource_type: _model_import_job,
    ImportedModel.resource_type: _imported_model,
    ProvisionedThroughput.resource_type: _provisioned_throughput,
    Guardrail.resource_type: _guardrail,
    BedrockAgent.resource_type: _agent,
    KnowledgeBase.resource_type: _knowledge_base,
    AgentRuntime.resource_type: _agent_runtime,
}
