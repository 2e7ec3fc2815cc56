"""CloudTrail checks: per trail (logging, log file validation, KMS), and two per account.

The account-level checks ("a multi-region trail logs all management events", "data events cover
the buckets of the AI supply chain") need a subject that exists once per account; they take the
IAM account (``aws.iam.account``, uid ``arn:aws:iam::<account>:root``) and read every trail of
the account, so a trail listing that failed in any region makes them answer ERROR.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from cspm.checks.aws._docs import security_hub_for
from cspm.models import Baseline, Result, Severity, failed, not_applicable, passed, unknown
from cspm.registry import check
from cspm.resources.aws.cloudtrail import BOTH, CloudTrailTrail
from cspm.resources.aws.iam import IamAccount
from cspm.resources.aws.sagemaker import Model, TrainingJob

EVIDENCE_LIMIT = 20

_UG = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/"
STOP_LOGGING = "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StopLogging.html"
LOG_FILE_VALIDATION = _UG + "cloudtrail-log-file-validation-intro.html"
SSE_KMS = _UG + "encrypting-cloudtrail-log-files-with-aws-kms.html"
MULTI_REGION = _UG + "cloudtrail-multi-region-trails.html"
MANAGEMENT_EVENTS = _UG + "logging-management-events-with-cloudtrail.html"
DATA_EVENTS = _UG + "logging-data-events-with-cloudtrail.html"
CONFIG_MULTI_REGION = "https://docs.aws.amazon.com/config/latest/developerguide/multi-region-cloudtrail-enabled.html"


_sh = security_hub_for("cloudtrail")


def _trail_evidence(trail: CloudTrailTrail) -> dict[str, Any]:
    return {"trail": trail.uid, "home_region": trail.home_region}


@check(
    title="CloudTrail trail is logging",
    severity=Severity.MEDIUM,
    baseline=Baseline.LOGGING,
    remediation="Start logging on the trail (StartLogging), or delete the trail if it is no longer used.",
    compliance={"nist-800-53-r5": ["AU-2", "AU-12"]},
    attack=["AML.T0075"],
    references=(STOP_LOGGING,),
)
def trail_is_logging(trail: CloudTrailTrail) -> Result:
    """StopLogging "suspends the recording of AWS API calls and log file delivery" for the trail,
    and a trail can be updated without stopping it first. A stopped trail delivers nothing while
    it still exists and looks configured. A trail whose status (GetTrailStatus) could not be read
    is an error, never a pass."""
    if trail.is_logging is None:
        return unknown("The trail's status could not be read.", _trail_evidence(trail))
    if trail.is_logging:
        return passed("The trail is logging.", _trail_evidence(trail))
    return failed("The trail exists but is not logging.", _trail_evidence(trail))


@check(
    title="CloudTrail trail has log file validation enabled",
    severity=Severity.LOW,
    baseline=Baseline.LOGGING,
    remediation="Enable log file integrity validation on the trail (EnableLogFileValidation).",
    compliance={"aws-fsbp": ["CloudTrail.4"], "cis-aws-5.0": ["3.2"], "nist-800-53-r5": ["AU-9", "SI-7"]},
    references=(_sh(4), LOG_FILE_VALIDATION),
)
def trail_log_file_validation_enabled(trail: CloudTrailTrail) -> Result:
    """With log file integrity validation, CloudTrail hashes every log file it delivers and every
    hour delivers a digest file signed with a per-Region private key, so you can determine
    "whether a log file was modified, deleted, or unchanged after CloudTrail delivered it", or
    that no log files were delivered during a period. Without it, a log file edited or deleted
    in the bucket cannot be told from an original. ``LogFileValidationEnabled`` is returned with
    every trail (DescribeTrails)."""
    if trail.log_file_validation:
        return passed("Log file validation is enabled.", _trail_evidence(trail))
    return failed("Log file validation is disabled.", _trail_evidence(trail))


@check(
    title="CloudTrail trail encrypts its log files with KMS",
    severity=Severity.MEDIUM,
    baseline=Baseline.ENCRYPTION,
    remediation="Set a customer-managed KMS key on the trail (KmsKeyId) whose policy lets CloudTrail encrypt "
    "and only the security team decrypt.",
    compliance={"aws-fsbp": ["CloudTrail.2"], "cis-aws-5.0": ["3.5"], "nist-800-53-r5": ["AU-9", "SC-28"]},
    references=(_sh(2), SSE_KMS),
)
def trail_encrypted_with_kms(trail: CloudTrailTrail) -> Result:
    """Trail logs name the buckets, roles and endpoints of the account and who called what. A
    trail without a KMS key has its log files encrypted with SSE-S3; with SSE-KMS, reading a log
    file needs both S3 read permission on the bucket and decrypt permission from the key policy.
    Digest files stay SSE-S3 either way. The trail's ``KmsKeyId`` is read from DescribeTrails
    (absent: SSE-S3); like CloudTrail.2, any KMS key passes."""
    if trail.kms_key_id:
        return passed("The log files are encrypted with KMS.", {**_trail_evidence(trail), "kms_key": trail.kms_key_id})
    return failed("The log files are not encrypted with KMS (SSE-S3 only).", _trail_evidence(trail))


# ---------------------------------------------------------------------------------------------
# Account level
# ---------------------------------------------------------------------------------------------


def _management_gap(trail: CloudTrailTrail) -> str | None:
    """Why a readable multi-region trail does not log all management events; None when it does."""
    if not trail.is_logging or trail.event_selectors is None:
        return "not logging" if trail.is_logging is False else "unreadable"
    logged = trail.event_selectors.management_events()
    if logged == BOTH:
        return None
    return f"logs {' and '.join(sorted(logged))} management events only" if logged else "logs no management events"


@check(
    title="A multi-Region CloudTrail trail logs read and write management events",
    fail_title="No multi-Region CloudTrail trail logs read and write management events",
    severity=Severity.HIGH,
    baseline=Baseline.LOGGING,
    remediation="Create (or fix) a multi-Region trail that is logging and whose event selectors include all "
    "read and write management events with no excluded event sources.",
    compliance={"aws-fsbp": ["CloudTrail.1"], "cis-aws-5.0": ["3.1"], "nist-800-53-r5": ["AU-2", "AU-12"]},
    attack=["AML.T0075"],
    references=(_sh(1), CONFIG_MULTI_REGION, MULTI_REGION, MANAGEMENT_EVENTS),
)
def account_logs_management_events_in_all_regions(account: IamAccount, trails: Sequence[CloudTrailTrail]) -> Result:
    """Management events are the control-plane operations on the account's resources (creating
    a training job, attaching a role policy, creating a trail) and sign-ins. A single-Region
    trail records events of its Region only; a multi-Region trail records every Region enabled
    in the account (an opt-in Region once it is enabled). Read-only events are the operations that read resources
    without changing them (Describe* and the like), write events those that may change them;
    CloudTrail.1 needs both (``readWriteType`` ALL) and, through its Config rule, fails a trail
    that excludes management event sources (KMS, RDS Data API). A trail must be logging to count;
    a trail whose status or event selectors could not be read makes the answer ERROR unless
    another trail already passes."""
    multi = [t for t in trails if t.is_multi_region]
    gaps = {t.uid: _management_gap(t) for t in multi}
    good = sorted(uid for uid, gap in gaps.items() if gap is None)
    if good:
        return passed(f"{len(good)} multi-Region trail(s) log all management events.", {"trails": good})
    unread = sorted(uid for uid, gap in gaps.items() if gap == "unreadable")
    if unread:
        return unknown(
            "The status or event selectors of some multi-Region trails could not be read.", {"unread": unread}
        )
    if not multi:
        others = sorted(t.uid for t in trails)
        return failed("The account has no multi-Region trail.", {"single_region_trails": others})
    return failed(
        "No multi-Region trail logs all read and write management events.",
        {"trails": [{"trail": uid, "gap": gap} for uid, gap in sorted(gaps.items())]},
    )


@dataclass
class _Location:
    """An S3 location of the AI supply chain, with what uses it."""

    bucket: str
    path: str  # bucket/key-prefix
    region: str
    used_by: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # role -> resource uids


def _s3_path(uri: str) -> tuple[str, str] | None:
    """(bucket, ``bucket/key``) for ``s3://bucket/key``; None for anything else."""
    if not uri.startswith("s3://"):
        return None
    rest = uri[len("s3://") :]
    bucket, _, key = rest.partition("/")
    return (bucket, f"{bucket}/{key}") if bucket else None


def _job_uris(job: TrainingJob) -> Iterator[tuple[str, str]]:
    for uri in job.input_s3_uris or ():
        yield "training data", uri
    for output in (job.output_s3_path, job.model_artifacts_s3_uri):
        if output:
            yield "model artifacts", output


def _model_uris(model: Model) -> Iterator[tuple[str, str]]:
    for container in model.containers or ():
        if container.model_data_url:
            yield "model artifacts", container.model_data_url


class _Locations:
    """Every S3 location SageMaker reads training data from or writes artifacts to, keyed by
    (path, region): the resource's region is the bucket's, as SageMaker requires."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str], _Location] = {}
        self.undescribed: list[str] = []

    def add(self, resource: TrainingJob | Model, uris: Iterable[tuple[str, str]]) -> None:
        for role, uri in uris:
            parsed = _s3_path(uri)
            if parsed is not None:
                key = (parsed[1], resource.region)
                location = self.found.setdefault(key, _Location(parsed[0], parsed[1], resource.region))
                location.used_by[role].add(resource.uid)


def _ai_locations(jobs: Iterable[TrainingJob], models: Iterable[Model]) -> _Locations:
    locations = _Locations()
    for job in jobs:
        if job.input_s3_uris is None:
            locations.undescribed.append(job.uid)
        locations.add(job, _job_uris(job))
    for model in models:
        if model.containers is None:
            locations.undescribed.append(model.uid)
        locations.add(model, _model_uris(model))
    return locations


def _logged(location: _Location, trails: Sequence[CloudTrailTrail]) -> tuple[frozenset[str], bool]:
    """(the object-level event kinds logged for every object under the location, whether a trail
    that might add more could not be read)."""
    modes: set[str] = set()
    uncertain = False
    for trail in trails:
        if not trail.covers_region(location.region) or trail.is_logging is False:
            continue
        if trail.is_logging is None or trail.event_selectors is None:
            uncertain = True
            continue
        modes |= trail.event_selectors.s3_object_events(location.path)
    return frozenset(modes), uncertain


def _bucket_gaps(gaps: list[tuple[_Location, frozenset[str]]]) -> list[dict[str, Any]]:
    by_bucket: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for location, missing in gaps:
        by_bucket[location.bucket].append(
            {
                "location": f"s3://{location.path}",
                "region": location.region,
                "not_logged": sorted(missing),
                "used_by": {role: sorted(uids)[:EVIDENCE_LIMIT] for role, uids in sorted(location.used_by.items())},
            }
        )
    return [{"bucket": bucket, "locations": locations} for bucket, locations in sorted(by_bucket.items())]


@check(
    title="CloudTrail S3 data events cover the buckets of SageMaker training data and model artifacts",
    severity=Severity.MEDIUM,
    baseline=Baseline.LOGGING,
    remediation="Add S3 data event selectors (read and write) for the training data and model artifact "
    "locations to a logging trail that covers their region, e.g. an advanced selector with eventCategory "
    "Data, resources.type AWS::S3::Object and resources.ARN StartsWith arn:aws:s3:::<bucket>/.",
    compliance={"nist-800-53-r5": ["AU-2", "AU-12"]},
    attack=["AML.T0020", "AML.T0010.002", "AML.T0035"],
    references=(DATA_EVENTS, MANAGEMENT_EVENTS),
)
def ai_buckets_have_s3_data_events(
    account: IamAccount,
    trails: Sequence[CloudTrailTrail],
    training_jobs: Sequence[TrainingJob],
    models: Sequence[Model],
) -> Result:
    """S3 object-level operations (``GetObject``, ``PutObject``, ``DeleteObject``) are data
    events, and "by default, trails and event data stores do not log data events" (they cost
    extra). Without read and write data events on the locations SageMaker trains from and saves
    models to, the trail has no record of who read or overwrote a training object or a model
    artifact. Only trails are read: data events logged by a CloudTrail Lake event data store are
    not seen, and such an account fails here. The check asks only about the AI locations, not
    every bucket, so it maps to no Security Hub control."""
    found = _ai_locations(training_jobs, models)
    locations, undescribed = list(found.found.values()), found.undescribed
    if not locations:
        if undescribed:
            return unknown(
                "Some training jobs or models could not be described.", {"undescribed": undescribed[:EVIDENCE_LIMIT]}
            )
        return not_applicable("No SageMaker training job or model uses S3 locations.")
    gaps: list[tuple[_Location, frozenset[str]]] = []
    unclear: list[str] = []
    for location in locations:
        logged, uncertain = _logged(location, trails)
        if logged == BOTH:
            continue
        if uncertain:
            unclear.append(f"s3://{location.path}")
        else:
            gaps.append((location, BOTH - logged))
    if gaps:
        buckets = _bucket_gaps(gaps)
        return failed(
            f"{len(buckets)} bucket(s) of training data or model artifacts lack S3 data events.",
            {
                "uncovered": buckets[:EVIDENCE_LIMIT],
                "uncovered_count": len(buckets),
                "unknown": unclear[:EVIDENCE_LIMIT],
            },
        )
    if unclear or undescribed:
        return unknown(
            "Some trails or SageMaker resources could not be read.",
            {"unknown": unclear[:EVIDENCE_LIMIT], "undescribed": undescribed[:EVIDENCE_LIMIT]},
        )
    covered = sorted({loc.bucket for loc in locations})
    return passed(f"Read and write data events cover the {len(covered)} AI bucket(s).", {"buckets": covered})
