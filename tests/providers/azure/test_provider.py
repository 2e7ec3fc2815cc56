"""The Azure provider: credentials (bounded in time), subscriptions, the read-only guard, the classifier."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

from cspm.errors import CredentialsError, ScanError, UsageError
from cspm.providers.azure import AzureOptions, AzureProvider
from cspm.providers.azure.context import AzureClients, ProviderNotRegistered, ReadOnlyViolation, classify
from cspm.providers.azure.credentials import (
    ARM_ENDPOINT_ENV,
    TenantCredential,
    arm_endpoint,
    check_token,
    default_credential,
    last_attempt,
)
from support.azure import ARM, SUB, SUB2, TENANT, FakeArm, FakeCredential, mounted, subscription


def provider(**options: Any) -> AzureProvider:
    return AzureProvider(AzureOptions(credential=FakeCredential(), endpoint=ARM, retry_total=0, **options))


# -- subscriptions ------------------------------------------------------------------------------


def test_every_readable_subscription_is_listed() -> None:
    fake = FakeArm(
        subscriptions=[subscription(SUB2, "b"), subscription(SUB, "a"), subscription("0-disabled", "old", "Disabled")]
    )
    p = provider()
    with mounted(fake):
        p.connect()
    assert p.subscriptions == (SUB, SUB2)
    assert p.options.credential.scopes[0] == (f"{ARM}/.default",)


def test_given_subscriptions_are_not_listed() -> None:
    fake = FakeArm()
    p = provider(subscriptions=(SUB,))
    with mounted(fake):
        p.connect()
    assert p.subscriptions == (SUB,) and fake.requests == []


def test_no_readable_subscription_is_a_scan_error() -> None:
    with (
        mounted(FakeArm(subscriptions=[subscription(SUB, state="Deleted")])),
        pytest.raises(ScanError, match="--subscription"),
    ):
        provider().connect()


def test_a_denied_subscription_listing_is_a_scan_error() -> None:
    fake = FakeArm()
    fake.deny("/subscriptions")
    with mounted(fake), pytest.raises(ScanError, match="AuthorizationFailed"):
        provider().connect()


def test_plan_is_one_unit_per_subscription_and_service() -> None:
    from cspm.resources.azure.ml import MlWorkspace
    from cspm.resources.azure.storage import StorageAccount, StorageContainer

    p = provider(subscriptions=(SUB, SUB2))
    with mounted(FakeArm()):
        p.connect()
    units = p.plan({StorageAccount, StorageContainer, MlWorkspace})
    assert sorted((u.account, u.region, u.service) for u in units) == [
        (SUB, "global", "ml"),
        (SUB, "global", "storage"),
        (SUB2, "global", "ml"),
        (SUB2, "global", "storage"),
    ]


# -- credentials --------------------------------------------------------------------------------


class SlowCredential:
    """A credential source that never answers (like a silent instance metadata endpoint)."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        self.release.wait(30)
        raise AssertionError("should have been abandoned")


def test_token_acquisition_is_bounded_in_time() -> None:
    slow = SlowCredential()
    started = time.monotonic()
    with pytest.raises(CredentialsError, match="az login") as info:
        check_token(slow, f"{ARM}/.default", timeout=0.3)
    slow.release.set()
    assert time.monotonic() - started < 2
    assert "\n" not in str(info.value)


class FailingCredential:
    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise ClientAuthenticationError(
            message="DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
            "Attempted credentials:\n\tEnvironmentCredential: EnvironmentCredential authentication unavailable.\n"
            "\tAzureCliCredential: Azure CLI not found on path\n"
            "To mitigate this issue, please refer to the troubleshooting guidelines."
        )


def test_no_credentials_is_one_line_naming_the_ways_to_sign_in() -> None:
    with pytest.raises(CredentialsError) as info:
        check_token(FailingCredential(), f"{ARM}/.default")
    message = str(info.value)
    assert "\n" not in message
    assert "az login" in message and "AZURE_CLIENT_ID" in message and "managed identity" in message
    assert "no credential source is configured" in message


def test_last_attempt_names_the_source_that_failed() -> None:
    report = (
        "DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
        "Attempted credentials:\n"
        "\tEnvironmentCredential: Authentication failed: AADSTS7000215: Invalid client secret provided.\n"
        "To mitigate this issue, please refer to the troubleshooting guidelines here."
    )
    assert (
        last_attempt(report)
        == "EnvironmentCredential: Authentication failed: AADSTS7000215: Invalid client secret provided."
    )
    assert last_attempt("header\n\tA: A unavailable.\n\tB: B not found on path") == "no credential source is configured"
    assert last_attempt("just one line") == "just one line"


def test_managed_identity_is_only_tried_when_running_on_azure_is_signalled(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IDENTITY_ENDPOINT", "MSI_ENDPOINT", "IMDS_ENDPOINT", "AZURE_POD_IDENTITY_AUTHORITY_HOST"):
        monkeypatch.delenv(name, raising=False)

    def sources(credential: Any) -> set[str]:
        return {type(c).__name__ for c in credential.credentials}

    assert "ManagedIdentityCredential" not in sources(default_credential(tenant=None, managed_identity=False))
    assert "ManagedIdentityCredential" in sources(default_credential(tenant=None, managed_identity=True))
    monkeypatch.setenv("IDENTITY_ENDPOINT", "http://127.0.0.1:1/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", "x")
    assert "ManagedIdentityCredential" in sources(default_credential(tenant=None, managed_identity=False))


def test_tenant_is_asked_of_every_token_request() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.calls: list[dict[str, Any]] = []

        def get_token(self, *scopes: str, **kwargs: Any) -> str:
            self.calls.append(kwargs)
            return "token"

        def get_token_info(self, *scopes: str, options: dict[str, Any] | None = None) -> str:
            self.calls.append(dict(options or {}))
            return "token"

    inner = Recorder()
    credential = TenantCredential(inner, TENANT)
    credential.get_token("scope")
    credential.get_token_info("scope", options={"claims": "c"})
    assert inner.calls == [{"tenant_id": TENANT}, {"claims": "c", "tenant_id": TENANT}]


def test_tenant_option_wraps_the_default_credential() -> None:
    credential = default_credential(tenant=TENANT, managed_identity=False)
    assert isinstance(credential, TenantCredential) and credential.tenant == TENANT


def test_management_endpoint_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ARM_ENDPOINT_ENV, raising=False)
    assert arm_endpoint() == "https://management.azure.com"
    monkeypatch.setenv(ARM_ENDPOINT_ENV, "https://management.chinacloudapi.cn/")
    assert arm_endpoint() == "https://management.chinacloudapi.cn"
    monkeypatch.setenv(ARM_ENDPOINT_ENV, "http://127.0.0.1:8443")
    with pytest.raises(UsageError, match="https"):
        arm_endpoint()


# -- the read-only guard ------------------------------------------------------------------------


def test_writes_are_refused_before_they_are_sent() -> None:
    fake = FakeArm()
    clients = AzureClients(FakeCredential(), ARM, retry_total=0)
    client = clients.get("storage", SUB)
    with mounted(fake), pytest.raises(ReadOnlyViolation, match="PUT"):
        client.blob_containers.create("ml-rg", "acct", "new", {"properties": {}})
    assert fake.requests == [] and fake.violations == []


def test_resource_provider_registration_is_refused_and_classified() -> None:
    code, message = classify(ProviderNotRegistered("Microsoft.MachineLearningServices"))
    assert code == "MissingSubscriptionRegistration" and "Microsoft.MachineLearningServices" in message


# -- the classifier -----------------------------------------------------------------------------


def test_classifier_uses_arm_error_codes() -> None:
    fake = FakeArm()
    fake.deny(f"/subscriptions/{SUB}")
    client = AzureClients(FakeCredential(), ARM, retry_total=0).get("storage", SUB)
    with mounted(fake), pytest.raises(HttpResponseError) as info:
        list(client.storage_accounts.list())
    code, message = classify(info.value)
    assert code == "AuthorizationFailed" and "does not have authorization" in message


def test_classifier_falls_back_to_the_exception_type() -> None:
    assert classify(ServiceRequestError("connection refused\nmore"))[0] == "ServiceRequestError"
    assert classify(ServiceRequestError("connection refused\nmore"))[1] == "connection refused"
    assert classify(ReadOnlyViolation("refusing to send PUT /x")) == ("ReadOnlyViolation", "refusing to send PUT /x")
