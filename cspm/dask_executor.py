"""``--executor local:N | tls://HOST:PORT``: the shards of a distributed scan on Dask.

- ``local:N``: a ``LocalCluster`` of N worker processes on 127.0.0.1, each running two shards at
  once (each shard has its own pool of ``--workers`` threads), started for the scan and stopped
  after it.
- ``tls://HOST:PORT``: an existing scheduler, over TLS. The certificates come from Dask's own
  configuration (``distributed.comm.tls.*``, e.g. ``DASK_DISTRIBUTED__COMM__TLS__CA_FILE``).
- ``tcp://HOST:PORT``: plain TCP, accepted for 127.0.0.1 / localhost only, unless ``--insecure``:
  task payloads (account ids, options) and results (every finding) would cross the network in clear.

Dask's ``Client.get_executor()`` is a ``concurrent.futures.Executor``, the interface
:func:`cspm.coordinator.run_shards` takes. A worker that dies mid-shard is replaced by its nanny
and its shard runs again elsewhere (``retries`` more times for a shard that raises); a shard whose
workers keep dying fails with ``KilledWorker`` (Dask's ``allowed-failures``), which the
coordinator records as an error of its accounts.

Importing this module imports no Dask; :func:`dask_executor` does (the ``distributed`` extra).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cspm.errors import ScanError, UsageError

log = logging.getLogger(__name__)

SHARD_RETRIES = 2  # a shard that raises runs at most this many more times
# Shards one local worker process runs at once: a shard's critical path is mostly waiting on the
# network (the credential report, paginated listings), so one at a time leaves the process idle.
LOCAL_SHARDS_PER_WORKER = 2
# Once every part is in, the local workers hold nothing of value: a worker that has not stopped
# within 0.8 of this is killed by its nanny. (Shorter, and the cluster's close times out and is
# tried again, slowly, at interpreter exit.)
LOCAL_CLOSE_SECONDS = 10
# How long the scheduler may stay unreachable mid-scan before the coordinator gives up (the
# client reconnects by itself meanwhile).
LOST_AFTER_SECONDS = 20.0
# Dask's own housekeeping, for the clusters cspm starts (local:N): a statistical profiler sampling
# every running task every 10 ms, an event-loop watchdog every 20 ms, a system monitor every
# 0.5 s and a memory monitor every 0.1 s, in every worker and in the coordinator (which hosts the
# scheduler and the nannies). Their figures feed a dashboard a local scan does not serve; measured
# on the 51-account benchmark they cost ~7 s of CPU, a quarter of the whole scan's
# (docs/distributed.md). Each still runs, less often; an existing scheduler's workers keep their
# own configuration.
LOCAL_DASK_CONFIG: dict[str, object] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}
_LOCAL = re.compile(r"^local:(?P<n>\d+)$")
_REMOTE = re.compile(r"^(?P<scheme>tls|tcp)://(?P<host>\[[^\]]+\]|[^:/\s]+):(?P<port>\d{1,5})$")
_LOOPBACK = {"127.0.0.1", "localhost", "[::1]"}


@dataclass(frozen=True)
class ExecutorSpec:
    local_workers: int = 0  # > 0: a LocalCluster of that many processes
    address: str = ""  # else: the scheduler's address


def parse_executor(value: str, *, insecure: bool = False) -> ExecutorSpec:
    """``--executor``: usage errors (exit 2) before anything is started."""
    local = _LOCAL.match(value.strip())
    if local:
        count = int(local.group("n"))
        if not 1 <= count <= 256:
            raise UsageError(f"--executor {value}: local:N takes 1 to 256 worker processes")
        return ExecutorSpec(local_workers=count)
    remote = _REMOTE.match(value.strip())
    if not remote:
        raise UsageError(f"--executor {value!r}: expected local:N or tls://HOST:PORT")
    if remote.group("scheme") == "tcp" and remote.group("host").lower() not in _LOOPBACK and not insecure:
        raise UsageError(
            f"--executor {value}: plain tcp:// to another host sends findings in clear; use tls:// "
            "(Dask's TLS configuration) or add --insecure"
        )
    return ExecutorSpec(address=value.strip())


@contextmanager
def dask_executor(spec: ExecutorSpec) -> Iterator[tuple[Executor, Callable[[], bool]]]:
    """(an Executor on the cluster, a function that tells whether its scheduler is still there)."""
    import dask.config
    from distributed import Client

    _quiet_dask()
    timeout = dask.config.get("distributed.comm.timeouts.connect")  # DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT
    cluster: Any = None
    try:
        if spec.local_workers:
            with dask.config.set(LOCAL_DASK_CONFIG):  # the nannies pass it on to the workers they start
                cluster = _local_cluster(spec.local_workers)
            client = Client(cluster, timeout=timeout)
        else:
            client = Client(spec.address, timeout=timeout, security=_security(spec.address))
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise ScanError(f"cannot reach the Dask scheduler {spec.address or 'local'}: {_one_line(exc)}") from exc
    try:
        yield client.get_executor(retries=SHARD_RETRIES, pure=False), _Liveness(client)
    finally:
        _close(client, cluster)


def _local_cluster(n_workers: int) -> Any:
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=LOCAL_SHARDS_PER_WORKER,
        processes=True,
        host="127.0.0.1",
        # No dashboard; the scheduler's HTTP endpoint (health, metrics) on a free port of
        # 127.0.0.1: the default, 8787, is often taken (another scan, another cluster), and
        # Dask then warns on stderr.
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": False},
        silence_logs=logging.ERROR,
    )


class _Liveness:
    """False once the client has not been connected to its scheduler for LOST_AFTER_SECONDS."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.since: float | None = None

    def __call__(self) -> bool:
        if self.client.status == "running":
            self.since = None
            return True
        if self.client.status in ("closed", "failed", "closing"):
            return False
        self.since = self.since or time.monotonic()
        return time.monotonic() - self.since < LOST_AFTER_SECONDS


def _quiet_dask() -> None:
    """Importing distributed sets its loggers to INFO: a scan would print the scheduler's and
    every worker's life on stderr. As for the cloud SDKs (cspm.cli.app): errors only, warnings
    with --debug."""
    debug = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
    for name in ("distributed", "tornado"):
        logging.getLogger(name).setLevel(logging.WARNING if debug else logging.ERROR)


def _security(address: str) -> Any:
    if not address.startswith("tls://"):
        return None
    from distributed.security import Security

    security = Security()  # from Dask's configuration: distributed.comm.tls.*
    if not getattr(security, "tls_ca_file", None):
        raise UsageError(
            "--executor tls://: no CA certificate in Dask's configuration "
            "(distributed.comm.tls.ca-file, or DASK_DISTRIBUTED__COMM__TLS__CA_FILE)"
        )
    return security


def _close(client: Any, cluster: Any) -> None:
    try:
        client.close(timeout=5)
    except Exception as exc:  # a scheduler that went away cannot be told goodbye; nothing is lost
        log.debug("closing the Dask client: %s", exc)
    if cluster is not None:
        try:
            cluster.close(timeout=LOCAL_CLOSE_SECONDS)
        except (TimeoutError, OSError) as exc:  # workers still stopping: the nanny kills them
            log.debug("closing the local Dask cluster: %s", exc)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def local_environment(external_id: str | None) -> None:
    """Worker processes of local:N inherit the coordinator's environment: the sts:ExternalId
    goes there, never into a task."""
    if external_id:
        from cspm.shards import EXTERNAL_ID_ENV

        os.environ[EXTERNAL_ID_ENV] = external_id
