"""The AI Services collector through azure-core's real ARM pipeline against the fake ARM (``responses``)."""

from __future__ import annotations

from collections import Counter

from cspm.providers.azure.cognitiveservices import API_VERSION, DIAGNOSTICS_API_VERSION
from cspm.resources.azure.cognitiveservices import AiDeployment, AiServicesAccount
from support.aws import one
from support.azure import (
    SUB,
    FakeArm,
    ai_account,
    ai_account_id,
    ai_deployment,
    collect_azure,
    default_rai_policies,
    diagnostic_setting,
    hardened_ai_account,
    rai_policy,
)

TYPES = (AiServicesAccount, AiDeployment)


def test_accounts_and_deployments_snapshot_every_setting_across_pages() -> None:
    fake = FakeArm(page_size=1)
    fake.add_ai_account(
        hardened_ai_account("secure", principal_id="p-secure"),
        deployments=[
            ai_deployment("secure", "chat", rai_policy="strict"),
            ai_deployment("secure", "embed", "text-embedding-3-large", "1", rai_policy=None),
        ],
        rai_policies=[
            *default_rai_policies("secure"),
            rai_policy("secure", "strict", threshold="Low", blocklists=("pii",)),
        ],
        diagnostic_settings=[diagnostic_setting(ai_account_id("secure"))],
    )
    fake.add_ai_account(ai_account("bare", kind="OpenAI"))  # nothing set: documented defaults

    inventory, provider = collect_azure(fake, *TYPES)

    assert not inventory.errors and not fake.violations
    secure = one(inventory, AiServicesAccount, "secure")
    assert secure.uid == ai_account_id("secure") and secure.region == "swedencentral" and secure.kind == "AIServices"
    assert not secure.local_auth_enabled and secure.public_network_access == "Disabled"
    assert secure.network_default_action == "Deny" and secure.network_bypass == "None"
    assert [(c.name, c.status) for c in secure.private_endpoint_connections] == [("pe-ai", "Approved")]
    assert secure.key_source == "Microsoft.KeyVault" and secure.key_vault_key == "ai-key"
    assert secure.identity.type == "SystemAssigned" and secure.identity.principal_ids == ("p-secure",)
    assert secure.restrict_outbound and secure.allowed_fqdns == ("mlstore.blob.core.windows.net",)
    assert "VirtualNetworks" in secure.capabilities
    assert secure.rai_policies is not None
    assert {p.name for p in secure.rai_policies} == {"Microsoft.Default", "Microsoft.DefaultV2", "strict"}
    strict = next(p for p in secure.rai_policies if p.name == "strict")
    assert strict.blocklists == ("pii",) and strict.base_policy == "Microsoft.DefaultV2"
    hate = strict.filter("hate", "prompt")
    assert hate is not None and (hate.enabled, hate.blocking, hate.severity_threshold) == (True, True, "Low")
    assert secure.diagnostic_settings is not None
    assert [(d.name, d.category_groups, d.destinations) for d in secure.diagnostic_settings] == [
        ("to-law", ("audit",), ("workspace",))
    ]

    chat = one(inventory, AiDeployment, "chat")
    assert chat.account_id == secure.uid and (chat.model_name, chat.model_version) == ("gpt-4o", "2024-11-20")
    assert chat.sku == "GlobalStandard" and chat.capacity == 10
    assert chat.rai_policy_state == "found" and chat.rai_policy is not None and chat.rai_policy.name == "strict"
    embed = one(inventory, AiDeployment, "embed")  # no raiPolicyName: the default filter
    assert embed.rai_policy_name is None and embed.rai_policy is not None
    assert embed.rai_policy.name == "Microsoft.DefaultV2"

    bare = one(inventory, AiServicesAccount, "bare")
    assert bare.local_auth_enabled and bare.public_network_access == "Enabled"
    assert bare.network_default_action == "Allow" and bare.private_endpoint_connections == ()
    assert bare.key_source == "Microsoft.CognitiveServices" and not bare.identity.enabled
    assert not bare.restrict_outbound and bare.diagnostic_settings == ()
    assert provider.scopes()[0].regions == ["swedencentral"]


def test_requests_per_account_are_constant_and_at_the_pinned_api_versions() -> None:
    """1 listing + 3 per account, whatever each account holds (docs/azure-gcp.md)."""
    fake = FakeArm()
    fake.add_ai_account(
        hardened_ai_account("a"),
        deployments=[ai_deployment("a", f"d{i}") for i in range(5)],
        diagnostic_settings=[diagnostic_setting(ai_account_id("a"))],
    )
    fake.add_ai_account(ai_account("b"))
    seen: list[str] = []
    original = fake.handle

    def spy(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, object]]:
        seen.append(url)
        return original(method, url, headers, body)

    fake.handle = spy
    inventory, _ = collect_azure(fake, *TYPES)

    assert not inventory.errors and len(inventory.of_type(AiDeployment)) == 5
    assert len(seen) == 1 + 3 * 2
    kinds = Counter(url.split("?")[0].rsplit("/", 1)[1] for url in seen)
    assert kinds == {"accounts": 1, "deployments": 2, "raiPolicies": 2, "diagnosticSettings": 2}
    assert all(f"api-version={API_VERSION}" in u for u in seen if "diagnosticSettings" not in u)
    assert all(f"api-version={DIAGNOSTICS_API_VERSION}" in u for u in seen if "diagnosticSettings" in u)


def test_a_deployment_naming_a_missing_rai_policy_is_resolved_as_missing() -> None:
    fake = FakeArm()
    fake.add_ai_account(ai_account("a"), deployments=[ai_deployment("a", "chat", rai_policy="deleted-filter")])
    inventory, _ = collect_azure(fake, *TYPES)
    chat = one(inventory, AiDeployment, "chat")
    assert (chat.rai_policy_name, chat.rai_policy, chat.rai_policy_state) == ("deleted-filter", None, "missing")


def test_denied_rai_policies_leave_them_unreadable_and_deployments_unresolved() -> None:
    fake = FakeArm()
    fake.add_ai_account(ai_account("a"), deployments=[ai_deployment("a", "chat")])
    fake.deny(ai_account_id("a") + "/raiPolicies")
    inventory, _ = collect_azure(fake, *TYPES)

    assert one(inventory, AiServicesAccount, "a").rai_policies is None
    assert one(inventory, AiDeployment, "chat").rai_policy_state == "unreadable"
    [error] = inventory.errors
    assert (error.operation, error.code, error.service) == (
        "RaiPolicies_List",
        "AuthorizationFailed",
        "cognitiveservices",
    )


def test_denied_diagnostic_settings_are_none_and_recorded() -> None:
    fake = FakeArm()
    fake.add_ai_account(ai_account("a"))
    fake.deny(ai_account_id("a") + "/providers/Microsoft.Insights")
    inventory, _ = collect_azure(fake, *TYPES)
    assert one(inventory, AiServicesAccount, "a").diagnostic_settings is None
    assert [(e.operation, e.code) for e in inventory.errors] == [("DiagnosticSettings_List", "AuthorizationFailed")]


def test_denied_deployments_mark_deployments_incomplete() -> None:
    fake = FakeArm()
    fake.add_ai_account(ai_account("a"), deployments=[ai_deployment("a", "chat")])
    fake.deny(ai_account_id("a") + "/deployments")
    inventory, _ = collect_azure(fake, *TYPES)
    assert not inventory.of_type(AiDeployment) and inventory.of_type(AiServicesAccount)
    assert inventory.incomplete_reason(AiDeployment, SUB) is not None
    assert inventory.incomplete_reason(AiServicesAccount, SUB) is None


def test_denied_account_listing_marks_both_types_incomplete() -> None:
    fake = FakeArm()
    fake.add_ai_account(ai_account("a"))
    fake.deny(f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices")
    inventory, _ = collect_azure(fake, *TYPES)
    assert not list(inventory.resources())
    assert inventory.incomplete_reason(AiServicesAccount, SUB) is not None
    assert inventory.incomplete_reason(AiDeployment, SUB) is not None


def test_subscription_without_ai_services_has_no_accounts() -> None:
    fake = FakeArm()
    fake.unregistered.add((SUB, "Microsoft.CognitiveServices"))
    inventory, _ = collect_azure(fake, *TYPES)
    assert not list(inventory.resources()) and not inventory.errors and not fake.violations


def test_a_next_link_to_another_host_is_refused() -> None:
    """The bearer token goes to the Resource Manager endpoint only."""
    fake = FakeArm()
    fake.add_ai_account(ai_account("a"))
    original = fake.handle

    def hostile(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, object]]:
        status, payload = original(method, url, headers, body)
        if url.split("?", maxsplit=1)[0].endswith("/accounts"):
            payload = {**payload, "nextLink": "https://evil.example/steal?api-version=1"}
        return status, payload

    fake.handle = hostile
    inventory, _ = collect_azure(fake, *TYPES)
    assert not inventory.of_type(AiServicesAccount)
    [error] = inventory.errors
    # refused before sending: an unmatched URL would have been a connection error from `responses`
    assert error.operation == "Accounts_List" and error.code == "UnexpectedArmResponse"
    assert "evil.example" in error.message


def test_a_listing_without_a_value_list_is_an_error_not_an_empty_listing() -> None:
    fake = FakeArm()
    fake.add_ai_account(ai_account("a"))
    original = fake.handle

    def broken(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, object]]:
        status, payload = original(method, url, headers, body)
        if url.split("?", maxsplit=1)[0].endswith("/accounts"):
            return status, {"values": payload.get("value")}  # a misspelt key: not an empty listing
        return status, payload

    fake.handle = broken
    inventory, _ = collect_azure(fake, *TYPES)
    assert not list(inventory.resources())
    [error] = inventory.errors
    assert (error.operation, error.code) == ("Accounts_List", "UnexpectedArmResponse")
    assert inventory.incomplete_reason(AiServicesAccount, SUB) is not None
