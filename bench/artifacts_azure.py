"""Azure artifact inspection benchmark: ``python -m bench.artifacts_azure [--count 8] [--mb 32]``.

1. Serves the fake ARM server and its Blob data plane (:mod:`cspm.demo.azure_blobs`) over HTTPS
   on 127.0.0.1, in this process, with ``--count`` Azure ML model versions each loading one
   ``model.safetensors``-like blob of ``--mb`` MiB (random bytes after a safetensors header) and,
   for every fourth, a raw pickle holding one large bytes object instead.
2. Runs ``cspm scan azure --inspect-artifacts --store ...`` twice through the measuring launcher
   (:mod:`bench.launcher`, started before the blobs are made, so a fork of this large process is
   not what is measured): wall and CPU time, the scanner's peak RSS, MiB read per second, and the
   Get Blob requests each run caused (the second, unchanged, must cause none).

Goal: peak RSS under 300 MB whatever the blob sizes (the bytes stream through bounded spools).
Exit status 1 with ``--strict`` when the goal is missed or the rescan read anything.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import struct
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.launcher import Launcher, Measured
from bench.run import cspm_command
from cspm.demo.azure import (
    SUBSCRIPTION,
    TENANT,
    FakeArm,
    datastore,
    make_cert,
    model_version,
    serve_https,
    subscription,
    workspace,
    workspace_id,
)

SUB = SUBSCRIPTION
ACCOUNT, CONTAINER, WS = "mlstore", "models", "ws"
GOAL_RSS_MB = 300


def payload(i: int, size: int) -> tuple[str, bytes]:
    if i % 4 == 3:
        return "model.pkl", pickle.dumps({"w": os.urandom(size)}, protocol=4)
    header = json.dumps({"w": {"dtype": "U8", "shape": [size], "data_offsets": [0, size]}}).encode()
    return "model.safetensors", struct.pack("<Q", len(header)) + header + os.urandom(size)


def models_fake(paths: dict[str, str]) -> FakeArm:
    """One workspace, its datastore the container ``models`` of ``mlstore``; model name -> blob path."""
    fake = FakeArm(subscriptions=[subscription(SUB)])
    fake.add_workspace(workspace(WS))
    store = datastore(WS, "workspaceblobstore", "None", account=ACCOUNT, container_name=CONTAINER)
    fake.add_listing(workspace_id(WS) + "/datastores", [store])
    uri = "azureml://datastores/workspaceblobstore/paths/"
    fake.add_asset("models", [model_version(WS, name, model_uri=uri + path) for name, path in paths.items()])
    return fake


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--mb", type=int, default=32)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    with Launcher() as launcher, tempfile.TemporaryDirectory(prefix="cspm-bench-azure-") as tmp:
        size = args.mb * 2**20
        files = {f"m{i}": payload(i, size) for i in range(args.count)}
        fake = models_fake({name: f"{name}/{file}" for name, (file, _) in files.items()})
        for name, (file, data) in files.items():
            fake.blobs.put(ACCOUNT, CONTAINER, f"{name}/{file}", data)
        total_mb = sum(len(d) for _, d in files.values()) / 2**20
        del files
        cert, key = make_cert(Path(tmp))
        with serve_https(fake, cert, key) as base:
            rows = _scans(launcher, fake, base, cert, tmp)
    print("| run | wall s | CPU s | peak RSS MB | MiB read | MiB/s | Get Blob |")
    print("|---|---|---|---|---|---|---|")
    for run, measured, reads in rows:
        read = total_mb if reads else 0
        rate = f"{read / measured.wall_seconds:.1f}" if reads else "—"
        print(f"| {run} | {measured.wall_seconds:.1f} | {measured.cpu_seconds:.1f} | {measured.peak_rss_mb:.1f} "
              f"| {read:,.0f} | {rate} | {reads} |")  # fmt: skip
    failed = any(m.exit_code not in (0, 3) for _, m, _ in rows)
    missed = failed or max(m.peak_rss_mb for _, m, _ in rows) >= GOAL_RSS_MB or rows[1][2] != 0
    if failed:
        print(rows[-1][1].stderr_tail, file=sys.stderr)
    return 1 if failed or (args.strict and missed) else 0


def _scans(launcher: Launcher, fake: Any, base: str, cert: Path, tmp: str) -> list[tuple[str, Measured, int]]:
    """Scan twice with the same --store: (run, measured, Get Blob reads caused)."""
    env = {**os.environ, "AZURE_CLIENT_ID": "22222222-2222-2222-2222-222222222222",
           "AZURE_CLIENT_SECRET": "bench", "AZURE_TENANT_ID": TENANT, "AZURE_AUTHORITY_HOST": base,
           "CSPM_AZURE_ARM_ENDPOINT": base, "CSPM_AZURE_GRAPH_ENDPOINT": base,
           "CSPM_AZURE_BLOB_ENDPOINT": base, "REQUESTS_CA_BUNDLE": str(cert)}  # fmt: skip
    store = f"sqlite:///{tmp}/history.db"
    rows: list[tuple[str, Measured, int]] = []
    for run in ("first scan", "rescan with --store, unchanged"):
        before = len(fake.blobs.reads)
        argv = [*cspm_command(), "scan", "azure", "--subscription", SUB, "--checks",
                "azure.ml.model_artifact_is_free_of_unsafe_code", "--inspect-artifacts",
                "--store", store, "--quiet", "--output-dir", f"{tmp}/out{len(rows)}"]  # fmt: skip
        measured = launcher.run(argv, env, timeout=900)
        rows.append((run, measured, len(fake.blobs.reads) - before))
    return rows


if __name__ == "__main__":
    sys.exit(main())
