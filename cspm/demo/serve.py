"""``cspm demo --serve``: keep the simulated clouds up and print how to scan each one.

The same three simulators as ``cspm demo`` (:mod:`cspm.demo`), on 127.0.0.1 and free ports,
seeded the same way, but nothing is scanned here: stdout gets one shell command per cloud, the
real ``cspm scan aws|azure|gcp`` with the documented settings that point it at the simulator
(``--endpoint-url`` and static keys for AWS; a service principal, ``AZURE_AUTHORITY_HOST``,
``CSPM_AZURE_ARM_ENDPOINT`` and ``REQUESTS_CA_BUNDLE`` for Azure; ``GOOGLE_APPLICATION_CREDENTIALS``
and ``STORAGE_EMULATOR_HOST`` for Google Cloud). Each command starts with ``env -u …`` to drop the
caller's own settings that would otherwise win (a profile, a session token).

It serves until SIGINT (Ctrl-C) or SIGTERM, then stops every server, deletes the certificate and
keys, restores the environment and returns 130 or 143, as an interrupted scan does.
"""

from __future__ import annotations

import importlib
import shlex
import signal
import tempfile
import threading
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import TextIO

from cspm.demo import (
    FAKE_ACCESS_KEY_ID,
    FAKE_SECRET_ACCESS_KEY,
    SIMULATED,
    isolated_environment,
    moto_server,
    sdk_missing,
    skipped_line,
)

# Set by the caller's shell, they would send a scan elsewhere or beat the simulator's settings.
_UNSET = {
    "aws": ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"),
    "azure": ("AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_USERNAME", "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT"),
    "gcp": ("CLOUDSDK_CONFIG", "GOOGLE_CLOUD_PROJECT"),
}


def scan_command(cloud: str, environment: Mapping[str, str], args: list[str]) -> str:
    """One copy-pasteable shell line: ``env -u … NAME=VALUE … cspm scan CLOUD ARGS``."""
    unset = [part for name in _UNSET[cloud] for part in ("-u", name)]
    settings = [f"{name}={value}" for name, value in environment.items()]
    return shlex.join(["env", *unset, *settings, "cspm", "scan", cloud, *args])


def serve_demo(out: TextIO) -> int:
    """Serve the simulated clouds, print their scan commands to ``out``, and return the exit
    code of the signal that ended it (130 for SIGINT, 143 for SIGTERM)."""
    from cspm.demo.seed import REGIONS, seed

    with (
        isolated_environment(),
        moto_server() as url,
        tempfile.TemporaryDirectory(prefix="cspm-demo-") as directory,
        ExitStack() as running,
    ):
        seeded = seed(url, REGIONS)
        skipped = [cloud for cloud in SIMULATED if sdk_missing(cloud)]
        aws_env = {"AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY}
        regions = [part for region in REGIONS for part in ("--region", region)]
        lines = [
            f"# AWS account {seeded.account} on moto at {url}",
            scan_command("aws", aws_env, ["--endpoint-url", url, *regions, "--output-dir", "cspm-output/aws"]),
        ]
        for cloud in SIMULATED:
            if cloud in skipped:
                continue
            demo = importlib.import_module(f"cspm.demo.{cloud}")
            simulated = running.enter_context(demo.simulated(Path(directory)))
            scope = ["--subscription", demo.DEMO_SUBSCRIPTION] if cloud == "azure" else ["--project", demo.DEMO_PROJECT]
            lines.append(f"# {demo.DESCRIPTION} at {simulated.url}")
            lines.append(scan_command(cloud, simulated.environment, [*scope, "--output-dir", f"cspm-output/{cloud}"]))
        if skipped:
            lines.append("# " + skipped_line(skipped).removeprefix("cspm: "))
        lines.append("# serving on 127.0.0.1 until Ctrl-C")
        out.write("\n".join(lines) + "\n")
        out.flush()
        code = wait_for_signal()
    return code


def wait_for_signal() -> int:
    """Block until SIGINT or SIGTERM; they are recorded, not raised, so the servers stop in order.
    Returns 128 + the signal's number."""
    received: list[int] = []
    arrived = threading.Event()

    def handler(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        arrived.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not arrived.wait(0.5):
            pass
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
    return 128 + received[0]


def stopped_line(code: int) -> str:
    """The one stderr line of the exit: which signal stopped the simulators."""
    name = signal.Signals(code - 128).name
    return f"cspm: demo: stopped the simulated clouds ({name}, exit {code})"
