"""The AWS provider: credentials, accounts, regions, and the plan of collector units.

One account (the caller's, or the one ``--role-arn`` leads to) or a whole organization
(``--org``: every ACTIVE account that ``organizations:ListAccounts`` lists, each through
``sts:AssumeRole`` into ``--role-name``; see :mod:`cspm.providers.aws.org`). Every account gets
its own refreshable credentials and its own enabled regions (``ec2:DescribeRegions`` in that
account); the accounts share one set of clients, on one session with the read-only guard, and
each request is signed with the credentials of its account (see
:class:`~cspm.providers.aws.context.AccountCredentials`). The caller's own account, when it is
part of the scan, is read with the caller's credentials: no role is assumed into it.

A failing account (the role cannot be assumed, the account is suspended, a chosen region is not
enabled in it) is recorded in the setup errors; the others are scanned.

Importing this package imports boto3; the CLI does so only when an AWS scan is asked for.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Any

import boto3
import botocore.credentials
import botocore.exceptions
import botocore.session

from cspm.engine import DEFAULT_MAX_CALLS, CollectorUnit, UnitContext
from cspm.errors import CredentialsError, ScanError, UsageError
from cspm.models import CollectionError, Scope
from cspm.permissions import aws_action, aws_scan_actions
from cspm.providers.aws import artifacts, models, org, org_policies
from cspm.providers.aws.artifacts import ArtifactSettings, ScanBudget
from cspm.providers.aws.context import (
    AssumeRoleFailed,
    AwsContext,
    ClientFactory,
    accounts_session,
    acting_as,
    classify,
    client_config,
)
from cspm.providers.aws.resilience import DEFAULT_MAX_RESPONSE_BYTES, install_bounded_reads
from cspm.providers.base import ServiceSpec
from cspm.resources.base import GLOBAL_REGION, Resource

log = logging.getLogger(__name__)

# Service name -> module. Explicit: a new collector is one line here.
SERVICE_MODULES: dict[str, str] = {
    "iam": "cspm.providers.aws.iam",
    "s3": "cspm.providers.aws.s3",
    "ec2": "cspm.providers.aws.ec2",
    "sagemaker": "cspm.providers.aws.sagemaker",
    "ecr": "cspm.providers.aws.ecr",
    "kms": "cspm.providers.aws.kms",
    "cloudtrail": "cspm.providers.aws.cloudtrail",
    "bedrock": "cspm.providers.aws.bedrock",
    "bedrock_agentcore": "cspm.providers.aws.bedrock_agentcore",
    "lambda": "cspm.providers.aws.awslambda",
}

# At most this many calls in flight per (account, region, service): AWS throttles per account
# (and region), and IAM's control plane has the lowest limits. The default is DEFAULT_MAX_CALLS.
SERVICE_MAX_CALLS: dict[str, int] = {"iam": 4, "s3": 16}

DEFAULT_REGION = "us-east-1"
# What connecting needs, before any collector runs (see AwsProvider.connect).
CONNECT_PERMISSIONS = ("sts:GetCallerIdentity", "ec2:DescribeRegions")
ORG_PERMISSIONS = org.ORG_PERMISSIONS  # the caller's, with --org (the management or delegated admin account)
# The caller's, with --org or --scp: the SCPs and RCPs over each scanned account (org_policies).
ORG_POLICY_PERMISSIONS = org_policies.PERMISSIONS
# With --inspect-artifacts: read the model artifacts (a second-phase unit per account).
ARTIFACT_SERVICE = artifacts.SERVICE
ARTIFACT_PERMISSIONS = artifacts.PERMISSIONS
# Resource types the provider itself produces (with the caller's credentials), not a service module.
ORG_POLICY_SERVICE = org_policies.SERVICE
_ENABLED = ("opt-in-not-required", "opted-in")


def _org_policies_of(
    account: str, partition: str, reader: org_policies.OrgPolicyReader | None, unit: UnitContext
) -> Iterable[Resource]:
    if reader is None:
        return [org_policies.not_requested(account, partition)]
    return [reader.snapshot(account, unit)]


def service_spec(name: str) -> ServiceSpec:
    module = importlib.import_module(SERVICE_MODULES[name])
    spec: ServiceSpec = module.SERVICE
    return spec


# Besides the collectors' services: what connecting and --org call.
_SUPPORT_SERVICES = ("sts", "s3control", "organizations")
# A collector service -> the botocore services its clients use, where that is not just its name.
CLIENT_SERVICES: dict[str, tuple[str, ...]] = {
    "bedrock": ("bedrock", "bedrock-agent", "logs"),
    "bedrock_agentcore": ("bedrock-agentcore-control",),
}


def botocore_services() -> tuple[str, ...]:
    """Every botocore service the scanner creates clients of: the collectors' and connecting's."""
    names = [client for name in SERVICE_MODULES for client in CLIENT_SERVICES.get(name, (name,))]
    return tuple(dict.fromkeys((*names, *_SUPPORT_SERVICES)))


def operation_filter(actions: Iterable[str]) -> models.Keep:
    """(botocore service, operation) -> whether its IAM action is one of ``actions`` (in any
    case): the operations the service models keep (:mod:`cspm.providers.aws.models`)."""
    wanted = frozenset(action.lower() for action in actions)
    return lambda service, operation: aws_action(service, operation).lower() in wanted


def _load_models(core: botocore.session.Session) -> None:
    """Parse the service models (0.3 s of JSON for these services) while connecting waits on
    the network, instead of when the first collectors start, all at once, each holding the GIL.
    The loader caches what it parsed; a collector that gets there first simply parses it itself."""
    loader = core.get_component("data_loader")
    for name in botocore_services():
        for kind in ("service-2", "endpoint-rule-set-1", "paginators-1"):
            try:
                loader.load_service_model(name, kind)
            except botocore.exceptions.DataNotFoundError:
                continue


@dataclass(frozen=True)
class AwsOptions:
    profile: str | None = None
    regions: tuple[str, ...] = ()
    endpoint_url: str | None = None
    workers: int = 8
    org: bool = False  # every ACTIVE account of the organization
    role_name: str | None = None  # with org: the role assumed in each account (OrganizationAccountAccessRole)
    role_arn: str | None = None  # one account, through this role
    external_id: str | None = None  # sts:ExternalId for every AssumeRole
    accounts: tuple[str, ...] = ()  # with org: only these accounts
    exclude_accounts: tuple[str, ...] = ()  # with org: not these
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES  # a larger API answer is an error, not read
    scp: bool | None = None  # read the organization's SCPs and RCPs (None: with --org only)
    # --inspect-artifacts: read the model artifacts (object contents); None: never read
    artifacts: ArtifactSettings | None = None

    @property
    def reads_org_policies(self) -> bool:
        return self.org if self.scp is None else self.scp

    def validate(self) -> None:
        """Refuse contradictory options (exit 2) before anything is sent."""
        if self.org and self.role_arn:
            raise UsageError("--org and --role-arn cannot be combined: --role-name names the role in every account")
        if not self.org:
            given = [
                name
                for name, value in (
                    ("--role-name", self.role_name),
                    ("--accounts", self.accounts),
                    ("--exclude-accounts", self.exclude_accounts),
                )
                if value
            ]
            if given:
                raise UsageError(f"{', '.join(given)} only apply with --org")
        if self.external_id is not None and not (self.org or self.role_arn):
            raise UsageError("--external-id only applies with --org or --role-arn")
        if self.external_id is not None and not 2 <= len(self.external_id) <= 1224:
            raise UsageError("--external-id must be 2 to 1224 characters long")
        if self.role_arn:
            org.parse_role_arn(self.role_arn)
        org.account_ids(self.accounts, "--accounts")
        org.account_ids(self.exclude_accounts, "--exclude-accounts")


@dataclass
class AccountTarget:
    """One account of the scan: its credentials, its regions, and how it was reached."""

    id: str
    credentials: botocore.credentials.Credentials | None  # None: the caller's session, unshared
    regions: tuple[str, ...] = ()
    role_arn: str | None = None  # None: the caller's own credentials


class AwsProvider:
    """Connects once (credentials, accounts, regions), then plans collector units."""

    name = "aws"

    def __init__(self, options: AwsOptions) -> None:
        self.options = options
        self.account = ""  # the caller's account
        self.partition = "aws"
        self.regions: tuple[str, ...] = ()  # the caller's (single-account scans: the scanned) regions
        self.home_region = DEFAULT_REGION
        self.setup_errors: list[CollectionError] = []
        self.targets: list[AccountTarget] = []
        self._core: botocore.session.Session | None = None
        self._clients: ClientFactory | None = None  # the caller's
        self._shared: ClientFactory | None = None  # every account's, with --org / --role-arn
        self._lock = threading.Lock()
        # A shard of a distributed scan: the SCPs and RCPs its coordinator read once (no call here).
        self.org_policy_snapshot: org_policies.OrgPolicySnapshot | None = None
        self.organization_size: int | None = None  # the accounts ListAccounts listed (--org)

    # -- connection -----------------------------------------------------------------------

    def connect(self) -> None:
        """Resolve credentials, the accounts and their regions. Raises CspmError subclasses."""
        self.connect_session()
        if not (self.options.org or self.options.role_arn):
            target = AccountTarget(id=self.account, credentials=None)
            target.regions = self._resolve_regions(target, validate=True)
            self.regions = target.regions
            self.targets = [target]
            return
        if self.options.org:
            self._connect_organization()
        else:
            assert self.options.role_arn is not None
            self._connect_role(self.options.role_arn)

    def connect_session(self) -> None:
        """The caller's credentials, session and clients, and who the caller is (one
        sts:GetCallerIdentity); no account is chosen yet. Raises CspmError subclasses."""
        self.options.validate()
        core = botocore.session.Session(profile=self.options.profile)
        try:
            # Before boto3.Session, which adds its own data path to the loader.
            models.install(core, botocore_services(), operation_filter(aws_scan_actions()))
            session = boto3.Session(botocore_session=core)
        except botocore.exceptions.ProfileNotFound as exc:
            raise UsageError(f"AWS profile not found: {self.options.profile}") from exc
        self.home_region = session.region_name or DEFAULT_REGION
        if session.get_credentials() is None:
            raise CredentialsError(
                "no AWS credentials found: use --profile, AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                "or an instance/SSO role"
            )
        self._core = core
        self._clients = ClientFactory(
            session,
            client_config(self.options.workers),
            endpoint_url=self.options.endpoint_url,
            max_response_bytes=self.options.max_response_bytes,
            read_objects=self.options.artifacts is not None,
        )
        threading.Thread(target=_load_models, args=(core,), name="cspm-models", daemon=True).start()
        self._identify(session)
        if self.options.org or self.options.role_arn:
            self._shared = ClientFactory(
                accounts_session(core, self.home_region),
                client_config(self.options.workers),
                endpoint_url=self.options.endpoint_url,
                max_response_bytes=self.options.max_response_bytes,
                breakers=self._clients.breakers,
                read_objects=self.options.artifacts is not None,
            )

    def _identify(self, session: boto3.Session) -> None:
        # A short, separate configuration: bad credentials or an unreachable endpoint must
        # fail in seconds, not after a minute of retries.
        quick = client_config(1, max_attempts=4, connect_timeout=2)
        sts = session.client("sts", region_name=self.home_region, config=quick, endpoint_url=self.options.endpoint_url)
        install_bounded_reads(sts, self.options.max_response_bytes)
        try:
            identity = sts.get_caller_identity()
        except botocore.exceptions.ClientError as exc:
            code, message = classify(exc)
            raise CredentialsError(f"AWS rejected the credentials ({code}): {message}") from exc
        except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError) as exc:
            raise ScanError(f"cannot reach the AWS endpoint: {exc}") from exc
        except botocore.exceptions.NoCredentialsError as exc:
            raise CredentialsError("no AWS credentials found") from exc
        except botocore.exceptions.BotoCoreError as exc:
            raise ScanError(f"cannot identify the AWS account: {classify(exc)[1]}") from exc
        self.account, self.partition = org.caller_identity(identity)

    # -- one account through --role-arn ------------------------------------------------------

    def _connect_role(self, arn: str) -> None:
        _, account = org.parse_role_arn(arn)
        target = self._assume(account, arn)
        assert target.credentials is not None
        try:
            org.verify(target.credentials)
            target.regions = self._resolve_regions(target, validate=True)
        except AssumeRoleFailed as exc:
            raise CredentialsError(f"cannot assume {arn} ({exc.code}): {exc.reason}") from exc
        self.targets = [target]
        self.regions = target.regions

    # -- the organization --------------------------------------------------------------------

    def _connect_organization(self) -> None:
        choice = self.choose_accounts()
        self.reach([a.id for a in choice.scan])
        if not self.targets:
            raise ScanError(
                f"no account of the organization could be scanned: AssumeRole into {self.role_name} failed in every "
                "account (see --role-name, --external-id)"
            )
        own = next((t for t in self.targets if t.id == self.account), None)
        self.regions = own.regions if own else self.targets[0].regions

    @property
    def role_name(self) -> str:
        return self.options.role_name or org.DEFAULT_ROLE_NAME

    def choose_accounts(self) -> org.Choice:
        """The organization's accounts chosen by --accounts / --exclude-accounts (one
        organizations:ListAccounts); those that are not ACTIVE are recorded in the setup errors."""
        assert self._clients is not None
        organizations = self._clients.client("organizations", self.home_region)
        try:
            listed = org.list_accounts(organizations)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            code, message = classify(exc)
            raise ScanError(
                f"cannot list the organization's accounts ({code}): {message}; --org runs from the management "
                "account or a delegated administrator account, with organizations:ListAccounts"
            ) from exc
        self.organization_size = len(listed)
        choice = org.choose(
            listed,
            org.account_ids(self.options.accounts, "--accounts"),
            org.account_ids(self.options.exclude_accounts, "--exclude-accounts"),
        )
        for account_id in choice.excluded_unknown:
            log.warning("--exclude-accounts: %s is not in the organization", account_id)
        for account in choice.inactive:
            self.setup_errors.append(
                self._account_error(
                    account.id,
                    "organizations",
                    "ListAccounts",
                    f"Account{account.state.title().replace('_', '')}",
                    f"the account is {account.state}: not scanned",
                )
            )
        if not choice.scan:
            raise ScanError("no ACTIVE account of the organization to scan (see --accounts / --exclude-accounts)")
        return choice

    def check_regions(self) -> None:
        """Refuse --region names AWS does not know (exit 2), from ec2:DescribeRegions in the
        caller's own account: a distributed scan's coordinator checks them once for all shards."""
        if self.options.regions:
            recorded = list(self.setup_errors)
            self._resolve_regions(AccountTarget(id=self.account, credentials=None), validate=True)
            self.setup_errors = recorded

    def reach(self, accounts: Sequence[str]) -> None:
        """Make ``accounts`` the scan's targets: assume --role-name in each (the caller's own
        account with its own credentials) and list its regions. An account that cannot be reached
        is recorded in the setup errors and left out. A shard of a distributed scan calls this
        with the accounts the coordinator gave it, on a provider kept warm between shards."""
        assert self._core is not None
        caller = self._core.get_credentials()
        targets = [
            AccountTarget(id=a, credentials=caller)
            if a == self.account
            else self._assume(a, org.role_arn(self.partition, a, self.role_name))
            for a in accounts
        ]
        workers = max(1, min(self.options.workers, len(targets)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cspm-connect") as pool:
            reached = list(pool.map(self._reach, targets))
        self._check_region_names(reached)
        self.targets = [t for t, ok in zip(targets, reached, strict=True) if ok is not None]

    def _reach(self, target: AccountTarget) -> set[str] | None:
        """Assume the role (unless it is the caller's account) and list the account's regions:
        the region names AWS knows, or None when the account cannot be reached (recorded)."""
        known: set[str] = set()
        try:
            if target.credentials is not None and target.role_arn is not None:
                org.verify(target.credentials)
            target.regions = self._resolve_regions(target, known=known)
        except AssumeRoleFailed as exc:
            log.warning("account %s not scanned: AssumeRole failed (%s)", target.id, exc.code)
            self._record(
                self._account_error(target.id, "sts", "AssumeRole", exc.code, f"{target.role_arn}: {exc.reason}")
            )
            return None
        return known

    def _assume(self, account: str, arn: str) -> AccountTarget:
        assert self._clients is not None
        caller = self._clients
        credentials = org.assumed_credentials(
            lambda: caller.client("sts", self.home_region), arn, external_id=self.options.external_id
        )
        return AccountTarget(id=account, credentials=credentials, role_arn=arn)

    def clients_of(self, target: AccountTarget) -> ClientFactory:
        """The client factory the account is read with (shared by every account of --org / --role-arn)."""
        factory = self._clients if target.credentials is None else self._shared
        assert factory is not None
        return factory

    def _check_region_names(self, known: list[set[str] | None]) -> None:
        names: set[str] = set()
        for found in known:
            names |= found or set()
        unknown = [r for r in self.options.regions if names and r not in names]
        if unknown:
            raise UsageError(f"unknown AWS region(s): {', '.join(unknown)}; valid: {', '.join(sorted(names))}")

    # -- regions -----------------------------------------------------------------------------

    def _resolve_regions(
        self, target: AccountTarget, *, validate: bool = False, known: set[str] | None = None
    ) -> tuple[str, ...]:
        """The regions to scan in ``target``: enabled there and chosen with --region (all enabled
        ones by default). A chosen region that is not enabled in the account is recorded.
        Raises AssumeRoleFailed when the account's session cannot be obtained."""
        ec2 = self.clients_of(target).client("ec2", self.home_region)
        try:
            with acting_as(target.credentials) if target.credentials is not None else nullcontext():
                described = ec2.describe_regions(AllRegions=True)["Regions"]
        except AssumeRoleFailed:
            raise
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            code, message = classify(exc)
            self._record(self._account_error(target.id, "ec2", "DescribeRegions", code, message, self.home_region))
            fallback = self.options.regions or (self.home_region,)
            log.warning("DescribeRegions failed in %s (%s); scanning %s only", target.id, code, ", ".join(fallback))
            return tuple(fallback)
        names = {r["RegionName"] for r in described}
        if known is not None:
            known.update(names)
        enabled = sorted(r["RegionName"] for r in described if r.get("OptInStatus", _ENABLED[0]) in _ENABLED)
        if not self.options.regions:
            return tuple(enabled)
        unknown = [r for r in self.options.regions if r not in names]
        if unknown and validate:
            raise UsageError(f"unknown AWS region(s): {', '.join(unknown)}; valid: {', '.join(sorted(names))}")
        for region in self.options.regions:
            if region in names and region not in enabled:
                self._record(
                    self._account_error(
                        target.id,
                        "ec2",
                        "DescribeRegions",
                        "RegionNotEnabled",
                        f"{region} is an opt-in region that is not enabled in this account; not scanned",
                        region,
                    )
                )
        return tuple(r for r in self.options.regions if r in enabled)

    # -- errors ------------------------------------------------------------------------------

    @staticmethod
    def _account_error(
        account: str, service: str, operation: str, code: str, message: str, region: str = GLOBAL_REGION
    ) -> CollectionError:
        return CollectionError(
            account=account, region=region, service=service, operation=operation, code=code, message=message
        )

    def _record(self, error: CollectionError) -> None:
        with self._lock:
            self.setup_errors.append(error)

    # -- the engine's Provider protocol ------------------------------------------------------

    def scopes(self) -> list[Scope]:
        return [Scope(account=t.id, regions=list(t.regions)) for t in self.targets]

    def plan(self, resource_types: set[type[Resource]]) -> list[CollectorUnit]:
        """Account by account, then service by service."""
        services = sorted({t.service() for t in resource_types} - {ORG_POLICY_SERVICE, ARTIFACT_SERVICE})
        unknown = [s for s in services if s not in SERVICE_MODULES]
        if unknown:
            raise ScanError(f"no AWS collector produces resources of service(s): {', '.join(unknown)}")
        specs = [service_spec(name) for name in services]
        units: list[CollectorUnit] = []
        for target in self.targets:
            for spec in specs:
                regions: Iterable[str] = target.regions if spec.regional else (GLOBAL_REGION,)
                units.extend(
                    CollectorUnit(
                        account=target.id,
                        region=region,
                        service=spec.name,
                        produces=spec.produces,
                        run=partial(self._run, target, spec),
                        max_calls=SERVICE_MAX_CALLS.get(spec.name, DEFAULT_MAX_CALLS),
                    )
                    for region in regions
                )
        if any(t.service() == ORG_POLICY_SERVICE for t in resource_types):
            units.extend(self._org_policy_units())
        if any(t.service() == ARTIFACT_SERVICE for t in resource_types):
            units.extend(self._artifact_units())
        return units

    def _artifact_units(self) -> list[CollectorUnit]:
        """One unit per account, in the second phase: the artifacts its models load."""
        settings = self.options.artifacts
        if settings is None:
            raise ScanError("the model artifact checks read object contents: they run only with --inspect-artifacts")
        budget = ScanBudget(settings.max_scan_bytes)
        spec = ServiceSpec(
            name=ARTIFACT_SERVICE,
            produces=(artifacts.S3ModelArtifact,),
            regional=False,
            permissions=ARTIFACT_PERMISSIONS,
            collect=partial(artifacts.collect, settings=settings, budget=budget),
        )
        return [
            CollectorUnit(
                account=target.id,
                region=GLOBAL_REGION,
                service=ARTIFACT_SERVICE,
                produces=spec.produces,
                run=partial(self._run, target, spec),
                max_calls=SERVICE_MAX_CALLS.get("s3", DEFAULT_MAX_CALLS),
                phase=1,
            )
            for target in self.targets
        ]

    def _org_policy_units(self) -> list[CollectorUnit]:
        """One unit per account: the SCPs and RCPs over it, read with the caller's credentials and
        cached across accounts (or, when the scan does not read them, a snapshot that says so)."""
        from cspm.resources.aws.organizations import OrgPolicies

        reader = self.org_policy_reader([t.id for t in self.targets]) if self.options.reads_org_policies else None
        return [
            CollectorUnit(
                account=target.id,
                region=GLOBAL_REGION,
                service=ORG_POLICY_SERVICE,
                produces=(OrgPolicies,),
                run=partial(_org_policies_of, target.id, self.partition, reader),
                max_calls=1,
            )
            for target in self.targets
        ]

    def org_policy_reader(self, accounts: Sequence[str] = ()) -> org_policies.OrgPolicyReader:
        """The reader of the organization's SCPs and RCPs, with the caller's credentials; one
        that answers from :attr:`org_policy_snapshot` when a coordinator gave one. ``accounts``:
        the accounts it will be asked for, read ahead on the first (:mod:`.org_tree`)."""
        caller = self._clients
        assert caller is not None

        def organizations() -> Any:
            return caller.client("organizations", self.home_region)

        if self.org_policy_snapshot is not None:
            return org_policies.OrgPolicyReader.preloaded(self.org_policy_snapshot, organizations)
        return org_policies.OrgPolicyReader(
            organizations, self.partition, accounts=accounts, organization_size=self.organization_size
        )

    def _run(self, target: AccountTarget, spec: ServiceSpec, unit: UnitContext) -> Iterable[Resource]:
        ctx = AwsContext(
            unit,
            self.clients_of(target),
            partition=self.partition,
            regions=target.regions,
            home_region=self.home_region,
            credentials=target.credentials,
        )
        result: Iterable[Resource] = spec.collect(ctx)
        return result
