"""CloudTrail snapshots: trails, with their status and event selectors.

The DescribeTrails fields are always read with the trail (the listing), so they are never
``None`` for "unreadable": ``kms_key_id`` None means the trail is not encrypted with KMS.
``is_logging`` (GetTrailStatus) and ``event_selectors`` (GetEventSelectors) are None when their
call failed.

:meth:`EventSelectors.management_events` and :meth:`EventSelectors.s3_object_events` answer which
kinds of events (``read``, ``write``) a trail logs, from classic or advanced selectors alike. Both
are conservative: a selector that logs only part of what is asked (some event sources or event
names, an excluded prefix, an ``endsWith`` filter) does not count.
"""

from __future__ import annotations

import re
from typing import ClassVar

from cspm.resources.base import Resource, Snapshot

READ = "read"
WRITE = "write"
BOTH = frozenset({READ, WRITE})
NONE: frozenset[str] = frozenset()
S3_OBJECT = "AWS::S3::Object"

_RW = {"All": BOTH, "ReadOnly": frozenset({READ}), "WriteOnly": frozenset({WRITE})}
_READ_ONLY = {"true": frozenset({READ}), "false": frozenset({WRITE})}
_S3_ARN = re.compile(r"^arn:[^:]+:s3(?::::(?P<path>.*))?$")
# Advanced selector fields that only narrow *which* events of a category are logged.
_MANAGEMENT_FIELDS = frozenset({"eventCategory", "readOnly"})
_DATA_FIELDS = frozenset({"eventCategory", "resources.type", "resources.ARN", "readOnly"})


class DataResource(Snapshot):
    type: str  # AWS::S3::Object, AWS::Lambda::Function, ...
    values: tuple[str, ...] = ()  # ARNs or ARN prefixes; "arn:aws:s3" / "arn:aws:s3:::" = all buckets


class EventSelector(Snapshot):
    """A classic event selector."""

    read_write_type: str = "All"  # All | ReadOnly | WriteOnly
    include_management_events: bool = True
    exclude_management_event_sources: tuple[str, ...] = ()
    data_resources: tuple[DataResource, ...] = ()

    @property
    def modes(self) -> frozenset[str]:
        return _RW.get(self.read_write_type, NONE)


class FieldSelector(Snapshot):
    """One field condition of an advanced event selector."""

    field: str  # eventCategory | readOnly | eventSource | eventName | resources.type | resources.ARN | ...
    equals: tuple[str, ...] = ()
    starts_with: tuple[str, ...] = ()
    ends_with: tuple[str, ...] = ()
    not_equals: tuple[str, ...] = ()
    not_starts_with: tuple[str, ...] = ()
    not_ends_with: tuple[str, ...] = ()


class AdvancedEventSelector(Snapshot):
    name: str | None = None
    field_selectors: tuple[FieldSelector, ...] = ()

    def field(self, name: str) -> FieldSelector | None:
        return next((f for f in self.field_selectors if f.field == name), None)

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(f.field for f in self.field_selectors)

    def category_is(self, category: str) -> bool:
        selector = self.field("eventCategory")
        return selector is not None and selector.equals == (category,)

    @property
    def modes(self) -> frozenset[str]:
        """What ``readOnly`` lets through: both without the field."""
        selector = self.field("readOnly")
        if selector is None:
            return BOTH
        if selector.equals:
            return frozenset().union(*(_READ_ONLY.get(v.lower(), NONE) for v in selector.equals))
        if selector.not_equals:
            return BOTH - frozenset().union(*(_READ_ONLY.get(v.lower(), NONE) for v in selector.not_equals))
        return NONE  # an operator we do not model: count nothing


class EventSelectors(Snapshot):
    """GetEventSelectors: a trail has classic or advanced selectors, never both."""

    classic: tuple[EventSelector, ...] = ()
    advanced: tuple[AdvancedEventSelector, ...] = ()

    def management_events(self) -> frozenset[str]:
        """Which management events (``read``, ``write``) are logged for every event source."""
        modes: set[str] = set()
        for s in self.classic:
            if s.include_management_events and not s.exclude_management_event_sources:
                modes |= s.modes
        for a in self.advanced:
            if a.category_is("Management") and a.fields <= _MANAGEMENT_FIELDS:
                modes |= a.modes
        return frozenset(modes)

    def s3_object_events(self, path: str) -> frozenset[str]:
        """Which S3 object-level events are logged for every object under ``path``
        (``bucket/key-prefix``; ``bucket/`` is the whole bucket)."""
        modes: set[str] = set()
        for s in self.classic:
            values = (v for r in s.data_resources if r.type == S3_OBJECT for v in r.values)
            if any(_classic_value_covers(v, path) for v in values):
                modes |= s.modes
        for a in self.advanced:
            if _advanced_s3_covers(a, path):
                modes |= a.modes
        return frozenset(modes)


def _s3_path(arn: str) -> str | None:
    """``bucket/key`` of an S3 ARN (or prefix); "" for every bucket; None when not an S3 ARN."""
    match = _S3_ARN.match(arn)
    if match is None:
        return None
    return match["path"] or ""


def _classic_value_covers(value: str, path: str) -> bool:
    selected = _s3_path(value)
    if selected is None:
        return False
    if selected and "/" not in selected:
        selected += "/"  # a bare bucket name selects the bucket, not every bucket it prefixes
    return path.startswith(selected)


def _advanced_s3_covers(selector: AdvancedEventSelector, path: str) -> bool:
    resource_type = selector.field("resources.type")
    if not selector.category_is("Data") or resource_type is None or S3_OBJECT not in resource_type.equals:
        return False
    if not selector.fields <= _DATA_FIELDS:
        return False
    arn = selector.field("resources.ARN")
    return arn is None or _arn_condition_covers(arn, path)


def _paths(values: tuple[str, ...]) -> list[str]:
    return [p for p in (_s3_path(v) for v in values) if p is not None]


def _arn_condition_covers(arn: FieldSelector, path: str) -> bool:
    """Whether a resources.ARN condition selects every object under ``path``."""
    if arn.ends_with or arn.not_ends_with:
        return False  # selects by suffix: some objects under the prefix are left out
    if any(path.startswith(p) or p.startswith(path) for p in _paths(arn.not_starts_with)):
        return False
    if any(p.startswith(path) for p in _paths(arn.not_equals)):
        return False
    if not arn.starts_with and not arn.equals:
        return True
    return any(path.startswith(p) for p in _paths(arn.starts_with)) or path in _paths(arn.equals)


class CloudTrailTrail(Resource):
    """One trail (DescribeTrails), in its home region."""

    resource_type: ClassVar[str] = "aws.cloudtrail.trail"

    home_region: str
    is_multi_region: bool
    is_organization_trail: bool
    log_file_validation: bool  # LogFileValidationEnabled
    include_global_service_events: bool
    kms_key_id: str | None = None  # None: the log files are not encrypted with KMS (SSE-S3 only)
    s3_bucket_name: str | None = None
    cloudwatch_logs_log_group_arn: str | None = None
    is_logging: bool | None = None  # GetTrailStatus.IsLogging
    event_selectors: EventSelectors | None = None

    def covers_region(self, region: str) -> bool:
        """Whether the trail records events of ``region``."""
        return self.is_multi_region or self.home_region == region
