"""The report of a sharded scan, from its parts directory (``cspm merge parts/``).

The parts are read one at a time, in the plan's order of accounts, and fed to the same report
builder as a single-process scan (:func:`cspm.engine.build_report`: lineage across accounts, the
AI-supply-chain rule, scores, summary). Only the inventory and the findings are kept, which the
report needs anyway; a part's text is dropped once it is read. The merged report equals the
single-process one except for the scan id and the timestamps: every list is in a total order.

- A part that is missing (its shard never ran) or fails validation (bad JSON, a field of the wrong
  type, a snapshot that does not validate) makes that account an error (``service: cspm``) and
  the report incomplete; the other accounts merge.
- A part of another scan (another scan id) or another format or cspm version, or a file for an
  account the plan does not have, refuses the whole directory (exit 2): mixing scans would be a
  report of neither.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ValidationError

from cspm import __version__
from cspm.engine import CollectorUnit, Inventory, build_report, finding_order
from cspm.errors import UsageError
from cspm.models import CollectionError, Finding, ScanReport, Scope
from cspm.resources.base import GLOBAL_REGION, Resource
from cspm.shards import (
    PART_FORMAT,
    PLAN_FILE,
    SHARD_SERVICE,
    AccountPart,
    ShardPlan,
    part_path,
    read_plan_file,
    resource_classes,
)

_PART_NAME = re.compile(r"^part-(?P<account>.+)\.json$")
_M = TypeVar("_M", bound=BaseModel)


@dataclass
class MergedProvider:
    """The engine's Provider protocol for the report builder: the scopes of the merged parts."""

    name: str
    merged_scopes: list[Scope]
    setup_errors: list[CollectionError] = field(default_factory=list)

    def scopes(self) -> list[Scope]:
        return self.merged_scopes

    def plan(self, resource_types: set[type[Resource]]) -> list[CollectorUnit]:
        raise NotImplementedError("a merged scan collects nothing")


def merge_parts(parts_dir: Path, *, finished: datetime | None = None) -> ScanReport:
    """The report of the scan whose plan and parts are in ``parts_dir``."""
    plan_path = parts_dir / PLAN_FILE
    if not plan_path.exists():
        raise UsageError(f"{parts_dir}: no {PLAN_FILE}; not a cspm parts directory")
    plan = read_plan_file(plan_path)
    _refuse_strangers(parts_dir, plan)
    checks = plan.selected_checks()
    classes = resource_classes(plan.provider)
    shared = {c.id: c.finding_fields for c in checks}
    pool = _Pool()
    inventory = Inventory()
    for error in plan.setup_errors:
        inventory.record_error(error)
    findings: list[Finding] = []
    scopes: list[Scope] = []
    for account in plan.accounts:
        part = read_part(part_path(parts_dir, account), plan, account, classes)
        if isinstance(part, CollectionError):
            inventory.record_error(part)
            continue
        found, snapshots = part
        if found.scope is not None:
            scopes.append(found.scope)
        for snapshot in snapshots:
            inventory.add(
                pool.compact(snapshot) if needs_snapshot(type(snapshot)) else cast(Resource, pool.entry(snapshot))
            )
        del snapshots
        for error in found.errors:
            inventory.record_error(error)
            inventory.errors[-1] = pool.compact(inventory.errors[-1])
        for mark in found.incomplete:
            inventory.mark_incomplete(classes[mark.type], account, mark.region, mark.reason)
        findings.extend(pool.compact(_sharing(f, shared)) for f in found.findings)
        del found
    findings.sort(key=finding_order)
    provider = MergedProvider(plan.provider, scopes)
    return build_report(
        provider, checks, inventory, findings, plan.started_at, finished or datetime.now(UTC), scan_id=plan.scan_id
    )


def _sharing(finding: Finding, shared: dict[str, dict[str, Any]]) -> Finding:
    """``finding`` holding its check's metadata (title, remediation, compliance...) as one object
    shared by every finding of the check, as :func:`cspm.engine.make_finding` builds them: a
    copy per finding is most of a merged finding's memory. A finding whose metadata differs from
    this catalog's (the supply-chain rule has not run yet) is kept as it is."""
    fields = shared.get(finding.check_id)
    if fields is None or any(getattr(finding, k) != v for k, v in fields.items()):
        return finding
    return Finding.model_construct(**{**finding.__dict__, **fields})


@functools.cache
def needs_snapshot(cls: type[Resource]) -> bool:
    """Whether the report needs the whole snapshot of a ``cls`` resource: the lineage reads the
    snapshots of the AI services and of the buckets, roles, keys, repositories and functions
    they use (:func:`cspm.lineage.build_lineage`; every Azure resource), the artifact list the
    inspected artifacts. Of every other resource the report has only its entry (uid, type, name,
    account, region, tags): a :class:`MergedEntry` is kept instead, a tenth of the memory of a
    security group's or VPC's snapshot."""
    from cspm.lineage import _handlers
    from cspm.resources.artifacts import ModelArtifact
    from cspm.resources.aws.awslambda import LambdaFunction
    from cspm.resources.aws.ecr import EcrRepository
    from cspm.resources.aws.iam import IamRole
    from cspm.resources.aws.kms import KmsKey
    from cspm.resources.aws.s3 import S3Bucket

    lineage = (S3Bucket, IamRole, KmsKey, EcrRepository, LambdaFunction, ModelArtifact)
    return issubclass(cls, lineage) or cls.resource_type in _handlers() or cls.cloud() != "aws"


class MergedEntry:
    """What the report builder reads of a resource whose snapshot it does not need (see
    :func:`needs_snapshot`): the fields of its :class:`~cspm.models.ResourceEntry`. Not a
    :class:`~cspm.resources.base.Resource`, so the lineage and the artifact list pass it by."""

    __slots__ = ("account", "name", "region", "resource_type", "tags", "uid")

    def __init__(self, uid: str, resource_type: str, name: str, account: str, region: str, tags: dict[str, str]):
        self.uid, self.resource_type, self.name = uid, resource_type, name
        self.account, self.region, self.tags = account, region, tags

    def cloud(self) -> str:
        return self.resource_type.split(".")[0]


class _Pool:
    """One object for every equal field-name set and short repeated string of the merged models.

    pydantic gives each model instance its own ``model_fields_set``: about 2.2 KB for a finding,
    more than its fields' dict, and as much again for every snapshot and its nested models. None
    of cspm reads it (no ``exclude_unset``), so equal sets are shared, as are the resource uid,
    account, region, type and check id strings that the findings of a part repeat. Equality and
    serialization are unchanged: they read the fields only."""

    _STRINGS = ("check_id", "resource_uid", "resource_type", "account", "region", "provider")
    # Collection errors repeat across accounts (the same API refused in every account), all but
    # their account: every field is shared.
    _ERROR_STRINGS = ("account", "region", "service", "operation", "code", "message")
    _EMPTY: dict[str, str] = {}

    def __init__(self) -> None:
        self.sets: dict[frozenset[str], set[str]] = {}
        self.strings: dict[str, str] = {}

    def compact(self, model: _M) -> _M:
        self._share(model)
        names = (
            self._STRINGS
            if isinstance(model, Finding)
            else self._ERROR_STRINGS
            if isinstance(model, CollectionError)
            else ()
        )
        fields = model.__dict__
        for name in names:
            value = fields.get(name)
            if isinstance(value, str):
                fields[name] = self.strings.setdefault(value, value)
        return model

    def entry(self, snapshot: Resource) -> MergedEntry:
        """The :class:`MergedEntry` of ``snapshot``, its strings shared with the findings'."""
        intern = self.strings.setdefault
        return MergedEntry(
            intern(snapshot.uid, snapshot.uid),
            intern(snapshot.resource_type, snapshot.resource_type),
            snapshot.name,
            intern(snapshot.account, snapshot.account),
            intern(snapshot.region, snapshot.region),
            snapshot.tags or self._EMPTY,
        )

    def _share(self, value: object) -> None:
        items: Iterable[object]
        if isinstance(value, BaseModel):
            names = value.__pydantic_fields_set__
            shared = self.sets.setdefault(frozenset(names), names)
            if shared is not names:
                object.__setattr__(value, "__pydantic_fields_set__", shared)
            items = value.__dict__.values()
        elif isinstance(value, dict):
            items = value.values()
        else:
            items = value if isinstance(value, list | tuple) else ()
        for item in items:
            if isinstance(item, BaseModel | list | tuple | dict):
                self._share(item)


def _refuse_strangers(parts_dir: Path, plan: ShardPlan) -> None:
    accounts = set(plan.accounts)
    for path in parts_dir.iterdir():
        match = _PART_NAME.match(path.name)
        if match and match.group("account") not in accounts:
            raise UsageError(f"{path}: account {match.group('account')} is not in this scan's plan ({plan.scan_id})")


def read_part(
    path: Path, plan: ShardPlan, account: str, classes: dict[str, type[Resource]]
) -> tuple[AccountPart, list[Resource]] | CollectionError:
    """The part of ``account`` and its snapshots, or the error that replaces an unusable part.
    Raises UsageError (exit 2) for a part of another scan, format or version."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _part_error(
            account, "NoPart", "no part for this account: its shard did not finish (merge again or --resume)"
        )
    except OSError as exc:
        return _part_error(account, "InvalidPart", f"the part cannot be read: {exc.strerror or exc}")
    try:
        raw = json.loads(text)
    except ValueError as exc:
        return _part_error(account, "InvalidPart", f"the part is not JSON: {exc}")
    del text
    if isinstance(raw, dict):
        _refuse_other_scan(path, raw, plan)
    try:
        part = AccountPart.model_validate(raw)
        if part.account != account or part.provider != plan.provider:
            raise ValueError(f"the part is {part.provider} scope {part.account}'s")
        snapshots = [classes[r.type].model_validate(r.data) for r in part.resources]
        unknown = {m.type for m in part.incomplete} - set(classes)
    except (ValidationError, ValueError, KeyError) as exc:
        return _part_error(account, "InvalidPart", f"the part does not validate: {_first_line(exc)}")
    if unknown:
        return _part_error(account, "InvalidPart", f"unknown resource type(s): {', '.join(sorted(unknown))}")
    return part, snapshots


def _refuse_other_scan(path: Path, raw: dict[str, object], plan: ShardPlan) -> None:
    if raw.get("format") not in (None, PART_FORMAT) or raw.get("tool_version") not in (None, __version__):
        raise UsageError(
            f"{path} is a part of format {raw.get('format')} by cspm {raw.get('tool_version')}; "
            f"this is cspm {__version__} ({PART_FORMAT})"
        )
    if "scan_id" in raw and raw["scan_id"] != plan.scan_id:
        raise UsageError(f"{path} belongs to another scan ({raw['scan_id']}, not {plan.scan_id}): refused")


def _part_error(account: str, code: str, message: str) -> CollectionError:
    return CollectionError(
        account=account, region=GLOBAL_REGION, service=SHARD_SERVICE, operation="merge", code=code, message=message
    )


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return " ".join(lines[:3])[:300] if lines else type(exc).__name__


def missing_accounts(parts_dir: Path, plan: ShardPlan, accounts: Sequence[str]) -> list[str]:
    return [a for a in accounts if not part_path(parts_dir, a).exists()]
