"""The AWS provider: credentials, account, regions, and the plan of collector units.

Importing this package imports boto3; the CLI does so only when an AWS scan is asked for.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

import boto3
import botocore.exceptions

from cspm.engine import CollectorUnit, UnitContext
from cspm.errors import CredentialsError, ScanError, UsageError
from cspm.models import CollectionError, Scope
from cspm.providers.aws.context import AwsContext, ClientFactory, classify, client_config
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
}

DEFAULT_REGION = "us-east-1"
# What connecting needs, before any collector runs (see AwsProvider.connect).
CONNECT_PERMISSIONS = ("sts:GetCallerIdentity", "ec2:DescribeRegions")
_ENABLED = ("opt-in-not-required", "opted-in")


def service_spec(name: str) -> ServiceSpec:
    module = importlib.import_module(SERVICE_MODULES[name])
    spec: ServiceSpec = module.SERVICE
    return spec


@dataclass(frozen=True)
class AwsOptions:
    profile: str | None = None
    regions: tuple[str, ...] = ()
    endpoint_url: str | None = None
    workers: int = 8


class AwsProvider:
    """Connects once (credentials, account, regions), then plans collector units."""

    name = "aws"

    def __init__(self, options: AwsOptions) -> None:
        self.options = options
        self.account = ""
        self.partition = "aws"
        self.regions: tuple[str, ...] = ()
        self.home_region = DEFAULT_REGION
        self.setup_errors: list[CollectionError] = []
        self._clients: ClientFactory | None = None

    # -- connection -----------------------------------------------------------------------

    def connect(self) -> None:
        """Resolve credentials, the account and the regions. Raises CspmError subclasses."""
        try:
            session = boto3.Session(profile_name=self.options.profile)
        except botocore.exceptions.ProfileNotFound as exc:
            raise UsageError(f"AWS profile not found: {self.options.profile}") from exc
        self.home_region = session.region_name or DEFAULT_REGION
        if session.get_credentials() is None:
            raise CredentialsError(
                "no AWS credentials found: use --profile, AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                "or an instance/SSO role"
            )
        self._clients = ClientFactory(
            session, client_config(self.options.workers), endpoint_url=self.options.endpoint_url
        )
        self._identify(session)
        self.regions = self._resolve_regions()

    def _identify(self, session: boto3.Session) -> None:
        # A short, separate configuration: bad credentials or an unreachable endpoint must
        # fail in seconds, not after a minute of retries.
        quick = client_config(1, max_attempts=2, connect_timeout=3)
        sts = session.client("sts", region_name=self.home_region, config=quick, endpoint_url=self.options.endpoint_url)
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
        self.account = identity["Account"]
        self.partition = identity["Arn"].split(":")[1]

    def _resolve_regions(self) -> tuple[str, ...]:
        assert self._clients is not None
        ec2 = self._clients.client("ec2", self.home_region)
        try:
            described = ec2.describe_regions(AllRegions=True)["Regions"]
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            code, message = classify(exc)
            self.setup_errors.append(
                CollectionError(
                    account=self.account,
                    region=self.home_region,
                    service="ec2",
                    operation="DescribeRegions",
                    code=code,
                    message=message,
                )
            )
            fallback = self.options.regions or (self.home_region,)
            log.warning("DescribeRegions failed (%s); scanning %s only", code, ", ".join(fallback))
            return tuple(fallback)
        enabled = sorted(r["RegionName"] for r in described if r.get("OptInStatus", _ENABLED[0]) in _ENABLED)
        if not self.options.regions:
            return tuple(enabled)
        known = {r["RegionName"] for r in described}
        unknown = [r for r in self.options.regions if r not in known]
        if unknown:
            raise UsageError(f"unknown AWS region(s): {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
        disabled = [r for r in self.options.regions if r not in enabled]
        for region in disabled:
            self.setup_errors.append(
                CollectionError(
                    account=self.account,
                    region=region,
                    service="ec2",
                    operation="DescribeRegions",
                    code="RegionNotEnabled",
                    message=f"{region} is an opt-in region that is not enabled in this account; not scanned",
                )
            )
        return tuple(r for r in self.options.regions if r in enabled)

    # -- the engine's Provider protocol ------------------------------------------------------

    def scopes(self) -> list[Scope]:
        return [Scope(account=self.account, regions=list(self.regions))]

    def plan(self, resource_types: set[type[Resource]]) -> list[CollectorUnit]:
        services = sorted({t.service() for t in resource_types})
        unknown = [s for s in services if s not in SERVICE_MODULES]
        if unknown:
            raise ScanError(f"no AWS collector produces resources of service(s): {', '.join(unknown)}")
        units: list[CollectorUnit] = []
        for name in services:
            spec = service_spec(name)
            regions: Iterable[str] = self.regions if spec.regional else (GLOBAL_REGION,)
            for region in regions:
                units.append(
                    CollectorUnit(
                        account=self.account,
                        region=region,
                        service=name,
                        produces=spec.produces,
                        run=partial(self._run, spec),
                    )
                )
        return units

    def _run(self, spec: ServiceSpec, unit: UnitContext) -> Iterable[Resource]:
        assert self._clients is not None
        ctx = AwsContext(
            unit,
            self._clients,
            partition=self.partition,
            regions=self.regions,
            home_region=self.home_region,
        )
        result: Iterable[Resource] = spec.collect(ctx)
        return result
