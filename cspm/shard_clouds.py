"""What a sharded scan does differently per cloud: one adapter each for AWS, Azure and Google Cloud.

The coordinator (:mod:`cspm.coordinator`), the shard (:func:`cspm.shards.run_shard`), the parts and
the merge are one code path; an adapter answers the three questions that depend on the cloud:

- :meth:`CloudShards.scopes`: on the coordinator, list the scopes once, with the caller's
  credentials: the organization's ACTIVE accounts (``--org``, after ``--accounts`` /
  ``--exclude-accounts``), the Azure subscriptions (``--subscription``, or every one the
  credential lists), the Google Cloud projects (``--project``, or ``--organization`` /
  ``--folder`` expanded once, or every project the credential sees). Also what every shard
  shares: AWS reads the organization's SCPs and RCPs here, once (``--scp``).
- :meth:`CloudShards.batch`: on a worker, a provider that scans a batch of those scopes with the
  worker's own ambient credentials (AWS: assume the role in each account; Azure:
  DefaultAzureCredential; Google Cloud: Application Default Credentials). What is costly to set
  up (a session, pruned service models, a token) is kept warm in the worker process between
  shards.
- :meth:`CloudShards.resource_classes`: every snapshot class a scan of the cloud produces, for
  the merge to validate parts.

Importing this module imports no cloud SDK; each adapter imports its own when it runs.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from cspm.errors import UsageError
from cspm.models import CollectionError
from cspm.resources.base import Resource

if TYPE_CHECKING:
    from cspm.engine import Provider
    from cspm.providers.aws import AwsProvider
    from cspm.scp_snapshot import OrgPolicySnapshot
    from cspm.shards import ShardPlan


@dataclass
class Listed:
    """What the coordinator found once: the scopes to scan, in order, the errors of the listing
    (accounts not ACTIVE, folders that could not be walked), and what every shard shares."""

    scopes: list[str]
    setup_errors: list[CollectionError] = field(default_factory=list)
    org_policies: OrgPolicySnapshot | None = None


class CloudShards(Protocol):
    def scopes(self, provider: Any) -> Listed: ...

    def batch(self, plan: ShardPlan, scopes: Sequence[str]) -> AbstractContextManager[Provider]: ...

    def resource_classes(self) -> dict[str, type[Resource]]: ...


def adapter(cloud: str) -> CloudShards:
    found = _ADAPTERS.get(cloud)
    if found is None:
        raise UsageError(f"sharded scans of {cloud} are not supported (docs/distributed.md)")
    return found


# Connected providers (or credentials) kept for the next shard of the same options, one per
# concurrent shard: a worker with several threads runs several shards at once.
_warm_lock = threading.Lock()
_warm: dict[Any, queue.SimpleQueue[Any]] = {}


@contextmanager
def _kept(key: Any, make: Callable[[], Any]) -> Iterator[Any]:
    with _warm_lock:
        idle = _warm.setdefault(key, queue.SimpleQueue())
    try:
        value = idle.get_nowait()
    except queue.Empty:
        value = make()
    try:
        yield value
    finally:
        idle.put(value)


def _classes_of(service_modules: Sequence[str], spec_of: Callable[[str], Any]) -> dict[str, type[Resource]]:
    found: dict[str, type[Resource]] = {}
    for name in service_modules:
        found.update({t.resource_type: t for t in spec_of(name).produces})
    return found


# ---------------------------------------------------------------------------------------------
# AWS: accounts of an organization
# ---------------------------------------------------------------------------------------------


class _OrgPolicySink:
    """Where the coordinator's SCP reader records a failed call: the plan's setup errors (once
    per scan, on the first account that needed it), as a single-process scan records it on that
    account's unit."""

    def __init__(self) -> None:
        self.account = ""
        self.errors: list[CollectionError] = []

    def error(self, operation: str, code: str, message: str, *, service: str | None = None) -> None:
        from cspm.resources.base import GLOBAL_REGION

        self.errors.append(
            CollectionError(
                account=self.account,
                region=GLOBAL_REGION,
                service=service or "organizations",
                operation=operation,
                code=code,
                message=message,
            )
        )


class AwsShards:
    def scopes(self, provider: AwsProvider) -> Listed:
        """One organizations:ListAccounts, the --region names checked once, and (with --scp) the
        SCPs and RCPs over every chosen account read once with the caller's credentials."""
        provider.connect_session()
        provider.check_regions()
        accounts = [a.id for a in provider.choose_accounts().scan]
        listed = Listed(scopes=accounts, setup_errors=list(provider.setup_errors))
        if provider.options.reads_org_policies:
            # The first account reads ahead for all (org_tree: the tree walked top down, the
            # attachments per policy, a few calls in flight); the rest answer from memory.
            reader, sink = provider.org_policy_reader(accounts), _OrgPolicySink()
            for account in accounts:
                sink.account = account
                reader.snapshot(account, sink)
            listed.org_policies = reader.export()
            listed.setup_errors.extend(sink.errors)
        return listed

    @contextmanager
    def batch(self, plan: ShardPlan, scopes: Sequence[str]) -> Iterator[Provider]:
        from cspm.providers.aws import AwsProvider
        from cspm.shards import AwsShardOptions

        assert isinstance(plan.options, AwsShardOptions)
        options = plan.options.aws_options()

        def connected() -> AwsProvider:
            provider = AwsProvider(options)
            provider.connect_session()
            return provider

        with _kept(("aws", options), connected) as provider:
            provider.setup_errors = []
            provider.org_policy_snapshot = plan.org_policies
            try:
                provider.reach(scopes)
                yield provider
            finally:
                provider.targets = []
                provider.org_policy_snapshot = None

    def resource_classes(self) -> dict[str, type[Resource]]:
        from cspm.providers.aws import SERVICE_MODULES, service_spec
        from cspm.resources.aws.organizations import OrgPolicies

        return {OrgPolicies.resource_type: OrgPolicies, **_classes_of(list(SERVICE_MODULES), service_spec)}


# ---------------------------------------------------------------------------------------------
# Azure: subscriptions
# ---------------------------------------------------------------------------------------------


class AzureShards:
    def scopes(self, provider: Any) -> Listed:
        """``--subscription``, or every readable subscription the credential lists (once)."""
        provider.connect()
        return Listed(scopes=list(provider.subscriptions), setup_errors=list(provider.setup_errors))

    @contextmanager
    def batch(self, plan: ShardPlan, scopes: Sequence[str]) -> Iterator[Provider]:
        from cspm.providers.azure import AzureOptions, AzureProvider
        from cspm.providers.azure.credentials import default_credential
        from cspm.shards import AzureShardOptions

        options = plan.options
        assert isinstance(options, AzureShardOptions)

        def credential() -> Any:  # the worker's own, kept (with its token cache) for the next shard
            return default_credential(tenant=options.tenant, managed_identity=options.managed_identity)

        with _kept(("azure", options.tenant, options.managed_identity), credential) as kept:
            provider = AzureProvider(
                AzureOptions(
                    subscriptions=tuple(scopes),
                    tenant=options.tenant,
                    managed_identity=options.managed_identity,
                    endpoint=options.endpoint,
                    credential=kept,
                    max_response_bytes=options.max_response_bytes,
                )
            )
            provider.connect()  # the subscriptions are given: nothing is listed
            yield provider

    def resource_classes(self) -> dict[str, type[Resource]]:
        from cspm.providers.azure import SERVICE_MODULES, service_spec

        return _classes_of(list(SERVICE_MODULES), service_spec)


# ---------------------------------------------------------------------------------------------
# Google Cloud: projects
# ---------------------------------------------------------------------------------------------


class GcpShards:
    def scopes(self, provider: Any) -> Listed:
        """``--project``, or every ACTIVE project under ``--organization`` / ``--folder`` (walked
        once, here), or every project the credential sees."""
        provider.connect()
        return Listed(scopes=list(provider.projects), setup_errors=list(provider.setup_errors))

    @contextmanager
    def batch(self, plan: ShardPlan, scopes: Sequence[str]) -> Iterator[Provider]:
        import os

        from cspm.providers.gcp import GcpOptions, GcpProvider
        from cspm.providers.gcp.credentials import CRM_ENDPOINT, default_credentials
        from cspm.shards import GcpShardOptions

        options = plan.options
        assert isinstance(options, GcpShardOptions)

        def credentials() -> Any:  # the worker's ADC, kept (with its token) for the next shard
            return default_credentials()[0]

        with _kept(("gcp",), credentials) as kept:
            provider = GcpProvider(
                GcpOptions(
                    projects=tuple(scopes),
                    credentials=kept,
                    crm_endpoint=options.crm_endpoint or os.environ.get("CSPM_GCP_CRM_ENDPOINT") or CRM_ENDPOINT,
                    max_response_bytes=options.max_response_bytes,
                )
            )
            provider.connect()  # the projects are given: nothing is listed
            yield provider

    def resource_classes(self) -> dict[str, type[Resource]]:
        from cspm.providers.gcp import SERVICE_MODULES, service_spec

        return _classes_of(list(SERVICE_MODULES), service_spec)


_ADAPTERS: dict[str, CloudShards] = {"aws": AwsShards(), "azure": AzureShards(), "gcp": GcpShards()}
