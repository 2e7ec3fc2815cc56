"""The small AI account the resilience tests scan, its canary secrets, and how they scan it.

Imported by the resilience tests as ``resilience.account`` (``tests`` is on the pytest
pythonpath). Everything is created through the fault server's wire (with no faults), except the
SageMaker fields moto drops, which :func:`support.aws.patch_sagemaker` sets on moto's in-process
backend.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3

from support.aws import ACCOUNT, patch_sagemaker, s3control_client

REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/rs-scoped-exec"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/rs-trainer:1.0"
ALL_BLOCKED = {k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


SAGEMAKER_TRUST = doc(
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
)


# ---------------------------------------------------------------------------------------------
# Canaries: unique random strings shaped like the secrets they stand for
# ---------------------------------------------------------------------------------------------


def _random(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Canaries:
    """One fresh set per test session; each value exists nowhere else."""

    aws_secret_access_key: str
    aws_session_token: str
    azure_client_secret: str
    training_environment: str  # a training job's Environment value (HF_TOKEN)
    hyperparameter: str  # a training job's hyperparameter (wandb_api_key)
    lifecycle_script: str  # a token in a notebook lifecycle script (base64 in the API)
    bucket_tag: str  # an S3 bucket tag value
    role_tag: str  # an IAM role tag value
    security_group_tag: str  # an EC2 security group tag value
    policy_condition: str  # the sts:ExternalId condition value in a role's trust policy
    error_message: str  # inside the message of an AccessDenied answered for one API
    # Issue 11: short secret-named tag keys, provider keys under neutral keys, prose, shell idioms
    pw_tag: str  # an IAM user tag "pw"
    cred_tag: str  # an IAM role tag "cred"
    anthropic_tag: str  # sk-ant-api03-... under the neutral IAM role tag key "owner"
    openai_tag: str  # sk-proj-... under the neutral IAM role tag key "contact"
    slack_tag: str  # xoxb-... under the neutral security group tag key "channel"
    gitlab_tag: str  # glpat-... under the neutral security group tag key "repo"
    google_tag: str  # AIza... under the neutral IAM user tag key "maps"
    prose_tag: str  # "the root password is ..." in the IAM user tag "note"
    rule_description: str  # "root password is ..." in an ingress rule's description (finding evidence)
    mysql_password: str  # lifecycle script: mysql -uroot -p...
    sudo_password: str  # lifecycle script: echo "..." | sudo -S ...
    bearer_token: str  # lifecycle script: curl -H "Authorization: Bearer sk-ant-..."

    @classmethod
    def fresh(cls) -> Canaries:
        return cls(
            aws_secret_access_key=_random(ALNUM + "/+", 40),
            aws_session_token="IQoJb3JpZ2luX2Vj" + _random(ALNUM, 120),
            azure_client_secret=_random(ALNUM, 3) + "8Q~" + _random(ALNUM + "_-.", 34),
            training_environment="hf_" + _random(ALNUM, 36),
            hyperparameter=_random("0123456789abcdef", 40),
            lifecycle_script="sk-proj-" + _random(ALNUM, 48),
            bucket_tag="ghp_" + _random(ALNUM, 36),
            role_tag="xoxb-" + _random(string.digits, 12) + "-" + _random(ALNUM, 24),
            security_group_tag="glpat-" + _random(ALNUM, 20),
            policy_condition="ext-" + _random(ALNUM, 32),
            error_message="AKIA" + _random(string.ascii_uppercase + string.digits, 16),
            pw_tag=_random(ALNUM, 20),
            cred_tag=_random(ALNUM, 24),
            anthropic_tag="sk-ant-api03-" + _random(ALNUM + "_-", 80) + "AA",
            openai_tag="sk-proj-" + _random(ALNUM + "_-", 60) + "Aa",
            slack_tag="xoxb-"
            + _random(string.digits, 12)
            + "-"
            + _random(string.digits, 13)
            + "-"
            + _random(ALNUM, 24),
            gitlab_tag="glpat-" + _random(ALNUM, 20),
            google_tag="AIza" + _random(ALNUM, 35),
            prose_tag="R0" + _random(ALNUM, 22),
            rule_description="R0" + _random(ALNUM, 22),
            mysql_password="My" + _random(ALNUM, 22),
            sudo_password="Su" + _random(ALNUM, 22),
            bearer_token="sk-ant-api03-" + _random(ALNUM, 60) + "AA",
        )

    def items(self) -> Iterable[tuple[str, str]]:
        return self.__dict__.items()

    @property
    def environment(self) -> dict[str, str]:
        """The scanner's own environment canaries."""
        return {
            "AWS_SECRET_ACCESS_KEY": self.aws_secret_access_key,
            "AWS_SESSION_TOKEN": self.aws_session_token,
            "AZURE_CLIENT_SECRET": self.azure_client_secret,
        }


# The API whose AccessDenied carries the error_message canary, and what it affects.
CANARY_ERROR_OPERATION = "kms:GetKeyRotationStatus"


# ---------------------------------------------------------------------------------------------
# Seeding
# ---------------------------------------------------------------------------------------------


def _client(url: str, service: str, region: str = REGION) -> Any:
    return boto3.client(service, region_name=region, endpoint_url=url)


def seed(url: str, canaries: Canaries) -> None:
    """A few of everything the scanner reads: buckets, roles, a VPC with security groups,
    SageMaker training job / notebook / lifecycle configuration / model, ECR, KMS, CloudTrail,
    Bedrock, a Lambda function."""
    key = _seed_kms(url)
    _seed_s3(url, key, canaries)
    _seed_iam(url, canaries)
    _seed_ec2(url, canaries)
    _seed_sagemaker(url, key, canaries)
    _seed_ecr_and_trail(url)
    _seed_bedrock(url, key)
    _seed_lambda(url)


def _seed_kms(url: str) -> str:
    kms = _client(url, "kms")
    key: str = kms.create_key(Description="rs data key")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key)
    kms.create_alias(AliasName="alias/rs-data", TargetKeyId=key)
    return key


def _seed_s3(url: str, key: str, canaries: Canaries) -> None:
    s3 = _client(url, "s3")
    s3.create_bucket(Bucket="rs-access-logs")
    s3.put_bucket_policy(
        Bucket="rs-access-logs",
        Policy=doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::rs-access-logs/*",
            }
        ),
    )
    s3.create_bucket(Bucket="rs-training-data")
    s3.put_bucket_encryption(
        Bucket="rs-training-data",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]
        },
    )
    s3.put_bucket_versioning(Bucket="rs-training-data", VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(Bucket="rs-training-data", PublicAccessBlockConfiguration=ALL_BLOCKED)
    s3.put_bucket_policy(
        Bucket="rs-training-data",
        Policy=doc(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::rs-training-data", "arn:aws:s3:::rs-training-data/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ),
    )
    s3.put_bucket_logging(
        Bucket="rs-training-data",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "rs-access-logs", "TargetPrefix": "data/"}},
    )
    s3.put_bucket_tagging(
        Bucket="rs-training-data", Tagging={"TagSet": [{"Key": "deploy-token", "Value": canaries.bucket_tag}]}
    )
    s3.create_bucket(Bucket="rs-public-models", ObjectOwnership="ObjectWriter")
    s3.put_bucket_acl(Bucket="rs-public-models", ACL="public-read")
    s3.put_bucket_policy(
        Bucket="rs-public-models",
        Policy=doc(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::rs-public-models/*",
            }
        ),
    )
    s3control_client(url).put_public_access_block(
        AccountId=ACCOUNT,
        PublicAccessBlockConfiguration={**ALL_BLOCKED, "IgnorePublicAcls": False, "RestrictPublicBuckets": False},
    )


def _seed_iam(url: str, canaries: Canaries) -> None:
    iam = _client(url, "iam")
    iam.create_role(
        RoleName="rs-admin-exec",
        AssumeRolePolicyDocument=SAGEMAKER_TRUST,
        Tags=[{"Key": "cred", "Value": canaries.cred_tag}],
    )
    iam.put_role_policy(
        RoleName="rs-admin-exec",
        PolicyName="everything",
        PolicyDocument=doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
    )
    iam.create_role(
        RoleName="rs-scoped-exec",
        AssumeRolePolicyDocument=SAGEMAKER_TRUST,
        Tags=[
            {"Key": "slack-webhook-token", "Value": canaries.role_tag},
            {"Key": "owner", "Value": canaries.anthropic_tag},
            {"Key": "contact", "Value": canaries.openai_tag},
        ],
    )
    iam.put_role_policy(
        RoleName="rs-scoped-exec",
        PolicyName="read-data",
        PolicyDocument=doc(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::rs-training-data/*"}
        ),
    )
    vendor = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": canaries.policy_condition}},
    }
    iam.create_role(RoleName="rs-vendor", AssumeRolePolicyDocument=doc(vendor))
    unguarded = {k: v for k, v in vendor.items() if k != "Condition"}
    iam.create_role(RoleName="rs-vendor-unguarded", AssumeRolePolicyDocument=doc(unguarded))
    iam.create_user(
        UserName="rs-notebook-user",
        Tags=[
            {"Key": "pw", "Value": canaries.pw_tag},
            {"Key": "maps", "Value": canaries.google_tag},
            {"Key": "note", "Value": f"the root password is {canaries.prose_tag}"},
        ],
    )
    iam.create_login_profile(UserName="rs-notebook-user", Password="rs-Password-1")
    iam.update_account_password_policy(MinimumPasswordLength=8)


def _seed_ec2(url: str, canaries: Canaries) -> dict[str, str]:
    ec2 = _client(url, "ec2")
    vpc = ec2.create_vpc(
        CidrBlock="10.7.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "rs-ml-vpc"}]}],
    )["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    open_ssh = ec2.create_security_group(
        GroupName="rs-open-ssh",
        Description="ssh from anywhere",
        VpcId=vpc,
        TagSpecifications=[
            {
                "ResourceType": "security-group",
                "Tags": [
                    {"Key": "gitlab-token", "Value": canaries.security_group_tag},
                    {"Key": "channel", "Value": canaries.slack_tag},
                    {"Key": "repo", "Value": canaries.gitlab_tag},
                ],
            }
        ],
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=open_ssh,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [
                    {"CidrIp": "0.0.0.0/0", "Description": f"jump host, root password is {canaries.rule_description}"}
                ],
            }
        ],
    )
    restricted = ec2.create_security_group(GroupName="rs-restricted", Description="https in the VPC", VpcId=vpc)[
        "GroupId"
    ]
    ec2.authorize_security_group_ingress(
        GroupId=restricted,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.7.0.0/16"}]}],
    )
    return {"vpc": vpc, "subnet": subnet, "group": restricted}


def lifecycle_script(canaries: Canaries) -> str:
    return (
        "#!/bin/bash\nset -e\n"
        f"export OPENAI_API_KEY={canaries.lifecycle_script}\n"
        "sudo -u ec2-user -i pip install -q openai\n"
        f"mysql -uroot -p{canaries.mysql_password} -e 'select 1'\n"
        f'echo "{canaries.sudo_password}" | sudo -S yum install -y htop\n'
        f'curl -s -H "Authorization: Bearer {canaries.bearer_token}" https://api.anthropic.com/v1/models\n'
    )


def _seed_sagemaker(url: str, key: str, canaries: Canaries) -> None:
    sm = _client(url, "sagemaker")
    network = _client(url, "ec2").describe_subnets(Filters=[{"Name": "cidr-block", "Values": ["10.7.1.0/24"]}])
    subnet = network["Subnets"][0]["SubnetId"]
    sm.create_training_job(
        TrainingJobName="rs-fine-tune",
        AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        HyperParameters={"epochs": "3", "wandb_api_key": canaries.hyperparameter},
        InputDataConfig=[
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://rs-training-data/train/"}},
            }
        ],
        OutputDataConfig={"S3OutputPath": "s3://rs-training-data/output/", "KmsKeyId": key},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )
    patch_sagemaker(
        REGION,
        "training_jobs",
        "rs-fine-tune",
        environment={"HF_TOKEN": canaries.training_environment, "SAGEMAKER_PROGRAM": "train.py"},
    )
    script = base64.b64encode(lifecycle_script(canaries).encode()).decode()
    sm.create_notebook_instance_lifecycle_config(
        NotebookInstanceLifecycleConfigName="rs-setup", OnStart=[{"Content": script}]
    )
    sm.create_notebook_instance(
        NotebookInstanceName="rs-notebook",
        InstanceType="ml.t3.medium",
        RoleArn=ROLE,
        SubnetId=subnet,
        DirectInternetAccess="Enabled",
        LifecycleConfigName="rs-setup",
    )
    sm.create_model(ModelName="rs-model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})


def _seed_ecr_and_trail(url: str) -> None:
    ecr = _client(url, "ecr")
    ecr.create_repository(repositoryName="rs-trainer", imageScanningConfiguration={"scanOnPush": True})
    _client(url, "cloudtrail").create_trail(Name="rs-trail", S3BucketName="rs-access-logs", IsMultiRegionTrail=True)


def _seed_lambda(url: str) -> None:
    """The function an agent's action group calls (``rs-tool``, see :func:`seed_bedrock_gaps`)."""
    import io
    import zipfile

    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    role = _client(url, "iam").create_role(RoleName="rs-tool-role", AssumeRolePolicyDocument=json.dumps(trust))
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("tool.py", "def handler(event, context):\n    return event\n")
    _client(url, "lambda").create_function(
        FunctionName="rs-tool",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="tool.handler",
        Code={"ZipFile": code.getvalue()},
    )


def _seed_bedrock(url: str, key: str) -> None:
    """What moto holds of Bedrock and AgentCore: a customization job and its model, invocation
    logging to an encrypted log group, an agent, a knowledge base, a runtime, a gateway, a memory.
    (Guardrails, imported models and the other kinds moto lacks: :func:`seed_bedrock_gaps`.)"""
    bedrock = _client(url, "bedrock")
    bedrock.create_model_customization_job(
        jobName="rs-finetune",
        customModelName="rs-custom",
        roleArn=ROLE,
        baseModelIdentifier="amazon.titan-text-express-v1",
        trainingDataConfig={"s3Uri": "s3://rs-training-data/ft/train.jsonl"},
        outputDataConfig={"s3Uri": "s3://rs-training-data/ft/out/"},
        hyperParameters={"epochCount": "1"},
    )
    _client(url, "logs").create_log_group(logGroupName="/rs/bedrock", kmsKeyId=key)
    bedrock.put_model_invocation_logging_configuration(
        loggingConfig={"cloudWatchConfig": {"logGroupName": "/rs/bedrock", "roleArn": ROLE}}
    )
    agents = _client(url, "bedrock-agent")
    agents.create_agent(agentName="rs-agent", agentResourceRoleArn=ROLE, foundationModel="anthropic.claude-3-haiku")
    agents.create_knowledge_base(
        name="rs-kb",
        roleArn=ROLE,
        knowledgeBaseConfiguration={
            "type": "VECTOR",
            "vectorKnowledgeBaseConfiguration": {
                "embeddingModelArn": f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-embed-text-v2:0"
            },
        },
        storageConfiguration={"type": "OPENSEARCH_SERVERLESS"},
    )
    control = _client(url, "bedrock-agentcore-control")
    control.create_agent_runtime(
        agentRuntimeName="rs_runtime",
        agentRuntimeArtifact={"containerConfiguration": {"containerUri": IMAGE}},
        roleArn=ROLE,
        networkConfiguration={"networkMode": "PUBLIC"},
    )
    control.create_gateway(name="rs-gateway", roleArn=ROLE, protocolType="MCP", authorizerType="AWS_IAM")
    control.create_memory(name="rs_memory", eventExpiryDuration=30)


def seed_bedrock_gaps(url: str, state: Any) -> None:
    """One of each Bedrock kind moto lacks, in the gap layer's ``state`` (a GapState): a guardrail
    with a version, an imported model and its import job, a provisioned throughput, an action
    group and a knowledge base of the agent, a data source of the knowledge base, an AgentCore
    custom browser and code interpreter."""
    agents = _client(url, "bedrock-agent")
    agent_id = agents.list_agents()["agentSummaries"][0]["agentId"]
    kb_id = agents.list_knowledge_bases()["knowledgeBaseSummaries"][0]["knowledgeBaseId"]
    arn = f"arn:aws:bedrock:{REGION}:{ACCOUNT}"
    draft = {
        "guardrailId": "rsguard",
        "guardrailArn": f"{arn}:guardrail/rsguard",
        "name": "rs-guard",
        "status": "READY",
    }
    state.add_guardrail(REGION, draft, [draft | {"version": "1"}])
    source = {"s3DataSource": {"s3Uri": "s3://rs-training-data/weights/"}}
    model = {"modelArn": f"{arn}:imported-model/rs-imported", "modelName": "rs-imported", "modelDataSource": source}
    state.add("imported_models", REGION, model)
    job = {"jobArn": f"{arn}:model-import-job/rs-import", "jobName": "rs-import", "roleArn": ROLE}
    state.add("import_jobs", REGION, job | {"modelDataSource": source, "status": "Completed"})
    pt = {"provisionedModelArn": f"{arn}:provisioned-model/rs-pt", "provisionedModelName": "rs-pt"}
    state.add("throughputs", REGION, pt | {"modelArn": f"{arn}:custom-model/rs-custom", "status": "InService"})
    group = {"actionGroupId": "RSAG", "actionGroupName": "rs-tools"}
    lambda_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:rs-tool"
    state.add_child("action_groups", REGION, agent_id, group | {"actionGroupExecutor": {"lambda": lambda_arn}})
    state.add_child("agent_knowledge_bases", REGION, agent_id, {"knowledgeBaseId": kb_id})
    s3 = {"type": "S3", "s3Configuration": {"bucketArn": "arn:aws:s3:::rs-training-data"}}
    state.add_child(
        "data_sources", REGION, kb_id, {"dataSourceId": "RSDS", "name": "rs-docs", "dataSourceConfiguration": s3}
    )
    agentcore = f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}"
    browser = {"browserId": "rsbr", "browserArn": f"{agentcore}:browser-custom/rsbr", "name": "rs_browser"}
    state.add("browsers", REGION, browser | {"networkConfiguration": {"networkMode": "PUBLIC"}})
    interpreter = {"codeInterpreterId": "rsci", "codeInterpreterArn": f"{agentcore}:code-interpreter-custom/rsci"}
    state.add("code_interpreters", REGION, interpreter | {"name": "rs_interpreter"})


# ---------------------------------------------------------------------------------------------
# Scanner identities (for moto's IAM authorization mode)
# ---------------------------------------------------------------------------------------------


def scanner_user(url: str, name: str, policy: Mapping[str, Any]) -> dict[str, str]:
    """An IAM user holding exactly ``policy`` (a managed policy); its access key as environment."""
    iam = _client(url, "iam")
    arn = iam.create_policy(PolicyName=f"{name}-policy", PolicyDocument=json.dumps(policy))["Policy"]["Arn"]
    iam.create_user(UserName=name)
    iam.attach_user_policy(UserName=name, PolicyArn=arn)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


# moto's IAM authorization mode checks a few S3 operations under other action names than AWS.
# moto 5.2.6 authorizes S3 and S3 Control requests by their API *operation* name (the botocore
# router's match), not by the IAM action the Service Authorization Reference gives: ListBuckets is
# checked as s3:ListBuckets (AWS: s3:ListAllMyBuckets), GetBucketEncryption as s3:GetBucketEncryption
# (AWS: s3:GetEncryptionConfiguration), GetBucketLifecycleConfiguration as itself (AWS:
# s3:GetLifecycleConfiguration), and both the bucket's and the account's (S3 Control, as
# the scanner sends it) GetPublicAccessBlock as s3:GetPublicAccessBlock (AWS:
# s3:GetBucketPublicAccessBlock / s3:GetAccountPublicAccessBlock). moto 5.1 checked unmapped bucket
# sub-resources as s3:ListBucket instead. A test identity that holds the real action also gets
# moto's name, so that moto authorizes the call exactly when AWS would.
# test_moto_authorizes_s3_as_this_table proves the table against the installed moto.
MOTO_AUTHORIZES_AS = {
    "s3:ListAllMyBuckets": "s3:ListBuckets",
    "s3:GetEncryptionConfiguration": "s3:GetBucketEncryption",
    "s3:GetBucketPublicAccessBlock": "s3:GetPublicAccessBlock",
    "s3:GetAccountPublicAccessBlock": "s3:GetPublicAccessBlock",
    "s3:GetLifecycleConfiguration": "s3:GetBucketLifecycleConfiguration",
}


def policy_of(actions: Iterable[str]) -> dict[str, Any]:
    """An identity policy allowing ``actions`` (plus moto's names for them) on every resource."""
    granted = set(actions)
    granted |= {MOTO_AUTHORIZES_AS[a] for a in granted if a in MOTO_AUTHORIZES_AS}
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": sorted(granted), "Resource": "*"}]}


# AWS answers GetCallerIdentity whatever the policies say ("no permissions are required"); so does moto.
ALWAYS_ALLOWED = frozenset({"sts:GetCallerIdentity"})


def split_in_half(actions: Iterable[str]) -> tuple[set[str], set[str]]:
    """(allowed, denied): every other action of the sorted list. Actions that moto authorizes
    under one shared name (both public-access-block reads) go to the same half (denied), so moto
    denies exactly what AWS would; an action AWS always allows stays allowed."""
    ordered = sorted(set(actions) - ALWAYS_ALLOWED, key=str.lower)
    allowed, denied = set(ordered[0::2]), set(ordered[1::2])
    names = list(MOTO_AUTHORIZES_AS.values())
    together = {a for a, moto in MOTO_AUTHORIZES_AS.items() if names.count(moto) > 1} & set(ordered)
    return (allowed - together) | (ALWAYS_ALLOWED & set(actions)), denied | together
