"""Azure credentials: DefaultAzureCredential, bounded in time, and the management endpoint.

- The chain is azure-identity's ``DefaultAzureCredential``: a service principal from
  ``AZURE_CLIENT_ID``/``AZURE_CLIENT_SECRET``/``AZURE_TENANT_ID`` (or a certificate), workload
  identity, the Azure CLI (``az login``), Azure PowerShell, the Azure Developer CLI.
- Managed identity is tried only when running on Azure is signalled: ``IDENTITY_ENDPOINT``,
  ``MSI_ENDPOINT``, ``IMDS_ENDPOINT`` or ``AZURE_POD_IDENTITY_AUTHORITY_HOST`` set, or
  ``--managed-identity`` (a VM's instance metadata service sets no variable). An instance
  metadata endpoint that accepts connections and never answers blocks azure-identity for
  300 s; the first token is therefore requested with a deadline (:data:`AUTH_TIMEOUT`).
- ``--tenant`` asks every credential for a token of that tenant.
- ``CSPM_AZURE_ARM_ENDPOINT`` sets the Resource Manager endpoint (sovereign clouds, Azure Stack,
  a local test fake); the token scope follows it. ``AZURE_AUTHORITY_HOST`` (azure-identity's own
  setting) sets the sign-in host; for a host that is not a Microsoft cloud's, MSAL's instance
  discovery (a request to login.microsoftonline.com) is turned off.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any, Final, TypeVar
from urllib.parse import urlparse

from cspm.errors import CredentialsError, UsageError
from cspm.providers.base import with_deadline

T = TypeVar("T")

ARM_ENDPOINT_ENV: Final = "CSPM_AZURE_ARM_ENDPOINT"
DEFAULT_ARM_ENDPOINT: Final = "https://management.azure.com"
AUTH_TIMEOUT: Final = 5.0  # seconds for the first token; the CLI must fail within 10 s
MANAGED_IDENTITY_HINTS: Final = (
    "IDENTITY_ENDPOINT",
    "MSI_ENDPOINT",
    "IMDS_ENDPOINT",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
)
MICROSOFT_AUTHORITY_HOSTS: Final = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
    }
)
SIGN_IN: Final = (
    "sign in with 'az login', set AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and AZURE_TENANT_ID (a service principal), "
    "or run on Azure with a managed identity (--managed-identity)"
)


def arm_endpoint() -> str:
    """The Resource Manager endpoint: ``CSPM_AZURE_ARM_ENDPOINT`` or the public cloud's."""
    endpoint = (os.environ.get(ARM_ENDPOINT_ENV) or DEFAULT_ARM_ENDPOINT).rstrip("/")
    parsed = urlparse(endpoint)
    if parsed.scheme != "https" or not parsed.netloc:
        raise UsageError(f"{ARM_ENDPOINT_ENV} must be an https:// URL (Azure sends tokens over TLS only): {endpoint}")
    return endpoint


def managed_identity_hinted() -> bool:
    return any(os.environ.get(name) for name in MANAGED_IDENTITY_HINTS)


def default_credential(*, tenant: str | None, managed_identity: bool) -> Any:
    """DefaultAzureCredential, configured as the module docstring says."""
    from azure.identity import DefaultAzureCredential

    if not logging.getLogger("azure.identity").isEnabledFor(logging.DEBUG):
        # The chain logs every failed source at WARNING; the CLI reports one line instead.
        logging.getLogger("azure.identity").setLevel(logging.ERROR)
    options: dict[str, Any] = {
        "exclude_managed_identity_credential": not (managed_identity or managed_identity_hinted()),
        "exclude_interactive_browser_credential": True,
        "process_timeout": AUTH_TIMEOUT,
    }
    authority = os.environ.get("AZURE_AUTHORITY_HOST")
    if authority and (urlparse(authority).hostname or authority) not in MICROSOFT_AUTHORITY_HOSTS:
        options["disable_instance_discovery"] = True
    if tenant:
        options["additionally_allowed_tenants"] = [tenant]
        return TenantCredential(DefaultAzureCredential(**options), tenant)
    return DefaultAzureCredential(**options)


class TenantCredential:
    """Asks the wrapped credential for tokens of one tenant (``--tenant``)."""

    def __init__(self, inner: Any, tenant: str) -> None:
        self.inner = inner
        self.tenant = tenant

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        kwargs["tenant_id"] = self.tenant
        return self.inner.get_token(*scopes, **kwargs)

    def get_token_info(self, *scopes: str, options: dict[str, Any] | None = None) -> Any:
        return self.inner.get_token_info(*scopes, options={**(options or {}), "tenant_id": self.tenant})


def check_token(credential: Any, scope: str, *, timeout: float = AUTH_TIMEOUT) -> None:
    """Get one token within ``timeout`` seconds, or raise CredentialsError (one line)."""
    from azure.core.exceptions import ClientAuthenticationError

    try:
        with_deadline(lambda: credential.get_token(scope), timeout)
    except TimeoutError as exc:
        raise CredentialsError(
            f"no Azure credentials within {timeout:.0f} s (a credential source did not answer): {SIGN_IN}"
        ) from exc
    except ClientAuthenticationError as exc:
        raise CredentialsError(f"no usable Azure credentials ({last_attempt(exc.message)}): {SIGN_IN}") from exc


_UNAVAILABLE = re.compile(
    r"unavailable|not found|could not be found|not installed|not (fully )?configured|is required|requires the",
    re.IGNORECASE,
)


def last_attempt(message: str) -> str:
    """The telling line of azure-identity's multi-line chain report.

    The chain stops at the first source that tried and failed (e.g. a rejected secret), so the
    last attempt is that failure; when every source was merely unavailable, a summary.
    """
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    attempts = [line.strip() for line in message.splitlines() if line.startswith("\t") and line.strip()]
    if not attempts:
        return lines[0][:300] if lines else "no details"
    if _UNAVAILABLE.search(attempts[-1]):
        return "no credential source is configured"
    return attempts[-1][:300]
