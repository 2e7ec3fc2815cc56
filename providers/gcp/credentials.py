"""Google Cloud credentials (Application Default Credentials, bounded in time) and projects.

- Credentials come from ``google.auth.default()``: ``GOOGLE_APPLICATION_CREDENTIALS`` (a service
  account key or an external-account file), the gcloud ADC file (``gcloud auth
  application-default login``), or the metadata server of an attached service account on
  Google Cloud. On a machine off Google Cloud, a metadata address that accepts connections and
  never answers would stall that probe for many seconds (3 s per attempt, 3 attempts, plus
  backoff); discovery and the first token therefore run under a deadline (:data:`AUTH_TIMEOUT`).
  ``GCE_METADATA_HOST`` and ``NO_GCE_CHECK=true`` (google-auth's own settings) are honoured.
- Projects come from ``--project`` or from Cloud Resource Manager ``projects.search`` (v3,
  ACTIVE projects the credential can see), called over the same read-only session.
"""

from __future__ import annotations

from typing import Any, Final, TypeVar

from cspm.errors import CredentialsError
from cspm.providers.base import with_deadline

T = TypeVar("T")

AUTH_TIMEOUT: Final = 5.0  # seconds for discovery and the first token; the CLI must fail within 10 s
SCOPES: Final = ("https://www.googleapis.com/auth/cloud-platform.read-only",)
CRM_ENDPOINT: Final = "https://cloudresourcemanager.googleapis.com"
SIGN_IN: Final = (
    "run 'gcloud auth application-default login', set GOOGLE_APPLICATION_CREDENTIALS to a service account "
    "key file, or run on Google Cloud with an attached service account"
)


def default_credentials(*, timeout: float = AUTH_TIMEOUT) -> tuple[Any, str | None]:
    """(credentials with a fresh token, their default project), or CredentialsError (one line)."""
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError, GoogleAuthError
    from google.auth.transport.requests import Request

    def discover_and_refresh() -> tuple[Any, str | None]:
        credentials, project = google.auth.default(scopes=list(SCOPES))
        credentials.refresh(Request())
        return credentials, project

    try:
        return with_deadline(discover_and_refresh, timeout)
    except TimeoutError as exc:
        raise CredentialsError(
            f"no Google Cloud credentials within {timeout:.0f} s (the metadata server did not answer): {SIGN_IN}"
        ) from exc
    except DefaultCredentialsError as exc:
        raise CredentialsError(f"no Google Cloud credentials found: {SIGN_IN}") from exc
    except GoogleAuthError as exc:
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise CredentialsError(f"Google rejected the credentials ({first}): {SIGN_IN}") from exc


def list_projects(session: Any, *, endpoint: str = CRM_ENDPOINT, timeout: tuple[float, float] = (5, 30)) -> list[str]:
    """Every ACTIVE project the credential can see (Resource Manager v3 ``projects.search``).

    Raises the api-core exception of a failed page (``google.api_core.exceptions``).
    """
    from google.api_core.exceptions import from_http_response

    projects: list[str] = []
    params: dict[str, Any] = {"query": "state:ACTIVE", "pageSize": 500}
    while True:
        response = session.get(f"{endpoint}/v3/projects:search", params=params, timeout=timeout)
        if response.status_code != 200:
            raise from_http_response(response)
        page = response.json()
        projects.extend(p["projectId"] for p in page.get("projects", []) if p.get("projectId"))
        token = page.get("nextPageToken")
        if not token:
            return sorted(set(projects))
        params["pageToken"] = token
