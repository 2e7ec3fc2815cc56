"""A scan split into shards of scopes: the plan, the shard that runs on a worker, the parts it writes.

A distributed scan (docs/distributed.md) of an AWS organization's accounts, Azure subscriptions
or Google Cloud projects has one **coordinator** and any number of **workers**:

- The coordinator lists the scopes once, fixes the scan id and the evaluation time, and writes
  a :class:`ShardPlan`: the options every worker needs (never a credential), the selected check
  ids, and the scopes cut into shards of ``--shard-size`` (AWS with ``--scp``: also the
  organization's SCPs and RCPs, read once).
- A worker runs one shard (:func:`run_shard`): with its own ambient credentials (AWS: it assumes
  the role in each account itself), collects, evaluates the checks at the plan's time, and returns
  one :class:`AccountPart` per scope: its scope, resources (full snapshots, which the lineage
  needs), errors, incomplete marks and findings before the lineage rule.
- What differs per cloud (listing the scopes, a provider for a batch, the snapshot classes) is an
  adapter in :mod:`cspm.shard_clouds`; the rest is one code path.
- :mod:`cspm.merge` turns the parts into the report, through the same report builder as a
  single-process scan.

The unit is a batch of accounts, not one account: a shard pays for a session, the service
models, clients and the check catalog (about 1.1 s of CPU when cold). A worker process keeps them
warm between shards (:mod:`cspm.shard_clouds`).

Parts are JSON files, ``part-<account>.json``, beside ``plan.json`` in the parts directory; both
carry a format version, the tool version and the scan id, so a directory of another scan or
version is refused. ``provider`` names the cloud (plans and parts written before Azure and GCP
could be sharded have none in their parts: they are AWS's), ``shards`` hold the scope ids, and
each part's ``account`` is the scope id.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from cspm import __version__
from cspm.errors import UsageError
from cspm.models import CollectionError, Finding, Scope
from cspm.resources.base import GLOBAL_REGION, Resource
from cspm.scp_snapshot import OrgPolicySnapshot

if TYPE_CHECKING:
    from cspm.engine import Inventory
    from cspm.providers.aws import AwsOptions
    from cspm.registry import CheckSpec

PLAN_FORMAT: Final = "cspm-plan/1"
PART_FORMAT: Final = "cspm-part/1"
PLAN_FILE = "plan.json"
DEFAULT_SHARD_SIZE = 10
# Workers read the sts:ExternalId from their own environment: it never travels with a task.
EXTERNAL_ID_ENV = "CSPM_EXTERNAL_ID"
SHARD_SERVICE = "cspm"  # the `service` of errors about shards and parts


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AwsShardOptions(_Model):
    """What every worker of an AWS organization scan needs. No credential: workers use their own
    ambient ones (instance or pod role, environment, ``profile`` if they have it)."""

    profile: str | None = None
    regions: list[str] = Field(default_factory=list)
    endpoint_url: str | None = None
    role_name: str | None = None
    external_id: bool = False  # True: workers pass the sts:ExternalId of $CSPM_EXTERNAL_ID
    scp: bool | None = None
    workers: int = 24
    max_response_bytes: int = 64 * 2**20

    @classmethod
    def of(cls, options: AwsOptions) -> AwsShardOptions:
        """The shard options of a coordinator's ``--org`` options (the external id stays behind)."""
        return cls(
            profile=options.profile,
            regions=list(options.regions),
            endpoint_url=options.endpoint_url,
            role_name=options.role_name,
            external_id=options.external_id is not None,
            scp=options.scp,
            workers=options.workers,
            max_response_bytes=options.max_response_bytes,
        )

    def aws_options(self) -> AwsOptions:
        from cspm.providers.aws import AwsOptions

        external_id = os.environ.get(EXTERNAL_ID_ENV) if self.external_id else None
        if self.external_id and not external_id:
            raise UsageError(f"the plan asks for an sts:ExternalId: set {EXTERNAL_ID_ENV} in the worker's environment")
        return AwsOptions(
            profile=self.profile,
            regions=tuple(self.regions),
            endpoint_url=self.endpoint_url,
            workers=self.workers,
            org=True,
            role_name=self.role_name,
            external_id=external_id,
            max_response_bytes=self.max_response_bytes,
            scp=self.scp,
        )


class AzureShardOptions(_Model):
    """What every worker of a sharded Azure scan needs. No credential: each worker signs in with
    its own DefaultAzureCredential (environment, workload or managed identity, az login)."""

    tenant: str | None = None
    managed_identity: bool = False
    endpoint: str | None = None  # the Resource Manager endpoint; None: the worker's own setting
    workers: int = 8
    max_response_bytes: int = 64 * 2**20


class GcpShardOptions(_Model):
    """What every worker of a sharded Google Cloud scan needs. No credential: each worker uses its
    own Application Default Credentials."""

    crm_endpoint: str | None = None  # None: the worker's own CSPM_GCP_CRM_ENDPOINT or the public one
    workers: int = 8
    max_response_bytes: int = 64 * 2**20


Cloud = Literal["aws", "azure", "gcp"]
ShardOptions = AwsShardOptions | AzureShardOptions | GcpShardOptions
_OPTIONS: dict[str, type[ShardOptions]] = {"aws": AwsShardOptions, "azure": AzureShardOptions, "gcp": GcpShardOptions}


class ShardPlan(_Model):
    """The coordinator's plan: written to ``plan.json`` (or ``--plan FILE``) and sent with every task.

    ``provider`` names the cloud; ``shards`` hold its scope ids (AWS accounts, Azure
    subscriptions, Google Cloud projects). A plan of an earlier cspm-plan/1 (AWS only, no
    ``org_policies``) still reads."""

    format: Literal["cspm-plan/1"] = PLAN_FORMAT
    tool_version: str = __version__
    scan_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    provider: Cloud = "aws"
    started_at: datetime  # the evaluation time of every shard, and the report's started_at
    checks: list[str]  # the selected check ids, in catalog order
    options: ShardOptions
    shards: list[list[str]]  # scope ids: accounts, subscriptions or projects
    setup_errors: list[CollectionError] = Field(default_factory=list)  # the coordinator's (accounts not ACTIVE)
    # AWS with --scp: the organization's SCPs and RCPs, read once by the coordinator; a shard
    # given them makes no Organizations call (None: each shard reads them itself).
    org_policies: OrgPolicySnapshot | None = None

    @field_validator("options", mode="before")
    @classmethod
    def _options_of_provider(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, dict):
            return _OPTIONS[info.data.get("provider", "aws")].model_validate(value)
        return value

    @model_validator(mode="after")
    def _options_match(self) -> ShardPlan:
        if not isinstance(self.options, _OPTIONS[self.provider]):
            raise ValueError(f"the options are not {self.provider}'s")
        return self

    @property
    def accounts(self) -> list[str]:
        return [a for shard in self.shards for a in shard]

    def selected_checks(self) -> list[CheckSpec]:
        from cspm.registry import load_checks

        wanted = set(self.checks)
        specs = [c for c in load_checks([self.provider]) if c.id in wanted]
        if len(specs) != len(wanted):
            missing = sorted(wanted - {c.id for c in specs})
            raise UsageError(f"the plan names checks this cspm does not have: {', '.join(missing[:5])}")
        return specs

    def for_shard(self, index: int) -> ShardPlan:
        """The plan a task of shard ``index`` is sent: that shard alone (index 0), and only the
        part of the SCP snapshot its accounts need; a task's size does not grow with the scan."""
        shard = self.shards[index]
        policies = self.org_policies.for_accounts(shard) if self.org_policies is not None else None
        return self.model_copy(update={"shards": [shard], "org_policies": policies, "setup_errors": []})


def cut(accounts: Sequence[str], size: int) -> list[list[str]]:
    """``accounts`` in shards of at most ``size``, in order."""
    if size < 1:
        raise UsageError("--shard-size must be at least 1")
    return [list(accounts[i : i + size]) for i in range(0, len(accounts), size)]


class PartResource(_Model):
    type: str  # the resource_type of the snapshot's class
    data: dict[str, Any]


class IncompleteMark(_Model):
    type: str
    region: str
    reason: str


class AccountPart(_Model):
    """One account's share of the scan, as a shard produced it (or as a failed shard left it)."""

    format: Literal["cspm-part/1"] = PART_FORMAT
    tool_version: str = __version__
    scan_id: str
    provider: Cloud = "aws"  # added with Azure and GCP shards: a part without it is AWS's
    account: str  # the scope id: an AWS account, an Azure subscription, a Google Cloud project
    scope: Scope | None = None  # None: the account could not be reached (see errors)
    resources: list[PartResource] = Field(default_factory=list)
    errors: list[CollectionError] = Field(default_factory=list)
    incomplete: list[IncompleteMark] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    failed: bool = False  # the shard failed beyond its retries; --resume runs the account again


def part_path(parts_dir: Path, account: str) -> Path:
    return parts_dir / f"part-{account}.json"


def failed_parts(plan: ShardPlan, accounts: Sequence[str], code: str, message: str) -> list[tuple[str, str]]:
    """The parts of accounts whose shard failed beyond its retries: one error each."""
    return [
        (
            account,
            AccountPart(
                scan_id=plan.scan_id,
                provider=plan.provider,
                account=account,
                errors=[
                    CollectionError(
                        account=account,
                        region=GLOBAL_REGION,
                        service=SHARD_SERVICE,
                        operation="shard",
                        code=code,
                        message=message,
                    )
                ],
                failed=True,
            ).model_dump_json(),
        )
        for account in accounts
    ]


# ---------------------------------------------------------------------------------------------
# The parts directory
# ---------------------------------------------------------------------------------------------


def prepare_parts_dir(parts_dir: Path, plan: ShardPlan) -> None:
    """A new parts directory for ``plan`` (readable by its owner only: parts hold snapshots).
    One that already has another scan's plan is refused (exit 2): use --resume or a new one."""
    existing = read_plan_file(parts_dir / PLAN_FILE) if (parts_dir / PLAN_FILE).exists() else None
    if existing is not None and existing.scan_id != plan.scan_id:
        raise UsageError(f"--parts-dir {parts_dir} holds another scan ({existing.scan_id}): use --resume or a new one")
    try:
        parts_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise UsageError(f"--parts-dir {parts_dir}: {exc.strerror or exc}") from exc
    if existing is None:
        write_private(parts_dir / PLAN_FILE, plan.model_dump_json(indent=2))


def read_plan_file(path: Path) -> ShardPlan:
    """The plan at ``path``; another format or version is refused (exit 2)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the plan {path}: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("format") != PLAN_FORMAT:
        raise UsageError(f"{path} is not a cspm shard plan ({PLAN_FORMAT})")
    if raw.get("tool_version") != __version__:
        raise UsageError(f"{path} was made by cspm {raw.get('tool_version')}; this is cspm {__version__}")
    try:
        return ShardPlan.model_validate(raw)
    except ValueError as exc:
        raise UsageError(f"{path} is not a valid shard plan: {str(exc).splitlines()[0]}") from exc


def write_private(path: Path, text: str) -> None:
    """Write ``path`` atomically, readable by its owner only."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def write_parts(parts_dir: Path, parts: Sequence[tuple[str, str]]) -> None:
    for account, text in parts:
        write_private(part_path(parts_dir, account), text)


def finished_accounts(parts_dir: Path, plan: ShardPlan) -> set[str]:
    """Accounts of ``plan`` whose part is in ``parts_dir`` and not a failed shard's."""
    done = set()
    for account in plan.accounts:
        path = part_path(parts_dir, account)
        if path.exists() and not _is_failed(path):
            done.add(account)
    return done


def _is_failed(path: Path) -> bool:
    try:
        return bool(json.loads(path.read_text(encoding="utf-8")).get("failed"))
    except (OSError, ValueError, AttributeError):
        return True  # unreadable: run it again


# ---------------------------------------------------------------------------------------------
# The shard, on a worker
# ---------------------------------------------------------------------------------------------


class ShardTask:
    """What the coordinator submits: the plan (cut to one shard, :meth:`ShardPlan.for_shard`) and
    a shard's index, nothing else (it is pickled to the workers; tests prove it carries no
    credential, for each cloud). Returns (scope id, part JSON) pairs."""

    def __init__(self, plan: ShardPlan, index: int) -> None:
        self.plan = plan
        self.index = index

    def __call__(self) -> list[tuple[str, str]]:
        return run_shard(self.plan, self.index)


def run_shard(plan: ShardPlan, index: int) -> list[tuple[str, str]]:
    """Scan shard ``index`` of ``plan``: one (scope id, part JSON) per scope of the shard."""
    from cspm.engine import collect_and_evaluate
    from cspm.shard_clouds import adapter

    if not 0 <= index < len(plan.shards):
        raise UsageError(f"--index {index}: the plan has {len(plan.shards)} shard(s) (0 to {len(plan.shards) - 1})")
    accounts = plan.shards[index]
    checks = _checks_of(plan)
    with adapter(plan.provider).batch(plan, accounts) as provider:
        inventory, findings = collect_and_evaluate(provider, checks, plan.started_at, workers=plan.options.workers)
        scopes = {s.account: s for s in provider.scopes()}
    return [(p.account, p.model_dump_json()) for p in split_by_account(plan, accounts, scopes, inventory, findings)]


def split_by_account(
    plan: ShardPlan,
    accounts: Sequence[str],
    scopes: dict[str, Scope],
    inventory: Inventory,
    findings: Sequence[Finding],
) -> list[AccountPart]:
    """The shard's inventory and findings cut into one part per account. Anything recorded for
    an account outside the shard (none of the collectors does so) stays with the shard's first."""
    home = {a: a for a in accounts}

    def owner(account: str) -> str:
        return home.get(account, accounts[0])

    resources: dict[str, list[PartResource]] = defaultdict(list)
    for resource in inventory.resources():
        resources[owner(resource.account)].append(
            PartResource(type=resource.resource_type, data=resource.model_dump(mode="json"))
        )
    errors: dict[str, list[CollectionError]] = defaultdict(list)
    for error in inventory.errors:
        errors[owner(error.account)].append(error)
    marks: dict[str, list[IncompleteMark]] = defaultdict(list)
    for rtype, account, region, reason in inventory.incomplete_marks():
        marks[owner(account)].append(IncompleteMark(type=rtype, region=region, reason=reason))
    found: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        found[owner(finding.account)].append(finding)
    return [
        AccountPart(
            scan_id=plan.scan_id,
            provider=plan.provider,
            account=a,
            scope=scopes.get(a),
            resources=resources[a],
            errors=errors[a],
            incomplete=marks[a],
            findings=found[a],
        )
        for a in accounts
    ]


# A worker process keeps the check catalog (and, in cspm.shard_clouds, connected providers) for
# the next shard: Dask runs each task as a plain function call in a long-lived process.
_warm_lock = threading.Lock()
_warm_checks: dict[tuple[str, tuple[str, ...]], list[CheckSpec]] = {}


def _checks_of(plan: ShardPlan) -> list[CheckSpec]:
    key = (plan.provider, tuple(plan.checks))
    with _warm_lock:
        found = _warm_checks.get(key)
    if found is None:
        found = plan.selected_checks()
        with _warm_lock:
            _warm_checks[key] = found
    return found


def resource_classes(cloud: str) -> dict[str, type[Resource]]:
    """resource_type -> snapshot class, for every snapshot a scan of ``cloud`` can produce."""
    from cspm.shard_clouds import adapter

    return adapter(cloud).resource_classes()
