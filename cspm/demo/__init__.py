"""``cspm demo``: scan a built-in simulated AI estate on AWS, Azure and Google Cloud, as one report.

The demo starts three simulated clouds inside this process, each on 127.0.0.1 and a free port:

- the "acme-ml" AWS account, built over the wire (:mod:`cspm.demo.seed`) on a moto server
  (:mod:`cspm.demo.server`);
- the "acme-ml" Azure subscription on a fake of Azure Resource Manager and of the Entra token
  endpoint, over HTTPS with a self-signed certificate (:mod:`cspm.demo.azure`);
- the "acme-ml-research" Google Cloud project on a fake of the Cloud Storage JSON API and of
  Google's token endpoint (:mod:`cspm.demo.gcp`).

It then scans them as one (:class:`cspm.multi.CombinedProvider`, ``scan.provider`` =
``aws+azure+gcp``) through exactly the code path of a real scan: the unmodified providers,
reached through their documented settings (``--endpoint-url``; a service principal,
``AZURE_AUTHORITY_HOST``, ``CSPM_AZURE_ARM_ENDPOINT`` and ``REQUESTS_CA_BUNDLE``;
``GOOGLE_APPLICATION_CREDENTIALS`` and ``STORAGE_EMULATOR_HOST``), the normal check selection of
each cloud, :func:`cspm.runner.run`. When the Azure or Google SDK is not installed, that cloud is
skipped and one line names the extra to install.

The user's real configuration is never read: for the duration of the demo this process's
environment carries only the demo's fake credentials and settings; every variable that could
select a real profile, credential, token or endpoint of any of the three clouds is removed. The
environment is restored exactly afterwards (also what the SDKs set during the scan), the
servers are stopped and the certificate and keys deleted, also on error.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cspm.errors import MissingExtra, ScanError, extra_of
from cspm.runner import OutputOptions

if TYPE_CHECKING:
    from cspm.demo.bedrock_gaps import GapState
    from cspm.engine import Provider
    from cspm.registry import CheckSpec

log = logging.getLogger(__name__)

# Fixed fake credentials, only ever sent to the local server (the seed uses them too).
FAKE_ACCESS_KEY_ID = "AKIADEMOACMEML000000"
FAKE_SECRET_ACCESS_KEY = "demo-secret-not-a-real-credential"

# Removed for the demo: anything that could select a real profile, credential or token, or send
# the scanner somewhere else than the local servers.
_REMOVED = (
    # AWS
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
    # Azure (besides every AZURE_* and MSAL_* variable): managed identity, the ARM endpoint, CAs
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "CSPM_AZURE_ARM_ENDPOINT",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    # Google Cloud (besides every GOOGLE_*, GCLOUD_* and CLOUDSDK_* variable)
    "STORAGE_EMULATOR_HOST",
    "CSPM_GCP_VERTEX_ENDPOINT",
    "CSPM_GCP_NOTEBOOKS_ENDPOINT",
    "CSPM_GCP_CRM_ENDPOINT",
    "CSPM_GCP_IAM_ENDPOINT",
    "CSPM_GCP_COMPUTE_ENDPOINT",
    "CSPM_GCP_ACM_ENDPOINT",
    "API_ENDPOINT_OVERRIDE",
    "GCE_METADATA_HOST",
    "GCE_METADATA_IP",
    "GCE_METADATA_ROOT",
    "NO_GCE_CHECK",
)
# CSPM_AZURE_* / CSPM_GCP_*: every endpoint override, including those a new collector adds
_REMOVED_PREFIXES = (
    "AWS_ENDPOINT_URL_",
    "AZURE_",
    "MSAL_",
    "GOOGLE_",
    "GCLOUD_",
    "CLOUDSDK_",
    "CSPM_AZURE_",
    "CSPM_GCP_",
)


def demo_environment(current: Mapping[str, str]) -> dict[str, str | None]:
    """The changes the demo makes to the environment before any server starts: name -> value,
    or None to remove it. (Each simulated cloud adds its own settings once its server runs.)"""
    changes: dict[str, str | None] = dict.fromkeys(_REMOVED)
    for name in current:
        if name.startswith(_REMOVED_PREFIXES):
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
    """Apply :func:`demo_environment` to ``os.environ``; afterwards restore the environment
    exactly as it was, including variables set or removed inside the block."""
    saved = dict(os.environ)
    try:
        _apply(demo_environment(saved))
        yield
    finally:
        for name in [n for n in os.environ if n not in saved]:
            del os.environ[name]
        _apply(saved)


def _apply(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        elif os.environ.get(name) != value:
            os.environ[name] = value


@contextmanager
def moto_server(bedrock: GapState | None = None) -> Iterator[str]:
    """The simulated account's moto server on 127.0.0.1 and a free port, in this process, empty;
    stopped on exit (see :mod:`cspm.demo.server`). ``bedrock``: what it serves of the Bedrock
    reads moto lacks (:mod:`cspm.demo.bedrock_gaps`)."""
    try:
        import moto  # noqa: F401 - the 'demo' extra
    except ModuleNotFoundError as exc:
        raise MissingExtra("demo", exc.name or "moto") from exc
    import requests

    from cspm.demo.server import serve_simulated_account

    if not logging.getLogger("cspm").isEnabledFor(logging.DEBUG):
        # werkzeug logs every request, and a traceback for any request moto fails on.
        logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    with serve_simulated_account(bedrock) as url:
        # moto's state is per process: start from an empty account even if run twice.
        requests.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()
        # moto draws resource ids (sg-…, vpc-…, job ARNs' suffixes) from one seeded generator: the
        # same seed gives the same ids, so two demo runs `cspm diff` empty (issue 18).
        requests.post(f"{url}/moto-api/seed", params={"a": DEMO_SEED}, timeout=10).raise_for_status()
        yield url


# ---------------------------------------------------------------------------------------------
# The three simulated clouds
# ---------------------------------------------------------------------------------------------

DEMO_SEED = 20261206  # the simulated account's ids; any fixed number gives a repeatable demo

CLOUD_NAMES = {"aws": "AWS", "azure": "Azure", "gcp": "Google Cloud"}


@dataclass(frozen=True)
class Member:
    """One simulated cloud, connected: its provider, its checks, and where it is served."""

    provider: Provider
    checks: list[CheckSpec]
    where: str  # "an Azure subscription (...) on a fake Resource Manager at 127.0.0.1:PORT"


def sdk_missing(cloud: str) -> str | None:
    """The first SDK module of ``cloud`` ("azure", "gcp") that cannot be imported, or None."""
    module = importlib.import_module(f"cspm.demo.{cloud}")
    for name in module.SDK_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            log.debug("the %s SDK is not usable: %s", cloud, exc)
            return str(name)
    return None


def skipped_line(clouds: Sequence[str]) -> str:
    """The one line that says which clouds the demo skipped and the extra that adds them."""
    names = " and ".join(CLOUD_NAMES[c] for c in clouds)
    their = "its SDK is" if len(clouds) == 1 else "their SDKs are"
    extras = ",".join(extra_of(importlib.import_module(f"cspm.demo.{c}").SDK_MODULES[0]) for c in clouds)
    return f"cspm: demo: skipped {names}: {their} not installed (pip install 'cspm[{extras}]')"


def _has_artifact_scanner() -> bool:
    """Whether the demo can inspect its model artifacts (picklescan, in the 'demo' and 'artifacts'
    extras); without it the artifact checks are left out, as in a scan without --inspect-artifacts."""
    from cspm.artifacts.inspect import require_scanner

    try:
        require_scanner()
    except ImportError:
        log.info("picklescan is not installed: the demo does not inspect model artifacts")
        return False
    return True


def _address(url: str) -> str:
    return url.split("://", 1)[-1]


def _aws_member(url: str, workers: int, bedrock: GapState) -> Member:
    from botocore.exceptions import BotoCoreError, ClientError

    from cspm.artifacts.options import select_checks
    from cspm.demo.bedrock_seed import seed_bedrock
    from cspm.demo.seed import ACCOUNT_NAME, REGIONS, Clients, seed
    from cspm.providers.aws import SERVICE_MODULES, AwsOptions, AwsProvider
    from cspm.providers.aws.artifacts import ArtifactSettings
    from cspm.selection import Selection

    started = time.monotonic()
    try:
        seeded = seed(url, REGIONS)
        seed_bedrock(Clients(url), seeded, bedrock)  # the Bedrock estate, through the simulator too
    except (BotoCoreError, ClientError) as exc:  # a bug in the seed or an incompatible moto
        raise ScanError(f"could not build the simulated account: {exc}") from exc
    log.info("seeded the demo account in %.1f s", time.monotonic() - started)
    inspect = _has_artifact_scanner()
    settings = ArtifactSettings() if inspect else None
    provider = AwsProvider(AwsOptions(endpoint_url=url, regions=REGIONS, workers=workers, artifacts=settings))
    provider.connect()
    return Member(
        provider,
        select_checks(Selection().apply("aws", available_services=list(SERVICE_MODULES)), inspect=inspect),
        f"an AWS account ({ACCOUNT_NAME}, {seeded.account}, {' and '.join(REGIONS)}) on moto at {_address(url)}",
    )


@contextmanager
def _simulated_member(cloud: str, directory: Path) -> Iterator[Member]:
    """Start the demo's Azure subscription or Google Cloud project (:mod:`cspm.demo.azure`,
    :mod:`cspm.demo.gcp`), point this process at it through the provider's documented settings,
    and connect the unmodified provider."""
    from cspm.artifacts.options import select_checks
    from cspm.selection import Selection

    demo = importlib.import_module(f"cspm.demo.{cloud}")
    services = importlib.import_module(f"cspm.providers.{cloud}").SERVICE_MODULES
    with demo.simulated(directory) as simulated:
        os.environ.update(simulated.environment)
        provider = demo.demo_provider()
        provider.connect()  # signs in at the fake, exactly as against the real cloud
        yield Member(
            provider,
            # The artifact checks (Vertex AI models' files) only where the provider reads them.
            select_checks(Selection().apply(cloud, available_services=list(services)), _has_artifact_scanner()),
            f"{demo.DESCRIPTION} at {_address(simulated.url)}",
        )


SIMULATED = ("azure", "gcp")  # besides AWS, which is always there


def run_demo(out: OutputOptions, *, workers: int) -> int:
    """Start the simulated clouds, scan them as one through the normal code paths, report."""
    from cspm.demo.bedrock_gaps import GapState

    bedrock = GapState()
    with (
        isolated_environment(),
        moto_server(bedrock) as url,
        tempfile.TemporaryDirectory(prefix="cspm-demo-") as directory,
        ExitStack() as running,
    ):
        from cspm.multi import CombinedProvider
        from cspm.runner import run

        members = [_aws_member(url, workers, bedrock)]
        skipped = [cloud for cloud in SIMULATED if sdk_missing(cloud)]
        members.extend(
            running.enter_context(_simulated_member(cloud, Path(directory)))
            for cloud in SIMULATED
            if cloud not in skipped
        )
        print(
            "cspm: demo: scanning simulated clouds, no real cloud is contacted: " + "; ".join(m.where for m in members),
            file=sys.stderr,
            flush=True,
        )
        if skipped:
            print(skipped_line(skipped), file=sys.stderr, flush=True)
        provider = CombinedProvider([m.provider for m in members])
        code = run(provider, [c for m in members for c in m.checks], out, workers=workers)
    if not out.quiet:
        _show_lineage(out)
    return code


LINEAGE_LINES = 60


def _show_lineage(out: OutputOptions) -> None:
    """The AI lineage, production endpoints first: what no general scanner shows."""
    from cspm.reporting.lineage import load_lineage, render_tree

    report_path = out.output_dir / "report.json"
    if json.loads(report_path.read_text(encoding="utf-8")).get("lineage") is None:
        log.info("the report has no AI lineage section: nothing to show")
        return
    from cspm.lineage import BEDROCK_TYPE_PREFIXES, part_from
    from cspm.reporting.safe import marks, stream_is_utf

    lineage = load_lineage(report_path)
    stream = sys.stderr if out.json_path == "-" else sys.stdout
    ascii_only = not stream_is_utf(stream)
    lines = render_tree(lineage, ascii_only=ascii_only).splitlines()
    stream.write("\n" + "\n".join(lines[:LINEAGE_LINES]) + "\n")
    if len(lines) > LINEAGE_LINES:
        more = marks(getattr(stream, "encoding", None))["more"]
        stream.write(f"{more} {len(lines) - LINEAGE_LINES} more lines: cspm lineage {report_path}\n")
    bedrock = part_from(lineage, BEDROCK_TYPE_PREFIXES)  # Bedrock and AgentCore, after SageMaker's endpoints
    if bedrock.nodes:
        lines = render_tree(bedrock, ascii_only=ascii_only).splitlines()
        stream.write(
            "\nBedrock models and agents, from the same graph:\n" + "\n".join(lines[1 : LINEAGE_LINES + 1]) + "\n"
        )
