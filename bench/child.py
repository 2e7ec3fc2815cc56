"""The benchmarks' server child: a module run as ``python -m MODULE ARGS`` that announces its port
as one line ``{"port": N}`` on stdout, serves until its parent goes away, and is always stopped.

:mod:`bench.run` (``bench.server``), :mod:`bench.org` and :mod:`bench.scp_read` start their moto
servers through :func:`server_child`; the child side ends in :func:`announce_and_serve`.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SERVER_START_TIMEOUT = 60.0
REPO = Path(__file__).resolve().parent.parent


@contextmanager
def server_child(argv: list[str], env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Start ``python ARGV`` (e.g. ``["-m", "bench.org", "serve"]``) with the repository on its
    path and ``env`` added to this process's environment; yield its URL; always stop it."""
    child_env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    child_env.update(env or {})
    proc = subprocess.Popen(
        [sys.executable, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=child_env,
        cwd=REPO,
        text=True,
    )
    try:
        yield f"http://127.0.0.1:{read_port(proc)}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def read_port(proc: subprocess.Popen[str]) -> int:
    """The port the child announces as ``{"port": N}`` (other output before it is skipped)."""
    assert proc.stdout is not None
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([proc.stdout], [], [], left)
        line = proc.stdout.readline() if ready else ""
        if ready and not line:
            break  # the child exited
        if line.startswith('{"port"'):
            port: int = json.loads(line)["port"]
            return port
    raise RuntimeError(f"the moto server did not start within {SERVER_START_TIMEOUT:.0f} s (exit code {proc.poll()})")


def announce_and_serve(server: Any) -> int:
    """The child's end: print ``{"port": N}``, serve until the parent process is gone, then exit."""
    parent = os.getppid()

    def exit_with_parent() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=exit_with_parent, daemon=True).start()
    sys.stdout.write(json.dumps({"port": server.server_address[1]}) + "\n")
    sys.stdout.flush()
    server.serve_forever()
    return 0
