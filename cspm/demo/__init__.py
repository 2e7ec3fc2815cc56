"""``cspm demo``: scan a built-in simulated AI account served by moto on 127.0.0.1.

The demo starts a moto server inside this process (:mod:`cspm.demo.server`), builds the "acme-ml"
account on it over the wire (:mod:`cspm.demo.seed`), then scans it through exactly the code path
of a real account: ``AwsProvider`` with ``--endpoint-url``, the normal check selection,
:func:`cspm.runner.run`.

The user's real AWS configuration is never read: for the duration of the demo this process's
environment carries fixed fake credentials, ``AWS_CONFIG_FILE``/``AWS_SHARED_CREDENTIALS_FILE``
point at ``/dev/null``, and any profile, session token or endpoint override is removed. The
environment is restored and the server stopped afterwards, also on error.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from cspm.errors import ScanError
from cspm.runner import OutputOptions

log = logging.getLogger(__name__)

# Fixed fake credentials, only ever sent to the local server (the seed uses them too).
FAKE_ACCESS_KEY_ID = "AKIADEMOACMEML000000"
FAKE_SECRET_ACCESS_KEY = "demo-secret-not-a-real-credential"

# Removed for the demo: anything that could select a real profile, add a real token or send the
# scanner somewhere else than the local server.
_REMOVED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
)


def demo_environment(current: Mapping[str, str]) -> dict[str, str | None]:
    """The changes the demo makes to the environment: name -> value, or None to remove it."""
    changes: dict[str, str | None] = dict.fromkeys(_REMOVED)
    for name in current:
        if name.startswith("AWS_ENDPOINT_URL_"):  # per-service endpoint overrides
            changes[name] = None
    no_proxy = ",".join(p for p in (current.get("NO_PROXY", ""), "127.0.0.1", "localhost") if p)
    changes.update(
        AWS_ACCESS_KEY_ID=FAKE_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=FAKE_SECRET_ACCESS_KEY,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY=no_proxy,
        no_proxy=no_proxy,
    )
    return changes


@contextmanager
def isolated_environment() -> Iterator[None]:
    """Apply :func:`demo_environment` to ``os.environ``; restore every variable afterwards."""
    changes = demo_environment(os.environ)
    saved = {name: os.environ.get(name) for name in changes}
    try:
        _apply(changes)
        yield
    finally:
        _apply(saved)


def _apply(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextmanager
def moto_server() -> Iterator[str]:
    """The simulated account's moto server on 127.0.0.1 and a free port, in this process, empty;
    stopped on exit (see :mod:`cspm.demo.server`)."""
    try:
        import moto  # noqa: F401 - the 'demo' extra
    except ImportError as exc:
        raise ScanError("the demo needs moto: pip install 'cspm[demo]'") from exc
    import requests

    from cspm.demo.server import serve_simulated_account

    if not logging.getLogger("cspm").isEnabledFor(logging.DEBUG):
        # werkzeug logs every request, and a traceback for any request moto fails on.
        logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    with serve_simulated_account() as url:
        # moto's state is per process: start from an empty account even if run twice.
        requests.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()
        yield url


def run_demo(out: OutputOptions, *, workers: int) -> int:
    """Start the simulated account, scan it through the normal AWS code path, report."""
    with isolated_environment(), moto_server() as url:
        from botocore.exceptions import BotoCoreError, ClientError

        from cspm.demo.seed import ACCOUNT_NAME, REGIONS, seed
        from cspm.providers.aws import SERVICE_MODULES, AwsOptions, AwsProvider
        from cspm.runner import run
        from cspm.selection import Selection

        started = time.monotonic()
        try:
            seeded = seed(url, REGIONS)
        except (BotoCoreError, ClientError) as exc:  # a bug in the seed or an incompatible moto
            raise ScanError(f"could not build the simulated account: {exc}") from exc
        log.info("seeded the demo account in %.1f s", time.monotonic() - started)
        print(
            f"cspm: demo: scanning a simulated AWS account ({ACCOUNT_NAME}, account {seeded.account}, "
            f"{' and '.join(REGIONS)}) served by a local moto server on {url.removeprefix('http://')}; "
            "no real cloud is contacted",
            file=sys.stderr,
            flush=True,
        )
        checks = Selection().apply("aws", available_services=list(SERVICE_MODULES))
        provider = AwsProvider(AwsOptions(endpoint_url=url, regions=REGIONS, workers=workers))
        provider.connect()
        code = run(provider, checks, out, workers=workers)
    if not out.quiet:
        _show_lineage(out)
    return code


LINEAGE_LINES = 60


def _show_lineage(out: OutputOptions) -> None:
    """The AI lineage, production endpoints first: what no general scanner shows."""
    from cspm.cli_lineage import load_lineage, render_tree

    report_path = out.output_dir / "report.json"
    lines = render_tree(load_lineage(report_path)).splitlines()
    stream = sys.stderr if out.json_path == "-" else sys.stdout
    stream.write("\n" + "\n".join(lines[:LINEAGE_LINES]) + "\n")
    if len(lines) > LINEAGE_LINES:
        stream.write(f"… {len(lines) - LINEAGE_LINES} more lines: cspm lineage {report_path}\n")
