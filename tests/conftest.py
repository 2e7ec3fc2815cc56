"""Test-wide setup: no real credentials, no internet, and the scanner stays read-only."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Never let a developer's real AWS profile, credentials or endpoint leak into a test.
for _var in (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
):
    os.environ.pop(_var, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_CONFIG_FILE="/dev/null",
    AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    AWS_EC2_METADATA_DISABLED="true",
)
logging.getLogger("werkzeug").setLevel(logging.ERROR)


def _refuse_the_internet() -> None:
    """Tests never touch the internet: a connect to anything but loopback (or a Unix socket) is
    refused in the test process, as a closed port would be, so an endpoint override a test forgot
    (a new Google or Azure API host) fails the test instead of reaching the real cloud."""
    import ipaddress
    import socket

    original = socket.socket.connect
    original_ex = socket.socket.connect_ex

    def loopback(address: object) -> bool:
        if not isinstance(address, tuple):
            return True  # AF_UNIX
        try:
            return ipaddress.ip_address(str(address[0]).split("%", 1)[0]).is_loopback
        except ValueError:
            return False  # a host name: resolved by create_connection before connect, never here

    def connect(self: socket.socket, address: object) -> None:
        # a UDP connect sends nothing (Dask finds its own address by "connecting" to 8.8.8.8)
        if self.type != socket.SOCK_DGRAM and not loopback(address):
            raise ConnectionRefusedError(f"tests never touch the internet (connect to {address!r} refused)")
        original(self, address)  # type: ignore[arg-type]

    def connect_ex(self: socket.socket, address: object) -> int:
        if self.type != socket.SOCK_DGRAM and not loopback(address):
            return 111  # ECONNREFUSED
        return original_ex(self, address)  # type: ignore[arg-type]

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]


_refuse_the_internet()


@pytest.fixture(autouse=True)
def scanner_is_read_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail any test in which the scanner's session calls a non-read AWS operation.

    Production code installs its own guard (which refuses the call); this spy is registered
    first on every scanner session, so a violation fails the test even though the production
    guard turned it into a recorded collection error.
    """
    from cspm.providers.aws import context

    violations: list[str] = []
    original = context.ClientFactory.__init__

    def spying_init(self: context.ClientFactory, session, *args, **kwargs) -> None:
        def spy(model, **_):
            if not context.is_read_only(model.name):
                violations.append(f"{model.service_model.service_name}:{model.name}")

        session.events.register("before-call", spy)
        original(self, session, *args, **kwargs)

    monkeypatch.setattr(context.ClientFactory, "__init__", spying_init)
    yield violations
    assert not violations, f"the scanner called non-read operations: {violations}"


@pytest.fixture(scope="session")
def moto_server_url() -> Iterator[str]:
    """One moto server per test session (per xdist worker), on 127.0.0.1 and a free port."""
    # moto behind the Bedrock gap layer (the Bedrock reads moto lacks answer as an account without
    # such resources would), in this process like ThreadedMotoServer.
    from cspm.demo.bedrock_gaps import BedrockGaps
    from cspm.demo.server import serve_moto

    with serve_moto(BedrockGaps) as url:
        yield url


@pytest.fixture
def moto_url(moto_server_url: str) -> str:
    """The session's moto server, reset to an empty account for this test."""
    from support.aws import reset_moto

    reset_moto(moto_server_url)
    return moto_server_url


@pytest.fixture(scope="session")
def demo_report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real ``cspm demo`` run per test session (per xdist worker): the combined
    ``aws+azure+gcp`` report and every extra format, in a directory tests only read."""
    from e2e.harness import run_cspm

    out = tmp_path_factory.mktemp("demo-report")
    run = run_cspm("demo", "--quiet", "--output-formats", "ocsf,asff,sarif,csv", output_dir=out, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return out
