"""Artifact inspection benchmark: ``python -m bench.artifacts [--count 100] [--mb 50]``.

1. Starts the benchmark's moto server in a child process (:func:`bench.run.moto_child`).
2. Uploads ``--count`` artifacts of about ``--mb`` MiB each, and one SageMaker model loading each:
   a quarter each of ``model.tar.gz`` holding a safetensors file (random bytes: nothing to
   compress, so the whole size is gunzipped), a PyTorch zip (``data.pkl`` and a raw tensor blob),
   a raw pickle holding one large bytes object, and a NumPy float ``.npy``.
3. Runs ``cspm scan aws --inspect-artifacts --store ...`` twice through the measuring launcher
   (:mod:`bench.launcher`): wall time, CPU and peak RSS of the scanner's own process, throughput
   (MiB read per second of wall time), and the GetObject requests each run sent (the second,
   unchanged, must send none).

``python -m bench.artifacts --huge-pickle-mb 400``: instead, one model loading one raw pickle of
that size (a single bytes object: the worst case for picklescan, which lists opcodes with their
arguments); the scan's peak RSS, which the pickle skeleton keeps flat.

Goal: peak RSS under 300 MB whatever the artifact sizes (the bytes stream through bounded spools,
inspections run one at a time). Exit status 1 with ``--strict`` when the goal is missed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pickle
import struct
import sys
import tarfile
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3

from bench.launcher import Launcher
from bench.run import RESET_PATH, _http, cspm_command, moto_child, request_counts, scanner_env

ACCOUNT = "123456789012"
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/serve:1.0"
BUCKET = "bench-models"
GOAL_RSS_MB = 300
KINDS = ("tar.gz", "pt", "pkl", "npy")


def payload(kind: str, size: int) -> bytes:
    blob = os.urandom(size)
    if kind == "tar.gz":
        header = json.dumps({"w": {"dtype": "U8", "shape": [size], "data_offsets": [0, size]}}).encode()
        tensors = struct.pack("<Q", len(header)) + header + blob
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
            info = tarfile.TarInfo("model.safetensors")
            info.size = len(tensors)
            tar.addfile(info, io.BytesIO(tensors))
        return buf.getvalue()
    if kind == "pt":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
            zf.writestr("archive/data.pkl", pickle.dumps({"fc.weight": "storage 0"}, protocol=2))
            zf.writestr("archive/data/0", blob)
        return buf.getvalue()
    if kind == "pkl":
        return pickle.dumps({"weights": blob}, protocol=4)
    header = repr({"descr": "<f4", "fortran_order": False, "shape": (size // 4,)}).encode()
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + blob[: size // 4 * 4]


def seed(url: str, count: int, size: int) -> int:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=url)
    sm = boto3.client("sagemaker", region_name="us-east-1", endpoint_url=url)
    s3.create_bucket(Bucket=BUCKET)
    bodies = {kind: payload(kind, size) for kind in KINDS}

    def one(i: int) -> int:
        kind = KINDS[i % len(KINDS)]
        key = f"m{i:03d}/model.{kind}"
        s3.put_object(Bucket=BUCKET, Key=key, Body=bodies[kind])
        sm.create_model(
            ModelName=f"m{i:03d}",
            ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/serve",
            PrimaryContainer={"Image": IMAGE, "ModelDataUrl": f"s3://{BUCKET}/{key}"},
        )
        return len(bodies[kind])

    with ThreadPoolExecutor(max_workers=4) as pool:
        return sum(pool.map(one, range(count)))


def gets(url: str) -> int:
    return sum(n for r, n in request_counts(url).items() if r.service == "s3" and r.operation == "GetObject")


def seed_huge_pickle(url: str, mb: int, tmp: str) -> int:
    """One model loading a raw pickle of one ``mb`` MiB bytes object, uploaded from a file."""
    size = mb * 2**20
    path = Path(tmp) / "huge.pkl"
    with path.open("wb") as out:
        out.write(b"\x80\x04\x8e" + struct.pack("<Q", size))
        chunk = os.urandom(2**20)
        for _ in range(mb):
            out.write(chunk)
        out.write(b"\x94.")
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=url)
    s3.create_bucket(Bucket=BUCKET)
    s3.upload_file(str(path), BUCKET, "huge/model.pkl")
    boto3.client("sagemaker", region_name="us-east-1", endpoint_url=url).create_model(
        ModelName="huge",
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/serve",
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": f"s3://{BUCKET}/huge/model.pkl"},
    )
    size = path.stat().st_size
    path.unlink()
    return size


def huge_pickle(mb: int, strict: bool) -> int:
    with (
        moto_child() as url,
        tempfile.TemporaryDirectory(prefix="cspm-bench-artifacts-") as tmp,
        Launcher() as launcher,
    ):
        os.environ.update(scanner_env())
        total = seed_huge_pickle(url, mb, tmp)
        out = Path(tmp) / "huge"
        argv = [
            *cspm_command(),
            *("scan", "aws", "--endpoint-url", url, "--region", "us-east-1", "--services", "sagemaker"),
            *("--checks", "*.model_artifact_*", "--inspect-artifacts", "--artifact-max-mb", str(mb + 1), "--quiet"),
            *("--output-dir", str(out)),
        ]
        measured = launcher.run(argv, scanner_env(), timeout=3600)
        if measured.exit_code != 0:
            print(measured.stderr_tail, file=sys.stderr)
            return 1
        report = json.loads((out / "report.json").read_text())
    (artifact,) = report["artifacts"]
    statuses = sorted({f["status"] for f in report["findings"]})
    print(f"one raw pickle of {total / 2**20:.0f} MiB on moto, 127.0.0.1")
    print("| wall s | CPU s | peak RSS MB | MiB read | problems | statuses |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {measured.wall_seconds:.1f} | {measured.cpu_seconds:.1f} | {measured.peak_rss_mb:.1f} "
        f"| {artifact['bytes_read'] / 2**20:.0f} | {len(artifact['problems'])} | {', '.join(statuses)} |"
    )
    missed = measured.peak_rss_mb > GOAL_RSS_MB
    if missed:
        print(f"goal missed: peak RSS {measured.peak_rss_mb:.1f} MB")
    return 1 if missed and strict else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--huge-pickle-mb", type=int, default=0, metavar="MIB")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    if args.huge_pickle_mb:
        return huge_pickle(args.huge_pickle_mb, args.strict)
    size = args.mb * 2**20
    with (
        moto_child() as url,
        tempfile.TemporaryDirectory(prefix="cspm-bench-artifacts-") as tmp,
        Launcher() as launcher,
    ):
        os.environ.update(scanner_env())
        total = seed(url, args.count, size)
        store = f"sqlite:///{Path(tmp) / 'history.db'}"
        argv = [
            *cspm_command(),
            *("scan", "aws", "--endpoint-url", url, "--region", "us-east-1", "--services", "sagemaker"),
            *(
                "--checks",
                "*.model_artifact_*",
                "--inspect-artifacts",
                "--artifact-scan-max-mb",
                str(2 * total // 2**20),
            ),
            *("--store", store, "--quiet"),
        ]
        runs: list[dict[str, Any]] = []
        for label in ("first scan", "rescan, unchanged"):
            _http(url + RESET_PATH, "POST")
            out = Path(tmp) / label.replace(" ", "-").replace(",", "")
            measured = launcher.run([*argv, "--output-dir", str(out)], scanner_env(), timeout=3600)
            if measured.exit_code != 0:
                print(measured.stderr_tail, file=sys.stderr)
                return 1
            report = json.loads((out / "report.json").read_text())
            read = sum(a["bytes_read"] for a in report["artifacts"] or ())
            runs.append(
                {
                    "run": label,
                    "wall_s": round(measured.wall_seconds, 1),
                    "cpu_s": round(measured.cpu_seconds, 1),
                    "peak_rss_mb": round(measured.peak_rss_mb, 1),
                    "mib_read": round(read / 2**20, 1),
                    "mib_per_s": round(read / 2**20 / measured.wall_seconds, 1),
                    "get_object_requests": gets(url),
                    "artifacts": len(report["artifacts"] or ()),
                    "errors": len(report["errors"]),
                    "statuses": sorted({f["status"] for f in report["findings"]}),
                }
            )
    print(f"{args.count} artifacts of ~{args.mb} MiB ({total / 2**20:.0f} MiB in all) on moto, 127.0.0.1")
    print("| run | wall s | CPU s | peak RSS MB | MiB read | MiB/s | GetObject | artifacts | errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        print(
            f"| {r['run']} | {r['wall_s']} | {r['cpu_s']} | {r['peak_rss_mb']} | {r['mib_read']} | {r['mib_per_s']} "
            f"| {r['get_object_requests']} | {r['artifacts']} | {r['errors']} |"
        )
    missed = [r for r in runs if r["peak_rss_mb"] > GOAL_RSS_MB] + [r for r in runs[1:] if r["get_object_requests"]]
    for r in missed:
        print(f"goal missed: {r['run']}: peak RSS {r['peak_rss_mb']} MB / GetObject {r['get_object_requests']}")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
