"""The Bedrock and AgentCore collectors against moto behind the Bedrock gap layer
(:mod:`cspm.demo.bedrock_gaps`), served on 127.0.0.1 like the demo's simulated account.

moto implements customization jobs, custom models, invocation logging, agents, knowledge bases
and AgentCore runtimes, gateways and memories; guardrails, imported models, import jobs,
provisioned throughputs, action groups, an agent's knowledge bases and data sources are served by
the gap layer from its state, in botocore's wire protocol. Where moto answers unlike AWS the test
encodes AWS, with an amendment at the HTTP layer: moto drops an agent's guardrailConfiguration,
and invents a modelKmsKeyArn for every custom model and customization job.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from cspm.demo.bedrock_gaps import GapState, operation_of
from cspm.demo.server import serve_simulated_account
from cspm.providers.aws.bedrock import (
    custom_model_from_api,
    data_source_from_api,
    guardrail_from_api,
    invocation_logging_from_api,
    log_group_from_api,
    resolve_guardrail,
)
from cspm.providers.aws.bedrock_agentcore import runtime_from_api
from cspm.resources.aws.bedrock import (
    AgentGuardrail,
    BedrockAccount,
    BedrockAgent,
    CustomizationJob,
    CustomModel,
    Guardrail,
    ImportedModel,
    KmsEncryption,
    KnowledgeBase,
    LogGroupEncryption,
    ModelImportJob,
    ProvisionedThroughput,
    SecretFinding,
)
from cspm.resources.aws.bedrock_agentcore import (
    AgentCoreBrowser,
    AgentCoreCodeInterpreter,
    AgentCoreGateway,
    AgentCoreMemory,
    AgentRuntime,
    BrowserRecording,
)
from support.aws import ACCOUNT, collect_aws, one, reset_moto

REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/bedrock-customization"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
GUARDRAIL_ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:guardrail/gr1"
LAMBDA = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:refunds"
BEDROCK_TYPES = (
    BedrockAccount,
    CustomizationJob,
    CustomModel,
    ModelImportJob,
    ImportedModel,
    ProvisionedThroughput,
    Guardrail,
    BedrockAgent,
    KnowledgeBase,
)
AGENTCORE_TYPES = (AgentRuntime, AgentCoreGateway, AgentCoreMemory, AgentCoreBrowser, AgentCoreCodeInterpreter)
WHEN = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, GapState]]:
    state = GapState()
    with serve_simulated_account(state) as url:
        yield url, state


@pytest.fixture
def account(served: tuple[str, GapState]) -> Iterator[tuple[str, GapState]]:
    url, state = served
    reset_moto(url)
    state.reset()
    yield url, state


def _client(url: str, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=url)


def guardrail_draft(**fields: Any) -> dict[str, Any]:
    return {
        "guardrailId": "gr1",
        "guardrailArn": GUARDRAIL_ARN,
        "name": "support-bot",
        "status": "READY",
        "createdAt": WHEN,
        "updatedAt": WHEN,
        "blockedInputMessaging": "no",
        "blockedOutputsMessaging": "no",
        "contentPolicy": {
            "filters": [
                {"type": "PROMPT_ATTACK", "inputStrength": "HIGH", "outputStrength": "NONE"},
                {"type": "HATE", "inputStrength": "MEDIUM", "outputStrength": "MEDIUM"},
            ]
        },
        "topicPolicy": {"topics": [{"name": "investment-advice", "definition": "d", "type": "DENY"}]},
        "sensitiveInformationPolicy": {
            "piiEntities": [{"type": "CREDIT_DEBIT_CARD_NUMBER", "action": "BLOCK"}],
            "regexes": [{"name": "employee-id", "pattern": "E[0-9]{6}", "action": "ANONYMIZE"}],
        },
        "contextualGroundingPolicy": {"filters": [{"type": "GROUNDING", "threshold": 0.8}]},
        "kmsKeyArn": KEY,
        **fields,
    }


def seed(url: str, state: GapState) -> dict[str, str]:
    """One of every kind; returns the ids moto chose."""
    bedrock = _client(url, "bedrock")
    bedrock.create_model_customization_job(
        jobName="ft-support",
        customModelName="support-model",
        roleArn=ROLE,
        baseModelIdentifier="amazon.titan-text-express-v1",
        trainingDataConfig={"s3Uri": "s3://ml-train/support/train.jsonl"},
        validationDataConfig={"validators": [{"s3Uri": "s3://ml-train/support/valid.jsonl"}]},
        outputDataConfig={"s3Uri": "s3://ml-out/support/"},
        hyperParameters={"epochCount": "2", "HF_TOKEN": "hf_" + "a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwX"},
        customModelKmsKeyId=KEY,
        vpcConfig={"subnetIds": ["subnet-0a"], "securityGroupIds": ["sg-0a"]},
    )
    bedrock.put_model_invocation_logging_configuration(
        loggingConfig={
            "cloudWatchConfig": {
                "logGroupName": "/bedrock/invocations",
                "roleArn": f"arn:aws:iam::{ACCOUNT}:role/bedrock-logging",
                "largeDataDeliveryS3Config": {"bucketName": "bedrock-large", "keyPrefix": "big/"},
            },
            "s3Config": {"bucketName": "bedrock-logs", "keyPrefix": "inv/"},
            "textDataDeliveryEnabled": True,
            "imageDataDeliveryEnabled": False,
            "embeddingDataDeliveryEnabled": True,
        }
    )
    _client(url, "logs").create_log_group(logGroupName="/bedrock/invocations", kmsKeyId=KEY)
    agent_client = _client(url, "bedrock-agent")
    agent = agent_client.create_agent(
        agentName="support-agent",
        agentResourceRoleArn=f"arn:aws:iam::{ACCOUNT}:role/agent-role",
        foundationModel="anthropic.claude-3-haiku",
        idleSessionTTLInSeconds=900,
        customerEncryptionKeyArn=KEY,
    )["agent"]
    kb = agent_client.create_knowledge_base(
        name="support-docs",
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/kb-role",
        knowledgeBaseConfiguration={
            "type": "VECTOR",
            "vectorKnowledgeBaseConfiguration": {
                "embeddingModelArn": f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-embed-text-v2:0"
            },
        },
        storageConfiguration={
            "type": "OPENSEARCH_SERVERLESS",
            "opensearchServerlessConfiguration": {
                "collectionArn": f"arn:aws:aoss:{REGION}:{ACCOUNT}:collection/kb",
                "vectorIndexName": "idx",
                "fieldMapping": {"vectorField": "v", "textField": "t", "metadataField": "m"},
            },
        },
    )["knowledgeBase"]
    state.add_guardrail(REGION, guardrail_draft(), [guardrail_draft(version="1")])
    # moto drops guardrailConfiguration; AWS returns it.
    state.amend(
        REGION,
        "GetAgent",
        agent["agentId"],
        {"guardrailConfiguration": {"guardrailIdentifier": GUARDRAIL_ARN, "guardrailVersion": "1"}},
    )
    state.add_child(
        "action_groups",
        REGION,
        agent["agentId"],
        {
            "agentId": agent["agentId"],
            "agentVersion": "DRAFT",
            "actionGroupId": "AG1",
            "actionGroupName": "refunds",
            "actionGroupState": "ENABLED",
            "actionGroupExecutor": {"lambda": LAMBDA},
            "apiSchema": {"s3": {"s3BucketName": "agent-schemas", "s3ObjectKey": "refunds.yaml"}},
            "createdAt": WHEN,
            "updatedAt": WHEN,
        },
    )
    state.add_child(
        "agent_knowledge_bases",
        REGION,
        agent["agentId"],
        {"knowledgeBaseId": kb["knowledgeBaseId"], "knowledgeBaseState": "ENABLED", "updatedAt": WHEN},
    )
    state.add_child(
        "data_sources",
        REGION,
        kb["knowledgeBaseId"],
        {
            "knowledgeBaseId": kb["knowledgeBaseId"],
            "dataSourceId": "DS1",
            "name": "manuals",
            "status": "AVAILABLE",
            "dataSourceConfiguration": {
                "type": "S3",
                "s3Configuration": {"bucketArn": "arn:aws:s3:::kb-docs", "inclusionPrefixes": ["manuals/"]},
            },
            "serverSideEncryptionConfiguration": {"kmsKeyArn": KEY},
            "dataDeletionPolicy": "RETAIN",
            "createdAt": WHEN,
            "updatedAt": WHEN,
        },
    )
    imported = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:imported-model/llama-ft"
    job = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-import-job/import-llama"
    source = {"s3DataSource": {"s3Uri": "s3://ml-weights/llama/"}}
    state.add(
        "imported_models",
        REGION,
        {
            "modelArn": imported,
            "modelName": "llama-ft",
            "jobName": "import-llama",
            "jobArn": job,
            "modelDataSource": source,
            "creationTime": WHEN,
            "modelArchitecture": "llama3",
        },
    )
    state.add(
        "import_jobs",
        REGION,
        {
            "jobArn": job,
            "jobName": "import-llama",
            "importedModelName": "llama-ft",
            "importedModelArn": imported,
            "roleArn": ROLE,
            "modelDataSource": source,
            "status": "Completed",
            "creationTime": WHEN,
            "importedModelKmsKeyArn": KEY,
        },
    )
    state.add(
        "throughputs",
        REGION,
        {
            "provisionedModelName": "support-pt",
            "provisionedModelArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/pt1",
            "modelArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/support-model",
            "desiredModelArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/support-model",
            "foundationModelArn": f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-text-express-v1",
            "modelUnits": 1,
            "desiredModelUnits": 1,
            "status": "InService",
            "creationTime": WHEN,
            "lastModifiedTime": WHEN,
        },
    )
    control = _client(url, "bedrock-agentcore-control")
    control.create_agent_runtime(
        agentRuntimeName="support_runtime",
        agentRuntimeArtifact={
            "containerConfiguration": {"containerUri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/rt:1"}
        },
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/runtime-role",
        networkConfiguration={
            "networkMode": "VPC",
            "networkModeConfig": {"subnets": ["subnet-0a"], "securityGroups": ["sg-0a"]},
        },
        environmentVariables={"OPENAI_API_KEY": "sk-" + "x" * 48, "LOG_LEVEL": "info"},
    )
    control.create_gateway(
        name="tools", roleArn=f"arn:aws:iam::{ACCOUNT}:role/gw", protocolType="MCP", authorizerType="AWS_IAM"
    )
    control.create_memory(name="sessions", eventExpiryDuration=30, encryptionKeyArn=KEY)
    agentcore = f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}"
    state.add(
        "browsers",
        REGION,
        {
            "browserId": "br-1",
            "browserArn": f"{agentcore}:browser-custom/br-1",
            "name": "research_browser",
            "status": "READY",
            "networkConfiguration": {"networkMode": "PUBLIC"},
            "recording": {"enabled": True, "s3Location": {"bucket": "recordings", "prefix": "br/"}},
            "createdAt": WHEN,
        },
    )
    state.add(
        "code_interpreters",
        REGION,
        {
            "codeInterpreterId": "ci-1",
            "codeInterpreterArn": f"{agentcore}:code-interpreter-custom/ci-1",
            "name": "analysis_sandbox",
            "status": "READY",
            "networkConfiguration": {"networkMode": "SANDBOX"},
            "createdAt": WHEN,
        },
    )
    return {"agent": agent["agentId"], "kb": kb["knowledgeBaseId"]}


def test_every_kind_is_collected(account: tuple[str, GapState]) -> None:
    url, state = account
    ids = seed(url, state)
    inventory = collect_aws(*BEDROCK_TYPES, *AGENTCORE_TYPES, endpoint_url=url)
    assert inventory.errors == []

    (settings,) = inventory.of_type(BedrockAccount)
    assert settings.name == REGION and settings.resources_found == 8
    logging = settings.invocation_logging
    assert logging is not None and logging.enabled and logging.destinations == ("cloudwatch", "s3")
    assert logging.s3_buckets == ("bedrock-logs", "bedrock-large")
    assert logging.delivered == ("text", "embedding")
    assert logging.cloudwatch_encryption == LogGroupEncryption(kms_key_id=KEY)

    job = one(inventory, CustomizationJob, "ft-support")
    assert job.role_arn == ROLE and job.training_data_s3_uri == "s3://ml-train/support/train.jsonl"
    assert job.validation_data_s3_uris == ("s3://ml-train/support/valid.jsonl",)
    assert job.output_s3_uri == "s3://ml-out/support/" and job.subnet_ids == ("subnet-0a",)
    assert job.hyperparameter_keys == ("HF_TOKEN", "epochCount")
    assert job.secrets and all(isinstance(s, SecretFinding) and s.key == "HF_TOKEN" for s in job.secrets)
    assert "hf_" not in job.model_dump_json()  # the value is never kept

    model = one(inventory, CustomModel, "support-model")
    assert model.job_name == "ft-support" and model.training_data_s3_uri == "s3://ml-train/support/train.jsonl"
    assert model.encryption is not None  # moto invents a key: the translation tests read AWS's answers

    guardrail = one(inventory, Guardrail, "support-bot")
    assert guardrail.uid == GUARDRAIL_ARN and guardrail.versions == ("1",)
    prompt_attack = guardrail.content_filter("PROMPT_ATTACK")
    assert prompt_attack is not None and prompt_attack.input_strength == "HIGH"
    assert guardrail.denied_topics == ("investment-advice",) and guardrail.regexes == ("employee-id",)
    assert guardrail.encryption == KmsEncryption(kms_key_id=KEY)

    agent = one(inventory, BedrockAgent, "support-agent")
    assert agent.agent_id == ids["agent"] and agent.idle_session_ttl_seconds == 900
    assert agent.guardrail == AgentGuardrail(
        configured=True, identifier=GUARDRAIL_ARN, version="1", exists=True, guardrail_arn=GUARDRAIL_ARN
    )
    assert agent.knowledge_base_ids == (ids["kb"],)
    assert agent.action_groups is not None
    (group,) = agent.action_groups
    assert group.lambda_arn == LAMBDA and group.api_schema_s3_uri == "s3://agent-schemas/refunds.yaml"
    assert agent.lambda_arns == (LAMBDA,)

    kb = one(inventory, KnowledgeBase, "support-docs")
    assert kb.role_arn == f"arn:aws:iam::{ACCOUNT}:role/kb-role" and kb.storage_type == "OPENSEARCH_SERVERLESS"
    assert kb.vector_store_arn == f"arn:aws:aoss:{REGION}:{ACCOUNT}:collection/kb"
    assert kb.data_sources is not None
    (source,) = kb.data_sources
    assert source.bucket_name == "kb-docs" and source.inclusion_prefixes == ("manuals/",)
    assert source.encryption == KmsEncryption(kms_key_id=KEY)

    imported = one(inventory, ImportedModel, "llama-ft")
    assert imported.source_s3_uri == "s3://ml-weights/llama/" and imported.encryption == KmsEncryption()
    job_import = one(inventory, ModelImportJob, "import-llama")
    assert job_import.imported_model_arn == imported.uid and job_import.subnet_ids == ()
    throughput = one(inventory, ProvisionedThroughput, "support-pt")
    assert throughput.model_arn == f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/support-model"

    runtime = one(inventory, AgentRuntime, "support_runtime")
    assert runtime.network_mode == "VPC" and runtime.subnet_ids == ("subnet-0a",)
    assert runtime.environment_keys == ("LOG_LEVEL", "OPENAI_API_KEY")
    assert [s.key for s in runtime.secrets or ()] == ["OPENAI_API_KEY"]
    gateway = one(inventory, AgentCoreGateway, "tools")
    assert gateway.authorizer_type == "AWS_IAM" and gateway.encryption == KmsEncryption()
    memory = one(inventory, AgentCoreMemory, "sessions")
    assert memory.event_expiry_days == 30
    browser = one(inventory, AgentCoreBrowser, "research_browser")
    assert browser.network_mode == "PUBLIC" and browser.recording == BrowserRecording(
        enabled=True, s3_uri="s3://recordings/br/"
    )
    interpreter = one(inventory, AgentCoreCodeInterpreter, "analysis_sandbox")
    assert interpreter.network_mode == "SANDBOX" and interpreter.subnet_ids == ()


# Requests per region (listings) and per resource, as the collector's docstring states.
PER_REGION = {
    "GetModelInvocationLoggingConfiguration": 1,
    "ListModelCustomizationJobs": 1,
    "ListCustomModels": 1,
    "ListModelImportJobs": 1,
    "ListImportedModels": 1,
    "ListProvisionedModelThroughputs": 1,
    "ListAgents": 1,
    "ListKnowledgeBases": 1,
}
PER_RESOURCE = {
    "GetModelCustomizationJob": 1,
    "GetCustomModel": 1,
    "GetModelImportJob": 1,
    "GetImportedModel": 1,
    "GetProvisionedModelThroughput": 1,
    "GetGuardrail": 1,
    "GetAgent": 1,
    "ListAgentActionGroups": 1,
    "ListAgentKnowledgeBases": 1,
    "GetAgentActionGroup": 1,
    "GetKnowledgeBase": 1,
    "ListDataSources": 1,
    "GetDataSource": 1,
}


@pytest.mark.parametrize("copies", [1, 3])
def test_a_constant_number_of_requests_per_resource(account: tuple[str, GapState], copies: int) -> None:
    url, state = account
    for index in range(copies):
        state.add_guardrail(REGION, guardrail_draft(guardrailId=f"g{index}", guardrailArn=f"{GUARDRAIL_ARN}{index}"))
        agent = _client(url, "bedrock-agent").create_agent(
            agentName=f"agent-{index}", agentResourceRoleArn=f"arn:aws:iam::{ACCOUNT}:role/a"
        )["agent"]
        state.add_child(
            "action_groups",
            REGION,
            agent["agentId"],
            {"actionGroupId": "AG", "actionGroupName": "g", "actionGroupExecutor": {"lambda": LAMBDA}},
        )
    state.requests.clear()  # the seeding's own requests
    collect_aws(Guardrail, BedrockAgent, endpoint_url=url)
    counted = dict(state.requests)
    # ListGuardrails: the listing, and once per guardrail for its versions.
    assert counted.pop("ListGuardrails") == 1 + copies
    for operation in ("GetGuardrail", "GetAgent", "ListAgentActionGroups", "ListAgentKnowledgeBases"):
        assert counted.pop(operation) == copies * PER_RESOURCE[operation], operation
    assert counted.pop("GetAgentActionGroup") == copies
    assert counted == {op: n for op, n in PER_REGION.items() if op in counted}
    assert all(n == 1 for n in counted.values())


def test_a_region_without_bedrock_is_recorded_not_passed(account: tuple[str, GapState]) -> None:
    url, state = account
    state.unoffered.add("eu-west-1")
    inventory = collect_aws(*BEDROCK_TYPES, *AGENTCORE_TYPES, regions=("us-east-1", "eu-west-1"), endpoint_url=url)
    assert [r.region for r in inventory.of_type(BedrockAccount)] == ["us-east-1"]
    unavailable = [e for e in inventory.errors if e.code == "ServiceUnavailable"]
    assert {(e.service, e.region) for e in unavailable} == {
        ("bedrock", "eu-west-1"),
        ("bedrock_agentcore", "eu-west-1"),
    }
    # One request each: nothing else is sent to a region that does not offer the service.
    assert state.requests["GetModelInvocationLoggingConfiguration"] == 2
    assert state.requests["ListAgentRuntimes"] == 2
    assert state.requests["ListAgents"] == 1
    # Nothing there to be incomplete: the region holds none of these, and no check speaks of it.
    assert not any(r.region == "eu-west-1" for r in inventory.resources())
    for rtype in (*BEDROCK_TYPES, *AGENTCORE_TYPES):
        assert inventory.incomplete_reason(rtype, ACCOUNT, "eu-west-1") is None
    assert not inventory.complete  # but the scan says it is not complete: the errors are recorded


def test_a_denied_listing_is_recorded_and_only_its_type_incomplete(account: tuple[str, GapState]) -> None:
    url, state = account
    seed(url, state)
    state.deny("ListGuardrails")
    inventory = collect_aws(*BEDROCK_TYPES, endpoint_url=url)
    (error,) = inventory.errors
    assert (error.operation, error.code) == ("ListGuardrails", "AccessDeniedException")
    assert inventory.incomplete_reason(Guardrail, ACCOUNT, REGION) is not None
    assert inventory.incomplete_reason(BedrockAgent, ACCOUNT, REGION) is None
    # The agent's guardrail cannot be resolved, and says why; "Bedrock is used" is unknown.
    agent = one(inventory, BedrockAgent, "support-agent")
    assert agent.guardrail is not None and agent.guardrail.exists is None and agent.guardrail.reason
    (settings,) = inventory.of_type(BedrockAccount)
    assert settings.resources_found is None


def test_a_deleted_guardrail_is_a_dangling_reference(account: tuple[str, GapState]) -> None:
    url, state = account
    seed(url, state)
    state.delete_guardrail(REGION, "gr1")
    inventory = collect_aws(BedrockAgent, Guardrail, endpoint_url=url)
    agent = one(inventory, BedrockAgent, "support-agent")
    assert agent.guardrail is not None and agent.guardrail.configured and agent.guardrail.exists is False
    assert "does not exist" in (agent.guardrail.reason or "")


def test_a_failed_get_keeps_the_resource_unread(account: tuple[str, GapState]) -> None:
    url, state = account
    seed(url, state)
    state.deny("GetAgent")
    state.deny("GetDataSource")
    inventory = collect_aws(BedrockAgent, KnowledgeBase, endpoint_url=url)
    agent = one(inventory, BedrockAgent, "support-agent")
    assert agent.role_arn is None and agent.guardrail is None and agent.encryption is None
    kb = one(inventory, KnowledgeBase, "support-docs")
    assert kb.data_sources is not None
    (source,) = kb.data_sources
    assert source.described is False and source.encryption is None
    assert {e.operation for e in inventory.errors} == {"GetAgent", "GetDataSource"}


# ---------------------------------------------------------------------------------------------
# Translation of AWS's answers where moto's differ
# ---------------------------------------------------------------------------------------------

BASE = {"uid": "arn:aws:bedrock:us-east-1:123456789012:custom-model/m", "name": "m", "account": ACCOUNT}


def test_a_custom_model_without_a_key_is_aws_owned() -> None:
    raw = {"modelArn": BASE["uid"], "modelName": "m", "trainingDataConfig": {"s3Uri": "s3://t/x"}}
    model = custom_model_from_api({}, raw, BASE)
    assert model.encryption == KmsEncryption() and model.encryption.customer_managed is False
    assert custom_model_from_api({"modelStatus": "Active"}, None, BASE).encryption is None


def test_logging_configuration_translation() -> None:
    assert invocation_logging_from_api(None) is None
    off = invocation_logging_from_api({})
    assert off is not None and off.enabled is False and off.destinations == ()
    assert log_group_from_api({"logGroups": [{"logGroupName": "/a/b"}]}, "/a") == LogGroupEncryption(exists=False)
    assert log_group_from_api({"logGroups": [{"logGroupName": "/a"}]}, "/a") == LogGroupEncryption()
    assert log_group_from_api(None, "/a") is None


def test_guardrail_without_policies_and_unread() -> None:
    summary = {"id": "g", "arn": GUARDRAIL_ARN, "name": "g", "status": "READY"}
    bare = guardrail_from_api(summary, {"guardrailId": "g", "status": "READY"}, BASE)
    assert bare.content_filters == () and bare.pii_entities == () and bare.encryption == KmsEncryption()
    assert bare.content_filter("PROMPT_ATTACK") is None
    unread = guardrail_from_api(summary, None, BASE)
    assert unread.content_filters is None and unread.encryption is None


def test_resolving_a_guardrail_version() -> None:
    guardrail = guardrail_from_api({"id": "g"}, {"guardrailId": "g"}, BASE).model_copy(update={"versions": ("1",)})
    ref = AgentGuardrail(configured=True, identifier="g", version="2")
    missing = resolve_guardrail(ref, [guardrail])
    assert missing.exists is False and "no version 2" in (missing.reason or "")
    assert resolve_guardrail(ref.model_copy(update={"version": "1"}), [guardrail]).exists is True
    unread = resolve_guardrail(ref, [guardrail.model_copy(update={"versions": None})])
    assert unread.exists is None


def test_runtime_and_data_source_defaults() -> None:
    summary = {"agentRuntimeId": "r", "agentRuntimeArn": "arn:r", "agentRuntimeName": "r"}
    public = runtime_from_api(summary, {"agentRuntimeId": "r"}, {**BASE, "name": "r"})
    assert public.network_mode == "PUBLIC" and public.subnet_ids == () and public.inbound_auth == "IAM"
    assert runtime_from_api(summary, None, {**BASE, "name": "r"}).network_mode is None
    web = data_source_from_api({"dataSourceId": "d"}, {"dataSourceConfiguration": {"type": "WEB"}})
    assert web.bucket_arn is None and web.encryption == KmsEncryption()


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("GET", "/guardrails/gr1", "GetGuardrail"),
        ("POST", "/agents/A1/agentversions/DRAFT/actiongroups/", "ListAgentActionGroups"),
        ("GET", "/model-import-jobs/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Amodel-import-job%2Fj", "GetModelImportJob"),
        # decoded (WSGI PATH_INFO): the ARN brings its own "/"
        (
            "GET",
            "/provisioned-model-throughput/arn:aws:bedrock:us-east-1:1:provisioned-model/pt",
            "GetProvisionedModelThroughput",
        ),
        ("GET", "/memories/m1/details", "GetMemory"),
    ],
)
def test_requests_are_named_from_the_botocore_models(method: str, path: str, operation: str) -> None:
    named = operation_of(method, path)
    assert named is not None and named[1] == operation
