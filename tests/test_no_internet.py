"""The test process refuses every connect that is not to loopback (tests/conftest.py)."""

from __future__ import annotations

import socket

import pytest


def test_a_connect_to_a_public_address_is_refused_without_leaving_the_machine() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(ConnectionRefusedError, match="internet"),
    ):
        sock.connect(("8.8.8.8", 443))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        assert sock.connect_ex(("169.254.169.254", 80)) == 111  # the metadata servers too


def test_a_udp_connect_sends_nothing_and_is_allowed() -> None:
    """Dask (and others) learn their own address by connecting a UDP socket to a public one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("8.8.8.8", 80))
        assert sock.getsockname()[0]


def test_loopback_still_connects() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
