"""The Azure Resource Manager fake, for tests: re-exported from :mod:`cspm.demo.azure`, plus
what only tests need.

The fake itself (:class:`FakeArm`, the documented response shapes, the self-signed certificate
and the HTTPS server) lives in ``cspm/demo/azure.py``, where ``cspm demo`` serves its Azure
subscription with it; there is one copy. Added here:

- :func:`mounted` routes ``https://management.azure.com`` to a fake through ``responses`` (no
  socket): the SDKs' real pipelines, bearer policy and model parsing run unchanged;
- :class:`FakeCredential` and :func:`collect_azure`, to run the real provider and collectors;
- process helpers shared by the Azure and GCP end-to-end tests (:func:`run_cli`,
  :func:`clean_env`, :func:`silent_server`).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cspm.demo.azure import (
    ARM,
    TENANT,
    FakeArm,
    account_id,
    ai_account,
    ai_account_id,
    ai_deployment,
    arm_error,
    blob_service,
    built_in_role_definitions,
    compute,
    container,
    datastore,
    default_rai_policies,
    diagnostic_setting,
    hardened_account,
    hardened_ai_account,
    hardened_workspace,
    key_vault,
    make_cert,
    ml_registry,
    online_deployment,
    online_endpoint,
    rai_policy,
    role_assignment,
    role_definition,
    serve_https,
    storage_account,
    subscription,
    system_identity,
    workspace,
    workspace_id,
)
from cspm.demo.azure import SUBSCRIPTION as SUB
from cspm.demo.fake_http import JsonApi
from cspm.providers.azure.graph import NATIONAL_GRAPH

__all__ = [
    "ARM",
    "SUB",
    "SUB2",
    "TENANT",
    "FakeArm",
    "FakeCredential",
    "account_id",
    "ai_account",
    "ai_account_id",
    "ai_deployment",
    "arm_error",
    "blob_service",
    "built_in_role_definitions",
    "clean_env",
    "collect_azure",
    "compute",
    "container",
    "datastore",
    "default_rai_policies",
    "diagnostic_setting",
    "hardened_account",
    "hardened_ai_account",
    "hardened_workspace",
    "key_vault",
    "make_cert",
    "ml_registry",
    "mount",
    "mounted",
    "online_deployment",
    "online_endpoint",
    "principals",
    "rai_policy",
    "role_assignment",
    "role_definition",
    "run_cli",
    "serve_https",
    "silent_server",
    "storage_account",
    "subscription",
    "system_identity",
    "workspace",
    "workspace_id",
]

SUB2 = "00000000-0000-0000-0000-000000000002"


GRAPH = NATIONAL_GRAPH[ARM]  # where the provider asks Microsoft Graph when ARM is the public cloud's

# ---------------------------------------------------------------------------------------------
# Serving a fake without a socket
# ---------------------------------------------------------------------------------------------


@contextmanager
def mount(fake: JsonApi, url_pattern: re.Pattern[str]) -> Iterator[Any]:
    """Route every request whose URL matches ``url_pattern`` to ``fake``, with no socket."""
    import responses

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        body = request.body or b""
        status, payload = fake.handle(
            request.method, request.url, dict(request.headers), body if isinstance(body, bytes) else body.encode()
        )
        return status, {"Content-Type": "application/json"}, json.dumps(payload)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"):
            rsps.add_callback(method, url_pattern, callback=callback)
        yield rsps


@contextmanager
def mounted(fake: FakeArm) -> Iterator[Any]:
    """Route https://management.azure.com and Microsoft Graph (the public cloud's, which cspm
    derives from that ARM endpoint) to ``fake`` (and nothing else), with no socket."""
    with mount(fake, re.compile(f"(?:{re.escape(ARM)}|{re.escape(GRAPH)})/.*")) as rsps:
        yield rsps


# ---------------------------------------------------------------------------------------------
# Running the provider
# ---------------------------------------------------------------------------------------------


class FakeCredential:
    """A TokenCredential that hands out a fixed token (tests never build DefaultAzureCredential)."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_: Any) -> Any:
        from azure.core.credentials import AccessToken

        self.scopes.append(scopes)
        return AccessToken("fake-token", int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        from azure.core.credentials import AccessTokenInfo

        self.scopes.append(scopes)
        return AccessTokenInfo("fake-token", int(time.time()) + 3600)


def collect_azure(fake: FakeArm, *types: type, subscriptions: tuple[str, ...] = (SUB,)) -> tuple[Any, Any]:
    """Run the real provider and collectors for ``types`` against ``fake``: (inventory, provider)."""
    from cspm.engine import collect
    from cspm.providers.azure import AzureOptions, AzureProvider

    provider = AzureProvider(
        AzureOptions(subscriptions=subscriptions, credential=FakeCredential(), endpoint=ARM, retry_total=0)
    )
    with mounted(fake):
        provider.connect()
        inventory = collect(provider.plan(set(types)), workers=4)
    for error in provider.setup_errors:
        inventory.record_error(error)
    return inventory, provider


# ---------------------------------------------------------------------------------------------
# Process helpers shared by the end-to-end tests (Azure and GCP)
# ---------------------------------------------------------------------------------------------


@contextmanager
def silent_server() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers: a stalled instance
    metadata endpoint. Yields ``host:port``."""
    import socket

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


# Runs the real CLI entry point with the Azure and GCP commands mounted (cspm.cli.scan), and
# writes the cloud SDK modules the process imported to $CSPM_TEST_MODULES when that is set.
CLI_RUNNER = """
import json, os, sys
import cspm.cli
try:
    code = cspm.cli.main(sys.argv[1:])
finally:
    if os.environ.get("CSPM_TEST_MODULES"):
        sdk = ("azure", "google", "boto3", "botocore", "msal")
        with open(os.environ["CSPM_TEST_MODULES"], "w") as out:
            json.dump(sorted(m for m in sys.modules if m.split(".")[0] in sdk), out)
sys.exit(code)
"""


def run_cli(args: list[str], env: dict[str, str], *, timeout: float = 120) -> Any:
    """Run ``cspm ARGS`` in a fresh interpreter with exactly ``env``; a CompletedProcess with .elapsed."""
    import subprocess
    import sys

    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", CLI_RUNNER, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    done.elapsed = time.monotonic() - started  # type: ignore[attr-defined]
    return done


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment with no cloud credentials, no CLI on PATH and an empty home."""
    return {"PATH": "/nonexistent", "HOME": str(home), "LANG": "C.UTF-8", **extra}


def principals(
    assignments: list[dict[str, Any]], definitions: Sequence[dict[str, Any]] = (), sub: str = SUB, **directory: Any
) -> list[Any]:
    """RBAC principal snapshots from documented ARM bodies, through the collector's own translation
    (``directory=`` / ``directory_error=``: Microsoft Graph's answer, as the collector passes it)."""
    from cspm.providers.azure.authorization import principals_from_arm, role_definition_from_arm

    roles = {d.id: d for d in map(role_definition_from_arm, [*built_in_role_definitions(sub), *definitions])}
    return list(principals_from_arm(assignments, roles, sub, **directory))
