"""Bedrock snapshots for lineage and graph-check tests: a small estate, each resource well
configured, and ``with`` keyword overrides for the cases.

    provisioned throughput ─hosts→ custom model ─trained_by→ customization job ─reads→ s3://train/data/
    agent ─retrieves→ knowledge base ─reads→ s3://kb-docs;  agent ─guarded_by→ guardrail;  ─runs_as→ agent role
"""

from __future__ import annotations

from typing import Any

from cspm.resources.aws.bedrock import (
    ActionGroup,
    AgentGuardrail,
    BedrockAgent,
    ContentFilter,
    CustomizationJob,
    CustomModel,
    DataSource,
    Guardrail,
    ImportedModel,
    KmsEncryption,
    KnowledgeBase,
    ModelImportJob,
    ProvisionedThroughput,
)
from cspm.resources.aws.bedrock_agentcore import AgentRuntime

ACCOUNT = "123456789012"
REGION = "us-east-1"
BASE_MODEL = f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-text-express-v1"
TRAINING_DATA = "s3://train/data/"
WEIGHTS = "s3://weights/llama/"
AGENT_ID, KB_ID, GUARDRAIL_ID = "AGENT00001", "KB00000001", "gr0000000001"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:refund-tool"


def arn(kind: str, rid: str) -> str:
    return f"arn:aws:bedrock:{REGION}:{ACCOUNT}:{kind}/{rid}"


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def _base(kind: str, rid: str, name: str | None = None) -> dict[str, Any]:
    return {"uid": arn(kind, rid), "name": name or rid, "account": ACCOUNT, "region": REGION}


def customization_job(name: str = "tune-1", **fields: Any) -> CustomizationJob:
    base: dict[str, Any] = {
        "status": "Completed",
        "role_arn": role_arn("bedrock-tuning"),
        "base_model_arn": BASE_MODEL,
        "output_model_name": "fraud-llm",
        "output_model_arn": arn("custom-model", "fraud-llm"),
        "training_data_s3_uri": TRAINING_DATA,
        "validation_data_s3_uris": (),
        "output_s3_uri": "s3://tuning-out/fraud/",
        "output_model_encryption": KmsEncryption(),
        "subnet_ids": (),
        "security_group_ids": (),
    }
    return CustomizationJob(**_base("model-customization-job", name), **(base | fields))


def custom_model(name: str = "fraud-llm", **fields: Any) -> CustomModel:
    base: dict[str, Any] = {
        "status": "Active",
        "job_arn": arn("model-customization-job", "tune-1"),
        "job_name": "tune-1",
        "base_model_arn": BASE_MODEL,
        "encryption": KmsEncryption(),
        "training_data_s3_uri": TRAINING_DATA,
        "validation_data_s3_uris": (),
        "output_s3_uri": "s3://tuning-out/fraud/",
    }
    return CustomModel(**_base("custom-model", name), **(base | fields))


def provisioned_throughput(
    name: str = "fraud-llm-pt", model: str | None = None, **fields: Any
) -> ProvisionedThroughput:
    base: dict[str, Any] = {
        "status": "InService",
        "model_arn": model or arn("custom-model", "fraud-llm"),
        "foundation_model_arn": BASE_MODEL,
        "model_units": 1,
    }
    return ProvisionedThroughput(**_base("provisioned-model", name), **(base | fields))


def model_import_job(name: str = "import-1", **fields: Any) -> ModelImportJob:
    base: dict[str, Any] = {
        "status": "Completed",
        "role_arn": role_arn("bedrock-import"),
        "source_s3_uri": WEIGHTS,
        "imported_model_name": "llama-ft",
        "imported_model_arn": arn("imported-model", "llama-ft"),
        "imported_model_encryption": KmsEncryption(),
        "subnet_ids": (),
        "security_group_ids": (),
    }
    return ModelImportJob(**_base("model-import-job", name), **(base | fields))


def imported_model(name: str = "llama-ft", **fields: Any) -> ImportedModel:
    base: dict[str, Any] = {
        "job_arn": arn("model-import-job", "import-1"),
        "job_name": "import-1",
        "source_s3_uri": WEIGHTS,
        "encryption": KmsEncryption(),
    }
    return ImportedModel(**_base("imported-model", name), **(base | fields))


def guardrail(strength: str = "HIGH", **fields: Any) -> Guardrail:
    base: dict[str, Any] = {
        "guardrail_id": GUARDRAIL_ID,
        "status": "READY",
        "versions": ("1",),
        "content_filters": (ContentFilter(type="PROMPT_ATTACK", input_strength=strength, output_strength="NONE"),),
        "denied_topics": (),
        "pii_entities": (),
        "regexes": (),
        "contextual_grounding": (),
        "encryption": KmsEncryption(),
    }
    return Guardrail(**_base("guardrail", GUARDRAIL_ID, "support-guardrail"), **(base | fields))


def guarded(identifier: str = GUARDRAIL_ID, **fields: Any) -> AgentGuardrail:
    base: dict[str, Any] = {
        "configured": True,
        "identifier": identifier,
        "version": "1",
        "exists": True,
        "guardrail_arn": arn("guardrail", identifier),
    }
    return AgentGuardrail(**(base | fields))


def action_group(name: str = "refunds", lambda_arn: str | None = FUNCTION_ARN, **fields: Any) -> ActionGroup:
    return ActionGroup(**({"id": f"AG-{name}", "name": name, "state": "ENABLED", "lambda_arn": lambda_arn} | fields))


def agent(agent_id: str = AGENT_ID, **fields: Any) -> BedrockAgent:
    base: dict[str, Any] = {
        "agent_id": agent_id,
        "status": "PREPARED",
        "role_arn": role_arn("bedrock-agent"),
        "foundation_model": "anthropic.claude-3-haiku-20240307-v1:0",
        "guardrail": guarded(),
        "encryption": KmsEncryption(),
        "orchestration_lambda_arns": (),
        "action_groups": (),
        "knowledge_base_ids": (KB_ID,),
    }
    return BedrockAgent(**_base("agent", agent_id, "support-agent"), **(base | fields))


def data_source(bucket: str = "kb-docs", prefixes: tuple[str, ...] = (), **fields: Any) -> DataSource:
    base: dict[str, Any] = {
        "id": "DS1",
        "name": "docs",
        "status": "AVAILABLE",
        "type": "S3",
        "bucket_arn": f"arn:aws:s3:::{bucket}",
        "inclusion_prefixes": prefixes,
        "encryption": KmsEncryption(),
    }
    return DataSource(**(base | fields))


def knowledge_base(kb_id: str = KB_ID, **fields: Any) -> KnowledgeBase:
    base: dict[str, Any] = {
        "knowledge_base_id": kb_id,
        "status": "ACTIVE",
        "role_arn": role_arn("bedrock-kb"),
        "kb_type": "VECTOR",
        "encryption": KmsEncryption(),
        "data_sources": (data_source(),),
    }
    return KnowledgeBase(**_base("knowledge-base", kb_id, "support-docs"), **(base | fields))


def agent_runtime(runtime_id: str = "rt-1", **fields: Any) -> AgentRuntime:
    base: dict[str, Any] = {
        "runtime_id": runtime_id,
        "status": "READY",
        "role_arn": role_arn("agentcore-runtime"),
        "network_mode": "VPC",
        "container_uri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/agent:v1",
    }
    uid = f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:runtime/{runtime_id}"
    return AgentRuntime(uid=uid, name=runtime_id, account=ACCOUNT, region=REGION, **(base | fields))


def estate() -> list[Any]:
    """Every Bedrock resource above, linked as the module docstring draws."""
    return [
        customization_job(),
        custom_model(),
        provisioned_throughput(),
        model_import_job(),
        imported_model(),
        provisioned_throughput("llama-pt", arn("imported-model", "llama-ft")),
        guardrail(),
        agent(),
        knowledge_base(),
    ]
