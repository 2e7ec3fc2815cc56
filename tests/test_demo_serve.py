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
        _the_raise_needs_the_lineage(commands[0], tmp_path)
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


def _the_raise_needs_the_lineage(aws_command: list[str], tmp_path: Path) -> None:
    """Issue 18: the same bucket finding is raised in a full scan and, with --services s3, is not
    (no lineage) and says so, in the report and in one note."""
    env, args = _command_env(aws_command)
    args = [*args[: args.index("--output-dir")], "--output-dir", str(tmp_path / "s3"), "--services", "s3"]
    done = subprocess.run([*cspm_command(), *args], check=False, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "note: " in done.stdout and "lineage needs sagemaker" in done.stdout
    full = json.loads((tmp_path / "cspm-output" / "aws" / "report.json").read_text(encoding="utf-8"))
    s3 = json.loads((tmp_path / "s3" / "report.json").read_text(encoding="utf-8"))
    raised = {f["uid"]: f for f in full["findings"] if "ai_supply_chain" in f["evidence"]}
    unjudged = {f["uid"]: f for f in s3["findings"] if f.get("supply_chain")}
    both = raised.keys() & unjudged.keys()
    assert both
    for uid in both:
        assert unjudged[uid]["supply_chain"] == "not assessed: lineage needs sagemaker"
        assert unjudged[uid]["severity"] == raised[uid]["evidence"]["ai_supply_chain"]["raised_from"]


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_serving_ends_on_sigint_or_sigterm_and_restores_the_handlers(sig: signal.Signals, code: int) -> None:
    import threading

    from cspm.demo.serve import stopped_line, wait_for_signal

    before = signal.getsignal(sig)
    timer = threading.Timer(0.2, os.kill, (os.getpid(), sig))
    timer.start()
    assert wait_for_signal() == code
    assert signal.getsignal(sig) is before
    assert stopped_line(code) == f"cspm: demo: stopped the simulated clouds ({sig.name}, exit {code})"
