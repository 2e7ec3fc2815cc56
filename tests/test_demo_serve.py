"""``cspm demo --serve``: the simulators stay up, the printed commands scan them, Ctrl-C stops them."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
from pathlib import Path

import pytest
from e2e.harness import cspm_command


def _command_env(words: list[str]) -> tuple[dict[str, str], list[str]]:
    """``env -u A NAME=VALUE … cspm ARGS`` -> (the environment it runs in, ARGS)."""
    assert words[0] == "env"
    env = dict(os.environ)
    rest = words[1:]
    while rest[0] == "-u":
        env.pop(rest[1], None)
        rest = rest[2:]
    while "=" in rest[0]:
        name, value = rest[0].split("=", 1)
        env[name] = value
        rest = rest[1:]
    assert rest[0] == "cspm"
    return env, rest[1:]


@pytest.mark.e2e
def test_serve_prints_commands_that_scan_each_cloud_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [*cspm_command(), "demo", "--serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("# serving"):
                break
        commands = [shlex.split(line) for line in lines if line.startswith("env ")]
        ports = [int(p) for p in re.findall(r"at https?://127\.0\.0\.1:(\d+)", "\n".join(lines))]
        assert [c[c.index("scan") + 1] for c in commands] == ["aws", "azure", "gcp"], lines
        assert len(ports) == 3
        for words in commands:
            env, args = _command_env(words)
            done = subprocess.run(
                [*cspm_command(), *args, "--quiet"],
                check=False,
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=180,
            )
            assert done.returncode == 0, (args, done.stderr[-2000:])
            cloud = args[1]
            report = json.loads((tmp_path / "cspm-output" / cloud / "report.json").read_text(encoding="utf-8"))
            assert report["scan"]["provider"] == cloud and report["scan"]["complete"]
            assert {f["status"] for f in report["findings"]} >= {"PASS", "FAIL"}
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert err == "cspm: demo: stopped the simulated clouds (SIGINT, exit 130)\n"
    for port in ports:
        with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
            sock.connect(("127.0.0.1", port))
