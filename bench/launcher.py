"""Measuring a command's own wall time, CPU time and peak RSS, from a small launcher process.

Shared by every benchmark that runs ``cspm`` (or the peer) as a subprocess: :mod:`bench.run`,
:mod:`bench.org` and :mod:`bench.peer`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass


@dataclass
class Measured:
    exit_code: int
    wall_seconds: float
    user_seconds: float
    sys_seconds: float
    peak_rss_mb: float
    stderr_tail: str

    @property
    def cpu_seconds(self) -> float:
        return self.user_seconds + self.sys_seconds


class Launcher:
    """A small Python process, started before anything big is loaded, that runs the measured
    commands and reports their wall time, CPU time and peak RSS (``os.wait4``).

    Why: a child's ``ru_maxrss`` also counts the memory it shared with its parent between fork
    and exec. Forked from the benchmark process (hundreds of MB after seeding), every command
    would report at least that much. Forked from this launcher (a bare interpreter, ~10 MB), a
    command's peak RSS is its own."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-S", "-c", _LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={"PATH": os.environ.get("PATH", "")},
        )

    def run(self, argv: list[str], env: dict[str, str], timeout: float, cwd: str | None = None) -> Measured:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps({"argv": argv, "env": env, "timeout": timeout, "cwd": cwd}) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the measuring launcher exited")
        raw = json.loads(line)
        if "error" in raw:
            raise RuntimeError(f"{' '.join(argv[:3])}: {raw['error']}")
        return Measured(**raw)

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=10)

    def __enter__(self) -> Launcher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


_LAUNCHER = r"""
import json, os, sys, tempfile, time
for line in sys.stdin:
    job = json.loads(line)
    try:
        with tempfile.TemporaryFile() as err:
            started = time.monotonic()
            pid = os.fork()
            if pid == 0:
                try:
                    if job["cwd"]:
                        os.chdir(job["cwd"])
                    devnull = os.open(os.devnull, os.O_RDWR)
                    os.dup2(devnull, 0)
                    os.dup2(devnull, 1)
                    os.dup2(err.fileno(), 2)
                    os.execve(job["argv"][0], job["argv"], job["env"])
                finally:
                    os._exit(127)
            deadline = started + job["timeout"]
            while True:
                done, status, usage = os.wait4(pid, os.WNOHANG)
                if done:
                    break
                if time.monotonic() > deadline:
                    os.kill(pid, 9)
                    done, status, usage = os.wait4(pid, 0)
                    break
                time.sleep(0.02)
            wall = time.monotonic() - started
            err.seek(0)
            tail = err.read()[-4000:].decode("utf-8", "replace")
        out = {"exit_code": os.waitstatus_to_exitcode(status), "wall_seconds": wall,
               "user_seconds": usage.ru_utime, "sys_seconds": usage.ru_stime,
               "peak_rss_mb": usage.ru_maxrss / 1024,
               "stderr_tail": tail}
    except Exception as exc:
        out = {"error": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
"""
