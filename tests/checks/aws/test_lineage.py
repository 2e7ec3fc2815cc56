"""Graph checks: one small, well-configured AI account (a training job, its data and artifact
buckets, a model, an endpoint config and an InService endpoint, an ECR repository, a KMS key and
the training role), and a table of changes to it with the status each check must answer.

Checks are called the way the engine calls them: their injected parameters are filled from the
world by the annotations in their registry spec.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from cspm.checks.aws import lineage
from cspm.models import Result, Status
from cspm.registry import CheckSpec
from cspm.resources.aws.awslambda import LambdaFunction
from cspm.resources.aws.bedrock import (
    AgentGuardrail,
    BedrockAgent,
    CustomizationJob,
    CustomModel,
    DataSource,
    Guardrail,
    KnowledgeBase,
    ProvisionedThroughput,
)
from cspm.resources.aws.ecr import EcrImage, EcrRepository, ImageScan, RegistryScanning, RepositoryEncryption, ScanRule
from cspm.resources.aws.iam import IamGroup, IamPolicy, IamRole, IamUser, InlinePolicy
from cspm.resources.aws.kms import KmsKey
from cspm.resources.aws.s3 import Encryption, Grant, PublicAccessBlock, S3AccountSettings, S3Bucket, Versioning
from cspm.resources.aws.sagemaker import (
    Endpoint,
    EndpointConfig,
    KmsEncryption,
    Model,
    ModelContainer,
    ModelPackage,
    PackageContainer,
    ProductionVariant,
    TrainingJob,
)
from cspm.resources.base import Resource
from support import bedrock as B

ACCOUNT = "123456789012"
OTHER = "999988887777"
REGION = "us-east-1"
NOW = datetime(2026, 11, 25, tzinfo=UTC)
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1111-2222"
TRAIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/train"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/inference:v1"
DIGEST = "sha256:" + "a" * 64
ARTIFACT = "s3://art/out/train-1/output/model.tar.gz"
ALL_ON = PublicAccessBlock(
    block_public_acls=True, ignore_public_acls=True, block_public_policy=True, restrict_public_buckets=True
)
ALL_OFF = PublicAccessBlock()
SAGEMAKER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


ADMIN = doc(allow("*"))
TRAIN_POLICY = doc(
    allow(["s3:GetObject", "s3:ListBucket"], ["arn:aws:s3:::data", "arn:aws:s3:::data/*"]),
    allow("s3:PutObject", "arn:aws:s3:::art/out/*"),
    allow(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/inference"),
)


def sm(kind: str, name: str) -> dict[str, Any]:
    return {
        "uid": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{name}",
        "name": name,
        "account": ACCOUNT,
        "region": REGION,
    }


def bucket(name: str, **fields: Any) -> S3Bucket:
    base: dict[str, Any] = {
        "uid": f"arn:aws:s3:::{name}",
        "name": name,
        "account": ACCOUNT,
        "region": REGION,
        "encryption": Encryption(algorithm="aws:kms", kms_key_id=KEY_ARN),
        "versioning": Versioning(status="Enabled"),
        "public_access_block": ALL_ON,
        "policy": {},
        "policy_is_public": False,
        "acl_grants": (),
        "owner_id": "owner",
        "object_ownership": "BucketOwnerEnforced",
    }
    return S3Bucket(**(base | fields))


def role(name: str, document: dict[str, Any] | None, trust: dict[str, Any] | None = None, **fields: Any) -> IamRole:
    path = "/service-role/" if name == "train" else "/"
    return IamRole(
        uid=f"arn:aws:iam::{ACCOUNT}:role{path}{name}",
        name=name,
        account=ACCOUNT,
        path=path,
        trust_policy=trust or SAGEMAKER_TRUST,
        inline_policies=(InlinePolicy(name="main", document=document, document_error=None if document else "denied"),),
        **fields,
    )


def user(name: str, document: dict[str, Any] | None) -> IamUser:
    return IamUser(
        uid=f"arn:aws:iam::{ACCOUNT}:user/{name}",
        name=name,
        account=ACCOUNT,
        inline_policies=(InlinePolicy(name="main", document=document, document_error=None if document else "denied"),),
    )


COUNTS = {"HIGH": 2, "MEDIUM": 5}


def repository(**fields: Any) -> EcrRepository:
    base: dict[str, Any] = {
        "uid": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/inference",
        "name": "inference",
        "account": ACCOUNT,
        "region": REGION,
        "registry_id": ACCOUNT,
        "uri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/inference",
        "scan_on_push": True,
        "tag_mutability": "IMMUTABLE",
        "encryption": RepositoryEncryption(encryption_type="KMS", kms_key=KEY_ARN, key_manager="CUSTOMER"),
        "registry_scanning": RegistryScanning(scan_type="BASIC"),
        "images": (image(),),
    }
    return EcrRepository(**(base | fields))


def image(status: str = "COMPLETE", counts: dict[str, int] | None = COUNTS, **fields: Any) -> EcrImage:
    scan = ImageScan(status=status, severity_counts=counts)
    return EcrImage(**({"digest": DIGEST, "tags": ("v1",), "scan": scan} | fields))


@dataclass
class World:
    """Every snapshot of the account, by type; ``with_`` replaces or adds resources by uid."""

    resources: list[Resource] = field(default_factory=list)

    def of(self, rtype: type[Resource]) -> list[Resource]:
        return [r for r in self.resources if isinstance(r, rtype)]

    def get(self, rtype: type[Resource], name: str) -> Any:
        return next(r for r in self.of(rtype) if r.name == name)

    def change(self, rtype: type[Resource], name: str, **fields: Any) -> World:
        old = self.get(rtype, name)
        return World([old.model_copy(update=fields) if r is old else r for r in self.resources])

    def add(self, *resources: Resource) -> World:
        return World([*self.resources, *resources])

    def drop(self, rtype: type[Resource], name: str) -> World:
        old = self.get(rtype, name)
        return World([r for r in self.resources if r is not old])


def world() -> World:
    return World(
        [
            bucket("data"),
            bucket("art"),
            bucket("unrelated"),
            S3AccountSettings(
                uid=f"arn:aws:s3:::account/{ACCOUNT}", name=ACCOUNT, account=ACCOUNT, public_access_block=ALL_ON
            ),
            role("train", TRAIN_POLICY),
            TrainingJob(
                **sm("training-job", "train-1"),
                status="Completed",
                role_arn=TRAIN_ROLE,
                input_s3_uris=("s3://data/train",),
                output_s3_path="s3://art/out",
                model_artifacts_s3_uri=ARTIFACT,
                training_image=IMAGE,
                output_encryption=KmsEncryption(kms_key_id=KEY_ARN),
            ),
            Model(
                **sm("model", "model-1"),
                containers=(ModelContainer(image=IMAGE, model_data_url=ARTIFACT),),
                execution_role_arn=TRAIN_ROLE,
            ),
            EndpointConfig(
                **sm("endpoint-config", "config-1"),
                variants=(ProductionVariant(name="main", model_name="model-1", initial_instance_count=2),),
            ),
            Endpoint(**sm("endpoint", "prod"), status="InService", endpoint_config_name="config-1"),
            repository(),
            KmsKey(
                uid=KEY_ARN,
                name="alias/ml",
                account=ACCOUNT,
                region=REGION,
                key_id="1111-2222",
                manager="CUSTOMER",
                state="Enabled",
                aliases=("alias/ml",),
            ),
        ]
    )


def run(check: Callable[..., Result], rtype: type[Resource], name: str, w: World) -> Result:
    """Call a check as the engine would: the subject, then its injected parameters from ``w``."""
    spec: CheckSpec = check.__cspm_check__  # type: ignore[attr-defined]
    kwargs: dict[str, Any] = {}
    for dep in spec.dependencies:
        assert dep.resource_type is not None
        if dep.kind == "singleton":
            kwargs[dep.name] = w.of(dep.resource_type)[0]
        elif dep.kind == "all":
            kwargs[dep.name] = w.of(dep.resource_type)
        else:
            kwargs[dep.name] = NOW
    return check(w.get(rtype, name), **kwargs)


Change = Callable[[World], World]


def same(w: World) -> World:
    return w


def public_art(w: World) -> World:
    w = w.change(S3Bucket, "art", public_access_block=ALL_OFF, policy_is_public=True)
    settings = w.of(S3AccountSettings)[0]
    return World([r.model_copy(update={"public_access_block": ALL_OFF}) if r is settings else r for r in w.resources])


CI_WRITES_ART = role("ci", doc(allow("s3:PutObject", "arn:aws:s3:::art/*")))
DENY_ALL_BUT_TRAIN = doc(
    {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::art/*",
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": TRAIN_ROLE}},
    }
)
CROSS_ACCOUNT_WRITE = doc(
    {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
        "Action": "s3:PutObject",
        "Resource": ["arn:aws:s3:::art/*", "arn:aws:s3:::data/*"],
    }
)

ENDPOINT_CASES: list[tuple[str, Change, Status | None, str]] = [
    ("hardened", same, Status.PASS, "writable only by their training roles"),
    ("an admin role can write, as everywhere", lambda w: w.add(role("admin", ADMIN)), Status.PASS, ""),
    (
        "unversioned",
        lambda w: w.change(S3Bucket, "art", versioning=Versioning(status="Suspended")),
        Status.FAIL,
        "not versioned",
    ),
    ("public", public_art, Status.FAIL, "is public"),
    ("another role can overwrite", lambda w: w.add(CI_WRITES_ART), Status.FAIL, "overwritten by ci"),
    (
        "a bucket policy Deny stops the other role",
        lambda w: w.add(CI_WRITES_ART).change(S3Bucket, "art", policy=DENY_ALL_BUT_TRAIN),
        Status.PASS,
        "",
    ),
    (
        "another account is granted writes",
        lambda w: w.change(S3Bucket, "art", policy=CROSS_ACCOUNT_WRITE),
        Status.FAIL,
        OTHER,
    ),
    ("a user's policy is unreadable", lambda w: w.add(user("bob", None)), Status.ERROR, "user bob: inline policy main"),
    ("versioning unreadable", lambda w: w.change(S3Bucket, "art", versioning=None), Status.ERROR, "versioning"),
    ("artifact bucket deleted", lambda w: w.drop(S3Bucket, "art"), Status.ERROR, "bucket art is not in the inventory"),
    (
        "endpoint config deleted",
        lambda w: w.drop(EndpointConfig, "config-1"),
        Status.ERROR,
        "endpoint config config-1 was not found",
    ),
    ("model unreadable", lambda w: w.change(Model, "model-1", containers=None), Status.ERROR, "could not be described"),
    ("endpoint unreadable", lambda w: w.change(Endpoint, "prod", status=None), Status.ERROR, "could not be described"),
    ("endpoint not in service", lambda w: w.change(Endpoint, "prod", status="Creating"), None, "Creating"),
    (
        "artifact of a model package in an unversioned bucket",
        lambda w: from_package()(w).change(S3Bucket, "art", versioning=Versioning(status="Suspended")),
        Status.FAIL,
        "not versioned",
    ),
    (
        "model has no S3 artifact",
        lambda w: w.change(Model, "model-1", containers=(ModelContainer(image=IMAGE),)),
        None,
        "no artifact",
    ),
]


@pytest.mark.parametrize(
    ("change", "expected", "text"), [c[1:] for c in ENDPOINT_CASES], ids=[c[0] for c in ENDPOINT_CASES]
)
def test_endpoint_model_artifacts_are_protected(change: Change, expected: Status | None, text: str) -> None:
    result = run(lineage.endpoint_model_artifacts_are_protected, Endpoint, "prod", change(world()))
    assert result.status is expected, result.message
    assert text in result.message or text in str(result.evidence)


def test_endpoint_evidence_names_the_writers_and_the_training_role() -> None:
    w = world().add(CI_WRITES_ART, role("admin", ADMIN))
    result = run(lineage.endpoint_model_artifacts_are_protected, Endpoint, "prod", w)
    problem = result.evidence["problems"][0]
    assert [x["principal"] for x in problem["writers"]] == [f"arn:aws:iam::{ACCOUNT}:role/ci"]
    assert problem["admin_writers"] == [f"arn:aws:iam::{ACCOUNT}:role/admin"]
    assert result.evidence["models"][0]["training_roles"] == [TRAIN_ROLE]


TRAINING_DATA_CASES: list[tuple[str, Change, Status | None, str]] = [
    ("private data", same, Status.PASS, "No public"),
    ("an admin user exists", lambda w: w.add(user("admin", ADMIN)), Status.PASS, ""),
    (
        "the job's own role may write everywhere",
        lambda w: w.change(IamRole, "train", inline_policies=(InlinePolicy(name="x", document=doc(allow("s3:*"))),)),
        Status.PASS,
        "",
    ),
    (
        "public data bucket",
        lambda w: w.change(S3Bucket, "data", public_access_block=ALL_OFF, policy_is_public=True).change(
            S3AccountSettings, ACCOUNT, public_access_block=ALL_OFF
        ),
        Status.FAIL,
        "is public",
    ),
    ("another account may write", lambda w: w.change(S3Bucket, "data", policy=CROSS_ACCOUNT_WRITE), Status.FAIL, OTHER),
    (
        "a user may write to every bucket",
        lambda w: w.add(user("intern", doc(allow(["s3:PutObject", "s3:GetObject"])))),
        Status.FAIL,
        "intern",
    ),
    (
        "a public ACL grants writes",
        lambda w: w.change(
            S3Bucket,
            "data",
            public_access_block=ALL_OFF,
            acl_grants=(
                Grant(
                    grantee_type="Group", grantee="http://acs.amazonaws.com/groups/global/AllUsers", permission="WRITE"
                ),
            ),
        ).change(S3AccountSettings, ACCOUNT, public_access_block=ALL_OFF),
        Status.FAIL,
        "AllUsers",
    ),
    ("data bucket deleted", lambda w: w.drop(S3Bucket, "data"), Status.ERROR, "bucket data is not in the inventory"),
    ("ACL unreadable", lambda w: w.change(S3Bucket, "data", acl_grants=None), Status.ERROR, "ACL"),
    (
        "job unreadable",
        lambda w: w.change(TrainingJob, "train-1", input_s3_uris=None),
        Status.ERROR,
        "could not be described",
    ),
    ("no S3 input", lambda w: w.change(TrainingJob, "train-1", input_s3_uris=()), None, "no data"),
]


@pytest.mark.parametrize(
    ("change", "expected", "text"), [c[1:] for c in TRAINING_DATA_CASES], ids=[c[0] for c in TRAINING_DATA_CASES]
)
def test_training_data_is_not_broadly_writable(change: Change, expected: Status | None, text: str) -> None:
    result = run(lineage.training_data_is_not_broadly_writable, TrainingJob, "train-1", change(world()))
    assert result.status is expected, result.message
    assert text in result.message or text in str(result.evidence)


LEGACY_ADMIN = role("legacy", ADMIN)
PASS_AND_TRAIN = doc(allow("iam:PassRole"), allow("sagemaker:CreateTrainingJob"))

ESCALATION_CASES: list[tuple[str, Change, Status | None, str]] = [
    ("scoped role", same, Status.PASS, "no path"),
    ("scoped role next to an admin role it cannot reach", lambda w: w.add(LEGACY_ADMIN), Status.PASS, "no path"),
    (
        "the role is admin",
        lambda w: w.change(IamRole, "train", inline_policies=(InlinePolicy(name="x", document=ADMIN),)),
        Status.FAIL,
        "itself administrator",
    ),
    (
        "the role can pass an admin role to a new training job",
        lambda w: w.add(LEGACY_ADMIN).change(
            IamRole, "train", inline_policies=(InlinePolicy(name="x", document=PASS_AND_TRAIN),)
        ),
        Status.FAIL,
        "legacy (sagemaker-training-job)",
    ),
    (
        "the job names the admin role without its path: the resolved role is assessed",
        lambda w: w.change(IamRole, "train", inline_policies=(InlinePolicy(name="x", document=ADMIN),)).change(
            TrainingJob, "train-1", role_arn=f"arn:aws:iam::{ACCOUNT}:role/train"
        ),
        Status.FAIL,
        "itself administrator",
    ),
    (
        "the role's policy is unreadable",
        lambda w: w.change(IamRole, "train", inline_policies=(InlinePolicy(name="x", document_error="denied"),)),
        Status.ERROR,
        "denied",
    ),
    (
        "the role is in another account",
        lambda w: w.change(TrainingJob, "train-1", role_arn=f"arn:aws:iam::{OTHER}:role/train"),
        Status.ERROR,
        "another account",
    ),
    (
        "the role is unreadable",
        lambda w: w.change(TrainingJob, "train-1", role_arn=None),
        Status.ERROR,
        "could not be read",
    ),
    # mkt-algo-model-internet-free.html: with network isolation "no AWS credentials are made
    # available to the container runtime environment", so the job's code cannot use the role.
    (
        "an admin role on a network-isolated job",
        lambda w: w.change(IamRole, "train", inline_policies=(InlinePolicy(name="x", document=ADMIN),)).change(
            TrainingJob, "train-1", network_isolation=True
        ),
        None,  # not applicable
        "network isolation",
    ),
    (
        "an admin role on a job whose isolation setting is unreadable is still assessed",
        lambda w: w.change(IamRole, "train", inline_policies=(InlinePolicy(name="x", document=ADMIN),)).change(
            TrainingJob, "train-1", network_isolation=None
        ),
        Status.FAIL,
        "itself administrator",
    ),
]


@pytest.mark.parametrize(
    ("change", "expected", "text"), [c[1:] for c in ESCALATION_CASES], ids=[c[0] for c in ESCALATION_CASES]
)
def test_training_role_cannot_escalate_to_admin(change: Change, expected: Status | None, text: str) -> None:
    result = run(lineage.training_role_cannot_escalate_to_admin, TrainingJob, "train-1", change(world()))
    assert result.status is expected, result.message
    assert text in result.message


def test_escalation_evidence_is_the_path() -> None:
    w = (
        world()
        .add(LEGACY_ADMIN)
        .change(IamRole, "train", inline_policies=(InlinePolicy(name="x", document=PASS_AND_TRAIN),))
    )
    result = run(lineage.training_role_cannot_escalate_to_admin, TrainingJob, "train-1", w)
    assert [(e["target"], e["method"]) for e in result.evidence["path"]] == [
        (f"arn:aws:iam::{ACCOUNT}:role/legacy", "sagemaker-training-job")
    ]


PACKAGE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/fraud/3"


def from_package(**fields: Any) -> Change:
    """The model's only container comes from version 3 of the ``fraud`` model package group."""
    base: dict[str, Any] = {
        "uid": PACKAGE_ARN,
        "name": "fraud/3",
        "account": ACCOUNT,
        "region": REGION,
        "group_name": "fraud",
        "version": 3,
        "approval_status": "Approved",
        "containers": (PackageContainer(image=IMAGE, model_data_url=ARTIFACT),),
    }
    package = ModelPackage(**(base | fields))
    container = ModelContainer(model_package_name=PACKAGE_ARN)
    return lambda w: w.add(package).change(Model, "model-1", containers=(container,))


def with_image(uri: str) -> Change:
    return lambda w: w.change(Model, "model-1", containers=(ModelContainer(image=uri, model_data_url=ARTIFACT),))


IMAGE_CASES: list[tuple[str, Change, Status | None, str]] = [
    ("immutable, scanned, no criticals", same, Status.PASS, "Every image"),
    (
        "mutable repository, image pinned by digest",
        lambda w: with_image(f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/inference@{DIGEST}")(
            w.change(EcrRepository, "inference", tag_mutability="MUTABLE")
        ),
        Status.PASS,
        "",
    ),
    (
        "mutable tag",
        lambda w: w.change(EcrRepository, "inference", tag_mutability="MUTABLE"),
        Status.FAIL,
        "is mutable",
    ),
    (
        "tag excluded from immutability",
        lambda w: w.change(
            EcrRepository, "inference", tag_mutability="IMMUTABLE_WITH_EXCLUSION", tag_mutability_exclusions=("v*",)
        ),
        Status.FAIL,
        "is mutable",
    ),
    (
        "no scanning",
        lambda w: w.change(EcrRepository, "inference", scan_on_push=False),
        Status.FAIL,
        "no image scanning",
    ),
    (
        "enhanced scanning by registry rule",
        lambda w: w.change(
            EcrRepository,
            "inference",
            scan_on_push=False,
            registry_scanning=RegistryScanning(
                scan_type="ENHANCED", rules=(ScanRule(frequency="CONTINUOUS_SCAN", filters=("*",)),)
            ),
        ),
        Status.PASS,
        "",
    ),
    (
        "critical findings",
        lambda w: w.change(EcrRepository, "inference", images=(image(counts={"CRITICAL": 3}),)),
        Status.FAIL,
        "3 critical findings",
    ),
    (
        "image never scanned",
        lambda w: w.change(EcrRepository, "inference", images=(image(status="NOT_SCANNED", counts=None),)),
        Status.FAIL,
        "not scanned",
    ),
    ("image from Docker Hub", with_image("docker.io/library/python:3.11"), Status.FAIL, "not in a private ECR"),
    (
        "image in another account's registry",
        with_image(f"763104351884.dkr.ecr.{REGION}.amazonaws.com/pytorch-inference:2.3"),
        Status.ERROR,
        "another account (763104351884)",
    ),
    (
        "image deleted from the repository",
        lambda w: w.change(EcrRepository, "inference", images=(image(tags=("v2",)),)),
        Status.ERROR,
        "not in repository",
    ),
    (
        "scan in progress",
        lambda w: w.change(EcrRepository, "inference", images=(image(status="IN_PROGRESS", counts=None),)),
        Status.ERROR,
        "IN_PROGRESS",
    ),
    (
        "registry scanning unreadable",
        lambda w: w.change(EcrRepository, "inference", registry_scanning=None),
        Status.ERROR,
        "scanning",
    ),
    (
        "images unreadable",
        lambda w: w.change(EcrRepository, "inference", images=None),
        Status.ERROR,
        "could not be listed",
    ),
    (
        "repository deleted",
        lambda w: w.drop(EcrRepository, "inference"),
        Status.ERROR,
        "repository inference was not found",
    ),
    ("model unreadable", lambda w: w.change(Model, "model-1", containers=None), Status.ERROR, "could not be described"),
    (
        "image from a model package",
        lambda w: w.change(Model, "model-1", containers=(ModelContainer(model_package_name="fraud/3"),)),
        Status.ERROR,
        "model package fraud/3 was not found",
    ),
    ("image from a registered model package", from_package(), Status.PASS, "Every image"),
    (
        "image from a model package with a mutable tag",
        lambda w: from_package()(w).change(EcrRepository, "inference", tag_mutability="MUTABLE"),
        Status.FAIL,
        "is mutable",
    ),
    ("model package undescribed", from_package(containers=None), Status.ERROR, "could not be described"),
    ("no containers", lambda w: w.change(Model, "model-1", containers=()), None, "no image"),
]


@pytest.mark.parametrize(("change", "expected", "text"), [c[1:] for c in IMAGE_CASES], ids=[c[0] for c in IMAGE_CASES])
def test_model_images_are_scanned_and_immutable(change: Change, expected: Status | None, text: str) -> None:
    result = run(lineage.model_images_are_scanned_and_immutable, Model, "model-1", change(world()))
    assert result.status is expected, result.message
    assert text in result.message


def key_change(**fields: Any) -> Change:
    return lambda w: w.change(KmsKey, "alias/ml", **fields)


KMS_CASES: list[tuple[str, str, Change, Status | None, str]] = [
    ("artifact bucket with an enabled customer key", "art", same, Status.PASS, "customer-managed key alias/ml"),
    (
        "data bucket through the key alias",
        "data",
        lambda w: w.change(S3Bucket, "data", encryption=Encryption(algorithm="aws:kms", kms_key_id="alias/ml")),
        Status.PASS,
        "",
    ),
    ("bucket outside the AI chain", "unrelated", same, None, "not part of an AI supply chain"),
    (
        "SSE-S3",
        "art",
        lambda w: w.change(S3Bucket, "art", encryption=Encryption(algorithm="AES256")),
        Status.FAIL,
        "AES256",
    ),
    (
        "aws/s3 key",
        "art",
        lambda w: w.change(S3Bucket, "art", encryption=Encryption(algorithm="aws:kms")),
        Status.FAIL,
        "AWS-managed",
    ),
    ("key pending deletion", "art", key_change(state="PendingDeletion"), Status.FAIL, "PendingDeletion"),
    ("AWS-managed key by id", "art", key_change(manager="AWS"), Status.FAIL, "AWS-managed"),
    (
        "key of another account",
        "art",
        lambda w: w.change(
            S3Bucket,
            "art",
            encryption=Encryption(algorithm="aws:kms", kms_key_id=f"arn:aws:kms:{REGION}:{OTHER}:key/x"),
        ),
        Status.PASS,
        OTHER,
    ),
    ("key deleted", "art", lambda w: w.drop(KmsKey, "alias/ml"), Status.ERROR, "key 1111-2222 was not found"),
    (
        "key in another region",
        "art",
        lambda w: w.change(
            S3Bucket,
            "art",
            encryption=Encryption(algorithm="aws:kms", kms_key_id=f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/x"),
        ),
        Status.ERROR,
        "another region (eu-west-1)",
    ),
    ("key undescribed", "art", key_change(manager=None, state=None), Status.ERROR, "could not be described"),
    (
        "encryption unreadable",
        "art",
        lambda w: w.change(S3Bucket, "art", encryption=None),
        Status.ERROR,
        "could not be read",
    ),
]


@pytest.mark.parametrize(
    ("name", "change", "expected", "text"), [c[1:] for c in KMS_CASES], ids=[c[0] for c in KMS_CASES]
)
def test_ai_bucket_encrypted_with_customer_managed_key(
    name: str, change: Change, expected: Status | None, text: str
) -> None:
    result = run(lineage.ai_bucket_encrypted_with_customer_managed_key, S3Bucket, name, change(world()))
    assert result.status is expected, result.message
    assert text in result.message


def test_ai_bucket_evidence_names_its_users() -> None:
    result = run(lineage.ai_bucket_encrypted_with_customer_managed_key, S3Bucket, "art", world())
    used = {(u["name"], u["relation"]) for u in result.evidence["used_by"]}
    assert used == {("train-1", "writes"), ("train-1", "produced"), ("model-1", "loads")}


def test_group_and_policy_types_are_injected() -> None:
    """The checks that read IAM take groups and managed policies too (user policies come through groups)."""
    spec: CheckSpec = lineage.endpoint_model_artifacts_are_protected.__cspm_check__  # type: ignore[attr-defined]
    types = {d.resource_type for d in spec.dependencies}
    assert {IamGroup, IamPolicy, IamUser, IamRole} <= types


def test_a_group_grant_counts_as_a_writer() -> None:
    group = IamGroup(
        uid=f"arn:aws:iam::{ACCOUNT}:group/data-eng",
        name="data-eng",
        account=ACCOUNT,
        inline_policies=(InlinePolicy(name="w", document=doc(allow("s3:PutObject", "arn:aws:s3:::art/*"))),),
    )
    member = IamUser(uid=f"arn:aws:iam::{ACCOUNT}:user/eve", name="eve", account=ACCOUNT, groups=("data-eng",))
    result = run(lineage.endpoint_model_artifacts_are_protected, Endpoint, "prod", world().add(group, member))
    assert result.status is Status.FAIL and "eve" in result.message


# ---------------------------------------------------------------------------------------------
# Bedrock: models in service, agents' knowledge bases, agents' tools
# ---------------------------------------------------------------------------------------------


def trust_of(service: str) -> dict[str, Any]:
    return doc({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


BEDROCK_TRUST, LAMBDA_TRUST = trust_of("bedrock.amazonaws.com"), trust_of("lambda.amazonaws.com")
READ_ONLY = doc(allow("s3:GetObject", "arn:aws:s3:::kb-docs/*"))
TOOL_ROLE = f"arn:aws:iam::{ACCOUNT}:role/refund-tool-role"


def refund_tool(role_arn: str | None = TOOL_ROLE) -> LambdaFunction:
    return LambdaFunction(uid=B.FUNCTION_ARN, name="refund-tool", account=ACCOUNT, region=REGION, role_arn=role_arn)


def bedrock_world() -> World:
    """The graph checks' world plus a hardened Bedrock estate (tests/support/bedrock.py): a custom
    model in service trained on a private bucket, an imported model, an agent with a guardrail, a
    knowledge base on a private bucket and an action-group function with a scoped role."""
    estate = [r.model_copy(update={"action_groups": (B.action_group(),)}) if isinstance(r, BedrockAgent) else r
              for r in B.estate()]  # fmt: skip
    roles = [role(n, READ_ONLY, BEDROCK_TRUST) for n in ("bedrock-tuning", "bedrock-import", "bedrock-agent")]
    return world().add(
        *estate,
        *(bucket(n) for n in ("train", "tuning-out", "weights", "kb-docs")),
        *roles,
        role("bedrock-kb", READ_ONLY, BEDROCK_TRUST),
        role("refund-tool-role", doc(allow("dynamodb:UpdateItem", "*")), LAMBDA_TRUST),
        refund_tool(),
    )


def cross_account_write(name: str) -> Change:
    policy = doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{name}/*",
        }
    )
    return lambda w: w.change(S3Bucket, name, policy=policy)


def public(name: str) -> Change:
    return lambda w: w.change(S3Bucket, name, public_access_block=ALL_OFF, policy_is_public=True).change(
        S3AccountSettings, ACCOUNT, public_access_block=ALL_OFF
    )


INTERN = user("intern", doc(allow(["s3:PutObject", "s3:GetObject"])))  # may write to every bucket

PROVISIONED_CASES: list[tuple[str, str, Change, Status | None, str]] = [
    ("hardened custom model", "fraud-llm-pt", same, Status.PASS, "No public"),
    ("hardened imported model", "llama-pt", same, Status.PASS, "No public"),
    ("training data writable by another account", "fraud-llm-pt", cross_account_write("train"), Status.FAIL, OTHER),
    ("training data public", "fraud-llm-pt", public("train"), Status.FAIL, "is public"),
    ("imported weights writable by everyone's intern", "llama-pt", lambda w: w.add(INTERN), Status.FAIL, "intern"),
    (
        "the job is gone: the model's own record of its data is judged",
        "fraud-llm-pt",
        lambda w: cross_account_write("train")(w.drop(CustomizationJob, "tune-1")),
        Status.FAIL,
        "s3://train/data/",
    ),
    (
        "training bucket deleted",
        "fraud-llm-pt",
        lambda w: w.drop(S3Bucket, "train"),
        Status.ERROR,
        "not in the inventory",
    ),
    ("ACL unreadable", "fraud-llm-pt", lambda w: w.change(S3Bucket, "train", acl_grants=None), Status.ERROR, "ACL"),
    (
        "model undescribed and job gone",
        "fraud-llm-pt",
        lambda w: w.drop(CustomizationJob, "tune-1").change(
            CustomModel, "fraud-llm", status=None, job_arn=None, job_name=None, training_data_s3_uri=None
        ),
        Status.ERROR,
        "could not be read",
    ),
    (
        "throughput unreadable",
        "fraud-llm-pt",
        lambda w: w.change(ProvisionedThroughput, "fraud-llm-pt", status=None),
        Status.ERROR,
        "could not be described",
    ),
    (
        "throughput not in service",
        "fraud-llm-pt",
        lambda w: w.change(ProvisionedThroughput, "fraud-llm-pt", status="Creating"),
        None,
        "Creating",
    ),
    (
        "a foundation model",
        "fraud-llm-pt",
        lambda w: w.change(ProvisionedThroughput, "fraud-llm-pt", model_arn=B.BASE_MODEL),
        None,
        "foundation model",
    ),
]


@pytest.mark.parametrize(
    ("name", "change", "expected", "text"), [c[1:] for c in PROVISIONED_CASES], ids=[c[0] for c in PROVISIONED_CASES]
)
def test_provisioned_model_training_data_is_not_broadly_writable(
    name: str, change: Change, expected: Status | None, text: str
) -> None:
    check = lineage.provisioned_model_training_data_is_not_broadly_writable
    result = run(check, ProvisionedThroughput, name, change(bedrock_world()))
    assert result.status is expected, result.message
    assert text in result.message or text in str(result.evidence)


def sources(*data_sources: DataSource) -> Change:
    return lambda w: w.change(KnowledgeBase, "support-docs", data_sources=data_sources)


KNOWLEDGE_BASE_CASES: list[tuple[str, Change, Status | None, str]] = [
    ("private documents", same, Status.PASS, "No public"),
    ("documents writable by another account", cross_account_write("kb-docs"), Status.FAIL, OTHER),
    ("documents public", public("kb-docs"), Status.FAIL, "is public"),
    ("a principal may write to every bucket", lambda w: w.add(INTERN), Status.FAIL, "intern"),
    ("a web crawler", sources(B.data_source(), B.data_source(type="WEB", bucket_arn=None)), Status.FAIL, "crawls"),
    ("a Confluence connector", sources(B.data_source(type="CONFLUENCE", bucket_arn=None)), Status.ERROR, "CONFLUENCE"),
    ("data source undescribed", sources(B.data_source(described=False)), Status.ERROR, "could not be described"),
    (
        "data sources unlisted",
        lambda w: w.change(KnowledgeBase, "support-docs", data_sources=None),
        Status.ERROR,
        "could not be listed",
    ),
    (
        "knowledge base deleted",
        lambda w: w.drop(KnowledgeBase, "support-docs"),
        Status.ERROR,
        "KB00000001 was not found",
    ),
    ("document bucket deleted", lambda w: w.drop(S3Bucket, "kb-docs"), Status.ERROR, "not in the inventory"),
    (
        "knowledge bases unlisted",
        lambda w: w.change(BedrockAgent, "support-agent", knowledge_base_ids=None),
        Status.ERROR,
        "could not be listed",
    ),
    (
        "no knowledge base",
        lambda w: w.change(BedrockAgent, "support-agent", knowledge_base_ids=()),
        None,
        "no knowledge",
    ),
]


@pytest.mark.parametrize(
    ("change", "expected", "text"), [c[1:] for c in KNOWLEDGE_BASE_CASES], ids=[c[0] for c in KNOWLEDGE_BASE_CASES]
)
def test_agent_knowledge_base_data_is_not_broadly_writable(change: Change, expected: Status | None, text: str) -> None:
    result = run(
        lineage.agent_knowledge_base_data_is_not_broadly_writable,
        BedrockAgent,
        "support-agent",
        change(bedrock_world()),
    )
    assert result.status is expected, result.message
    assert text in result.message or text in str(result.evidence)


def unguarded(w: World) -> World:
    return w.change(BedrockAgent, "support-agent", guardrail=AgentGuardrail(configured=False))


def admin_tool(w: World) -> World:
    return w.change(IamRole, "refund-tool-role", inline_policies=(InlinePolicy(name="x", document=ADMIN),))


LAMBDA_ADMIN_ROLE = role("lambda-admin", ADMIN, LAMBDA_TRUST)
PASS_AND_CREATE_FUNCTION = doc(allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]))

TOOL_CASES: list[tuple[str, Change, Status | None, str]] = [
    ("guarded, even with an admin tool", admin_tool, Status.PASS, "filters prompt attacks (HIGH)"),
    ("unguarded, scoped tools", unguarded, Status.PASS, "not guarded (no guardrail), but no tool"),
    (
        "unguarded, the function's role is admin",
        lambda w: admin_tool(unguarded(w)),
        Status.FAIL,
        "refund-tool runs as refund-tool-role, which is administrator-equivalent",
    ),
    (
        "unguarded, the function's role can pass an admin role to a new function",
        lambda w: (
            unguarded(w)
            .add(LAMBDA_ADMIN_ROLE)
            .change(
                IamRole,
                "refund-tool-role",
                inline_policies=(InlinePolicy(name="x", document=PASS_AND_CREATE_FUNCTION),),
            )
        ),
        Status.FAIL,
        "lambda-admin (lambda-create-function)",
    ),
    (
        "unguarded, the agent's own role is admin",
        lambda w: unguarded(w).change(
            IamRole, "bedrock-agent", inline_policies=(InlinePolicy(name="x", document=ADMIN),)
        ),
        Status.FAIL,
        "runs as bedrock-agent",
    ),
    (
        "the guardrail was deleted",
        lambda w: admin_tool(w).change(
            BedrockAgent,
            "support-agent",
            guardrail=AgentGuardrail(
                configured=True, identifier="gr-gone", exists=False, reason="guardrail gr-gone was deleted"
            ),
        ),
        Status.FAIL,
        "not guarded (guardrail gr-gone was deleted)",
    ),
    (
        "the guardrail has no prompt-attack filter",
        lambda w: admin_tool(w).change(Guardrail, "support-guardrail", content_filters=()),
        Status.FAIL,
        "has no prompt-attack filter",
    ),
    (
        "the prompt-attack filter is NONE",
        lambda w: admin_tool(w).change(
            Guardrail, "support-guardrail", content_filters=(B.guardrail("NONE").content_filters or ())
        ),
        Status.FAIL,
        "has no prompt-attack filter",
    ),
    (
        "the guardrail is not in the scan: an admin tool is not enough to fail",
        lambda w: admin_tool(w).drop(Guardrail, "support-guardrail"),
        Status.ERROR,
        "was not found",
    ),
    (
        "the guardrail is undescribed",
        lambda w: w.change(Guardrail, "support-guardrail", content_filters=None),
        Status.ERROR,
        "could not be described",
    ),
    (
        "the function is not in the scan",
        lambda w: unguarded(w).drop(LambdaFunction, "refund-tool"),
        Status.ERROR,
        "function refund-tool",
    ),
    (
        "the function's role is unknown",
        lambda w: unguarded(w).drop(LambdaFunction, "refund-tool").add(refund_tool(None)),
        Status.ERROR,
        "role of function refund-tool could not be read",
    ),
    (
        "the function role's policy is unreadable",
        lambda w: unguarded(w).change(
            IamRole, "refund-tool-role", inline_policies=(InlinePolicy(name="x", document_error="denied"),)
        ),
        Status.ERROR,
        "denied",
    ),
    (
        "the guardrail configuration is unreadable",
        lambda w: w.change(BedrockAgent, "support-agent", guardrail=None),
        Status.ERROR,
        "could not be read",
    ),
]


@pytest.mark.parametrize(("change", "expected", "text"), [c[1:] for c in TOOL_CASES], ids=[c[0] for c in TOOL_CASES])
def test_unguarded_agent_tools_cannot_reach_admin(change: Change, expected: Status | None, text: str) -> None:
    result = run(
        lineage.unguarded_agent_tools_cannot_reach_admin, BedrockAgent, "support-agent", change(bedrock_world())
    )
    assert result.status is expected, result.message
    assert text in result.message, result.message


def test_unguarded_agent_evidence_is_the_path_of_each_tool() -> None:
    w = (
        unguarded(bedrock_world())
        .add(LAMBDA_ADMIN_ROLE)
        .change(
            IamRole, "refund-tool-role", inline_policies=(InlinePolicy(name="x", document=PASS_AND_CREATE_FUNCTION),)
        )
    )
    result = run(lineage.unguarded_agent_tools_cannot_reach_admin, BedrockAgent, "support-agent", w)
    (problem,) = [p for p in result.evidence["problems"] if "tool" in p]
    assert (problem["tool"], problem["role"]) == (B.FUNCTION_ARN, TOOL_ROLE)
    assert [(e["target"], e["method"]) for e in problem["path"]] == [
        (f"arn:aws:iam::{ACCOUNT}:role/lambda-admin", "lambda-create-function")
    ]
    assert {t["role"] for t in result.evidence["tools"]} == {TOOL_ROLE, B.role_arn("bedrock-agent")}


def test_buckets_bedrock_uses_are_part_of_the_ai_chain() -> None:
    w = bedrock_world()
    result = run(lineage.ai_bucket_encrypted_with_customer_managed_key, S3Bucket, "kb-docs", w)
    assert result.status is Status.PASS, result.message
    assert [(u["name"], u["type"]) for u in result.evidence["used_by"]] == [
        ("support-docs", "aws.bedrock.knowledge_base")
    ]
    aes = w.change(S3Bucket, "train", encryption=Encryption(algorithm="AES256"))
    result = run(lineage.ai_bucket_encrypted_with_customer_managed_key, S3Bucket, "train", aes)
    assert result.status is Status.FAIL and result.evidence["used_by"][0]["name"] == "tune-1"
