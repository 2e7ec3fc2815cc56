"""The simulated AI account "acme-ml": a realistic ML platform with good and bad configuration.

Everything is created with boto3 over the wire against a moto server, exactly like a real account
would have been built, so the scan that follows exercises the real collectors. The account tells a
story a security reviewer will recognise:

- **S3**: a hardened training-data bucket (KMS, versioning, Block Public Access, TLS-only policy,
  access logs), a model-artifacts bucket without versioning, a "datasets-public" bucket shared with
  the world through its ACL and policy, a feature store with SSE-S3 only, log buckets, and
  account-level Block Public Access that was only half turned on after the public bucket existed.
- **IAM**: a data scientist with a console password and no MFA, an admin, a CI user with two active
  keys, a break-glass policy spelled ``"*:*"``, ``sagemaker:*`` on ``*`` with ``iam:PassRole``, a
  legacy SageMaker execution role with an inline administrator policy (the worst finding in an ML
  account), a well-scoped execution role, a vendor role trusted without an ExternalId, a weak
  password policy.
- **VPC** (each region): "ml-private" with an S3 gateway endpoint and SageMaker API/runtime
  interface endpoints with private DNS and a flow log; "ml-legacy" with an internet gateway, public
  subnets, Jupyter and SSH open to the world, no endpoints and no flow log.
- **SageMaker** (each region): an internet-facing root-enabled notebook next to a private,
  KMS-encrypted one and a hackathon notebook in the legacy VPC; an isolated, encrypted training
  job next to a quick experiment on the public network that trains on public and unencrypted data
  with the legacy role; models with and without a VPC; endpoint configs with and without KMS and
  redundancy; endpoints; a processing job; a model registry.
- **ECR** (each region): training and inference images in immutable, scanned, KMS-encrypted
  repositories with lifecycle policies; the legacy inference image in a mutable, unscanned one the
  audit vendor may pull from.
- **KMS** (each region): the rotated data key, and a never-rotated key shared with the vendor.
- **CloudTrail**: one multi-region trail with S3 data events for the training data only, no KMS
  and no log file validation.

Known moto gaps, accepted here rather than patched (this is production code; the tests patch
moto in ``tests/support`` where they need to):

- Access keys are always created "now", so no key looks 90+ days old; the never-used keys still
  show up as unused credentials.
- DescribeModel always reports ``EnableNetworkIsolation: false``, so every model fails the
  network-isolation check, including the one that would pass on AWS.
- DescribeNotebookInstance omits ``RootAccess`` when it was not given, so the seed always sets it.
- DescribeNotebookInstance never reports ``PlatformIdentifier``, so the supported-platform check
  answers ERROR ("could not be read") for every notebook: missing data is never a PASS.
- Unset bucket encryption reads as "no default encryption" (AWS has applied SSE-S3 since 2023), so
  every bucket here sets its encryption explicitly.
- moto has no image scanner: the scan results of the scanned ECR images are set through moto's own
  configuration API (``/moto-api/static/ecr/scan-finding-results``).
- SageMaker listings moto does not implement are answered empty by :mod:`cspm.demo.server`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from cspm.demo import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY

ACCOUNT_NAME = "acme-ml"
REGIONS = ("us-east-1", "eu-west-1")
HOME_REGION = REGIONS[0]
VENDOR_ACCOUNT = "210987654321"  # a model-audit vendor, trusted without an ExternalId
PARTNER_ACCOUNT = "345678901234"  # a labeling partner, trusted with an ExternalId
TAGS = {"owner": "ml-platform", "env": "prod", "cost-center": "ml-4711"}

# The platform builds its own images into the account's ECR: repository -> (tag, how it is kept).
ECR_REPOSITORIES = {
    "acme-ml/training": "2.3.0-cu121",
    "acme-ml/inference": "v3.2.0",
    "acme-ml/inference-legacy": "latest",
}


def image_uri(account: str, region: str, repository: str) -> str:
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{repository}:{ECR_REPOSITORIES[repository]}"


@dataclass(frozen=True)
class RegionPlan:
    """What differs between the two regions: the ML product that runs there and its buckets."""

    region: str
    product: str  # a name prefix for SageMaker resources
    data_bucket: str  # training input
    artifact_bucket: str  # model output
    log_bucket: str  # access logs and flow logs (must be in the same region)
    experiment_data: tuple[str, ...]  # what the quick experiment trains on (S3 URIs)


PLANS = {
    "us-east-1": RegionPlan(
        "us-east-1",
        "fraud-detection",
        "acme-ml-training-data",
        "acme-ml-model-artifacts",
        "acme-ml-access-logs",
        # features straight from the feature store, plus the public benchmark set
        ("s3://acme-ml-feature-store/fraud/v7/", "s3://acme-ml-datasets-public/benchmarks/fraud-2023/"),
    ),
    "eu-west-1": RegionPlan(
        "eu-west-1",
        "recsys-eu",
        "acme-ml-eu-training-data",
        "acme-ml-eu-model-artifacts",
        "acme-ml-eu-access-logs",
        # captured production traffic (personal data), used as-is
        ("s3://acme-ml-eu-inference-capture/recsys-eu-prod/",),
    ),
}


@dataclass
class Seeded:
    """Names and ids created by the seed (for tests and for the demo's own summary)."""

    account: str = ""
    buckets: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    vpcs: dict[str, dict[str, str]] = field(default_factory=dict)  # region -> {"ml-private": id, ...}
    kms_keys: dict[str, str] = field(default_factory=dict)  # region -> key ARN
    sagemaker: dict[str, list[str]] = field(default_factory=dict)  # region -> names
    bedrock: list[str] = field(default_factory=list)  # names, in the home region (cspm.demo.bedrock_seed)


def _strip_account_prefix(request: Any, **_: Any) -> None:
    # s3control prefixes the host with "{AccountId}."; a local server has one host name.
    request.url = re.sub(r"^(https?://)\d{12}\.", r"\1", request.url)


class Clients:
    """boto3 clients for the local server, with fixed fake credentials (never the user's)."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self.session = boto3.Session(
            aws_access_key_id=FAKE_ACCESS_KEY_ID, aws_secret_access_key=FAKE_SECRET_ACCESS_KEY, region_name=HOME_REGION
        )
        self.config = Config(retries={"mode": "standard", "max_attempts": 3}, max_pool_connections=16)

    def __call__(self, service: str, region: str = HOME_REGION) -> Any:
        client = self.session.client(service, region_name=region, endpoint_url=self.endpoint_url, config=self.config)
        if service == "s3control":
            client.meta.events.register("before-send.s3-control.*", _strip_account_prefix)
        return client


def seed(endpoint_url: str, regions: Iterable[str] = REGIONS) -> Seeded:
    """Build the acme-ml account on the server at ``endpoint_url``. Takes a few seconds."""
    clients = Clients(endpoint_url)
    out = Seeded(account=clients("sts").get_caller_identity()["Account"])
    plans = [PLANS[r] for r in regions]
    # Sequential on purpose: moto's work is CPU-bound under one GIL, threads made it slower.
    # KMS keys first: buckets, repositories, notebooks and jobs refer to them.
    for plan in plans:
        out.kms_keys[plan.region] = _seed_kms(clients("kms", plan.region), plan, out.account)
    _seed_iam(clients("iam"), out)
    _seed_s3(clients, plans, out)
    if TRAIL_BUCKET in out.buckets:
        _seed_cloudtrail(clients("cloudtrail"), out)
    for plan in plans:
        _seed_region(clients, plan, out)
    from cspm.demo.lineage_seed import seed_artifacts, seed_lineage  # it builds on this module

    seed_lineage(clients, out)  # the shadow deployment trained on public data, end to end
    seed_artifacts(clients, out)  # the model files: one runs a command when loaded
    return out


# ---------------------------------------------------------------------------------------------
# KMS
# ---------------------------------------------------------------------------------------------


def _seed_kms(kms: Any, plan: RegionPlan, account: str) -> str:
    """The region's data key (rotated), and a legacy key shared with the vendor (not rotated)."""
    tags = [{"TagKey": k, "TagValue": v} for k, v in TAGS.items()]
    key = kms.create_key(
        Description=f"acme-ml data key ({plan.region}): training data, artifacts, notebooks, endpoints", Tags=tags
    )["KeyMetadata"]
    kms.create_alias(AliasName="alias/acme-ml-data", TargetKeyId=key["KeyId"])
    kms.enable_key_rotation(KeyId=key["KeyId"])
    shared_policy = _doc(
        {
            "Sid": "EnableIAMPolicies",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "VendorModelAudit",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{VENDOR_ACCOUNT}:root"},
            "Action": ["kms:Decrypt", "kms:DescribeKey"],
            "Resource": "*",
        },
    )
    legacy = kms.create_key(
        Description=f"acme-ml 2022 evaluation exports ({plan.region}), shared with the audit vendor",
        Policy=shared_policy,
        Tags=tags,
    )["KeyMetadata"]
    kms.create_alias(AliasName="alias/acme-ml-eval-exports", TargetKeyId=legacy["KeyId"])
    arn: str = key["Arn"]
    return arn


# ---------------------------------------------------------------------------------------------
# IAM
# ---------------------------------------------------------------------------------------------


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _trust(principal: dict[str, Any], condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return _doc(statement)


SAGEMAKER_TRUST = _trust({"Service": "sagemaker.amazonaws.com"})

# Customer-managed policies: name -> (description, document).
POLICIES: dict[str, tuple[str, str]] = {
    # "*:*" is accepted by IAM and means exactly what "*" means: full administrator access.
    "AcmeBreakGlassAdmin": (
        "Break-glass access for the platform team",
        _doc({"Sid": "BreakGlass", "Effect": "Allow", "Action": "*:*", "Resource": "*"}),
    ),
    "AcmeSageMakerPowerUser": (
        "Data scientists: everything in SageMaker",
        _doc(
            {"Sid": "SageMaker", "Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"},
            {"Sid": "PassAnyRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Action": ["logs:GetLogEvents", "logs:DescribeLogStreams"],
                "Resource": "*",
            },
        ),
    ),
    "AcmeMLDataRead": (
        "Read-only access to the curated training data",
        _doc(
            {
                "Sid": "ReadTrainingData",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": ["arn:aws:s3:::acme-ml-training-data", "arn:aws:s3:::acme-ml-training-data/*"],
            }
        ),
    ),
}


def _ci_policy(account: str) -> str:
    return _doc(
        {
            "Sid": "PushImages",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:CompleteLayerUpload",
                "ecr:InitiateLayerUpload",
                "ecr:PutImage",
                "ecr:UploadLayerPart",
            ],
            "Resource": f"arn:aws:ecr:*:{account}:repository/acme-ml/*",
        },
        {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {
            "Sid": "DeployModels",
            "Effect": "Allow",
            "Action": ["sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:UpdateEndpoint"],
            "Resource": f"arn:aws:sagemaker:*:{account}:*",
        },
        {
            "Sid": "PassTrainingRole",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": f"arn:aws:iam::{account}:role/service-role/AcmeSageMakerExecution-Training",
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        },
    )


def _training_role_policy(account: str) -> str:
    buckets = [p.data_bucket for p in PLANS.values()]
    artifacts = [p.artifact_bucket for p in PLANS.values()]
    return _doc(
        {
            "Sid": "ReadTrainingData",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{b}" for b in buckets] + [f"arn:aws:s3:::{b}/*" for b in buckets],
        },
        {
            "Sid": "WriteArtifacts",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": [f"arn:aws:s3:::{b}/*" for b in artifacts],
        },
        {
            "Sid": "UseDataKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": f"arn:aws:kms:*:{account}:key/*",
            "Condition": {"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/acme-ml-data"}},
        },
        {
            "Sid": "PullImages",
            "Effect": "Allow",
            "Action": ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Resource": "*",
        },
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:CreateLogGroup"],
            "Resource": f"arn:aws:logs:*:{account}:log-group:/aws/sagemaker/*",
        },
        {
            "Sid": "VpcNetworking",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeVpcs",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
            ],
            "Resource": "*",
        },
    )


# The worst finding in an ML account: every notebook, training job and endpoint that runs with
# this role can do anything in the account, so code in a training container owns the account.
LEGACY_ROLE_POLICY = _doc({"Sid": "GetThingsWorking", "Effect": "Allow", "Action": "*", "Resource": "*"})


def _seed_iam(iam: Any, out: Seeded) -> None:
    account = out.account
    iam.update_account_password_policy(
        MinimumPasswordLength=8,
        RequireSymbols=False,
        RequireNumbers=True,
        RequireUppercaseCharacters=False,
        RequireLowercaseCharacters=True,
        AllowUsersToChangePassword=True,
    )
    arns = {}
    for name, (description, document) in POLICIES.items():
        arns[name] = iam.create_policy(PolicyName=name, Description=description, PolicyDocument=document)["Policy"][
            "Arn"
        ]
    arns["AcmeCiDeploy"] = iam.create_policy(
        PolicyName="AcmeCiDeploy", Description="CI: push images, deploy models", PolicyDocument=_ci_policy(account)
    )["Policy"]["Arn"]

    groups = {
        "platform-admins": ["AcmeBreakGlassAdmin"],
        "data-scientists": ["AcmeSageMakerPowerUser", "AcmeMLDataRead"],
        "ml-readonly": ["AcmeMLDataRead"],
    }
    for group, policies in groups.items():
        iam.create_group(GroupName=group)
        for policy in policies:
            iam.attach_group_policy(GroupName=group, PolicyArn=arns[policy])

    _user(iam, "dana.scientist", groups=["data-scientists"], console=True, keys=1)
    iam.put_user_policy(
        UserName="dana.scientist",
        PolicyName="notebook-scratch",
        PolicyDocument=_doc(
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::acme-ml-feature-store", "arn:aws:s3:::acme-ml-feature-store/*"],
            }
        ),
    )
    _user(iam, "priya.admin", groups=["platform-admins"], console=True, mfa=True)
    _user(iam, "marco.mlops", groups=["data-scientists"], console=True, mfa=True)
    _user(iam, "svc-ci-deployer", keys=2)  # rotated a key and never deactivated the old one
    iam.attach_user_policy(UserName="svc-ci-deployer", PolicyArn=arns["AcmeCiDeploy"])
    _user(iam, "auditor.ro", groups=["ml-readonly"], console=True, mfa=True)
    out.users = ["dana.scientist", "priya.admin", "marco.mlops", "svc-ci-deployer", "auditor.ro"]

    _role(iam, "AcmeSageMakerExecution-Legacy", SAGEMAKER_TRUST, path="/service-role/")
    iam.put_role_policy(
        RoleName="AcmeSageMakerExecution-Legacy", PolicyName="legacy-full-access", PolicyDocument=LEGACY_ROLE_POLICY
    )
    _role(iam, "AcmeSageMakerExecution-Training", SAGEMAKER_TRUST, path="/service-role/")
    iam.put_role_policy(
        RoleName="AcmeSageMakerExecution-Training",
        PolicyName="training-least-privilege",
        PolicyDocument=_training_role_policy(account),
    )
    _role(iam, "AcmeVendorModelAudit", _trust({"AWS": f"arn:aws:iam::{VENDOR_ACCOUNT}:root"}))
    iam.attach_role_policy(RoleName="AcmeVendorModelAudit", PolicyArn=arns["AcmeMLDataRead"])
    _role(
        iam,
        "AcmePartnerLabeling",
        _trust(
            {"AWS": f"arn:aws:iam::{PARTNER_ACCOUNT}:root"},
            {"StringEquals": {"sts:ExternalId": "acme-labeling-7f3c9a"}},
        ),
    )
    iam.attach_role_policy(RoleName="AcmePartnerLabeling", PolicyArn=arns["AcmeMLDataRead"])
    out.roles = [
        "AcmeSageMakerExecution-Legacy",
        "AcmeSageMakerExecution-Training",
        "AcmeVendorModelAudit",
        "AcmePartnerLabeling",
    ]


def _user(
    iam: Any, name: str, *, groups: Iterable[str] = (), console: bool = False, mfa: bool = False, keys: int = 0
) -> None:
    iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": "ml-platform"}])
    for group in groups:
        iam.add_user_to_group(GroupName=group, UserName=name)
    if console:
        iam.create_login_profile(UserName=name, Password="Demo-only-not-a-secret-1", PasswordResetRequired=False)
    if mfa:
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(
            UserName=name, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
        )
    for _ in range(keys):
        iam.create_access_key(UserName=name)


def _role(iam: Any, name: str, trust: str, *, path: str = "/") -> None:
    iam.create_role(
        RoleName=name,
        Path=path,
        AssumeRolePolicyDocument=trust,
        Tags=[{"Key": k, "Value": v} for k, v in TAGS.items()],
    )


def role_arn(account: str, name: str) -> str:
    path = "service-role/" if name.startswith("AcmeSageMakerExecution") else ""
    return f"arn:aws:iam::{account}:role/{path}{name}"


# ---------------------------------------------------------------------------------------------
# S3
# ---------------------------------------------------------------------------------------------

ALL_BLOCKED = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def _tls_only(bucket: str, *extra: dict[str, Any]) -> str:
    return _doc(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        *extra,
    )


def _log_delivery(bucket: str, account: str) -> str:
    return _doc(
        {
            "Sid": "S3ServerAccessLogsPolicy",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": ["s3:PutObject"],
            "Resource": f"arn:aws:s3:::{bucket}/*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
        },
        {
            "Sid": "AWSLogDeliveryWrite",
            "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/vpc-flow-logs/*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
        },
    )


def _public_read(bucket: str) -> str:
    return _doc(
        {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        }
    )


def _cloudtrail_delivery(bucket: str, account: str) -> str:
    principal = {"Service": "cloudtrail.amazonaws.com"}
    source = {"StringEquals": {"aws:SourceArn": f"arn:aws:cloudtrail:{HOME_REGION}:{account}:trail/acme-ml-audit"}}
    return _doc(
        {
            "Sid": "AWSCloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": principal,
            "Action": "s3:GetBucketAcl",
            "Resource": f"arn:aws:s3:::{bucket}",
            "Condition": source,
        },
        {
            "Sid": "AWSCloudTrailWrite",
            "Effect": "Allow",
            "Principal": principal,
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{account}/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **source["StringEquals"]}},
        },
    )


def _bucket_policy(kind: str, bucket: str, account: str) -> str:
    if kind == "tls-only":
        return _tls_only(bucket)
    if kind == "log-delivery":
        return _log_delivery(bucket, account)
    if kind == "public-read":
        return _public_read(bucket)
    if kind == "cloudtrail":
        return _cloudtrail_delivery(bucket, account)
    raise ValueError(f"unknown bucket policy kind {kind}")


@dataclass(frozen=True)
class BucketSpec:
    name: str
    region: str
    kms: bool = False  # SSE-KMS with the region's key; otherwise SSE-S3
    versioning: bool = False
    block_public: bool = True
    enforce_owner: bool = True  # ACLs disabled
    policy: str | None = None  # "tls-only", "log-delivery", "public-read" or "cloudtrail"
    acl: str | None = None
    log_to: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


def _bucket_specs() -> list[BucketSpec]:
    us, eu = PLANS["us-east-1"], PLANS["eu-west-1"]
    return [
        # The log buckets come first: the others deliver access logs to them.
        BucketSpec(us.log_bucket, us.region, policy="log-delivery", tags={"data": "logs"}),
        BucketSpec(eu.log_bucket, eu.region, policy="log-delivery", tags={"data": "logs"}),
        # The model the rest should follow.
        BucketSpec(
            us.data_bucket,
            us.region,
            kms=True,
            versioning=True,
            policy="tls-only",
            log_to=us.log_bucket,
            tags={"data": "training", "classification": "confidential"},
        ),
        BucketSpec(
            eu.data_bucket,
            eu.region,
            kms=True,
            versioning=True,
            policy="tls-only",
            log_to=eu.log_bucket,
            tags={"data": "training", "classification": "confidential", "gdpr": "yes"},
        ),
        # Artifacts: encrypted and logged, but a tampered model cannot be rolled back.
        BucketSpec(us.artifact_bucket, us.region, kms=True, log_to=us.log_bucket, tags={"data": "model-artifacts"}),
        BucketSpec(eu.artifact_bucket, eu.region, kms=True, versioning=True, tags={"data": "model-artifacts"}),
        # Shared "just for the benchmark paper": public through both its ACL and its policy.
        BucketSpec(
            "acme-ml-datasets-public",
            us.region,
            block_public=False,
            enforce_owner=False,
            acl="public-read",
            policy="public-read",
            tags={"data": "datasets", "classification": "public"},
        ),
        BucketSpec(
            "acme-ml-feature-store",
            us.region,
            versioning=True,
            policy="tls-only",
            tags={"data": "features", "classification": "confidential"},
        ),
        BucketSpec(
            TRAIL_BUCKET,
            us.region,
            versioning=True,
            policy="cloudtrail",
            log_to=us.log_bucket,
            tags={"data": "audit-logs"},
        ),
        BucketSpec(
            "acme-ml-eu-inference-capture",
            eu.region,
            enforce_owner=False,
            tags={"data": "inference-capture", "classification": "personal"},
        ),
    ]


def _seed_s3(clients: Clients, plans: list[RegionPlan], out: Seeded) -> None:
    regions = {p.region for p in plans}
    specs = [s for s in _bucket_specs() if s.region in regions]
    for spec in specs:
        _bucket(clients("s3", spec.region), spec, out)
        out.buckets.append(spec.name)
    # Turned on after the public bucket existed, and only half: new public ACLs and policies
    # are blocked, existing ones still work (IgnorePublicAcls and RestrictPublicBuckets are off).
    clients("s3control").put_public_access_block(
        AccountId=out.account,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": False,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": False,
        },
    )


def _bucket(s3: Any, spec: BucketSpec, out: Seeded) -> None:
    create: dict[str, Any] = {"Bucket": spec.name}
    if spec.region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": spec.region}
    if not spec.enforce_owner:
        create["ObjectOwnership"] = "ObjectWriter"
    s3.create_bucket(**create)
    if spec.enforce_owner:
        s3.put_bucket_ownership_controls(
            Bucket=spec.name, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        )
    s3.put_bucket_tagging(
        Bucket=spec.name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in {**TAGS, **spec.tags}.items()]}
    )
    default: dict[str, Any] = {"SSEAlgorithm": "AES256"}
    if spec.kms:
        default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": out.kms_keys[spec.region]}
    s3.put_bucket_encryption(
        Bucket=spec.name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": spec.kms}]
        },
    )
    if spec.versioning:
        s3.put_bucket_versioning(Bucket=spec.name, VersioningConfiguration={"Status": "Enabled"})
    if spec.acl:
        s3.put_bucket_acl(Bucket=spec.name, ACL=spec.acl)
    if spec.policy:
        s3.put_bucket_policy(Bucket=spec.name, Policy=_bucket_policy(spec.policy, spec.name, out.account))
    if spec.block_public:
        s3.put_public_access_block(Bucket=spec.name, PublicAccessBlockConfiguration=ALL_BLOCKED)
    if spec.log_to:
        s3.put_bucket_logging(
            Bucket=spec.name,
            BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": spec.log_to, "TargetPrefix": f"{spec.name}/"}},
        )


# ---------------------------------------------------------------------------------------------
# CloudTrail
# ---------------------------------------------------------------------------------------------

TRAIL_BUCKET = "acme-ml-cloudtrail"


def _seed_cloudtrail(cloudtrail: Any, out: Seeded) -> None:
    """One multi-region trail: management events, and S3 data events for the training data only
    (not for the model artifacts). No KMS key, no log file validation."""
    trail = cloudtrail.create_trail(
        Name="acme-ml-audit",
        S3BucketName=TRAIL_BUCKET,
        IsMultiRegionTrail=True,
        IncludeGlobalServiceEvents=True,
        EnableLogFileValidation=False,
        TagsList=[{"Key": k, "Value": v} for k, v in TAGS.items()],
    )
    cloudtrail.put_event_selectors(
        TrailName=trail["TrailARN"],
        EventSelectors=[
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": True,
                "DataResources": [
                    {
                        "Type": "AWS::S3::Object",
                        "Values": [
                            f"arn:aws:s3:::{p.data_bucket}/" for p in PLANS.values() if p.data_bucket in out.buckets
                        ],
                    }
                ],
            }
        ],
    )
    cloudtrail.start_logging(Name=trail["TrailARN"])


# ---------------------------------------------------------------------------------------------
# ECR
# ---------------------------------------------------------------------------------------------

KEEP_LAST_30 = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "description": "keep the last 30 images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30},
                "action": {"type": "expire"},
            }
        ]
    }
)


def _manifest(repository: str, tag: str) -> str:
    def digest(part: str) -> str:
        return "sha256:" + hashlib.sha256(f"{repository}:{tag}:{part}".encode()).hexdigest()

    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 7023,
                "digest": digest("config"),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 32654 * (i + 1),
                    "digest": digest(f"layer{i}"),
                }
                for i in range(3)
            ],
        }
    )


def _seed_ecr(ecr: Any, endpoint_url: str, plan: RegionPlan, out: Seeded) -> None:
    """Training and inference images in immutable, scanned, KMS-encrypted repositories; the legacy
    inference image in a mutable, unscanned repository that the audit vendor may pull from."""
    tags = [{"Key": k, "Value": v} for k, v in TAGS.items()]
    for repository, tag in ECR_REPOSITORIES.items():
        hardened = repository != "acme-ml/inference-legacy"
        if hardened:
            ecr.create_repository(
                repositoryName=repository,
                imageTagMutability="IMMUTABLE",
                imageScanningConfiguration={"scanOnPush": True},
                encryptionConfiguration={"encryptionType": "KMS", "kmsKey": out.kms_keys[plan.region]},
                tags=tags,
            )
            ecr.put_lifecycle_policy(repositoryName=repository, lifecyclePolicyText=KEEP_LAST_30)
        else:
            ecr.create_repository(repositoryName=repository, imageTagMutability="MUTABLE", tags=tags)
            vendor_pull = {
                "Sid": "VendorPull",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{VENDOR_ACCOUNT}:root"},
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            }
            ecr.set_repository_policy(repositoryName=repository, policyText=_doc(vendor_pull))
        ecr.put_image(repositoryName=repository, imageManifest=_manifest(repository, tag), imageTag=tag)
        if hardened:
            # Scan on push, as ECR would have done; the results are set through moto's own
            # configuration API (without it, moto answers one fake HIGH finding for every image).
            ecr.start_image_scan(repositoryName=repository, imageId={"imageTag": tag})
            _scan_result(endpoint_url, out.account, plan.region, repository, tag)


def _scan_result(endpoint_url: str, account: str, region: str, repository: str, tag: str) -> None:
    import requests  # a dependency of moto, which the demo needs anyway

    result: dict[str, Any] = {
        "registryId": account,
        "repositoryName": repository,
        "imageId": {"imageTag": tag},
        "imageScanStatus": {"status": "COMPLETE", "description": "The scan was completed successfully."},
        "imageScanFindings": {
            "findings": [
                {
                    "name": "CVE-2023-45853",
                    "severity": "MEDIUM",
                    "uri": "https://nvd.nist.gov/vuln/detail/CVE-2023-45853",
                    "attributes": [{"key": "package_name", "value": "zlib"}],
                }
            ],
            "findingSeverityCounts": {"MEDIUM": 1, "LOW": 3},
        },
    }
    requests.post(
        f"{endpoint_url}/moto-api/static/ecr/scan-finding-results",
        json={"results": [result], "region": region, "account_id": account},
        timeout=10,
    ).raise_for_status()


# ---------------------------------------------------------------------------------------------
# VPC and SageMaker, per region
# ---------------------------------------------------------------------------------------------


@dataclass
class Network:
    private_vpc: str
    private_subnets: list[str]
    private_sg: str
    legacy_vpc: str
    legacy_subnet: str
    legacy_sg: str


def _seed_region(clients: Clients, plan: RegionPlan, out: Seeded) -> None:
    ec2 = clients("ec2", plan.region)
    net = _seed_vpcs(ec2, plan)
    out.vpcs[plan.region] = {"ml-private": net.private_vpc, "ml-legacy": net.legacy_vpc}
    _seed_ecr(clients("ecr", plan.region), clients.endpoint_url, plan, out)
    out.sagemaker[plan.region] = _seed_sagemaker(clients("sagemaker", plan.region), plan, net, out)
    # A flow log on ml-private only, delivered to the region's log bucket (created by _seed_s3).
    ec2.create_flow_logs(
        ResourceIds=[net.private_vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination=f"arn:aws:s3:::{plan.log_bucket}/vpc-flow-logs/",
        TagSpecifications=_tag_spec("vpc-flow-log", "ml-private"),
    )


def _tag_spec(kind: str, name: str) -> list[dict[str, Any]]:
    tags = [{"Key": "Name", "Value": name}] + [{"Key": k, "Value": v} for k, v in TAGS.items()]
    return [{"ResourceType": kind, "Tags": tags}]


def _seed_vpcs(ec2: Any, plan: RegionPlan) -> Network:
    region = plan.region
    azs = [f"{region}a", f"{region}b"]

    # ml-private: no internet gateway; S3 through a gateway endpoint, SageMaker through PrivateLink.
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16", TagSpecifications=_tag_spec("vpc", "ml-private"))["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = [
        ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=f"10.20.{i * 16}.0/20",
            AvailabilityZone=az,
            TagSpecifications=_tag_spec("subnet", f"ml-private-{az}"),
        )["Subnet"]["SubnetId"]
        for i, az in enumerate(azs)
    ]
    route_table = ec2.create_route_table(VpcId=vpc, TagSpecifications=_tag_spec("route-table", "ml-private"))[
        "RouteTable"
    ]["RouteTableId"]
    for subnet in subnets:
        ec2.associate_route_table(RouteTableId=route_table, SubnetId=subnet)
    endpoint_sg = ec2.create_security_group(
        GroupName="ml-private-endpoints",
        Description="HTTPS from inside the VPC to the SageMaker interface endpoints",
        VpcId=vpc,
        TagSpecifications=_tag_spec("security-group", "ml-private-endpoints"),
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=endpoint_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "10.20.0.0/16", "Description": "VPC only"}],
            }
        ],
    )
    ec2.create_vpc_endpoint(
        VpcId=vpc,
        VpcEndpointType="Gateway",
        ServiceName=f"com.amazonaws.{region}.s3",
        RouteTableIds=[route_table],
        PolicyDocument=_doc(
            {
                "Sid": "OnlyAcmeBuckets",
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                "Resource": ["arn:aws:s3:::acme-ml-*", "arn:aws:s3:::acme-ml-*/*"],
            }
        ),
        TagSpecifications=_tag_spec("vpc-endpoint", "ml-private-s3"),
    )
    for service in ("sagemaker.api", "sagemaker.runtime"):
        ec2.create_vpc_endpoint(
            VpcId=vpc,
            VpcEndpointType="Interface",
            ServiceName=f"com.amazonaws.{region}.{service}",
            SubnetIds=subnets,
            SecurityGroupIds=[endpoint_sg],
            PrivateDnsEnabled=True,
            TagSpecifications=_tag_spec("vpc-endpoint", f"ml-private-{service}"),
        )
    training_sg = ec2.create_security_group(
        GroupName="ml-private-training",
        Description="Training and notebook ENIs: only each other and the endpoints",
        VpcId=vpc,
        TagSpecifications=_tag_spec("security-group", "ml-private-training"),
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=training_sg,
        IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": training_sg}]}],
    )
    # ml-legacy: the first notebook VPC, public subnets, wide-open security group.
    legacy = ec2.create_vpc(CidrBlock="10.30.0.0/16", TagSpecifications=_tag_spec("vpc", "ml-legacy"))["Vpc"]["VpcId"]
    legacy_subnet = ec2.create_subnet(
        VpcId=legacy,
        CidrBlock="10.30.1.0/24",
        AvailabilityZone=azs[0],
        TagSpecifications=_tag_spec("subnet", "ml-legacy-public"),
    )["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=legacy_subnet, MapPublicIpOnLaunch={"Value": True})
    igw = ec2.create_internet_gateway(TagSpecifications=_tag_spec("internet-gateway", "ml-legacy"))["InternetGateway"][
        "InternetGatewayId"
    ]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=legacy)
    public_rt = ec2.create_route_table(VpcId=legacy, TagSpecifications=_tag_spec("route-table", "ml-legacy-public"))[
        "RouteTable"
    ]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public_rt, SubnetId=legacy_subnet)
    jupyter_sg = ec2.create_security_group(
        GroupName="jupyter-open",
        Description="Temporary: Jupyter and SSH for the hackathon",
        VpcId=legacy,
        TagSpecifications=_tag_spec("security-group", "jupyter-open"),
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=jupyter_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": port,
                "ToPort": port,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": what}],
                "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": what}],
            }
            for port, what in ((22, "ssh"), (8888, "jupyter"))
        ],
    )
    return Network(
        private_vpc=vpc,
        private_subnets=subnets,
        private_sg=training_sg,
        legacy_vpc=legacy,
        legacy_subnet=legacy_subnet,
        legacy_sg=jupyter_sg,
    )


def _seed_sagemaker(sm: Any, plan: RegionPlan, net: Network, out: Seeded) -> list[str]:
    p, region, account = plan.product, plan.region, out.account
    key = out.kms_keys[region]
    training_image = image_uri(account, region, "acme-ml/training")
    inference_image = image_uri(account, region, "acme-ml/inference")
    legacy_role = role_arn(account, "AcmeSageMakerExecution-Legacy")
    training_role = role_arn(account, "AcmeSageMakerExecution-Training")
    private_vpc = {"SecurityGroupIds": [net.private_sg], "Subnets": net.private_subnets}
    tags = [{"Key": k, "Value": v} for k, v in {**TAGS, "product": p}.items()]
    data = f"s3://{plan.data_bucket}/{p}"
    artifacts = f"s3://{plan.artifact_bucket}/{p}"
    names: list[str] = []

    # Notebooks: the first one anybody can reach the internet from, with root; then the right way.
    research_nb, secure_nb = f"{p}-research", f"{p}-secure-workbench"
    sm.create_notebook_instance(
        NotebookInstanceName=research_nb,
        InstanceType="ml.t3.xlarge",
        RoleArn=legacy_role,
        DirectInternetAccess="Enabled",
        RootAccess="Enabled",
        Tags=tags,
    )
    sm.create_notebook_instance(
        NotebookInstanceName=secure_nb,
        InstanceType="ml.t3.xlarge",
        RoleArn=training_role,
        SubnetId=net.private_subnets[0],
        SecurityGroupIds=[net.private_sg],
        KmsKeyId=key,
        DirectInternetAccess="Disabled",
        RootAccess="Disabled",
        Tags=tags,
    )
    # The hackathon notebook: inside a VPC, but the legacy one, whose only way out is the
    # internet gateway (no S3 or SageMaker endpoints), behind the wide-open security group.
    hackathon_nb = f"{p}-hackathon-2023"
    sm.create_notebook_instance(
        NotebookInstanceName=hackathon_nb,
        InstanceType="ml.p3.2xlarge",
        RoleArn=legacy_role,
        SubnetId=net.legacy_subnet,
        SecurityGroupIds=[net.legacy_sg],
        DirectInternetAccess="Disabled",
        RootAccess="Enabled",
        Tags=tags,
    )
    names += [research_nb, secure_nb, hackathon_nb]

    # Training jobs: an isolated, encrypted production run and a quick experiment.
    prod_job, quick_job = f"{p}-train-2024-11-03-1415", f"{p}-experiment-quick-lr-sweep"
    _training_job(
        sm,
        prod_job,
        training_image,
        training_role,
        {"train": f"{data}/train/", "validation": f"{data}/validation/"},
        artifacts,
        tags,
        VpcConfig=private_vpc,
        EnableNetworkIsolation=True,
        EnableInterContainerTrafficEncryption=True,
        kms=key,
        instances=2,
    )
    _training_job(
        sm,
        quick_job,
        training_image,
        legacy_role,
        {f"channel{i}": uri for i, uri in enumerate(plan.experiment_data)},
        f"s3://{plan.artifact_bucket}/scratch",
        tags,
    )
    names += [prod_job, quick_job]

    # A preprocessing job: the feature pipeline, isolated in the private VPC.
    processing_job = f"{p}-features-2024-11-03"
    sm.create_processing_job(
        ProcessingJobName=processing_job,
        RoleArn=training_role,
        AppSpecification={"ImageUri": training_image},
        ProcessingResources={
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": "ml.m5.xlarge",
                "VolumeSizeInGB": 30,
                "VolumeKmsKeyId": key,
            }
        },
        ProcessingInputs=[
            {
                "InputName": "raw",
                "S3Input": {
                    "S3Uri": f"{data}/raw",
                    "LocalPath": "/opt/ml/processing/input",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "features",
                    "S3Output": {
                        "S3Uri": f"{data}/features",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ],
            "KmsKeyId": key,
        },
        NetworkConfig={
            "EnableNetworkIsolation": True,
            "EnableInterContainerTrafficEncryption": True,
            "VpcConfig": private_vpc,
        },
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
        Tags=tags,
    )
    names.append(processing_job)

    # Models. Moto always reports EnableNetworkIsolation false (see the module docstring).
    model, legacy_model = f"{p}-model-v3", f"{p}-model-v1-legacy"
    sm.create_model(
        ModelName=model,
        ExecutionRoleArn=training_role,
        PrimaryContainer={
            "Image": inference_image,
            "ModelDataUrl": f"{artifacts}/{prod_job}/output/model.tar.gz",
        },
        VpcConfig=private_vpc,
        EnableNetworkIsolation=True,
        Tags=tags,
    )
    sm.create_model(
        ModelName=legacy_model,
        ExecutionRoleArn=legacy_role,
        PrimaryContainer={
            "Image": image_uri(account, region, "acme-ml/inference-legacy"),
            "ModelDataUrl": f"s3://{plan.artifact_bucket}/scratch/model.tar.gz",
        },
        Tags=tags,
    )
    names += [model, legacy_model]

    # Endpoint configs and endpoints: production is encrypted, redundant and captured;
    # staging runs one instance with no key.
    prod_config, staging_config = f"{p}-prod-config", f"{p}-staging-config"
    sm.create_endpoint_config(
        EndpointConfigName=prod_config,
        ProductionVariants=[
            {
                "VariantName": "primary",
                "ModelName": model,
                "InitialInstanceCount": 2,
                "InstanceType": "ml.g4dn.xlarge",
                "InitialVariantWeight": 1.0,
            }
        ],
        KmsKeyId=key,
        DataCaptureConfig={
            "EnableCapture": True,
            "InitialSamplingPercentage": 20,
            "DestinationS3Uri": f"s3://{plan.artifact_bucket}/data-capture/{p}",
            "KmsKeyId": key,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        },
        Tags=tags,
    )
    sm.create_endpoint_config(
        EndpointConfigName=staging_config,
        ProductionVariants=[
            {
                "VariantName": "primary",
                "ModelName": legacy_model,
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
                "InitialVariantWeight": 1.0,
            }
        ],
        Tags=tags,
    )
    prod_endpoint, staging_endpoint = f"{p}-prod", f"{p}-staging"
    sm.create_endpoint(EndpointName=prod_endpoint, EndpointConfigName=prod_config, Tags=tags)
    sm.create_endpoint(EndpointName=staging_endpoint, EndpointConfigName=staging_config, Tags=tags)
    names += [prod_config, staging_config, prod_endpoint, staging_endpoint]

    # The model registry: one approved version, one waiting for review.
    group = f"{p}-models"
    sm.create_model_package_group(ModelPackageGroupName=group, ModelPackageGroupDescription=f"{p} releases", Tags=tags)
    for status in ("Approved", "PendingManualApproval"):
        sm.create_model_package(
            ModelPackageGroupName=group,
            ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [
                    {
                        "Image": inference_image,
                        "ModelDataUrl": f"{artifacts}/{prod_job}/output/model.tar.gz",
                    }
                ],
                "SupportedContentTypes": ["application/json"],
                "SupportedResponseMIMETypes": ["application/json"],
            },
        )
    names.append(group)
    return names


def _training_job(
    sm: Any,
    name: str,
    image: str,
    role: str,
    inputs: dict[str, str],
    output: str,
    tags: list[dict[str, str]],
    *,
    kms: str | None = None,
    instances: int = 1,
    **options: Any,
) -> None:
    output_config: dict[str, Any] = {"S3OutputPath": output}
    resources: dict[str, Any] = {"InstanceType": "ml.g5.2xlarge", "InstanceCount": instances, "VolumeSizeInGB": 100}
    if kms:
        output_config["KmsKeyId"] = kms
        resources["VolumeKmsKeyId"] = kms
    sm.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
        RoleArn=role,
        InputDataConfig=[
            {
                "ChannelName": channel,
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": uri,
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            }
            for channel, uri in inputs.items()
        ],
        OutputDataConfig=output_config,
        ResourceConfig=resources,
        StoppingCondition={"MaxRuntimeInSeconds": 86400},
        HyperParameters={"epochs": "20", "learning-rate": "0.0003"},
        Tags=tags,
        **options,
    )
