"""Bedrock checks: a table of (check, snapshot(s), expected status) per resource kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cspm.checks.aws import bedrock
from cspm.models import Result, Status
from cspm.resources.artifacts import ImportFound, SignatureCheck
from cspm.resources.aws.artifacts import S3ModelArtifact
from cspm.resources.aws.bedrock import (
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
    SecretFinding,
)
from cspm.resources.aws.bedrock_agentcore import AgentRuntime
from cspm.resources.aws.ec2 import RouteTable, Subnet, Vpc, VpcEndpoint
from cspm.resources.aws.iam import IamRole
from cspm.resources.aws.s3 import Encryption, S3Bucket

ACCOUNT = "123456789012"
REGION = "us-east-1"
KEY = KmsEncryption(kms_key_id=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k")
AWS_MANAGED = KmsEncryption(kms_key_id="alias/aws/bedrock")
NO_KEY = KmsEncryption()
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/AmazonBedrockExecutionRoleForAgents_support"


def _common(kind: str, name: str) -> dict[str, Any]:
    return {
        "uid": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:{kind}/{name}",
        "name": name,
        "account": ACCOUNT,
        "region": REGION,
    }


LOGGING = InvocationLogging(
    enabled=True,
    cloudwatch_log_group="/bedrock/inv",
    cloudwatch_encryption=LogGroupEncryption(kms_key_id=KEY.kms_key_id),
    s3_bucket="bedrock-logs",
)


def account(**fields: Any) -> BedrockAccount:
    base: dict[str, Any] = {
        **_common("account", REGION),
        "invocation_logging": LOGGING,
        "resources_found": 3,
    }
    return BedrockAccount(**(base | fields))


def log_bucket(name: str = "bedrock-logs", algorithm: Any = "aws:kms") -> S3Bucket:
    return S3Bucket(
        uid=f"arn:aws:s3:::{name}",
        name=name,
        account=ACCOUNT,
        region=REGION,
        encryption=Encryption(algorithm=algorithm, kms_key_id=KEY.kms_key_id if algorithm != "AES256" else None),
    )


def job(**fields: Any) -> CustomizationJob:
    base: dict[str, Any] = {
        **_common("model-customization-job", "ft"),
        "status": "Completed",
        "output_model_encryption": KEY,
        "subnet_ids": ("subnet-1",),
        "security_group_ids": ("sg-1",),
        "secrets": (),
    }
    return CustomizationJob(**(base | fields))


def custom_model(**fields: Any) -> CustomModel:
    return CustomModel(**(_common("custom-model", "m") | {"encryption": KEY} | fields))


def import_job(**fields: Any) -> ModelImportJob:
    base = _common("model-import-job", "imp") | {"imported_model_encryption": KEY, "subnet_ids": ("subnet-1",)}
    return ModelImportJob(**(base | fields))


def imported(**fields: Any) -> ImportedModel:
    return ImportedModel(**(_common("imported-model", "im") | {"encryption": KEY} | fields))


PROMPT_HIGH = ContentFilter(type="PROMPT_ATTACK", input_strength="HIGH", output_strength="NONE")


def guardrail(**fields: Any) -> Guardrail:
    base: dict[str, Any] = {
        **_common("guardrail", "g"),
        "guardrail_id": "g",
        "status": "READY",
        "content_filters": (PROMPT_HIGH,),
        "pii_entities": (PiiEntity(type="EMAIL", action="ANONYMIZE"),),
        "regexes": (),
        "encryption": KEY,
    }
    return Guardrail(**(base | fields))


GUARDED = AgentGuardrail(configured=True, identifier="g", version="1", exists=True, guardrail_arn="arn:g")


def agent(name: str = "support", **fields: Any) -> BedrockAgent:
    base: dict[str, Any] = {
        **_common("agent", name),
        "agent_id": name.upper(),
        "role_arn": ROLE_ARN,
        "guardrail": GUARDED,
        "encryption": KEY,
        "action_groups": (),
        "knowledge_base_ids": (),
    }
    return BedrockAgent(**(base | fields))


def data_source(source_id: str = "ds1", **fields: Any) -> DataSource:
    base: dict[str, Any] = {"id": source_id, "name": source_id, "bucket_arn": "arn:aws:s3:::kb", "encryption": KEY}
    return DataSource(**(base | fields))


def kb(**fields: Any) -> KnowledgeBase:
    base = _common("knowledge-base", "kb") | {"knowledge_base_id": "KB", "data_sources": (data_source(),)}
    return KnowledgeBase(**(base | fields))


def _trust(condition: dict[str, Any] | None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": "bedrock.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


GUARDED_TRUST = _trust({"StringEquals": {"aws:SourceAccount": ACCOUNT}})


def role(trust_policy: dict[str, Any] | None = GUARDED_TRUST, **fields: Any) -> IamRole:
    base: dict[str, Any] = {"uid": ROLE_ARN, "name": ROLE_ARN.rsplit("/", 1)[-1], "account": ACCOUNT}
    return IamRole(**(base | {"trust_policy": trust_policy} | fields))


NA = None  # not applicable: no finding is written

SECRET = SecretFinding(source="hyperParameters", key="HF_TOKEN", kind="Hugging Face token")

Case = tuple[Callable[..., Result], tuple[Any, ...], Status | None]
CASES: dict[str, Case] = {
    # invocation logging on where Bedrock is used
    "logging on": (bedrock.invocation_logging_enabled, (account(),), Status.PASS),
    "logging off, resources": (
        bedrock.invocation_logging_enabled,
        (account(invocation_logging=InvocationLogging()),),
        Status.FAIL,
    ),
    "logging off, no resources": (
        bedrock.invocation_logging_enabled,
        (account(invocation_logging=InvocationLogging(), resources_found=0),),
        NA,
    ),
    "logging off, usage unknown": (
        bedrock.invocation_logging_enabled,
        (account(invocation_logging=InvocationLogging(), resources_found=None),),
        Status.ERROR,
    ),
    "logging unread": (bedrock.invocation_logging_enabled, (account(invocation_logging=None),), Status.ERROR),
    # invocation log destinations encrypted
    "logs encrypted": (bedrock.invocation_logs_encrypted_with_kms, (account(), [log_bucket()]), Status.PASS),
    "log group without key": (
        bedrock.invocation_logs_encrypted_with_kms,
        (account(invocation_logging=LOGGING.model_copy(update={"cloudwatch_encryption": LogGroupEncryption()})), []),
        Status.FAIL,
    ),
    "log group missing": (
        bedrock.invocation_logs_encrypted_with_kms,
        (
            account(
                invocation_logging=LOGGING.model_copy(
                    update={"cloudwatch_encryption": LogGroupEncryption(exists=False)}
                )
            ),
            [log_bucket()],
        ),
        Status.FAIL,
    ),
    "bucket SSE-S3": (
        bedrock.invocation_logs_encrypted_with_kms,
        (account(), [log_bucket(algorithm="AES256")]),
        Status.FAIL,
    ),
    "bucket not scanned": (bedrock.invocation_logs_encrypted_with_kms, (account(), []), Status.ERROR),
    "log group unread": (
        bedrock.invocation_logs_encrypted_with_kms,
        (account(invocation_logging=LOGGING.model_copy(update={"cloudwatch_encryption": None})), [log_bucket()]),
        Status.ERROR,
    ),
    "logs encryption: logging unread": (
        bedrock.invocation_logs_encrypted_with_kms,
        (account(invocation_logging=None), []),
        Status.ERROR,
    ),
    "logs encryption: logging off": (
        bedrock.invocation_logs_encrypted_with_kms,
        (account(invocation_logging=InvocationLogging()), []),
        NA,
    ),
    # customization jobs and custom models
    "job CMK": (bedrock.customization_job_encrypts_model_with_kms, (job(),), Status.PASS),
    "job AWS-owned key": (
        bedrock.customization_job_encrypts_model_with_kms,
        (job(output_model_encryption=NO_KEY),),
        Status.FAIL,
    ),
    "job AWS-managed alias": (
        bedrock.customization_job_encrypts_model_with_kms,
        (job(output_model_encryption=AWS_MANAGED),),
        Status.FAIL,
    ),
    "job key unread": (
        bedrock.customization_job_encrypts_model_with_kms,
        (job(output_model_encryption=None),),
        Status.ERROR,
    ),
    "job in VPC": (bedrock.customization_job_runs_in_vpc, (job(),), Status.PASS),
    "job outside VPC": (
        bedrock.customization_job_runs_in_vpc,
        (job(subnet_ids=(), security_group_ids=()),),
        Status.FAIL,
    ),
    "job VPC unread": (bedrock.customization_job_runs_in_vpc, (job(subnet_ids=None),), Status.ERROR),
    "job no secrets": (bedrock.customization_job_has_no_secrets_in_hyperparameters, (job(),), Status.PASS),
    "job secret": (
        bedrock.customization_job_has_no_secrets_in_hyperparameters,
        (job(secrets=(SECRET,)),),
        Status.FAIL,
    ),
    "job secrets unread": (
        bedrock.customization_job_has_no_secrets_in_hyperparameters,
        (job(secrets=None),),
        Status.ERROR,
    ),
    "model CMK": (bedrock.custom_model_encrypted_with_kms, (custom_model(),), Status.PASS),
    "model AWS-owned": (bedrock.custom_model_encrypted_with_kms, (custom_model(encryption=NO_KEY),), Status.FAIL),
    "model unread": (bedrock.custom_model_encrypted_with_kms, (custom_model(encryption=None),), Status.ERROR),
    # imports
    "import CMK": (bedrock.model_import_job_encrypts_model_with_kms, (import_job(),), Status.PASS),
    "import no key": (
        bedrock.model_import_job_encrypts_model_with_kms,
        (import_job(imported_model_encryption=NO_KEY),),
        Status.FAIL,
    ),
    "import unread": (
        bedrock.model_import_job_encrypts_model_with_kms,
        (import_job(imported_model_encryption=None),),
        Status.ERROR,
    ),
    "import in VPC": (bedrock.model_import_job_runs_in_vpc, (import_job(),), Status.PASS),
    "import outside VPC": (bedrock.model_import_job_runs_in_vpc, (import_job(subnet_ids=()),), Status.FAIL),
    "import VPC unread": (bedrock.model_import_job_runs_in_vpc, (import_job(subnet_ids=None),), Status.ERROR),
    "imported CMK": (bedrock.imported_model_encrypted_with_kms, (imported(),), Status.PASS),
    "imported no key": (bedrock.imported_model_encrypted_with_kms, (imported(encryption=NO_KEY),), Status.FAIL),
    "imported unread": (bedrock.imported_model_encrypted_with_kms, (imported(encryption=None),), Status.ERROR),
    # guardrails
    "prompt attack HIGH": (bedrock.guardrail_blocks_prompt_attacks, (guardrail(),), Status.PASS),
    "prompt attack MEDIUM": (
        bedrock.guardrail_blocks_prompt_attacks,
        (guardrail(content_filters=(PROMPT_HIGH.model_copy(update={"input_strength": "MEDIUM"}),)),),
        Status.FAIL,
    ),
    "prompt attack detect only": (
        bedrock.guardrail_blocks_prompt_attacks,
        (guardrail(content_filters=(PROMPT_HIGH.model_copy(update={"input_action": "NONE"}),)),),
        Status.FAIL,
    ),
    "no prompt attack filter": (
        bedrock.guardrail_blocks_prompt_attacks,
        (guardrail(content_filters=(ContentFilter(type="HATE", input_strength="HIGH"),)),),
        Status.FAIL,
    ),
    "filters unread": (bedrock.guardrail_blocks_prompt_attacks, (guardrail(content_filters=None),), Status.ERROR),
    "PII filter": (bedrock.guardrail_filters_sensitive_information, (guardrail(),), Status.PASS),
    "regex filter": (
        bedrock.guardrail_filters_sensitive_information,
        (guardrail(pii_entities=(), regexes=("employee-id",)),),
        Status.PASS,
    ),
    "no sensitive filter": (
        bedrock.guardrail_filters_sensitive_information,
        (guardrail(pii_entities=(), regexes=()),),
        Status.FAIL,
    ),
    "PII detect only": (
        bedrock.guardrail_filters_sensitive_information,
        (guardrail(pii_entities=(PiiEntity(type="EMAIL", action="NONE"),)),),
        Status.FAIL,
    ),
    "sensitive unread": (
        bedrock.guardrail_filters_sensitive_information,
        (guardrail(pii_entities=None, regexes=None),),
        Status.ERROR,
    ),
    "grounding on": (
        bedrock.guardrail_checks_contextual_grounding,
        (guardrail(contextual_grounding=(GroundingFilter(type="GROUNDING", threshold=0.8),)),),
        Status.PASS,
    ),
    "grounding off": (
        bedrock.guardrail_checks_contextual_grounding,
        (guardrail(contextual_grounding=()),),
        Status.FAIL,
    ),
    "grounding disabled": (
        bedrock.guardrail_checks_contextual_grounding,
        (guardrail(contextual_grounding=(GroundingFilter(type="RELEVANCE", threshold=0.5, enabled=False),)),),
        Status.FAIL,
    ),
    "grounding unread": (
        bedrock.guardrail_checks_contextual_grounding,
        (guardrail(contextual_grounding=None),),
        Status.ERROR,
    ),
    "region has guardrail": (bedrock.region_has_guardrail, (account(), [guardrail()]), Status.PASS),
    "region without guardrail": (
        bedrock.region_has_guardrail,
        (account(), [guardrail().model_copy(update={"region": "eu-west-1"})]),
        Status.FAIL,
    ),
    "unused region without guardrail": (bedrock.region_has_guardrail, (account(resources_found=0), []), NA),
    "region guardrail failed": (bedrock.region_has_guardrail, (account(), [guardrail(status="FAILED")]), Status.FAIL),
    "region guardrail status unread": (
        bedrock.region_has_guardrail,
        (account(), [guardrail(status=None)]),
        Status.ERROR,
    ),
    "region usage unknown": (bedrock.region_has_guardrail, (account(resources_found=None), []), Status.ERROR),
    # agents
    "agent guarded": (bedrock.agent_uses_guardrail, (agent(),), Status.PASS),
    "agent unguarded": (bedrock.agent_uses_guardrail, (agent(guardrail=AgentGuardrail()),), Status.FAIL),
    "agent names a deleted guardrail": (
        bedrock.agent_uses_guardrail,
        (agent(guardrail=GUARDED.model_copy(update={"exists": False, "reason": "guardrail g does not exist"})),),
        Status.FAIL,
    ),
    "agent guardrail unresolved": (
        bedrock.agent_uses_guardrail,
        (agent(guardrail=GUARDED.model_copy(update={"exists": None, "reason": "could not be listed"})),),
        Status.ERROR,
    ),
    "agent unread": (bedrock.agent_uses_guardrail, (agent(guardrail=None),), Status.ERROR),
    "agent CMK": (bedrock.agent_encrypted_with_kms, (agent(),), Status.PASS),
    "agent AWS-owned key": (bedrock.agent_encrypted_with_kms, (agent(encryption=NO_KEY),), Status.FAIL),
    "agent key unread": (bedrock.agent_encrypted_with_kms, (agent(encryption=None),), Status.ERROR),
    "trust names source": (bedrock.agent_role_trust_names_source, (agent(), [role()]), Status.PASS),
    "trust names source ARN": (
        bedrock.agent_role_trust_names_source,
        (agent(), [role(_trust({"ArnLike": {"aws:SourceArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent/*"}}))]),
        Status.PASS,
    ),
    "trust without source": (bedrock.agent_role_trust_names_source, (agent(), [role(_trust(None))]), Status.FAIL),
    "role not trusting bedrock": (
        bedrock.agent_role_trust_names_source,
        (
            agent(),
            [
                role(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "lambda.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                )
            ],
        ),
        Status.FAIL,
    ),
    "trust unreadable": (
        bedrock.agent_role_trust_names_source,
        (agent(), [role(None, trust_policy_error="AccessDenied")]),
        Status.ERROR,
    ),
    "role not in inventory": (bedrock.agent_role_trust_names_source, (agent(), []), Status.ERROR),
    "trust: agent unread": (bedrock.agent_role_trust_names_source, (agent(role_arn=None), [role()]), Status.ERROR),
    "role own": (bedrock.agent_role_not_shared, (agent(), [agent(), agent("other", role_arn="arn:r2")]), Status.PASS),
    "role shared": (bedrock.agent_role_not_shared, (agent(), [agent(), agent("other")]), Status.FAIL),
    "role shared: agent unread": (bedrock.agent_role_not_shared, (agent(role_arn=None), [agent()]), Status.ERROR),
    # knowledge bases (Bedrock.1)
    "data sources CMK": (bedrock.knowledge_base_data_sources_encrypted_with_kms, (kb(),), Status.PASS),
    "data source AWS-owned": (
        bedrock.knowledge_base_data_sources_encrypted_with_kms,
        (kb(data_sources=(data_source(), data_source("ds2", encryption=NO_KEY))),),
        Status.FAIL,
    ),
    "data source undescribed": (
        bedrock.knowledge_base_data_sources_encrypted_with_kms,
        (kb(data_sources=(data_source(described=False, encryption=None),)),),
        Status.ERROR,
    ),
    "data sources unlisted": (
        bedrock.knowledge_base_data_sources_encrypted_with_kms,
        (kb(data_sources=None),),
        Status.ERROR,
    ),
    "no data sources": (
        bedrock.knowledge_base_data_sources_encrypted_with_kms,
        (kb(data_sources=()),),
        NA,
    ),
}


@pytest.mark.parametrize(("check", "args", "expected"), CASES.values(), ids=CASES.keys())
def test_bedrock_checks(check: Callable[..., Result], args: tuple[Any, ...], expected: Status | None) -> None:
    result = check(*args)
    assert result.status is expected, result.message


def test_a_dangling_guardrail_names_the_reason() -> None:
    ref = GUARDED.model_copy(update={"exists": False, "reason": "guardrail g does not exist in the region (deleted?)"})
    result = bedrock.agent_uses_guardrail(agent(guardrail=ref))
    assert "deleted?" in result.message and result.evidence["identifier"] == "g"


def test_unencrypted_log_destinations_are_evidence() -> None:
    logging = LOGGING.model_copy(update={"cloudwatch_encryption": LogGroupEncryption()})
    result = bedrock.invocation_logs_encrypted_with_kms(
        account(invocation_logging=logging), [log_bucket(algorithm="AES256")]
    )
    destinations = {d["destination"] for d in result.evidence["unencrypted"]}
    assert destinations == {"cloudwatch", "s3"}


# ---------------------------------------------------------------------------------------------
# PrivateLink from AI VPCs
# ---------------------------------------------------------------------------------------------


def endpoint(service: str, **fields: Any) -> VpcEndpoint:
    base: dict[str, Any] = {
        "uid": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-endpoint/vpce-{service}",
        "name": f"vpce-{service}",
        "account": ACCOUNT,
        "region": REGION,
        "vpc_id": "vpc-ai",
        "service_name": f"com.amazonaws.{REGION}.{service}",
        "endpoint_type": "Interface",
        "state": "available",
        "private_dns_enabled": True,
    }
    return VpcEndpoint(**(base | fields))


def ai_vpc(*endpoints: VpcEndpoint, **fields: Any) -> Vpc:
    base: dict[str, Any] = {
        "uid": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-ai",
        "name": "vpc-ai",
        "account": ACCOUNT,
        "region": REGION,
        "vpc_id": "vpc-ai",
        "subnets": (Subnet(id="subnet-1"),),
        "route_tables": (RouteTable(id="rtb-main", main=True),),
        "endpoints": endpoints,
    }
    return Vpc(**(base | fields))


def private_link(
    v: Vpc,
    accounts: tuple[BedrockAccount, ...] = (account(),),
    jobs: tuple[CustomizationJob, ...] = (job(),),
    runtimes: tuple[AgentRuntime, ...] = (),
    agents: tuple[BedrockAgent, ...] = (),
) -> Result:
    return bedrock.ai_vpc_has_bedrock_endpoints(v, accounts, (), (), (), (), jobs, (), runtimes, agents, ())


VPC_RUNTIME = AgentRuntime(
    **_common("runtime", "rt"), runtime_id="rt", network_mode="VPC", subnet_ids=("subnet-1",), security_group_ids=()
)
PRIVATE_LINK: dict[str, tuple[Result, Status | None]] = {
    "runtime endpoint": (private_link(ai_vpc(endpoint("bedrock-runtime"))), Status.PASS),
    "no endpoint": (private_link(ai_vpc()), Status.FAIL),
    "private DNS off": (private_link(ai_vpc(endpoint("bedrock-runtime", private_dns_enabled=False))), Status.FAIL),
    "agents need agent-runtime": (
        private_link(ai_vpc(endpoint("bedrock-runtime")), agents=(agent(),)),
        Status.FAIL,
    ),
    "agents with both": (
        private_link(ai_vpc(endpoint("bedrock-runtime"), endpoint("bedrock-agent-runtime")), agents=(agent(),)),
        Status.PASS,
    ),
    "AgentCore runtime in the VPC": (private_link(ai_vpc(), jobs=(), runtimes=(VPC_RUNTIME,)), Status.FAIL),
    "nothing hosted": (private_link(ai_vpc(), jobs=(job(subnet_ids=()),)), NA),
    "Bedrock unused in region": (private_link(ai_vpc(), accounts=(account(resources_found=0),)), NA),
    "Bedrock not offered in region": (private_link(ai_vpc(), accounts=()), NA),
    "usage unknown": (private_link(ai_vpc(), accounts=(account(resources_found=None),)), Status.ERROR),
    "job undescribed": (private_link(ai_vpc(), jobs=(job(subnet_ids=None),)), Status.ERROR),
    "endpoints unread": (private_link(ai_vpc(endpoints=None)), Status.ERROR),
}


@pytest.mark.parametrize(("result", "expected"), PRIVATE_LINK.values(), ids=PRIVATE_LINK.keys())
def test_ai_vpc_has_bedrock_endpoints(result: Result, expected: Status | None) -> None:
    assert result.status is expected, result.message


# ---------------------------------------------------------------------------------------------
# imported_model_artifact_* (--inspect-artifacts): the model files under the source prefix
# ---------------------------------------------------------------------------------------------

SOURCE = "s3://weights/llama"  # as the API may give it, without the trailing slash
SYSTEM = ImportFound(module="posix", name="system", member="llama/pytorch_model.bin")


def weights(key: str, fmt: str, **fields: Any) -> S3ModelArtifact:
    uri = f"s3://weights/{key}"
    base: dict[str, Any] = {
        "uid": f"arn:aws:s3:::weights/{key}",
        "name": uri,
        "account": ACCOUNT,
        "uri": uri,
        "sha256": "cd" * 32,
        "format": fmt,
        "members": ((key, fmt),),
        "dangerous": (),
        "scanners": {"picklescan": "1.0.5"},
    }
    return S3ModelArtifact(**(base | fields))


TENSORS = weights("llama/model.safetensors", "safetensors")
PICKLED = weights("llama/pytorch_model.bin", "pytorch")
POISONED = weights("llama/pytorch_model.bin", "pytorch", dangerous=(SYSTEM,))
ELSEWHERE = weights("llama-2/model.safetensors", "safetensors", dangerous=(SYSTEM,))  # another prefix
LISTING_FAILED = S3ModelArtifact(
    uid="arn:aws:s3:::weights/llama/",
    name="s3://weights/llama/",
    account=ACCOUNT,
    uri="s3://weights/llama/",
    error="ListObjectsV2 failed (see errors)",
)


@pytest.mark.parametrize(
    ("case", "source", "artifacts", "unsafe", "fmt"),
    [
        ("safetensors only", SOURCE, (TENSORS, ELSEWHERE), Status.PASS, Status.PASS),
        ("a clean pickle next to the tensors", SOURCE, (TENSORS, PICKLED), Status.PASS, Status.FAIL),
        ("a poisoned pickle", SOURCE, (TENSORS, POISONED), Status.FAIL, Status.FAIL),
        ("the prefix could not be listed", SOURCE, (LISTING_FAILED,), Status.ERROR, Status.ERROR),
        ("nothing inspected", SOURCE, (ELSEWHERE,), Status.ERROR, Status.ERROR),
        ("source unreadable", None, (TENSORS,), Status.ERROR, Status.ERROR),
    ],
)
def test_imported_model_artifact_checks(
    case: str, source: str | None, artifacts: tuple[S3ModelArtifact, ...], unsafe: Status, fmt: Status
) -> None:
    model = imported(source_s3_uri=source)
    assert bedrock.imported_model_artifact_is_free_of_unsafe_code(model, artifacts).status is unsafe, case
    assert bedrock.imported_model_artifact_uses_safe_format(model, artifacts).status is fmt, case


@pytest.mark.parametrize(
    ("case", "signature", "expected"),
    [
        ("verified", "verified", Status.PASS),
        ("invalid", "invalid", Status.FAIL),
        ("absent: every imported model is served", "absent", Status.FAIL),
        ("not verifiable offline", "unverifiable", Status.ERROR),
    ],
)
def test_imported_model_artifact_signature_verifies(case: str, signature: str, expected: Status) -> None:
    signed = TENSORS.model_copy(
        update={"signing_policy": "served", "signature": SignatureCheck(status=signature, method="key", detail="why")}
    )
    result = bedrock.imported_model_artifact_signature_verifies(imported(source_s3_uri=SOURCE), (signed,))
    assert result.status is expected, case
    assert result.evidence["artifacts"][0]["uri"] == TENSORS.uri
