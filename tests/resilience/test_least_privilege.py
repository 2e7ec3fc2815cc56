"""The scanner's own least privilege, on AWS.

1. Sufficient: with moto's IAM authorization mode on, an IAM user holding only
   ``cspm permissions aws`` scans the seeded account (every collector) with no error, and finds
   exactly what an unrestricted scan finds.
2. Enforced: the same policy minus one permission per collector gives exactly one error per
   dropped permission, naming its operation (the negative control: it proves moto enforces IAM
   for every service the scanner reads, so (1) proves something).
3. Declared and read-only: every collector of ``SERVICE_MODULES``, run against an account with
   every kind of resource, calls only read operations, each authorized by a permission its
   ``ServiceSpec.permissions`` declares (API operation -> IAM action by ``cspm.permissions.
   aws_action``); and every declared permission is used.

What moto's IAM mode does *not* prove (docs/permissions.md): it authorizes a few S3 operations
under other action names (``resilience.account.MOTO_AUTHORIZES_AS``; for those, (3) and the
mapping table are the proof), it ignores resource-level conditions beyond ``Resource: "*"``, and
it always allows ``sts:GetCallerIdentity``.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import botocore.exceptions
import pytest
from resilience.account import (
    MOTO_AUTHORIZES_AS,
    REGION,
    Canaries,
    policy_of,
    scanner_user,
    seed,
    seed_bedrock_gaps,
)
from resilience.scans import statuses
from resilience.scenario import DROPPED, Scenario

from cspm.permissions import aws_action
from cspm.providers.aws import CONNECT_PERMISSIONS, SERVICE_MODULES, service_spec
from cspm.providers.aws.context import ClientFactory, client_config, is_read_only
from support.aws import ACCOUNT, collect_aws
from support.faults import MOTO_GAPS, Faults, FaultServer

# One fault server (moto, in this process) per worker: with `pytest -n --dist loadgroup` these
# tests share one worker, so the account is seeded and scanned once.
pytestmark = pytest.mark.xdist_group("resilience-moto")

# ---------------------------------------------------------------------------------------------
# 1 and 2: the real process under IAM enforcement
# ---------------------------------------------------------------------------------------------


def test_the_policy_is_sufficient(scenario: Scenario) -> None:
    scan = scenario.least_privilege
    assert scan.returncode == 0, scan.explain()
    assert scan.report["scan"]["complete"] is True, scan.errors
    assert scan.errors == [], scan.errors
    assert statuses(scan) == statuses(scenario.baseline)


def test_every_collector_ran_under_enforcement(scenario: Scenario) -> None:
    called = {r.call.service for r in scenario.least_privilege.records}
    # Requests are named by signing name, which is the IAM prefix (bedrock_agentcore: bedrock-agentcore).
    signing = {aws_action(name, "").split(":")[0] for name in SERVICE_MODULES}
    assert signing | {"sts", "s3control"} <= called
    assert all(r.status < 500 for r in scenario.least_privilege.records)


def test_one_missing_permission_is_one_error_naming_its_operation(scenario: Scenario) -> None:
    scan = scenario.minus
    assert scan.returncode == 0, scan.explain()
    assert scan.report["scan"]["complete"] is False
    reported = {(e["service"], aws_action(e["service"], e["operation"])) for e in scan.errors}
    assert reported == set(DROPPED.items())
    for error in scan.errors:
        assert "AccessDenied" in error["code"] or error["code"] == "UnauthorizedOperation", error


def test_every_request_on_the_wire_was_a_read(scenario: Scenario) -> None:
    scans = (scenario.baseline, scenario.throttled, scenario.least_privilege, scenario.half, scenario.minus)
    for scan in (*scans, scenario.canary):
        writes = {r.call.name for r in scan.records if not is_read_only(r.call.operation)}
        assert not writes, f"{scan.name} sent {writes}"


# ---------------------------------------------------------------------------------------------
# 3: every call declared, every declaration used
# ---------------------------------------------------------------------------------------------

SCHEDULE = "rs-data-quality"
EXPERIMENT = "rs-shadow"
# The kinds moto can neither create nor list, answered as AWS documents them.
CANNED = {
    "sagemaker:ListMonitoringSchedules": {
        "MonitoringScheduleSummaries": [
            {
                "MonitoringScheduleName": SCHEDULE,
                "MonitoringScheduleArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/{SCHEDULE}",
                "CreationTime": 1767225600,
                "LastModifiedTime": 1767225600,
                "MonitoringScheduleStatus": "Scheduled",
                "EndpointName": "rs-endpoint",
            }
        ]
    },
    "sagemaker:DescribeMonitoringSchedule": {
        "MonitoringScheduleArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/{SCHEDULE}",
        "MonitoringScheduleName": SCHEDULE,
        "MonitoringScheduleStatus": "Scheduled",
        "MonitoringType": "DataQuality",
        "CreationTime": 1767225600,
        "LastModifiedTime": 1767225600,
        "EndpointName": "rs-endpoint",
        "MonitoringScheduleConfig": {
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
            "MonitoringJobDefinitionName": "rs-dq",
            "MonitoringType": "DataQuality",
        },
    },
    "sagemaker:ListInferenceExperiments": {
        "InferenceExperiments": [
            {
                "Name": EXPERIMENT,
                "Type": "ShadowMode",
                "Status": "Running",
                "CreationTime": 1767225600,
                "LastModifiedTime": 1767225600,
            }
        ]
    },
    "sagemaker:DescribeInferenceExperiment": {
        "Arn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:inference-experiment/{EXPERIMENT}",
        "Name": EXPERIMENT,
        "Type": "ShadowMode",
        "Status": "Running",
        "EndpointMetadata": {"EndpointName": "rs-endpoint"},
        "ModelVariants": [],
        "ShadowModeConfig": {"SourceModelVariantName": "main", "ShadowModelVariants": []},
    },
}


def _seed_every_kind(url: str) -> None:
    """On top of the resilience account: one of each SageMaker kind and an ECR image with a scan,
    so that every declared permission has something to read."""
    seed(url, Canaries.fresh())
    sm = boto3.client("sagemaker", region_name=REGION, endpoint_url=url)
    role = f"arn:aws:iam::{ACCOUNT}:role/rs-scoped-exec"
    image = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/rs-trainer:1.0"
    sm.create_processing_job(
        ProcessingJobName="rs-prep",
        RoleArn=role,
        AppSpecification={"ImageUri": image},
        ProcessingResources={
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}
        },
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )
    sm.create_endpoint_config(
        EndpointConfigName="rs-config",
        ProductionVariants=[
            {"VariantName": "main", "ModelName": "rs-model", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
        ],
    )
    sm.create_endpoint(EndpointName="rs-endpoint", EndpointConfigName="rs-config")
    for kind in ("data_quality", "model_quality", "model_bias", "model_explainability"):
        _job_definition(sm, kind, role)
    sm.create_domain(
        DomainName="rs-studio",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": role},
        SubnetIds=["subnet-0rs"],
        VpcId="vpc-0rs",
    )
    sm.create_feature_group(
        FeatureGroupName="rs-customers",
        RecordIdentifierFeatureName="customer_id",
        EventTimeFeatureName="event_time",
        FeatureDefinitions=[
            {"FeatureName": "customer_id", "FeatureType": "String"},
            {"FeatureName": "event_time", "FeatureType": "String"},
        ],
        OfflineStoreConfig={"S3StorageConfig": {"S3Uri": "s3://rs-training-data/features"}},
        RoleArn=role,
    )
    sm.create_model_package_group(ModelPackageGroupName="rs-models")
    sm.create_model_package(
        ModelPackageGroupName="rs-models",
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [{"Image": image}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )
    _seed_ecr_image(url)


def _job_definition(sm: Any, kind: str, role: str) -> None:
    prefix = "".join(part.title() for part in kind.split("_"))
    app: dict[str, Any] = {"ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"}
    job_input: dict[str, Any] = {"EndpointInput": {"EndpointName": "rs-endpoint", "LocalPath": "/opt/ml/processing/in"}}
    if kind in ("model_bias", "model_explainability"):
        app["ConfigUri"] = "s3://rs-training-data/monitor/config.json"
    if kind in ("model_quality", "model_bias"):
        job_input["GroundTruthS3Input"] = {"S3Uri": "s3://rs-training-data/monitor/truth/"}
    getattr(sm, f"create_{kind}_job_definition")(
        JobDefinitionName=f"rs-{kind.replace('_', '-')}",
        RoleArn=role,
        JobResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20}},
        **{
            f"{prefix}AppSpecification": app,
            f"{prefix}JobInput": job_input,
            f"{prefix}JobOutputConfig": {
                "MonitoringOutputs": [
                    {"S3Output": {"S3Uri": "s3://rs-training-data/monitor/out/", "LocalPath": "/opt/ml/processing/out"}}
                ]
            },
        },
    )


def _seed_ecr_image(url: str) -> None:
    ecr = boto3.client("ecr", region_name=REGION, endpoint_url=url)
    key = boto3.client("kms", region_name=REGION, endpoint_url=url).create_key()["KeyMetadata"]["Arn"]
    ecr.create_repository(repositoryName="rs-serving", encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key})
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 1,
            "digest": "sha256:" + "a" * 64,
        },
        "layers": [],
    }
    ecr.put_image(repositoryName="rs-serving", imageManifest=json.dumps(manifest), imageTag="v1")
    ecr.start_image_scan(repositoryName="rs-serving", imageId={"imageTag": "v1"})


@pytest.fixture(scope="module")
def exercised(fault_server: FaultServer) -> dict[str, set[str]]:
    """service -> every ``service:Operation`` its collectors called (seeded, collected and
    recorded at once, with a botocore ``before-call`` hook on the scanner's session)."""
    calls: dict[str, set[str]] = {name: set() for name in SERVICE_MODULES}
    current: list[str] = []
    original = ClientFactory.__init__

    def recording_init(self: ClientFactory, session: Any, *args: Any, **kwargs: Any) -> None:
        def record(model: Any, **_: Any) -> None:
            calls[current[0]].add(f"{model.service_model.service_name}:{model.name}")

        session.events.register("before-call", record)
        original(self, session, *args, **kwargs)

    fault_server.reset()
    fault_server.faults.configure(Faults(stubs={**MOTO_GAPS, **CANNED}))
    _seed_every_kind(fault_server.url)
    seed_bedrock_gaps(fault_server.url, fault_server.bedrock)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ClientFactory, "__init__", recording_init)
        for name in SERVICE_MODULES:
            current[:] = [name]
            inventory = collect_aws(*service_spec(name).produces, regions=(REGION,), endpoint_url=fault_server.url)
            assert not inventory.errors, f"{name}: {inventory.errors}"
    fault_server.reset()
    return calls


@pytest.mark.parametrize("service", sorted(SERVICE_MODULES))
def test_every_call_is_a_declared_read(exercised: dict[str, set[str]], service: str) -> None:
    declared = set(service_spec(service).permissions) | set(CONNECT_PERMISSIONS)
    for call in sorted(exercised[service]):
        sdk_service, _, operation = call.partition(":")
        assert is_read_only(operation), f"{service} called {call}, which is not a read"
        action = aws_action(sdk_service, operation)
        assert action in declared, f"{service} called {call}, authorized by {action}, which it does not declare"


@pytest.mark.parametrize("service", sorted(SERVICE_MODULES))
def test_every_declared_permission_is_used(exercised: dict[str, set[str]], service: str) -> None:
    used = {aws_action(*call.split(":", 1)) for call in exercised[service]}
    assert used, f"{service}'s collectors called nothing"
    unused = set(service_spec(service).permissions) - used
    assert not unused, f"{service} declares {sorted(unused)} but never needed them"


# ---------------------------------------------------------------------------------------------
# Found on the way: s3control through a custom endpoint
# ---------------------------------------------------------------------------------------------


def test_s3control_requests_are_signed_for_the_host_they_are_sent_to(fault_server: FaultServer) -> None:
    fault_server.reset()
    url = fault_server.url
    keys = scanner_user(url, "rs-signer", policy_of({"s3:GetAccountPublicAccessBlock"}))
    fault_server.set_iam_enforcement(True)
    try:
        session = boto3.Session(
            aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
            region_name=REGION,
        )
        clients = ClientFactory(session, client_config(1, max_attempts=0), endpoint_url=url)
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            clients.client("s3control", REGION).get_public_access_block(AccountId=ACCOUNT)
    finally:
        fault_server.set_iam_enforcement(False)
    assert raised.value.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration"


# ---------------------------------------------------------------------------------------------
# The alias table itself, proven against the installed moto
# ---------------------------------------------------------------------------------------------

_S3_CALLS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "s3:ListAllMyBuckets": ("s3", "list_buckets", {}),
    "s3:GetEncryptionConfiguration": ("s3", "get_bucket_encryption", {"Bucket": "rs-alias-probe"}),
    "s3:GetBucketPublicAccessBlock": ("s3", "get_public_access_block", {"Bucket": "rs-alias-probe"}),
    "s3:GetLifecycleConfiguration": ("s3", "get_bucket_lifecycle_configuration", {"Bucket": "rs-alias-probe"}),
    "s3:GetAccountPublicAccessBlock": ("s3control", "get_public_access_block", {"AccountId": ACCOUNT}),
}


def _denied(url: str, keys: dict[str, str], service: str, method: str, kwargs: dict[str, Any]) -> bool:
    """Whether moto answers AccessDenied to the call, sent through the scanner's own clients."""
    session = boto3.Session(
        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )
    client = ClientFactory(session, client_config(1, max_attempts=0), endpoint_url=url).client(service, REGION)
    try:
        getattr(client, method)(**kwargs)
    except botocore.exceptions.ClientError as e:
        return "AccessDenied" in e.response["Error"]["Code"]
    return False


@pytest.mark.parametrize("action", sorted(MOTO_AUTHORIZES_AS))
def test_moto_authorizes_s3_as_this_table(fault_server: FaultServer, action: str) -> None:
    """With only the AWS action moto denies the call; with moto's name added it allows it. When a
    moto release changes its S3 authorization names, this test names the entry to update."""
    url = fault_server.url
    fault_server.reset()
    boto3.client("s3", region_name=REGION, endpoint_url=url).create_bucket(Bucket="rs-alias-probe")
    bare = scanner_user(
        url,
        "rs-alias-bare",
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [action], "Resource": "*"}]},
    )
    aliased = scanner_user(url, "rs-alias-moto", policy_of({action}))
    service, method, kwargs = _S3_CALLS[action]
    fault_server.set_iam_enforcement(True)
    try:
        assert _denied(url, bare, service, method, kwargs), f"moto now authorizes {action} as itself: drop the alias"
        assert not _denied(url, aliased, service, method, kwargs), (
            f"moto no longer authorizes {action} as {MOTO_AUTHORIZES_AS[action]}"
        )
    finally:
        fault_server.reset()
