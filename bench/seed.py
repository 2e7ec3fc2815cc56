"""A large synthetic ML account for the benchmark, created with boto3 over the wire (threaded).

Sizes are parameters (:class:`Size`); the defaults are the benchmark's minimums: 1,000 buckets,
500 roles, 200 users and 300 SageMaker resources across two regions. Buckets cycle through a mix
of settings (KMS / SSE-S3 / none, versioning, Block Public Access, TLS-only / public /
cross-account policies, public ACLs, access logging) so the scanner reads every kind of answer,
including "not configured".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

REGIONS = ("us-east-1", "eu-west-1")
ACCOUNT = "123456789012"
GROUPS = 10
POLICIES = 50
SECURITY_GROUPS_PER_REGION = 20
IMAGE = "763104351884.dkr.ecr.{region}.amazonaws.com/pytorch-training:2.3.0-cpu-py311"


@dataclass(frozen=True)
class Size:
    buckets: int = 1000
    roles: int = 500
    users: int = 200
    sagemaker: int = 300  # across all regions: notebooks, training jobs, models, configs, endpoints
    # across all regions: customization jobs (and their custom models), agents, knowledge bases,
    # AgentCore runtimes, gateways, memories (moto); guardrails, imported models, import jobs and
    # provisioned throughputs are held by the server's gap layer (bedrock_gap_state)
    bedrock: int = 120
    regions: tuple[str, ...] = REGIONS


@dataclass
class Seeded:
    buckets: list[str] = field(default_factory=list)
    roles: int = 0
    users: int = 0
    groups: int = 0
    policies: int = 0
    sagemaker: dict[str, int] = field(default_factory=dict)  # kind -> count
    bedrock: dict[str, int] = field(default_factory=dict)  # kind -> count (moto-held kinds)
    security_groups: int = 0
    vpcs: int = 0


def _strip_account_prefix(request: Any, **_: Any) -> None:
    request.url = re.sub(r"^(https?://)\d{12}\.", r"\1", request.url)


class Clients:
    def __init__(self, endpoint_url: str, threads: int) -> None:
        self.session = boto3.Session(aws_access_key_id="bench", aws_secret_access_key="bench", region_name=REGIONS[0])
        self.endpoint_url = endpoint_url
        self.config = Config(
            retries={"mode": "standard", "max_attempts": 5},
            max_pool_connections=threads * 2,
            read_timeout=120,
        )
        self._cache: dict[tuple[str, str], Any] = {}

    def get(self, service: str, region: str = REGIONS[0]) -> Any:
        # Created up front from the main thread (client creation is not thread-safe), then shared.
        key = (service, region)
        if key not in self._cache:
            client = self.session.client(
                service, region_name=region, endpoint_url=self.endpoint_url, config=self.config
            )
            if service == "s3control":
                client.meta.events.register("before-send.s3-control.*", _strip_account_prefix)
            self._cache[key] = client
        return self._cache[key]


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def seed(endpoint_url: str, size: Size, *, threads: int = 8, progress: Callable[[str], None] = print) -> Seeded:
    clients = Clients(endpoint_url, threads)
    for region in size.regions:
        for service in ("s3", "ec2", "sagemaker", "kms", "bedrock", "bedrock-agent", "bedrock-agentcore-control"):
            clients.get(service, region)
    clients.get("iam")
    out = Seeded()
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bench-seed") as pool:

        def run(label: str, fn: Callable[[Any], None], items: Iterable[Any]) -> None:
            for _ in pool.map(fn, list(items)):
                pass
            progress(label)

        def serial(label: str, fn: Callable[[Any], None], items: Iterable[Any]) -> None:
            for item in items:
                fn(item)
            progress(label)

        keys = {r: clients.get("kms", r).create_key(Description="bench")["KeyMetadata"]["Arn"] for r in size.regions}
        # IAM one call at a time: moto's IAM backend is not thread-safe, and concurrent
        # PutRolePolicy calls were answered HTTP 500 (the benchmark then stopped at seeding).
        _seed_iam(clients, size, out, serial)
        _seed_s3(clients, size, keys, out, run)
        for region in size.regions:
            _seed_region(clients, size, region, keys[region], out, run)
            _seed_bedrock(clients, size, region, keys[region], out, run)
    return out


# ---------------------------------------------------------------------------------------------
# Bedrock and AgentCore
# ---------------------------------------------------------------------------------------------

BEDROCK_KINDS = ("customization_jobs", "agents", "knowledge_bases", "runtimes", "gateways", "memories")


def _seed_bedrock(clients: Clients, size: Size, region: str, key: str, out: Seeded, run: Callable[..., None]) -> None:
    """Every other resource is configured well (customer key, VPC, guardrail), the rest not."""
    per_kind = max(1, size.bedrock // len(size.regions) // len(BEDROCK_KINDS))
    bedrock, agents = clients.get("bedrock", region), clients.get("bedrock-agent", region)
    control = clients.get("bedrock-agentcore-control", region)
    role = f"arn:aws:iam::{ACCOUNT}:role/bench-role-0000"

    def customization_job(i: int) -> None:
        extra: dict[str, Any] = {"customModelKmsKeyId": key} if i % 2 else {}
        bedrock.create_model_customization_job(
            jobName=f"bench-ft-{i:03d}",
            customModelName=f"bench-custom-{i:03d}",
            roleArn=role,
            baseModelIdentifier="amazon.titan-text-express-v1",
            trainingDataConfig={"s3Uri": f"s3://bench-{i % 50:04d}/train.jsonl"},
            outputDataConfig={"s3Uri": "s3://bench-0001-artifacts/ft/"},
            hyperParameters={"epochCount": "1"},
            **extra,
        )

    def agent(i: int) -> None:
        agents.create_agent(
            agentName=f"bench-agent-{i:03d}",
            agentResourceRoleArn=role,
            foundationModel="anthropic.claude-3-haiku",
            **({"customerEncryptionKeyArn": key} if i % 2 else {}),
        )

    def knowledge_base(i: int) -> None:
        model = f"arn:aws:bedrock:{region}::foundation-model/amazon.titan-embed-text-v2:0"
        agents.create_knowledge_base(
            name=f"bench-kb-{i:03d}",
            roleArn=role,
            knowledgeBaseConfiguration={
                "type": "VECTOR",
                "vectorKnowledgeBaseConfiguration": {"embeddingModelArn": model},
            },
            storageConfiguration={"type": "OPENSEARCH_SERVERLESS"},
        )

    def runtime(i: int) -> None:
        control.create_agent_runtime(
            agentRuntimeName=f"bench_runtime_{i:03d}",
            agentRuntimeArtifact={"containerConfiguration": {"containerUri": IMAGE.format(region=region)}},
            roleArn=role,
            networkConfiguration={"networkMode": "VPC" if i % 2 else "PUBLIC"},
        )

    def gateway(i: int) -> None:
        control.create_gateway(
            name=f"bench-gw-{i:03d}", roleArn=role, protocolType="MCP", authorizerType="AWS_IAM" if i % 2 else "NONE"
        )

    def memory(i: int) -> None:
        control.create_memory(name=f"bench_memory_{i:03d}", eventExpiryDuration=30)

    bedrock.put_model_invocation_logging_configuration(
        loggingConfig={"s3Config": {"bucketName": "bench-0001-artifacts", "keyPrefix": "bedrock/"}}
    )
    for kind, fn in zip(
        BEDROCK_KINDS, (customization_job, agent, knowledge_base, runtime, gateway, memory), strict=True
    ):
        run(f"{per_kind} Bedrock {kind.replace('_', ' ')} in {region}", fn, range(per_kind))
        out.bedrock[kind] = out.bedrock.get(kind, 0) + per_kind


def bedrock_gap_state(per_region: int, regions: tuple[str, ...] = REGIONS) -> Any:
    """The gap layer's state for the benchmark server: ``per_region`` guardrails (with one
    published version), imported models with their import jobs, and provisioned throughputs in
    each region."""
    from cspm.demo.bedrock_gaps import GapState

    state = GapState()
    for region in regions:
        arn = f"arn:aws:bedrock:{region}:{ACCOUNT}"
        for i in range(per_region):
            guardrail = {
                "guardrailId": f"bench{i:04d}",
                "guardrailArn": f"{arn}:guardrail/bench{i:04d}",
                "name": f"bench-guardrail-{i:03d}",
                "status": "READY",
                "contentPolicy": {"filters": [{"type": "PROMPT_ATTACK", "inputStrength": ("HIGH", "LOW")[i % 2]}]},
            }
            state.add_guardrail(region, guardrail, [guardrail | {"version": "1"}])
            source = {"s3DataSource": {"s3Uri": f"s3://bench-{i % 50:04d}/weights/"}}
            model = f"{arn}:imported-model/bench-imported-{i:03d}"
            state.add(
                "imported_models",
                region,
                {"modelArn": model, "modelName": f"bench-imported-{i:03d}", "modelDataSource": source},
            )
            job = {"jobArn": f"{arn}:model-import-job/bench-import-{i:03d}", "jobName": f"bench-import-{i:03d}"}
            state.add(
                "import_jobs",
                region,
                job | {"importedModelArn": model, "modelDataSource": source, "status": "Completed"},
            )
            pt = {
                "provisionedModelArn": f"{arn}:provisioned-model/bench-pt-{i:03d}",
                "provisionedModelName": f"bench-pt-{i:03d}",
            }
            state.add("throughputs", region, pt | {"modelArn": model, "status": "InService", "modelUnits": 1})
    return state


# ---------------------------------------------------------------------------------------------
# IAM
# ---------------------------------------------------------------------------------------------


def _trust(i: int) -> str:
    kind = i % 4
    if kind == 0:
        principal: dict[str, Any] = {"Service": "sagemaker.amazonaws.com"}
    elif kind == 1:
        principal = {"Service": "ec2.amazonaws.com"}
    elif kind == 2:
        principal = {"Service": "lambda.amazonaws.com"}
    else:
        principal = {"AWS": f"arn:aws:iam::{210987654321 + i % 7}:root"}
    return _doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


def _policy_document(i: int) -> str:
    if i % 10 == 0:
        return _doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
    if i % 10 == 1:
        return _doc({"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"})
    return _doc(
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::bench-{i:04d}-data", f"arn:aws:s3:::bench-{i:04d}-data/*"],
        }
    )


def _seed_iam(clients: Clients, size: Size, out: Seeded, run: Callable[..., None]) -> None:
    iam = clients.get("iam")
    arns: list[str] = []

    def policy(i: int) -> None:
        arns.append(
            iam.create_policy(PolicyName=f"bench-policy-{i:03d}", PolicyDocument=_policy_document(i))["Policy"]["Arn"]
        )

    run(f"{POLICIES} managed policies", policy, range(POLICIES))
    arns.sort()

    def group(i: int) -> None:
        iam.create_group(GroupName=f"bench-group-{i:02d}")
        iam.attach_group_policy(GroupName=f"bench-group-{i:02d}", PolicyArn=arns[i % len(arns)])

    run(f"{GROUPS} groups", group, range(GROUPS))

    def role(i: int) -> None:
        name = f"bench-role-{i:04d}"
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(i))
        if i % 2:
            iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=_policy_document(i))
        else:
            iam.attach_role_policy(RoleName=name, PolicyArn=arns[i % len(arns)])

    run(f"{size.roles} roles", role, range(size.roles))

    def user(i: int) -> None:
        name = f"bench-user-{i:04d}"
        iam.create_user(UserName=name)
        iam.add_user_to_group(GroupName=f"bench-group-{i % GROUPS:02d}", UserName=name)
        if i % 2:
            iam.create_login_profile(UserName=name, Password="Bench-password-1")
        if i % 3 == 0:
            iam.create_access_key(UserName=name)

    run(f"{size.users} users", user, range(size.users))
    out.roles, out.users, out.groups, out.policies = size.roles, size.users, GROUPS, POLICIES


# ---------------------------------------------------------------------------------------------
# S3
# ---------------------------------------------------------------------------------------------

ALL_BLOCKED = {k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}


def _bucket_policy(name: str, i: int) -> str | None:
    arn = f"arn:aws:s3:::{name}"
    kind = i % 5
    if kind == 0:
        return _doc(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        )
    if kind == 1:
        return _doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{arn}/*"})
    if kind == 2:
        return _doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [arn, f"{arn}/*"],
            }
        )
    return None


def _seed_s3(clients: Clients, size: Size, keys: dict[str, str], out: Seeded, run: Callable[..., None]) -> None:
    log_buckets = {region: f"bench-access-logs-{region}" for region in size.regions}

    def log_bucket(region: str) -> None:
        name = log_buckets[region]
        s3 = clients.get("s3", region)
        _create(s3, name, region)
        policy = {
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{name}/*",
        }
        s3.put_bucket_policy(Bucket=name, Policy=_doc(policy))

    run(f"{len(log_buckets)} log buckets", log_bucket, size.regions)
    regions = list(size.regions)

    def bucket(i: int) -> None:
        # 70 % in the first region, the rest spread over the others.
        region = regions[0] if i % 10 < 7 or len(regions) == 1 else regions[1 + i % (len(regions) - 1)]
        name = f"bench-{i:04d}-{('data', 'artifacts', 'features', 'capture')[i % 4]}"
        s3 = clients.get("s3", region)
        public_acl = i % 10 == 7
        _create(s3, name, region, ownership="ObjectWriter" if public_acl else ("BucketOwnerEnforced", None)[i % 2])
        if i % 3 == 0:
            rule: dict[str, Any] = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": keys[region]}
        elif i % 3 == 1:
            rule = {"SSEAlgorithm": "AES256"}
        else:
            rule = {}
        if rule:
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": rule}]},
            )
        if i % 2 == 0:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        if public_acl:
            s3.put_bucket_acl(Bucket=name, ACL="public-read")
        policy = _bucket_policy(name, i)
        if policy:
            s3.put_bucket_policy(Bucket=name, Policy=policy)
        if i % 4 != 3:
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=ALL_BLOCKED)
        if i % 6 == 0:
            s3.put_bucket_logging(
                Bucket=name,
                BucketLoggingStatus={
                    "LoggingEnabled": {"TargetBucket": log_buckets[region], "TargetPrefix": f"{name}/"}
                },
            )
        out.buckets.append(name)

    run(f"{size.buckets} buckets", bucket, range(size.buckets))


def _create(s3: Any, name: str, region: str, ownership: str | None = None) -> None:
    params: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": region}
    if ownership:
        params["ObjectOwnership"] = ownership
    s3.create_bucket(**params)


# ---------------------------------------------------------------------------------------------
# VPC and SageMaker, per region
# ---------------------------------------------------------------------------------------------


def _seed_region(clients: Clients, size: Size, region: str, key: str, out: Seeded, run: Callable[..., None]) -> None:
    ec2 = clients.get("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24", AvailabilityZone=f"{region}a")["Subnet"]["SubnetId"]
    ec2.create_vpc_endpoint(VpcId=vpc, VpcEndpointType="Gateway", ServiceName=f"com.amazonaws.{region}.s3")
    out.vpcs += 1

    groups: list[str] = []

    def security_group(i: int) -> None:
        group = ec2.create_security_group(GroupName=f"bench-sg-{i:02d}", Description="bench", VpcId=vpc)["GroupId"]
        cidr = "0.0.0.0/0" if i % 3 == 0 else "10.40.0.0/16"
        port = (22, 443, 8888, 3389)[i % 4]
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}],
        )
        groups.append(group)

    run(f"{SECURITY_GROUPS_PER_REGION} security groups in {region}", security_group, range(SECURITY_GROUPS_PER_REGION))
    out.security_groups += SECURITY_GROUPS_PER_REGION

    sm = clients.get("sagemaker", region)
    per_region = size.sagemaker // len(size.regions)
    counts = {
        "notebooks": per_region * 20 // 100,
        "training_jobs": per_region * 30 // 100,
        "models": per_region * 20 // 100,
        "endpoint_configs": per_region * 15 // 100,
    }
    counts["endpoints"] = per_region - sum(counts.values())
    counts["endpoints"] = min(counts["endpoints"], counts["endpoint_configs"] * 2)
    role = f"arn:aws:iam::{ACCOUNT}:role/bench-role-0000"
    vpc_config = {"SecurityGroupIds": [groups[1]], "Subnets": [subnet]}
    image = IMAGE.format(region=region)

    def notebook(i: int) -> None:
        params: dict[str, Any] = {"DirectInternetAccess": "Enabled", "RootAccess": "Enabled"}
        if i % 2:
            params = {
                "SubnetId": subnet,
                "SecurityGroupIds": [groups[1]],
                "KmsKeyId": key,
                "DirectInternetAccess": "Disabled",
                "RootAccess": "Disabled",
            }
        sm.create_notebook_instance(
            NotebookInstanceName=f"bench-nb-{i:03d}", InstanceType="ml.t3.medium", RoleArn=role, **params
        )

    def training_job(i: int) -> None:
        params: dict[str, Any] = {}
        output: dict[str, Any] = {"S3OutputPath": "s3://bench-0001-artifacts/out"}
        resources: dict[str, Any] = {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 50}
        if i % 2:
            params = {
                "VpcConfig": vpc_config,
                "EnableNetworkIsolation": True,
                "EnableInterContainerTrafficEncryption": True,
            }
            output["KmsKeyId"] = key
            resources["VolumeKmsKeyId"] = key
        sm.create_training_job(
            TrainingJobName=f"bench-job-{i:04d}",
            AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
            RoleArn=role,
            OutputDataConfig=output,
            ResourceConfig=resources,
            StoppingCondition={"MaxRuntimeInSeconds": 3600},
            **params,
        )

    def model(i: int) -> None:
        params: dict[str, Any] = {"VpcConfig": vpc_config} if i % 2 else {}
        sm.create_model(
            ModelName=f"bench-model-{i:03d}",
            ExecutionRoleArn=role,
            PrimaryContainer={"Image": image, "ModelDataUrl": "s3://bench-0001-artifacts/model.tar.gz"},
            **params,
        )

    def endpoint_config(i: int) -> None:
        params: dict[str, Any] = {"KmsKeyId": key} if i % 2 else {}
        sm.create_endpoint_config(
            EndpointConfigName=f"bench-config-{i:03d}",
            ProductionVariants=[
                {
                    "VariantName": "primary",
                    "ModelName": f"bench-model-{i % counts['models']:03d}",
                    "InitialInstanceCount": 1 + i % 2,
                    "InstanceType": "ml.m5.large",
                }
            ],
            **params,
        )

    def endpoint(i: int) -> None:
        sm.create_endpoint(
            EndpointName=f"bench-endpoint-{i:03d}",
            EndpointConfigName=f"bench-config-{i % counts['endpoint_configs']:03d}",
        )

    for kind, fn in (
        ("notebooks", notebook),
        ("training_jobs", training_job),
        ("models", model),
        ("endpoint_configs", endpoint_config),
        ("endpoints", endpoint),
    ):
        run(f"{counts[kind]} SageMaker {kind.replace('_', ' ')} in {region}", fn, range(counts[kind]))
        out.sagemaker[kind] = out.sagemaker.get(kind, 0) + counts[kind]
