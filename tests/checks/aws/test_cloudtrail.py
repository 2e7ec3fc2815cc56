"""CloudTrail checks: per-trail and account-level tables, plus the event-selector reasoning
(management events and S3 data-event coverage from classic and advanced selectors)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cspm.checks.aws import cloudtrail
from cspm.engine import Inventory, evaluate
from cspm.models import Status
from cspm.registry import CheckSpec
from cspm.resources.aws.cloudtrail import (
    BOTH,
    READ,
    WRITE,
    AdvancedEventSelector,
    CloudTrailTrail,
    DataResource,
    EventSelector,
    EventSelectors,
    FieldSelector,
)
from cspm.resources.aws.iam import IamAccount
from cspm.resources.aws.sagemaker import Model, ModelContainer, TrainingJob

ACCOUNT = "123456789012"
NOW = datetime(2026, 11, 25, tzinfo=UTC)
ACCOUNT_RESOURCE = IamAccount(uid=f"arn:aws:iam::{ACCOUNT}:root", name=ACCOUNT, account=ACCOUNT)
ALL_MANAGEMENT = EventSelectors(classic=(EventSelector(),))


def fs(field: str, **ops: tuple[str, ...]) -> FieldSelector:
    return FieldSelector(field=field, **ops)


def advanced(*fields: FieldSelector) -> AdvancedEventSelector:
    return AdvancedEventSelector(name="s", field_selectors=fields)


def s3_data(*extra: FieldSelector) -> AdvancedEventSelector:
    return advanced(fs("eventCategory", equals=("Data",)), fs("resources.type", equals=("AWS::S3::Object",)), *extra)


def classic_data(*values: str, rw: str = "All", management: bool = True) -> EventSelector:
    return EventSelector(
        read_write_type=rw,
        include_management_events=management,
        data_resources=(DataResource(type="AWS::S3::Object", values=values),),
    )


def trail(name: str = "main", **fields: Any) -> CloudTrailTrail:
    """A compliant multi-region trail; override fields per case."""
    base: dict[str, Any] = {
        "uid": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{name}",
        "name": name,
        "account": ACCOUNT,
        "region": "us-east-1",
        "home_region": "us-east-1",
        "is_multi_region": True,
        "is_organization_trail": False,
        "log_file_validation": True,
        "include_global_service_events": True,
        "kms_key_id": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k",
        "s3_bucket_name": "org-trail-logs",
        "is_logging": True,
        "event_selectors": ALL_MANAGEMENT,
    }
    base.update(fields)
    return CloudTrailTrail(**base)


# ---------------------------------------------------------------------------------------------
# Event selectors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "selectors", "expected"),
    [
        ("classic default", ALL_MANAGEMENT, BOTH),
        ("classic write only", EventSelectors(classic=(EventSelector(read_write_type="WriteOnly"),)), {WRITE}),
        (
            "classic read + write selectors",
            EventSelectors(
                classic=(EventSelector(read_write_type="ReadOnly"), EventSelector(read_write_type="WriteOnly"))
            ),
            BOTH,
        ),
        ("classic, management off", EventSelectors(classic=(EventSelector(include_management_events=False),)), set()),
        (
            "classic excluding KMS events",
            EventSelectors(classic=(EventSelector(exclude_management_event_sources=("kms.amazonaws.com",)),)),
            set(),
        ),
        ("advanced all", EventSelectors(advanced=(advanced(fs("eventCategory", equals=("Management",))),)), BOTH),
        (
            "advanced read only",
            EventSelectors(
                advanced=(advanced(fs("eventCategory", equals=("Management",)), fs("readOnly", equals=("true",))),)
            ),
            {READ},
        ),
        (
            "advanced readOnly != true",
            EventSelectors(
                advanced=(advanced(fs("eventCategory", equals=("Management",)), fs("readOnly", not_equals=("true",))),)
            ),
            {WRITE},
        ),
        (
            "advanced excluding an event source",
            EventSelectors(
                advanced=(
                    advanced(
                        fs("eventCategory", equals=("Management",)),
                        fs("eventSource", not_equals=("kms.amazonaws.com",)),
                    ),
                )
            ),
            set(),
        ),
        ("advanced data only", EventSelectors(advanced=(s3_data(),)), set()),
        ("no selectors", EventSelectors(), set()),
    ],
)
def test_management_events(case: str, selectors: EventSelectors, expected: set[str]) -> None:
    assert selectors.management_events() == frozenset(expected), case


@pytest.mark.parametrize(
    ("case", "selectors", "path", "expected"),
    [
        ("classic all buckets", EventSelectors(classic=(classic_data("arn:aws:s3"),)), "data/train/", BOTH),
        ("classic all buckets (:::)", EventSelectors(classic=(classic_data("arn:aws:s3:::"),)), "data/", BOTH),
        ("classic bucket", EventSelectors(classic=(classic_data("arn:aws:s3:::data/"),)), "data/train/", BOTH),
        ("classic bare bucket name", EventSelectors(classic=(classic_data("arn:aws:s3:::data"),)), "data/x", BOTH),
        (
            "bare name is not a prefix of others",
            EventSelectors(classic=(classic_data("arn:aws:s3:::data"),)),
            "data-2/x",
            set(),
        ),
        (
            "classic prefix covers deeper",
            EventSelectors(classic=(classic_data("arn:aws:s3:::data/train/"),)),
            "data/train/a/",
            BOTH,
        ),
        (
            "classic prefix misses siblings",
            EventSelectors(classic=(classic_data("arn:aws:s3:::data/train/"),)),
            "data/",
            set(),
        ),
        ("classic write only", EventSelectors(classic=(classic_data("arn:aws:s3", rw="WriteOnly"),)), "data/", {WRITE}),
        (
            "classic other type",
            EventSelectors(
                classic=(
                    EventSelector(
                        data_resources=(DataResource(type="AWS::Lambda::Function", values=("arn:aws:lambda",)),)
                    ),
                )
            ),
            "data/",
            set(),
        ),
        ("advanced all objects", EventSelectors(advanced=(s3_data(),)), "data/", BOTH),
        (
            "advanced starts with the bucket",
            EventSelectors(advanced=(s3_data(fs("resources.ARN", starts_with=("arn:aws:s3:::data/",))),)),
            "data/train/",
            BOTH,
        ),
        (
            "advanced exact object",
            EventSelectors(advanced=(s3_data(fs("resources.ARN", equals=("arn:aws:s3:::art/m/model.tar.gz",))),)),
            "art/m/model.tar.gz",
            BOTH,
        ),
        (
            "advanced exact object does not cover a prefix",
            EventSelectors(advanced=(s3_data(fs("resources.ARN", equals=("arn:aws:s3:::art/m/model.tar.gz",))),)),
            "art/m/",
            set(),
        ),
        (
            "advanced excludes the bucket",
            EventSelectors(advanced=(s3_data(fs("resources.ARN", not_starts_with=("arn:aws:s3:::data/",))),)),
            "data/train/",
            set(),
        ),
        (
            "advanced excludes part of the prefix",
            EventSelectors(advanced=(s3_data(fs("resources.ARN", not_starts_with=("arn:aws:s3:::data/train/tmp/",))),)),
            "data/train/",
            set(),
        ),
        (
            "advanced excludes another bucket",
            EventSelectors(advanced=(s3_data(fs("resources.ARN", not_starts_with=("arn:aws:s3:::logs/",))),)),
            "data/train/",
            BOTH,
        ),
        (
            "advanced suffix filter",
            EventSelectors(advanced=(s3_data(fs("resources.ARN", ends_with=(".csv",))),)),
            "data/",
            set(),
        ),
        (
            "advanced writes only",
            EventSelectors(advanced=(s3_data(fs("readOnly", equals=("false",))),)),
            "data/",
            {WRITE},
        ),
        (
            "advanced some event names only",
            EventSelectors(advanced=(s3_data(fs("eventName", equals=("PutObject",))),)),
            "data/",
            set(),
        ),
        ("management only", ALL_MANAGEMENT, "data/", set()),
    ],
)
def test_s3_object_events(case: str, selectors: EventSelectors, path: str, expected: set[str]) -> None:
    assert selectors.s3_object_events(path) == frozenset(expected), case


# ---------------------------------------------------------------------------------------------
# Per trail
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "t", "expected"),
    [
        ("logging", trail(), Status.PASS),
        ("stopped", trail(is_logging=False), Status.FAIL),
        ("status unreadable", trail(is_logging=None), Status.ERROR),
    ],
)
def test_trail_is_logging(case: str, t: CloudTrailTrail, expected: Status) -> None:
    assert cloudtrail.trail_is_logging(t).status is expected, case


@pytest.mark.parametrize(
    ("case", "t", "expected"),
    [("enabled", trail(), Status.PASS), ("disabled", trail(log_file_validation=False), Status.FAIL)],
)
def test_trail_log_file_validation_enabled(case: str, t: CloudTrailTrail, expected: Status) -> None:
    assert cloudtrail.trail_log_file_validation_enabled(t).status is expected, case


@pytest.mark.parametrize(
    ("case", "t", "expected"),
    [("KMS", trail(), Status.PASS), ("SSE-S3 only", trail(kms_key_id=None), Status.FAIL)],
)
def test_trail_encrypted_with_kms(case: str, t: CloudTrailTrail, expected: Status) -> None:
    result = cloudtrail.trail_encrypted_with_kms(t)
    assert result.status is expected, case
    assert result.evidence["trail"] == t.uid


# ---------------------------------------------------------------------------------------------
# Account level: a multi-region trail with all management events
# ---------------------------------------------------------------------------------------------

SINGLE = trail("regional", is_multi_region=False)
WRITE_ONLY = EventSelectors(classic=(EventSelector(read_write_type="WriteOnly"),))


@pytest.mark.parametrize(
    ("case", "trails", "expected"),
    [
        ("one good trail", [trail()], Status.PASS),
        ("a good trail next to an unreadable one", [trail(), trail("b", is_logging=None)], Status.PASS),
        ("organization trail", [trail(is_organization_trail=True, home_region="eu-west-1")], Status.PASS),
        ("no trail", [], Status.FAIL),
        ("single-region only", [SINGLE], Status.FAIL),
        ("multi-region, stopped", [trail(is_logging=False), SINGLE], Status.FAIL),
        ("multi-region, writes only", [trail(event_selectors=WRITE_ONLY)], Status.FAIL),
        # The Config rule behind CloudTrail.1 (multi-region-cloudtrail-enabled) is NON_COMPLIANT
        # "if the ExcludeManagementEventSources field is not empty".
        (
            "multi-region, KMS events excluded",
            [
                trail(
                    event_selectors=EventSelectors(
                        classic=(EventSelector(exclude_management_event_sources=("kms.amazonaws.com",)),)
                    )
                )
            ],
            Status.FAIL,
        ),
        ("multi-region, status unreadable", [trail(is_logging=None)], Status.ERROR),
        ("multi-region, selectors unreadable", [trail(event_selectors=None)], Status.ERROR),
    ],
)
def test_account_logs_management_events_in_all_regions(
    case: str, trails: list[CloudTrailTrail], expected: Status
) -> None:
    result = cloudtrail.account_logs_management_events_in_all_regions(ACCOUNT_RESOURCE, trails)
    assert result.status is expected, case
    if case == "multi-region, writes only":
        assert result.evidence["trails"] == [{"trail": trails[0].uid, "gap": "logs write management events only"}]


# ---------------------------------------------------------------------------------------------
# Account level: data events on the AI buckets
# ---------------------------------------------------------------------------------------------


def job(name: str = "train-1", region: str = "us-east-1", **fields: Any) -> TrainingJob:
    base: dict[str, Any] = {
        "input_s3_uris": ("s3://ml-data/train/", "s3://ml-data/validation/"),
        "output_s3_path": "s3://ml-artifacts/jobs/",
        "model_artifacts_s3_uri": f"s3://ml-artifacts/jobs/{name}/output/model.tar.gz",
    }
    base.update(fields)
    return TrainingJob(
        uid=f"arn:aws:sagemaker:{region}:{ACCOUNT}:training-job/{name}",
        name=name,
        account=ACCOUNT,
        region=region,
        **base,
    )


def model(
    name: str = "m", url: str | None = "s3://ml-artifacts/jobs/train-1/output/model.tar.gz", **fields: Any
) -> Model:
    containers = fields.pop("containers", (ModelContainer(image="x", model_data_url=url),))
    return Model(
        uid=f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/{name}",
        name=name,
        account=ACCOUNT,
        region="us-east-1",
        containers=containers,
    )


def data_trail(*selectors: AdvancedEventSelector | EventSelector, **fields: Any) -> CloudTrailTrail:
    advanced_ = tuple(s for s in selectors if isinstance(s, AdvancedEventSelector))
    classic = tuple(s for s in selectors if isinstance(s, EventSelector))
    return trail(event_selectors=EventSelectors(classic=classic, advanced=advanced_), **fields)


BUCKETS = fs("resources.ARN", starts_with=("arn:aws:s3:::ml-data/", "arn:aws:s3:::ml-artifacts/"))


@pytest.mark.parametrize(
    ("case", "trails", "jobs", "models", "expected"),
    [
        ("all buckets, classic", [data_trail(classic_data("arn:aws:s3"))], [job()], [model()], Status.PASS),
        ("both buckets, advanced", [data_trail(s3_data(BUCKETS))], [job()], [model()], Status.PASS),
        (
            "reads and writes from two trails",
            [
                data_trail(classic_data("arn:aws:s3", rw="ReadOnly")),
                data_trail(classic_data("arn:aws:s3", rw="WriteOnly"), name="w", is_multi_region=False),
            ],
            [job()],
            [],
            Status.PASS,
        ),
        ("models only", [data_trail(s3_data(BUCKETS))], [], [model()], Status.PASS),
        ("no data events", [trail()], [job()], [model()], Status.FAIL),
        ("no trail at all", [], [job()], [], Status.FAIL),
        (
            "artifact bucket missing",
            [data_trail(s3_data(fs("resources.ARN", starts_with=("arn:aws:s3:::ml-data/",))))],
            [job()],
            [],
            Status.FAIL,
        ),
        ("writes only", [data_trail(classic_data("arn:aws:s3", rw="WriteOnly"))], [job()], [], Status.FAIL),
        ("trail stopped", [data_trail(classic_data("arn:aws:s3"), is_logging=False)], [job()], [], Status.FAIL),
        (
            "single-region trail in another region",
            [data_trail(classic_data("arn:aws:s3"), is_multi_region=False, home_region="us-west-2")],
            [job()],
            [],
            Status.FAIL,
        ),
        (
            "missing wins over an unreadable trail elsewhere",
            [
                data_trail(classic_data("arn:aws:s3:::ml-data/")),
                trail("b", event_selectors=None, is_multi_region=False, home_region="eu-west-1"),
            ],
            [job(), job("far", region="eu-west-1")],
            [],
            Status.FAIL,
        ),
        ("selectors unreadable", [trail(event_selectors=None)], [job()], [], Status.ERROR),
        ("status unreadable", [data_trail(classic_data("arn:aws:s3"), is_logging=None)], [job()], [], Status.ERROR),
        (
            "covered, but a job could not be described",
            [data_trail(classic_data("arn:aws:s3"))],
            [job(), job("x", input_s3_uris=None, output_s3_path=None, model_artifacts_s3_uri=None)],
            [],
            Status.ERROR,
        ),
        ("only undescribed resources", [trail()], [], [model(containers=None)], Status.ERROR),
        ("no SageMaker resources", [trail()], [], [], None),
        ("model without artifact", [trail()], [], [model(url=None)], None),
    ],
)
def test_ai_buckets_have_s3_data_events(
    case: str, trails: list[CloudTrailTrail], jobs: list[TrainingJob], models: list[Model], expected: Status | None
) -> None:
    result = cloudtrail.ai_buckets_have_s3_data_events(ACCOUNT_RESOURCE, trails, jobs, models)
    assert result.status is expected, (case, result.message)


def test_ai_bucket_evidence_lists_uncovered_buckets_and_their_users() -> None:
    trails = [data_trail(s3_data(fs("resources.ARN", starts_with=("arn:aws:s3:::ml-data/",))))]
    result = cloudtrail.ai_buckets_have_s3_data_events(ACCOUNT_RESOURCE, trails, [job()], [model()])
    assert result.status is Status.FAIL
    assert result.evidence["uncovered_count"] == 1
    (bucket,) = result.evidence["uncovered"]
    assert bucket["bucket"] == "ml-artifacts"
    locations = {loc["location"]: loc for loc in bucket["locations"]}
    assert set(locations) == {"s3://ml-artifacts/jobs/", "s3://ml-artifacts/jobs/train-1/output/model.tar.gz"}
    artifact = locations["s3://ml-artifacts/jobs/train-1/output/model.tar.gz"]
    assert artifact["not_logged"] == ["read", "write"]
    assert artifact["used_by"] == {"model artifacts": [model().uid, job().uid]}


# ---------------------------------------------------------------------------------------------
# Through the engine
# ---------------------------------------------------------------------------------------------

SPECS: list[CheckSpec] = [
    obj.__cspm_check__
    for obj in vars(cloudtrail).values()
    if getattr(obj, "__module__", "") == cloudtrail.__name__ and hasattr(obj, "__cspm_check__")
]


def test_an_incomplete_listing_gives_errors_for_every_check() -> None:
    inventory = Inventory()
    inventory.add(ACCOUNT_RESOURCE)
    inventory.add(trail())
    inventory.mark_incomplete(CloudTrailTrail, ACCOUNT, "eu-west-1", "DescribeTrails failed: AccessDenied")
    findings = evaluate(SPECS, inventory, NOW)
    assert len(SPECS) == 5
    errors = {f.check_id for f in findings if f.status is Status.ERROR}
    assert errors == {s.id for s in SPECS}
    account_findings = [f for f in findings if f.resource_uid == ACCOUNT_RESOURCE.uid]
    assert {f.status for f in account_findings} == {Status.ERROR}
