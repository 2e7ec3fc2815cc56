"""The lineage graph (cspm.lineage): construction from hand-built snapshots, unresolved references,
the caches, write access and escalation helpers, the severity rule, node annotations, the AI
inventory, and the engine's report section validated against the generated schema."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cspm import lineage as L
from cspm.engine import CollectorUnit, UnitContext, scan
from cspm.iam.inventory import account_analysis
from cspm.models import Baseline, Finding, Lineage, LineageEdge, ResourceEntry, Scope, Severity, Status, finding_uid
from cspm.registry import load_checks
from cspm.resources.aws.ecr import EcrImage, EcrRepository, RepositoryEncryption
from cspm.resources.aws.iam import IamGroup, IamRole, IamUser, InlinePolicy
from cspm.resources.aws.kms import KmsKey
from cspm.resources.aws.s3 import Encryption, Grant, PublicAccessBlock, S3AccountSettings, S3Bucket, Versioning
from cspm.resources.aws.sagemaker import (
    DataCapture,
    Domain,
    Endpoint,
    EndpointConfig,
    FeatureGroup,
    KmsEncryption,
    Model,
    ModelContainer,
    ModelPackage,
    ModelPackageGroup,
    NotebookInstance,
    OfflineStore,
    OnlineStore,
    PackageContainer,
    ProcessingJob,
    ProductionVariant,
    TrainingJob,
)
from cspm.resources.base import Resource

ROOT = Path(__file__).resolve().parent.parent
A = "123456789012"
OTHER = "999988887777"
R = "us-east-1"
KEY = f"arn:aws:kms:{R}:{A}:key/k-1"
ROLE = f"arn:aws:iam::{A}:role/train"
OWN_IMAGE = f"{A}.dkr.ecr.{R}.amazonaws.com/inference:v1"
AWS_IMAGE = f"763104351884.dkr.ecr.{R}.amazonaws.com/pytorch-training:2.3"
ARTIFACT = "s3://art/out/job-1/output/model.tar.gz"


def sm(kind: str, name: str, region: str = R) -> dict[str, Any]:
    return {"uid": f"arn:aws:sagemaker:{region}:{A}:{kind}/{name}", "name": name, "account": A, "region": region}


def bucket(name: str, **fields: Any) -> S3Bucket:
    return S3Bucket(uid=f"arn:aws:s3:::{name}", name=name, account=A, region=R, **fields)


def job(name: str = "job-1", **fields: Any) -> TrainingJob:
    base: dict[str, Any] = {
        "status": "Completed",
        "role_arn": ROLE,
        "input_s3_uris": ("s3://data/train", "s3://data/validation/"),
        "output_s3_path": "s3://art/out",
        "model_artifacts_s3_uri": ARTIFACT,
        "training_image": AWS_IMAGE,
        "volume_encryption": KmsEncryption(kms_key_id="alias/ml"),
        "output_encryption": KmsEncryption(kms_key_id=KEY),
    }
    return TrainingJob(**sm("training-job", name), **(base | fields))


def model(name: str = "model-1", **fields: Any) -> Model:
    base: dict[str, Any] = {
        "containers": (ModelContainer(image=OWN_IMAGE, model_data_url=ARTIFACT),),
        "execution_role_arn": ROLE,
    }
    return Model(**sm("model", name), **(base | fields))


def config(name: str = "config-1", model_name: str = "model-1", **fields: Any) -> EndpointConfig:
    base: dict[str, Any] = {
        "variants": (ProductionVariant(name="main", model_name=model_name, initial_instance_count=2),),
        "encryption": KmsEncryption(kms_key_id=KEY),
        "data_capture": DataCapture(enabled=True, destination_s3_uri="s3://capture/prod", kms_key_id=KEY),
    }
    return EndpointConfig(**sm("endpoint-config", name), **(base | fields))


def endpoint(name: str = "prod", config_name: str = "config-1", status: str = "InService") -> Endpoint:
    return Endpoint(**sm("endpoint", name), status=status, endpoint_config_name=config_name)


def key() -> KmsKey:
    return KmsKey(
        uid=KEY,
        name="alias/ml",
        account=A,
        region=R,
        key_id="k-1",
        manager="CUSTOMER",
        state="Enabled",
        aliases=("alias/ml",),
    )


def repo(images: tuple[EcrImage, ...] | None = None) -> EcrRepository:
    return EcrRepository(
        uid=f"arn:aws:ecr:{R}:{A}:repository/inference",
        name="inference",
        account=A,
        region=R,
        registry_id=A,
        uri=f"{A}.dkr.ecr.{R}.amazonaws.com/inference",
        scan_on_push=True,
        tag_mutability="MUTABLE",
        encryption=RepositoryEncryption(encryption_type="AES256"),
        images=images if images is not None else (EcrImage(digest="sha256:" + "b" * 64, tags=("v1",)),),
    )


def role(name: str = "train", document: dict[str, Any] | None = None) -> IamRole:
    policy = InlinePolicy(name="p", document=document or {"Version": "2012-10-17", "Statement": []})
    trust = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]
    }
    return IamRole(
        uid=f"arn:aws:iam::{A}:role/{name}", name=name, account=A, inline_policies=(policy,), trust_policy=trust
    )


def everything() -> list[Resource]:
    kms_bucket = Encryption(algorithm="aws:kms", kms_key_id=KEY)
    return [
        job(),
        model(),
        config(),
        endpoint(),
        bucket("data", encryption=kms_bucket),
        bucket("art", encryption=kms_bucket),
        bucket("capture"),
        bucket("unrelated"),
        key(),
        repo(),
        role(),
        NotebookInstance(**sm("notebook-instance", "nb"), role_arn=ROLE),
    ]


def edges(graph: L.LineageGraph) -> set[tuple[str, str, str, bool]]:
    short = {n.id: n.name for n in graph.nodes}
    return {(short[e.source], e.relation, short[e.target], e.resolved) for e in graph.edges}


# ---------------------------------------------------------------------------------------------
# Construction
# ---------------------------------------------------------------------------------------------


def test_every_edge_kind_from_the_api_fields() -> None:
    graph = L.build_lineage(everything())
    assert edges(graph) == {
        ("job-1", L.READS, "s3://data/train", True),
        ("job-1", L.READS, "s3://data/validation/", True),
        ("s3://data/train", L.IN_BUCKET, "data", True),
        ("s3://data/validation/", L.IN_BUCKET, "data", True),
        ("job-1", L.WRITES, "s3://art/out", True),
        ("s3://art/out", L.IN_BUCKET, "art", True),
        ("job-1", L.PRODUCED, ARTIFACT, True),
        (ARTIFACT, L.IN_BUCKET, "art", True),
        ("job-1", L.RUNS, "pytorch-training:2.3", False),
        ("pytorch-training:2.3", L.IN_REPOSITORY, "pytorch-training", False),
        ("job-1", L.RUNS_AS, "train", True),
        ("job-1", L.ENCRYPTED_BY, "alias/ml", True),  # VolumeKmsKeyId: an alias, resolved to the key
        ("model-1", L.LOADS, ARTIFACT, True),
        ("model-1", L.TRAINED_BY, "job-1", True),
        ("model-1", L.RUNS, "inference:v1", True),
        ("inference:v1", L.IN_REPOSITORY, "inference", True),
        ("model-1", L.RUNS_AS, "train", True),
        ("config-1", L.HOSTS, "model-1", True),
        ("config-1", L.ENCRYPTED_BY, "alias/ml", True),
        ("config-1", L.CAPTURES_TO, "s3://capture/prod", True),
        ("s3://capture/prod", L.IN_BUCKET, "capture", True),
        ("prod", L.SERVES, "config-1", True),
        ("nb", L.RUNS_AS, "train", True),
        ("data", L.ENCRYPTED_BY, "alias/ml", True),
        ("art", L.ENCRYPTED_BY, "alias/ml", True),
    }


def test_processing_jobs_packages_feature_groups_and_domains() -> None:
    processing = ProcessingJob(
        **sm("processing-job", "features"),
        role_arn=ROLE,
        image=OWN_IMAGE,
        input_s3_uris=("s3://data/raw",),
        output_s3_uris=("s3://data/features",),
        volume_encryption=KmsEncryption(kms_key_id=KEY),
        output_encryption=KmsEncryption(),
    )
    package = ModelPackage(
        **(sm("model-package", "fraud/3") | {"name": "fraud/3"}),
        group_name="fraud",
        containers=(PackageContainer(image=OWN_IMAGE, model_data_url=ARTIFACT),),
    )
    group = ModelPackageGroup(**sm("model-package-group", "fraud"))
    from_package = model(containers=(ModelContainer(model_package_name=package.uid, primary=True),))
    features = FeatureGroup(
        **sm("feature-group", "fraud-features"),
        role_arn=ROLE,
        offline_store=OfflineStore(enabled=True, s3_uri="s3://data/offline", encryption=KmsEncryption(kms_key_id=KEY)),
        online_store=OnlineStore(enabled=True, encryption=KmsEncryption(kms_key_id="alias/ml")),
    )
    domain = Domain(**sm("domain", "studio"), domain_id="d-1", default_execution_role=ROLE, encryption=KmsEncryption())
    graph = L.build_lineage(
        [processing, package, group, from_package, features, domain, bucket("data"), key(), repo(), role()]
    )
    assert edges(graph) == {
        ("features", L.READS, "s3://data/raw", True),
        ("s3://data/raw", L.IN_BUCKET, "data", True),
        ("features", L.WRITES, "s3://data/features", True),
        ("s3://data/features", L.IN_BUCKET, "data", True),
        ("features", L.RUNS, "inference:v1", True),
        ("inference:v1", L.IN_REPOSITORY, "inference", True),
        ("features", L.RUNS_AS, "train", True),
        ("features", L.ENCRYPTED_BY, "alias/ml", True),
        ("fraud/3", L.RUNS, "inference:v1", True),
        ("fraud/3", L.LOADS, ARTIFACT, False),  # the bucket "art" is not in this inventory
        (ARTIFACT, L.IN_BUCKET, "art", False),
        ("fraud/3", L.IN_GROUP, "fraud", True),
        ("model-1", L.FROM_PACKAGE, "fraud/3", True),
        ("model-1", L.RUNS_AS, "train", True),
        ("fraud-features", L.WRITES, "s3://data/offline", True),
        ("s3://data/offline", L.IN_BUCKET, "data", True),
        ("fraud-features", L.RUNS_AS, "train", True),
        ("fraud-features", L.ENCRYPTED_BY, "alias/ml", True),
        ("studio", L.RUNS_AS, "train", True),
    }
    loads = graph.edges_from(package.uid, L.LOADS)[0]
    assert loads.api_field == "InferenceSpecification.Containers[].ModelDataUrl" and not loads.resolved
    assert graph.edges_from(from_package.uid, L.FROM_PACKAGE)[0].api_field == "PrimaryContainer.ModelPackageName"


def test_node_ids_are_resource_uids_and_unrelated_resources_stay_out() -> None:
    graph = L.build_lineage(everything())
    ids = {n.id for n in graph.nodes}
    assert {
        KEY,
        ROLE,
        "arn:aws:s3:::data",
        f"arn:aws:ecr:{R}:{A}:repository/inference",
        sm("model", "model-1")["uid"],
    } <= ids
    assert "arn:aws:s3:::unrelated" not in ids
    # A notebook is graphed for the role it runs as, nothing else (its key stays out of the severity rule).
    notebook = sm("notebook-instance", "nb")["uid"]
    assert [(e.relation, e.target) for e in graph.edges_from(notebook)] == [(L.RUNS_AS, ROLE)]
    assert graph.node("arn:aws:s3:::data/train") is not None and graph.node("arn:aws:s3:::data/train").type == L.PREFIX  # type: ignore[union-attr]
    assert isinstance(graph.resource(KEY), KmsKey) and graph.resource("arn:aws:s3:::data/train") is None
    assert all(n.in_inventory == (graph.resource(n.id) is not None) for n in graph.nodes)


def test_the_model_is_linked_to_its_job_through_the_output_path_without_model_artifacts() -> None:
    graph = L.build_lineage([job(model_artifacts_s3_uri=None), model()])
    assert ("model-1", L.TRAINED_BY, "job-1", True) in edges(graph)
    assert not L.build_lineage([job(output_s3_path="s3://art/other", model_artifacts_s3_uri=None), model()]).edges_from(
        sm("model", "model-1")["uid"], L.TRAINED_BY
    )


def unresolved(graph: L.LineageGraph) -> dict[str, str]:
    return {f"{e.source.rsplit(':', 1)[-1]} {e.relation}": e.reason or "" for e in graph.edges if not e.resolved}


def test_a_deleted_bucket_keeps_its_edges_marked_unresolved() -> None:
    graph = L.build_lineage([job(input_s3_uris=("s3://gone/train",), output_s3_path=None, model_artifacts_s3_uri=None)])
    reasons = unresolved(graph)
    assert reasons["training-job/job-1 reads"] == reasons["gone/train in_bucket"]
    assert (
        "bucket gone is not in the inventory: deleted, or owned by another account" in reasons["gone/train in_bucket"]
    )
    node = graph.node("arn:aws:s3:::gone")
    assert node is not None and node.type == L.BUCKET and not node.in_inventory


def test_a_cross_account_image_is_unresolved_with_its_account() -> None:
    graph = L.build_lineage([job()])
    image = graph.node(AWS_IMAGE)
    assert image is not None and image.account == "763104351884" and image.type == L.IMAGE
    reasons = unresolved(graph)
    assert (
        reasons["training-job/job-1 runs"]
        == "repository pytorch-training is in another account (763104351884), outside this scan"
    )


def test_an_image_outside_ecr_and_an_image_missing_from_its_repository() -> None:
    graph = L.build_lineage([model(containers=(ModelContainer(image="docker.io/library/python:3.11"),)), repo()])
    assert "not an image of a private ECR registry" in unresolved(graph)["model/model-1 runs"]
    graph = L.build_lineage(
        [model(containers=(ModelContainer(image=f"{A}.dkr.ecr.{R}.amazonaws.com/inference:v2"),)), repo()]
    )
    assert (
        unresolved(graph)["model/model-1 runs"]
        == "image inference:v2 is not in repository inference (deleted or re-tagged)"
    )
    assert "model/model-1 in_repository" not in unresolved(graph)  # the repository itself resolved
    assert L.build_lineage([model(), repo(images=None)]).edges_from(sm("model", "model-1")["uid"], L.RUNS)[0].resolved


def test_keys_in_another_region_or_account_and_unresolvable_aliases() -> None:
    job_ = job(
        volume_encryption=KmsEncryption(kms_key_id=f"arn:aws:kms:eu-west-1:{A}:key/k-eu"),
        output_encryption=KmsEncryption(kms_key_id=f"arn:aws:kms:{R}:{OTHER}:key/k-x"),
        training_image=None,
        input_s3_uris=(),
        output_s3_path=None,
        model_artifacts_s3_uri=None,
    )
    graph = L.build_lineage([job_, key(), role()])
    reasons = sorted(e.reason or "" for e in graph.edges if not e.resolved)
    assert reasons == [
        "key k-eu is in another region (eu-west-1) than the training job",
        f"key k-x is in another account ({OTHER}), outside this scan",
    ]
    graph = L.build_lineage([job(volume_encryption=KmsEncryption(kms_key_id="alias/missing"))])
    assert any(e.reason == "key alias/missing was not found (deleted, or not readable)" for e in graph.edges)


def test_missing_configs_models_and_packages() -> None:
    pkg = ModelContainer(model_package_name=f"arn:aws:sagemaker:{R}:{A}:model-package/fraud/3")
    graph = L.build_lineage(
        [endpoint(config_name="gone"), config(name="c2", model_name="nope"), model(containers=(pkg,))]
    )
    reasons = unresolved(graph)
    assert reasons["endpoint/prod serves"] == "endpoint config gone was not found (deleted, or not readable)"
    assert reasons["endpoint-config/c2 hosts"] == "model nope was not found (deleted, or not readable)"
    assert reasons["model/model-1 from_package"] == "model package fraud/3 was not found (deleted, or not readable)"
    assert graph.node(f"arn:aws:sagemaker:{R}:{A}:endpoint-config/gone") is not None


def test_coverage_says_why_a_reference_is_missing() -> None:
    coverage = L.Coverage(
        collected=frozenset({L.TRAINING_JOB, L.BUCKET}),
        incomplete={(L.BUCKET, A, "global"): "ListBuckets failed: AccessDenied"},
        scopes={A: frozenset({R})},
    )
    far_key = KmsEncryption(kms_key_id=f"arn:aws:kms:eu-west-1:{A}:key/x")
    reasons = unresolved(L.build_lineage([job(volume_encryption=far_key, output_encryption=None)], coverage))
    assert (
        reasons["training-job/job-1 reads"]
        == "bucket data cannot be resolved: S3 buckets could not be listed (ListBuckets failed: AccessDenied)"
    )
    assert (
        reasons["training-job/job-1 runs_as"]
        == "role train cannot be resolved: IAM roles were not collected in this scan"
    )
    assert reasons["training-job/job-1 encrypted_by"] == "key x is in region eu-west-1, which this scan did not cover"


def test_unreadable_snapshots_and_odd_uris_do_not_crash() -> None:
    bare = [
        TrainingJob(**sm("training-job", "j")),
        Model(**sm("model", "m")),
        EndpointConfig(**sm("endpoint-config", "c")),
        Endpoint(**sm("endpoint", "e")),
        job("j2", input_s3_uris=("https://example.com/data", "s3://", "s3://b")),
    ]
    graph = L.build_lineage(bare)
    assert "'https://example.com/data' is not an S3 URI" in {e.reason for e in graph.edges}
    assert ("j2", L.READS, "b", False) in edges(graph)  # a bare bucket URI: the edge goes to the bucket


def test_to_model_is_sorted_and_round_trips() -> None:
    model_ = L.build_lineage(everything()).to_model()
    assert [n.id for n in model_.nodes] == [n.id for n in sorted(model_.nodes, key=lambda n: (n.type, n.id))]
    assert Lineage.model_validate_json(model_.model_dump_json()) == model_


def test_lineage_of_is_cached_per_snapshot_set() -> None:
    jobs, buckets = [job()], [bucket("data")]
    first = L.lineage_of({TrainingJob: jobs, S3Bucket: buckets})
    assert L.lineage_of({S3Bucket: list(buckets), TrainingJob: list(jobs)}) is first  # new lists, same snapshots
    assert L.lineage_of({TrainingJob: jobs, S3Bucket: [bucket("data")]}) is not first
    reasons = unresolved(L.lineage_of({TrainingJob: jobs}))
    assert "S3 buckets were not collected" in reasons["training-job/job-1 reads"]


def test_ai_referrers_look_through_prefixes_images_and_buckets() -> None:
    graph = L.build_lineage(everything())
    paths = graph.ai_referrers(KEY)
    direct = {p[0].source.rsplit(":", 1)[-1] for p in paths if len(p) == 1}
    assert direct == {"training-job/job-1", "endpoint-config/config-1"}
    through_buckets = {tuple(e.relation for e in p) for p in paths if len(p) > 1}
    assert (L.READS, L.IN_BUCKET, L.ENCRYPTED_BY) in through_buckets
    repo_paths = graph.ai_referrers(f"arn:aws:ecr:{R}:{A}:repository/inference")
    assert [[e.relation for e in p] for p in repo_paths] == [[L.RUNS, L.IN_REPOSITORY]]
    assert graph.ai_referrers("arn:aws:s3:::unrelated") == []


def test_parse_helpers() -> None:
    assert L.parse_s3_uri("s3://b/k/x") == ("b", "k/x")
    assert L.parse_s3_uri("s3://b") == ("b", "")
    assert L.parse_s3_uri("gs://b/k") is None
    assert L.partition_of("arn:aws-cn:s3:::b") == "aws-cn" and L.partition_of("nope") == "aws"
    ref = L.parse_key_ref(f"arn:aws:kms:{R}:{A}:alias/x", OTHER, "eu-west-1")
    assert (ref.account, ref.region, ref.alias, ref.key_id) == (A, R, "alias/x", None)
    assert L.parse_key_ref("k-1", A, R).arn == KEY


# ---------------------------------------------------------------------------------------------
# Write access and escalation
# ---------------------------------------------------------------------------------------------


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def principals(*items: Resource) -> L.Principals:
    roles = [r for r in items if isinstance(r, IamRole)]
    users = [u for u in items if isinstance(u, IamUser)]
    return L.principals_of(roles, users, [], [])


ART = bucket("art", policy={}, acl_grants=(), owner_id="me")
ART_OBJECT = L.object_arn(ART, "out/job-1/output/model.tar.gz", exact=True)


def writers(b: S3Bucket, p: L.Principals, block: PublicAccessBlock | None = None) -> set[tuple[str, str, str]]:
    access = L.bucket_writers(b, ART_OBJECT, p, block)
    return {(w.principal.rsplit("/", 1)[-1], w.kind, w.via) for w in access.writers}


def test_object_arns() -> None:
    assert ART_OBJECT == "arn:aws:s3:::art/out/job-1/output/model.tar.gz"
    assert L.object_arn(ART, "data/train", exact=False) == "arn:aws:s3:::art/data/train/*"
    assert L.object_arn(ART, "", exact=False) == "arn:aws:s3:::art/*"


def test_identity_writers_admins_and_service_linked_roles() -> None:
    scoped = role("train", doc({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::art/out/*"}))
    admin = role("admin", doc({"Effect": "Allow", "Action": "*", "Resource": "*"}))
    reader = role("reader", doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}))
    linked = IamRole(
        **(
            admin.model_dump()
            | {"uid": f"arn:aws:iam::{A}:role/aws-service-role/x", "name": "x", "path": "/aws-service-role/"}
        )
    )
    p = principals(scoped, admin, reader, linked)
    access = L.bucket_writers(ART, ART_OBJECT, p)
    found = {w.principal.rsplit("/", 1)[-1]: w for w in access.writers}
    assert set(found) == {"train", "admin"} and not access.problems
    assert found["admin"].admin and found["admin"].everywhere and not found["admin"].broad
    assert not found["train"].everywhere and not found["train"].broad


def test_bucket_policy_and_acl_writers_and_block_public_access() -> None:
    policy = doc(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::art/*"},
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::art/*",
        },
        {
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::art/*",
        },
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::art/*",
        },
    )
    grants = (
        Grant(grantee_type="Group", grantee="http://acs.amazonaws.com/groups/global/AllUsers", permission="WRITE"),
        Grant(grantee_type="CanonicalUser", grantee="someone-else", permission="FULL_CONTROL"),
        Grant(grantee_type="CanonicalUser", grantee="me", permission="FULL_CONTROL"),
    )
    b = bucket("art", policy=policy, acl_grants=grants, owner_id="me")
    open_ = writers(b, principals())
    assert open_ == {
        ("*", "public", "bucket-policy"),
        (f"arn:aws:iam::{OTHER}:root", "account", "bucket-policy"),
        ("logging.s3.amazonaws.com", "service", "bucket-policy"),
        ("AllUsers", "public", "bucket-acl"),
        ("someone-else", "account", "bucket-acl"),
    }
    blocked = PublicAccessBlock(
        block_public_acls=True, ignore_public_acls=True, block_public_policy=True, restrict_public_buckets=True
    )
    assert {w for w in writers(b, principals(), blocked) if w[1] == "public"} == set()


def test_a_bucket_policy_deny_removes_writers() -> None:
    other = role("ci", doc({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}))
    deny_others = doc(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::art/*",
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": ROLE}},
        }
    )
    assert writers(bucket("art", policy=deny_others, acl_grants=()), principals(other)) == set()
    not_principal = doc(
        {"Effect": "Deny", "NotPrincipal": {"AWS": [other.uid]}, "Action": "s3:*", "Resource": "arn:aws:s3:::art/*"}
    )
    assert writers(bucket("art", policy=not_principal, acl_grants=()), principals(other)) == {
        ("ci", "role", "identity-policy")
    }
    deny_everyone = doc({"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"})
    assert writers(bucket("art", policy=deny_everyone, acl_grants=()), principals(other)) == set()


def test_unreadable_inputs_are_reported_as_problems() -> None:
    broken = IamUser(
        uid=f"arn:aws:iam::{A}:user/bob",
        name="bob",
        account=A,
        inline_policies=(InlinePolicy(name="p", document_error="denied"),),
    )
    access = L.bucket_writers(bucket("art"), ART_OBJECT, principals(broken))
    assert access.problems == (
        "the policy of bucket art: could not be read",
        "user bob: inline policy p: denied",
        "the ACL of bucket art could not be read",
    )
    bad_policy = bucket("art", policy={"Statement": "nonsense"}, acl_grants=())
    assert "not a valid policy" in L.bucket_writers(bad_policy, ART_OBJECT, principals()).problems[0]


def test_escalation_paths_and_problems() -> None:
    sagemaker_trust = doc(
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
    )
    admin = role("legacy", doc({"Effect": "Allow", "Action": "*", "Resource": "*"})).model_copy(
        update={"trust_policy": sagemaker_trust}
    )
    passer = role(
        "train", doc({"Effect": "Allow", "Action": ["iam:PassRole", "sagemaker:CreateTrainingJob"], "Resource": "*"})
    )
    p = principals(admin, passer)
    found = p.escalation_to_admin(passer.uid)
    assert (
        found.path is not None
        and [e.method for e in found.path] == ["sagemaker-training-job"]
        and not found.conditional
    )
    assert p.escalation_to_admin(admin.uid).path == [] and p.escalation_to_admin(admin.uid).admin_reasons == ("admin",)
    unknown_role = IamRole(
        uid=f"arn:aws:iam::{A}:role/x", name="x", account=A, trust_policy=None, trust_policy_error="denied"
    )
    q = principals(role("train"), unknown_role)
    assert q.escalation_to_admin(ROLE).path is None and q.escalation_to_admin(ROLE).problems == ()
    assert q.escalation_to_admin(unknown_role.uid).problems == ("trust policy of x: denied",)


def test_escalation_through_a_user_whose_group_is_admin() -> None:
    admins = IamGroup(
        uid=f"arn:aws:iam::{A}:group/admins",
        name="admins",
        account=A,
        inline_policies=(InlinePolicy(name="all", document=doc({"Effect": "Allow", "Action": "*", "Resource": "*"})),),
    )
    ops = IamUser(uid=f"arn:aws:iam::{A}:user/ops", name="ops", account=A, groups=("admins",))
    keys = role("train", doc({"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": ops.uid}))
    p = L.principals_of([keys], [ops], [admins], [])
    views = p.analysis.views
    assert {v.arn for v in views.values() if v.kind == "group"} == {admins.uid}
    assert views[ops.uid].groups == (admins.uid,)
    found = p.escalation_to_admin(keys.uid)
    assert found.path is not None and [(e.target, e.method) for e in found.path] == [(ops.uid, "iam-create-access-key")]
    assert {w.principal for w in L.bucket_writers(ART, ART_OBJECT, p).writers} == {ops.uid}  # groups act through users


def test_the_iam_analysis_is_the_one_the_iam_checks_use_built_once() -> None:
    roles, users = [role("train"), role("ci")], [IamUser(uid=f"arn:aws:iam::{A}:user/ops", name="ops", account=A)]
    p = L.principals_of(roles, users, [], [])
    assert p.analysis is account_analysis(users, [], roles, [])  # the IAM checks' analysis, not a copy
    assert L.principals_of(list(roles), tuple(users), [], []) is p  # new lists, same snapshots: cached
    assert L.principals_of([role("train"), roles[1]], users, [], []) is not p  # another snapshot: rebuilt
    assert [v.arn for v in p.actors] == [r.uid for r in roles] + [users[0].uid]  # roles, then users


def test_escalation_names_the_unreadable_principals_it_reaches_and_only_those() -> None:
    trusts_train = doc({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sts:AssumeRole"})
    hidden = IamRole(
        uid=f"arn:aws:iam::{A}:role/hidden",
        name="hidden",
        account=A,
        trust_policy=trusts_train,
        inline_policies=(InlinePolicy(name="p", document_error="denied"),),
    )
    assumer = role("train", doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": hidden.uid}))
    p = principals(assumer, role("other"), hidden)
    found = p.escalation_to_admin(assumer.uid)
    assert found.path is None and found.problems == ("role hidden: inline policy p: denied",)
    assert p.escalation_to_admin(role("other").uid).problems == ()


# ---------------------------------------------------------------------------------------------
# The severity rule, annotations and the inventory
# ---------------------------------------------------------------------------------------------


def finding(
    check_id: str, uid: str, rtype: str, severity: Severity, status: Status = Status.FAIL, **extra: Any
) -> Finding:
    return Finding(
        uid=finding_uid(check_id, uid),
        check_id=check_id,
        title="t",
        status=status,
        severity=severity,
        baseline=Baseline.INTEGRITY,
        resource_uid=uid,
        resource_type=rtype,
        account=A,
        region=R,
        message="m",
        evidence={"kept": True},
        remediation="r.",
        **extra,
    )


@pytest.mark.parametrize(
    ("severity", "raised"),
    [
        (Severity.LOW, Severity.MEDIUM),
        (Severity.MEDIUM, Severity.HIGH),
        (Severity.HIGH, Severity.CRITICAL),
        (Severity.CRITICAL, Severity.CRITICAL),
        (Severity.INFORMATIONAL, Severity.INFORMATIONAL),
    ],
)
def test_severity_rule_raises_fails_on_ai_buckets(severity: Severity, raised: Severity) -> None:
    graph = L.build_lineage(everything())
    (out,) = L.raise_supply_chain_severity(
        [finding("aws.s3.bucket_versioning_enabled", "arn:aws:s3:::art", L.BUCKET, severity)], graph
    )
    assert out.severity is raised
    why = out.evidence["ai_supply_chain"]
    assert out.evidence["kept"] and why["raised_from"] == severity.value and why["raised_to"] == raised.value
    assert {(u["name"], u["relation"]) for u in why["used_by"]} == {
        ("job-1", "writes"),
        ("job-1", "produced"),
        ("model-1", "loads"),
    }


def test_severity_rule_covers_keys_and_repositories_and_leaves_the_rest_alone() -> None:
    graph = L.build_lineage(everything())
    repo_uid = f"arn:aws:ecr:{R}:{A}:repository/inference"
    given = [
        finding("aws.kms.key_rotation_enabled", KEY, L.KEY, Severity.MEDIUM),
        finding("aws.ecr.repository_tags_are_immutable", repo_uid, L.REPOSITORY, Severity.MEDIUM),
        finding("aws.s3.bucket_versioning_enabled", "arn:aws:s3:::unrelated", L.BUCKET, Severity.MEDIUM),
        finding("aws.s3.bucket_versioning_enabled", "arn:aws:s3:::art", L.BUCKET, Severity.MEDIUM, Status.PASS),
        finding("aws.s3.bucket_versioning_enabled", "arn:aws:s3:::data", L.BUCKET, Severity.MEDIUM, Status.ERROR),
        finding("aws.lineage.ai_bucket_data_events_logged", "arn:aws:s3:::art", L.BUCKET, Severity.MEDIUM),
        finding("aws.iam.role_is_not_admin", ROLE, L.ROLE, Severity.MEDIUM),
    ]
    out = L.raise_supply_chain_severity(given, graph)
    assert [f.severity for f in out] == [Severity.HIGH, Severity.HIGH] + [Severity.MEDIUM] * 5
    assert out[1].evidence["ai_supply_chain"]["used_by"][0]["via"] == [OWN_IMAGE]
    assert out[2:] == given[2:]


def test_annotate_counts_unmuted_fails_and_the_worst_severity() -> None:
    lineage = L.build_lineage(everything()).to_model()
    findings = [
        finding("a.b.c", "arn:aws:s3:::art", L.BUCKET, Severity.LOW),
        finding("a.b.d", "arn:aws:s3:::art", L.BUCKET, Severity.HIGH),
        finding("a.b.e", "arn:aws:s3:::art", L.BUCKET, Severity.CRITICAL, muted=True),
        finding("a.b.f", "arn:aws:s3:::art", L.BUCKET, Severity.CRITICAL, Status.PASS),
    ]
    nodes = {n.id: n for n in L.annotate(lineage, findings).nodes}
    assert (nodes["arn:aws:s3:::art"].fail, nodes["arn:aws:s3:::art"].risk) == (2, Severity.HIGH)
    assert (nodes[KEY].fail, nodes[KEY].risk) == (0, None)
    assert {n.id: n.fail for n in lineage.nodes}["arn:aws:s3:::art"] == 0  # the input is not changed


def entry(r: Resource) -> ResourceEntry:
    return ResourceEntry(uid=r.uid, type=r.resource_type, name=r.name, account=r.account, region=r.region)


def test_ai_inventory_counts_and_scores() -> None:
    resources = [*everything(), job("job-2"), model("model-2"), endpoint("staging", status="Failed")]
    unused_repo = repo().model_copy(update={"uid": f"arn:aws:ecr:{R}:{A}:repository/unused", "name": "unused"})
    group = ResourceEntry(
        uid=f"arn:aws:sagemaker:{R}:{A}:model-package-group/fraud",
        type=L.MODEL_PACKAGE_GROUP,
        name="fraud",
        account=A,
        region=R,
    )
    processing = ResourceEntry(
        uid=f"arn:aws:sagemaker:{R}:{A}:processing-job/p", type=L.PROCESSING_JOB, name="p", account=A, region=R
    )
    entries = [entry(r) for r in [*resources, unused_repo]] + [group, processing]
    lineage = L.build_lineage([*resources, unused_repo]).to_model()
    model_uid = sm("model", "model-1")["uid"]
    findings = [
        finding("x.y.high", model_uid, L.MODEL, Severity.HIGH),
        finding("x.y.low", model_uid, L.MODEL, Severity.LOW, Status.PASS),
        finding("x.y.err", sm("endpoint", "prod")["uid"], L.ENDPOINT, Severity.LOW, Status.ERROR),
    ]
    inventory = L.ai_inventory(entries, findings, lineage)
    counts = {k: v.count for k, v in inventory}
    assert counts == {
        "models": 2,
        "endpoints": 2,
        "training_jobs": 2,
        "processing_jobs": 1,
        "notebooks": 1,
        "registries": 2,
        "datasets": 0,  # no feature group here
    }
    assert inventory.models.scores["overall"] == 20.0 and inventory.models.scores["integrity"] == 20.0
    assert inventory.endpoints.scores["overall"] is None  # ERROR findings are left out, as in summary.scores
    assert set(inventory.models.scores) == {"overall", *(b.value for b in Baseline)}


# ---------------------------------------------------------------------------------------------
# The engine: report.json has the lineage, raised severities and the inventory, and is valid
# ---------------------------------------------------------------------------------------------


class _Provider:
    name = "aws"
    setup_errors: list[Any] = []

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.resources = list(resources)

    def scopes(self) -> list[Scope]:
        return [Scope(account=A, regions=[R])]

    def plan(self, resource_types: set[type[Resource]]) -> list[CollectorUnit]:
        def run(ctx: UnitContext) -> Iterable[Resource]:
            return [r for r in self.resources if type(r) in resource_types]

        return [CollectorUnit(A, R, "all", tuple(resource_types), run)]


def test_engine_report_has_the_lineage_section_and_validates_against_the_schema() -> None:
    settings = S3AccountSettings(
        uid=f"arn:aws:s3:::account/{A}", name=A, account=A, public_access_block=PublicAccessBlock()
    )
    unversioned = Encryption(algorithm="AES256")
    world = [
        job(),
        model(),
        config(),
        endpoint(),
        bucket(
            "data",
            encryption=unversioned,
            versioning=Versioning(status="Enabled"),
            policy={},
            acl_grants=(),
            policy_is_public=False,
            public_access_block=PublicAccessBlock(),
        ),
        bucket(
            "art",
            encryption=unversioned,
            versioning=Versioning(status="Suspended"),
            policy={},
            acl_grants=(),
            policy_is_public=False,
            public_access_block=PublicAccessBlock(),
        ),
        settings,
        role(),
    ]
    wanted = {
        "aws.s3.bucket_versioning_enabled",
        "aws.lineage.endpoint_model_artifacts_are_protected",
        "aws.lineage.training_data_is_not_broadly_writable",
    }
    checks = [s for s in load_checks(["aws"]) if s.id in wanted]
    report = scan(_Provider(world), checks, workers=2)
    data = json.loads(report.to_json())
    schema = json.loads((ROOT / "docs" / "report-schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    assert {e["relation"] for e in data["lineage"]["edges"]} >= {L.SERVES, L.HOSTS, L.LOADS, L.READS, L.TRAINED_BY}
    by_check = {(f["check_id"], f["resource_uid"]): f for f in data["findings"]}
    versioning = by_check[("aws.s3.bucket_versioning_enabled", "arn:aws:s3:::art")]
    assert versioning["status"] == "FAIL" and versioning["severity"] == "high"  # medium, raised: an AI artifact bucket
    assert "ai_supply_chain" in versioning["evidence"]
    endpoint_finding = by_check[("aws.lineage.endpoint_model_artifacts_are_protected", sm("endpoint", "prod")["uid"])]
    assert endpoint_finding["status"] == "FAIL" and endpoint_finding["severity"] == "high"
    art = next(n for n in data["lineage"]["nodes"] if n["id"] == "arn:aws:s3:::art")
    assert art["fail"] == 1 and art["risk"] == "high" and art["in_inventory"]
    assert data["summary"]["ai_inventory"]["endpoints"]["count"] == 1
    assert data["summary"]["fail_by_severity"]["high"] == 2


def test_refresh_after_muting_updates_nodes_and_inventory() -> None:
    settings = S3AccountSettings(
        uid=f"arn:aws:s3:::account/{A}", name=A, account=A, public_access_block=PublicAccessBlock()
    )
    art = bucket("art", versioning=Versioning(status="Suspended"))
    wanted = ("aws.s3.bucket_versioning_enabled", "aws.lineage.endpoint_model_artifacts_are_protected")
    checks = [s for s in load_checks(["aws"]) if s.id in wanted]  # the second one plans the SageMaker types
    report = scan(_Provider([job(), model(), art, settings]), checks, workers=1)
    assert report.lineage is not None and {n.id: n.fail for n in report.lineage.nodes}["arn:aws:s3:::art"] == 1
    muted = report.model_copy(update={"findings": [f.model_copy(update={"muted": True}) for f in report.findings]})
    fresh = L.refresh(muted)
    assert fresh.lineage is not None and {n.id: n.fail for n in fresh.lineage.nodes}["arn:aws:s3:::art"] == 0
    assert fresh.summary.ai_inventory is not None and fresh.summary.ai_inventory.models.count == 1
    no_lineage = report.model_copy(update={"lineage": None})
    assert L.refresh(no_lineage) is no_lineage


def test_reports_of_other_clouds_have_no_lineage() -> None:
    class Other(_Provider):  # AWS, Azure and GCP all have one (tests/test_lineage_gcp.py for GCP)
        name = "other"

    report = scan(Other([]), [], workers=1)
    assert report.lineage is None and report.summary.ai_inventory is None
    assert "lineage" in json.loads(report.to_json())  # present as null: additive and optional


def test_old_reports_without_the_new_sections_still_load() -> None:
    report = scan(_Provider([]), [], workers=1)
    data = json.loads(report.to_json())
    del data["lineage"]
    del data["summary"]["ai_inventory"]
    from cspm.models import ScanReport

    loaded = ScanReport.model_validate(data)
    assert loaded.lineage is None and loaded.summary.ai_inventory is None


def test_the_edge_model_rejects_unknown_fields() -> None:
    with pytest.raises(ValueError, match="extra"):
        LineageEdge.model_validate({"source": "a", "target": "b", "relation": "r", "api_field": "f", "colour": "red"})


# ---------------------------------------------------------------------------------------------
# The demo's lineage story, seeded on a moto server and scanned through the real AWS provider
# ---------------------------------------------------------------------------------------------

GRAPH_CHECKS = (
    "aws.lineage.endpoint_model_artifacts_are_protected",
    "aws.lineage.training_data_is_not_broadly_writable",
    "aws.lineage.training_role_cannot_escalate_to_admin",
)


def test_demo_lineage_seed_shows_the_chain_and_graph_findings(moto_url: str) -> None:
    from cspm.demo import lineage_seed
    from cspm.demo.seed import Clients, seed
    from cspm.providers.aws import AwsOptions, AwsProvider

    seeded = seed(moto_url, ("us-east-1",))
    names = lineage_seed.seed_lineage(Clients(moto_url), seeded)
    assert names == [
        lineage_seed.FINETUNE_JOB,
        lineage_seed.SHADOW_MODEL,
        lineage_seed.SHADOW_CONFIG,
        lineage_seed.SHADOW_ENDPOINT,
        lineage_seed.ARCHIVED_MODEL,
    ]
    provider = AwsProvider(AwsOptions(endpoint_url=moto_url, regions=("us-east-1",), workers=4))
    provider.connect()
    checks = [s for s in load_checks(["aws"]) if s.id in GRAPH_CHECKS]
    report = scan(provider, checks, workers=4)
    assert report.lineage is not None
    nodes = {n.id: n for n in report.lineage.nodes}
    name = {n.id: n.name for n in report.lineage.nodes}
    chain = {(name[e.source], e.relation, name[e.target]) for e in report.lineage.edges}
    job_output = f"s3://acme-ml-model-artifacts/shadow/{lineage_seed.FINETUNE_JOB}/output/model.tar.gz"
    assert {
        (lineage_seed.SHADOW_ENDPOINT, L.SERVES, lineage_seed.SHADOW_CONFIG),
        (lineage_seed.SHADOW_CONFIG, L.HOSTS, lineage_seed.SHADOW_MODEL),
        (lineage_seed.SHADOW_MODEL, L.TRAINED_BY, lineage_seed.FINETUNE_JOB),
        (lineage_seed.SHADOW_MODEL, L.LOADS, job_output),
        (job_output, L.IN_BUCKET, "acme-ml-model-artifacts"),
        (lineage_seed.FINETUNE_JOB, L.READS, lineage_seed.PUBLIC_DATA),
        (lineage_seed.PUBLIC_DATA, L.IN_BUCKET, "acme-ml-datasets-public"),
        (lineage_seed.FINETUNE_JOB, L.RUNS_AS, "AcmeSageMakerExecution-Legacy"),
    } <= chain
    archived = next(
        e for e in report.lineage.edges if name[e.source] == lineage_seed.ARCHIVED_MODEL and e.relation == L.LOADS
    )
    assert not archived.resolved and "bucket acme-ml-models-archive-2022 is not in the inventory" in (
        archived.reason or ""
    )
    assert nodes["arn:aws:s3:::acme-ml-datasets-public"].in_inventory
    by_resource = {(f.check_id, f.resource_uid.rsplit("/", 1)[-1]): f for f in report.findings}
    assert by_resource[(GRAPH_CHECKS[0], lineage_seed.SHADOW_ENDPOINT)].status is Status.FAIL
    assert by_resource[(GRAPH_CHECKS[1], lineage_seed.FINETUNE_JOB)].status is Status.FAIL
    assert by_resource[(GRAPH_CHECKS[2], lineage_seed.FINETUNE_JOB)].status is Status.FAIL
    assert report.summary.ai_inventory is not None and report.summary.ai_inventory.endpoints.count >= 3


# --- a scan without the lineage says so (issue 18: --services s3) --------------------------------


def _versioning_scan(*check_ids: str, quiet: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    from cspm.runner import OutputOptions, run

    settings = S3AccountSettings(
        uid=f"arn:aws:s3:::account/{A}", name=A, account=A, public_access_block=PublicAccessBlock()
    )
    world = [job(), model(), bucket("art", versioning=Versioning(status="Suspended")), settings]
    checks = [s for s in load_checks(["aws"]) if s.id in check_ids]
    out = OutputOptions(output_dir=tmp_path, quiet=quiet)
    assert run(_Provider(world), checks, out, workers=1) == 0
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    (finding,) = [f for f in report["findings"] if f["check_id"] == "aws.s3.bucket_versioning_enabled"]
    return finding, capsys.readouterr()


def test_without_sagemaker_the_finding_and_the_terminal_say_the_raise_was_not_assessed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cspm.supply_chain import NEEDS_SAGEMAKER

    s3_only, printed = _versioning_scan(
        "aws.s3.bucket_versioning_enabled", quiet=False, tmp_path=tmp_path, capsys=capsys
    )
    assert s3_only["severity"] == "medium" and s3_only["supply_chain"] == NEEDS_SAGEMAKER
    note = [line for line in printed.out.splitlines() if line.startswith("note: ")]
    assert note == [
        "note: 1 failing finding on S3 buckets, KMS keys or ECR repositories were not checked against the AI "
        "supply chain (lineage needs sagemaker); in a scan with SageMaker each may be one severity level higher"
    ]
    full, printed = _versioning_scan(
        "aws.s3.bucket_versioning_enabled",
        "aws.lineage.endpoint_model_artifacts_are_protected",  # plans the SageMaker types
        quiet=False,
        tmp_path=tmp_path / "full",
        capsys=capsys,
    )
    assert full["severity"] == "high" and full["supply_chain"] is None
    assert "note: " not in printed.out
    _, quiet = _versioning_scan("aws.s3.bucket_versioning_enabled", quiet=True, tmp_path=tmp_path / "q", capsys=capsys)
    assert quiet.out == "" and quiet.err.startswith("cspm: note: 1 failing finding") and quiet.err.count("\n") == 1


def test_a_sagemaker_listing_that_failed_is_named_per_account() -> None:
    from cspm.supply_chain import AI_REFERRERS, not_assessed_reason

    everything = frozenset(AI_REFERRERS | {L.BUCKET})
    failed = L.Coverage(collected=everything, incomplete={(L.TRAINING_JOB, A, R): "AccessDenied"})
    assert (
        not_assessed_reason(failed, A)
        == f"not assessed: {L.TRAINING_JOB} could not be listed in {A} {R} (AccessDenied)"
    )
    assert not_assessed_reason(failed, "999999999999") is None
    partial = L.Coverage(collected=everything - {L.MODEL_PACKAGE_GROUP})  # as a full scan: judged
    assert not_assessed_reason(partial, A) is None
    assert (
        not_assessed_reason(L.Coverage(collected=frozenset({L.BUCKET})), A) == "not assessed: lineage needs sagemaker"
    )


def test_endpoint_nodes_carry_their_status_and_other_nodes_none() -> None:
    graph = L.build_lineage([*everything(), endpoint("staging", status="Failed")])
    statuses = {n.name: n.status for n in graph.nodes if n.type == L.ENDPOINT}
    assert statuses == {"prod": "InService", "staging": "Failed"}
    assert all(n.status is None for n in graph.nodes if n.type != L.ENDPOINT)
