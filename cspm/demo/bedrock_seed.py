"""The acme-ml account's Bedrock estate for ``cspm demo``, in the home region.

:func:`seed_bedrock` runs after :func:`cspm.demo.seed.seed` and adds, through boto3 against the
moto server (and, for the reads moto lacks, the simulator's state, :mod:`cspm.demo.bedrock_gaps`):

- **a fine-tuned model in production trained on public data**: the customization job
  ``support-llm-finetune`` trains ``support-llm-v1`` on chat transcripts in the public datasets
  bucket; the provisioned throughput ``support-llm-prod`` serves it
  (``aws.lineage.provisioned_model_training_data_is_not_broadly_writable`` fails);
- **an imported model**: ``llama-3-8b-acme``, copied in by a model import job from the private
  model-artifacts bucket;
- **the support assistant**: an agent whose knowledge base is fed from ``acme-ml-support-kb``, a
  bucket a content vendor's account may write to (indirect prompt injection:
  ``aws.lineage.agent_knowledge_base_data_is_not_broadly_writable`` fails), guarded by
  ``support-guardrail`` whose prompt-attack filter is only LOW; its refunds tool runs with a
  scoped role;
- **the ops copilot**: an agent without a guardrail whose runbook tool runs as a role that can
  pass the legacy SageMaker role (an administrator) to a training job
  (``aws.lineage.unguarded_agent_tools_cannot_reach_admin`` fails);
- **the HR policy bot**, which still names a guardrail that was deleted: its ``guarded_by``
  edge is unresolved, with the reason.

moto drops an agent's ``guardrailConfiguration`` and invents a KMS key for every custom model;
the simulator amends those answers to what AWS sends. Ids are moto's, drawn from the demo's
seeded generator (``DEMO_SEED``), or fixed here: two runs build the same estate.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from typing import Any

from cspm.demo.bedrock_gaps import GapState
from cspm.demo.seed import (
    HOME_REGION,
    PLANS,
    TAGS,
    BucketSpec,
    Clients,
    Seeded,
    _bucket,
    _doc,
    _role,
    _trust,
    role_arn,
)

REGION = HOME_REGION
CONTENT_VENDOR = "456789012345"  # writes the support articles into the knowledge-base bucket
KB_BUCKET = "acme-ml-support-kb"
PUBLIC_CHATS = "s3://acme-ml-datasets-public/support-chats/2026-q3/"
FINETUNE_JOB = "support-llm-finetune"
CUSTOM_MODEL = "support-llm-v1"
THROUGHPUT = "support-llm-prod"
IMPORT_JOB = "import-llama-3-8b-acme"
IMPORTED_MODEL = "llama-3-8b-acme"
GUARDRAIL_ID = "sg4d3m0gr1a1"
DELETED_GUARDRAIL = "hr0ld9uardr1"
BASE_MODEL = "amazon.titan-text-express-v1"
AGENT_MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
WHEN = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
LAMBDA_TRUST = _trust({"Service": "lambda.amazonaws.com"})


def _bedrock_trust(account: str) -> str:
    """Bedrock's service principal, limited to this account (Bedrock's confused-deputy advice)."""
    return _trust({"Service": "bedrock.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": account}})


def seed_bedrock(clients: Clients, out: Seeded, gaps: GapState) -> list[str]:
    """Create the Bedrock estate in the home region; returns the names it created (also in
    ``out.bedrock``). Does nothing when the home region was not seeded."""
    if HOME_REGION not in out.sagemaker:
        return []
    account = out.account
    _roles(clients("iam"), account)
    _knowledge_base_bucket(clients("s3"), out)
    _imported_weights(clients("s3"))
    functions = _functions(clients("lambda"), account)
    names = _models(clients("bedrock"), gaps, account)
    names += _agents(clients("bedrock-agent"), gaps, account, functions)
    out.bedrock = names
    return names


# -- IAM, S3 and Lambda --------------------------------------------------------------------------


def _roles(iam: Any, account: str) -> None:
    artifacts = PLANS[HOME_REGION].artifact_bucket
    bedrock_trust = _bedrock_trust(account)
    scoped = {
        "AcmeBedrockCustomization": (
            bedrock_trust,
            _read_write("acme-ml-datasets-public/support-chats/*", f"{artifacts}/bedrock/*"),
        ),
        "AcmeBedrockModelImport": (bedrock_trust, _read_write(f"{artifacts}/imports/*", None)),
        "AcmeBedrockKnowledgeBase": (bedrock_trust, _read_write(f"{KB_BUCKET}/*", None)),
        "AcmeBedrockAgent": (
            bedrock_trust,
            _doc(
                {
                    "Effect": "Allow",
                    "Action": ["bedrock:InvokeModel", "bedrock:Retrieve", "bedrock:ApplyGuardrail"],
                    "Resource": "*",
                }
            ),
        ),
        "AcmeAgentTool-Refunds": (
            LAMBDA_TRUST,
            _doc(
                {
                    "Effect": "Allow",
                    "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
                    "Resource": f"arn:aws:dynamodb:{REGION}:{account}:table/refunds",
                }
            ),
        ),
        # "It needs to start retraining from a runbook": PassRole of any role and CreateTrainingJob
        # let it run code as the legacy SageMaker role, an administrator.
        "AcmeAgentTool-Ops": (
            LAMBDA_TRUST,
            _doc(
                {
                    "Effect": "Allow",
                    "Action": ["sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "iam:PassRole"],
                    "Resource": "*",
                }
            ),
        ),
    }
    for name, (trust, policy) in scoped.items():
        _role(iam, name, trust)
        iam.put_role_policy(RoleName=name, PolicyName="main", PolicyDocument=policy)


def _read_write(read: str, write: str | None) -> str:
    statements = [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": f"arn:aws:s3:::{read}"}]
    if write:
        statements.append({"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{write}"})
    return _doc(*statements)


def _knowledge_base_bucket(s3: Any, out: Seeded) -> None:
    _bucket(s3, BucketSpec(KB_BUCKET, REGION, versioning=True, tags={"data": "knowledge-base"}), out)
    vendor_writes = {
        "Sid": "ContentVendorUploads",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{CONTENT_VENDOR}:root"},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{KB_BUCKET}/articles/*",
    }
    s3.put_bucket_policy(Bucket=KB_BUCKET, Policy=_doc(vendor_writes))
    out.buckets.append(KB_BUCKET)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {'messageVersion': '1.0'}\n")
    return buffer.getvalue()


def _functions(lambda_client: Any, account: str) -> dict[str, str]:
    """The agents' tools: function name -> ARN."""
    out = {}
    for name, role in (("acme-refunds-tool", "AcmeAgentTool-Refunds"), ("acme-ops-runbook", "AcmeAgentTool-Ops")):
        created = lambda_client.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role_arn(account, role),
            Handler="handler.handler",
            Code={"ZipFile": _zip()},
            Tags=TAGS,
        )
        out[name] = created["FunctionArn"]
    return out


# -- Models --------------------------------------------------------------------------------------


def _imported_weights(s3: Any) -> None:
    """The folder the imported model was copied from: safetensors weights and their config (read
    by --inspect-artifacts: the imported model's artifact checks pass)."""
    import json
    import struct

    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode()
    prefix = "imports/llama-3-8b/"
    bucket = PLANS[HOME_REGION].artifact_bucket
    s3.put_object(
        Bucket=bucket, Key=f"{prefix}model.safetensors", Body=struct.pack("<Q", len(header)) + header + bytes(16)
    )
    s3.put_object(Bucket=bucket, Key=f"{prefix}config.json", Body=b'{"architectures": ["LlamaForCausalLM"]}')


def _arn(account: str, resource: str) -> str:
    return f"arn:aws:bedrock:{REGION}:{account}:{resource}"


def _models(bedrock: Any, gaps: GapState, account: str) -> list[str]:
    artifacts = PLANS[HOME_REGION].artifact_bucket
    bedrock.create_model_customization_job(
        jobName=FINETUNE_JOB,
        customModelName=CUSTOM_MODEL,
        roleArn=role_arn(account, "AcmeBedrockCustomization"),
        baseModelIdentifier=BASE_MODEL,
        trainingDataConfig={"s3Uri": PUBLIC_CHATS},
        outputDataConfig={"s3Uri": f"s3://{artifacts}/bedrock/{FINETUNE_JOB}/"},
        hyperParameters={"epochCount": "2", "learningRate": "0.00001"},
        jobTags=[{"key": k, "value": v} for k, v in TAGS.items()],
    )
    # AWS: a finished job, and no modelKmsKeyArn when none was given (moto invents one).
    gaps.amend(REGION, "GetModelCustomizationJob", FINETUNE_JOB, {"status": "Completed", "outputModelKmsKeyArn": None})
    gaps.amend(REGION, "GetCustomModel", CUSTOM_MODEL, {"modelKmsKeyArn": None})
    gaps.add(
        "throughputs",
        REGION,
        {
            "provisionedModelName": THROUGHPUT,
            "provisionedModelArn": _arn(account, "provisioned-model/sp9r0d7hr0ug"),
            "modelArn": _arn(account, f"custom-model/{CUSTOM_MODEL}"),
            "desiredModelArn": _arn(account, f"custom-model/{CUSTOM_MODEL}"),
            "foundationModelArn": f"arn:aws:bedrock:{REGION}::foundation-model/{BASE_MODEL}",
            "modelUnits": 1,
            "desiredModelUnits": 1,
            "status": "InService",
            "commitmentDuration": "OneMonth",
            "creationTime": WHEN,
            "lastModifiedTime": WHEN,
        },
    )
    source = {"s3DataSource": {"s3Uri": f"s3://{artifacts}/imports/llama-3-8b/"}}
    job_arn = _arn(account, "model-import-job/l1ama3imp0rt")
    imported = _arn(account, f"imported-model/{IMPORTED_MODEL}")
    common = {"jobArn": job_arn, "jobName": IMPORT_JOB, "modelDataSource": source, "creationTime": WHEN}
    gaps.add(
        "import_jobs",
        REGION,
        common
        | {
            "importedModelName": IMPORTED_MODEL,
            "importedModelArn": imported,
            "roleArn": role_arn(account, "AcmeBedrockModelImport"),
            "status": "Completed",
            "endTime": WHEN,
        },
    )
    gaps.add(
        "imported_models",
        REGION,
        common | {"modelArn": imported, "modelName": IMPORTED_MODEL, "modelArchitecture": "llama3"},
    )
    return [FINETUNE_JOB, CUSTOM_MODEL, THROUGHPUT, IMPORT_JOB, IMPORTED_MODEL]


# -- Guardrails, knowledge base, agents ----------------------------------------------------------


def _guardrail(account: str) -> dict[str, Any]:
    return {
        "name": "support-guardrail",
        "guardrailId": GUARDRAIL_ID,
        "guardrailArn": _arn(account, f"guardrail/{GUARDRAIL_ID}"),
        "status": "READY",
        "createdAt": WHEN,
        "updatedAt": WHEN,
        "blockedInputMessaging": "Sorry, I cannot help with that.",
        "blockedOutputsMessaging": "Sorry, I cannot help with that.",
        # Tuned down after false positives on refund requests: prompt attacks only at LOW.
        "contentPolicy": {
            "filters": [
                {"type": "PROMPT_ATTACK", "inputStrength": "LOW", "outputStrength": "NONE"},
                {"type": "INSULTS", "inputStrength": "MEDIUM", "outputStrength": "MEDIUM"},
            ]
        },
        "sensitiveInformationPolicy": {"piiEntities": [{"type": "CREDIT_DEBIT_CARD_NUMBER", "action": "BLOCK"}]},
    }


def _agents(agents: Any, gaps: GapState, account: str, functions: dict[str, str]) -> list[str]:
    draft = _guardrail(account)
    gaps.add_guardrail(REGION, draft, [draft | {"version": "1"}])
    kb = agents.create_knowledge_base(
        name="support-articles",
        roleArn=role_arn(account, "AcmeBedrockKnowledgeBase"),
        knowledgeBaseConfiguration={
            "type": "VECTOR",
            "vectorKnowledgeBaseConfiguration": {
                "embeddingModelArn": f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-embed-text-v2:0"
            },
        },
        storageConfiguration={
            "type": "OPENSEARCH_SERVERLESS",
            "opensearchServerlessConfiguration": {
                "collectionArn": f"arn:aws:aoss:{REGION}:{account}:collection/support-articles",
                "vectorIndexName": "articles",
                "fieldMapping": {"vectorField": "v", "textField": "t", "metadataField": "m"},
            },
        },
        tags=TAGS,
    )["knowledgeBase"]
    gaps.add_child(
        "data_sources",
        REGION,
        kb["knowledgeBaseId"],
        {
            "knowledgeBaseId": kb["knowledgeBaseId"],
            "dataSourceId": "SUPPORTDS1",
            "name": "vendor-articles",
            "status": "AVAILABLE",
            "dataSourceConfiguration": {
                "type": "S3",
                "s3Configuration": {"bucketArn": f"arn:aws:s3:::{KB_BUCKET}", "inclusionPrefixes": ["articles/"]},
            },
            "dataDeletionPolicy": "RETAIN",
            "createdAt": WHEN,
            "updatedAt": WHEN,
        },
    )
    support = _agent(agents, gaps, account, "support-assistant", (GUARDRAIL_ID, "1"))
    gaps.add_child(
        "agent_knowledge_bases",
        REGION,
        support,
        {"knowledgeBaseId": kb["knowledgeBaseId"], "knowledgeBaseState": "ENABLED", "updatedAt": WHEN},
    )
    _action_group(gaps, support, "refunds", functions["acme-refunds-tool"])
    ops = _agent(agents, gaps, account, "ops-copilot", None)
    _action_group(gaps, ops, "runbook-actions", functions["acme-ops-runbook"])
    _agent(agents, gaps, account, "hr-policy-bot", (DELETED_GUARDRAIL, "2"))
    return ["support-guardrail", "support-articles", "support-assistant", "ops-copilot", "hr-policy-bot"]


def _agent(agents: Any, gaps: GapState, account: str, name: str, guardrail: tuple[str, str] | None) -> str:
    agent = agents.create_agent(
        agentName=name,
        agentResourceRoleArn=role_arn(account, "AcmeBedrockAgent"),
        foundationModel=AGENT_MODEL,
        instruction=f"You are acme's {name.replace('-', ' ')}: answer from acme's own documents only.",
        idleSessionTTLInSeconds=900,
        tags=TAGS,
    )["agent"]
    if guardrail is not None:  # moto drops guardrailConfiguration; AWS returns it
        identifier, version = guardrail
        config = {"guardrailIdentifier": identifier, "guardrailVersion": version}
        gaps.amend(REGION, "GetAgent", agent["agentId"], {"guardrailConfiguration": config})
    return str(agent["agentId"])


def _action_group(gaps: GapState, agent_id: str, name: str, function_arn: str) -> None:
    gaps.add_child(
        "action_groups",
        REGION,
        agent_id,
        {
            "agentId": agent_id,
            "agentVersion": "DRAFT",
            "actionGroupId": f"AG{name.upper().replace('-', '')[:8]}",
            "actionGroupName": name,
            "actionGroupState": "ENABLED",
            "actionGroupExecutor": {"lambda": function_arn},
            "functionSchema": {"functions": [{"name": name.replace("-", "_"), "description": name}]},
            "createdAt": WHEN,
            "updatedAt": WHEN,
        },
    )
