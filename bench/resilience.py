"""Broken answers, measured: ``python -m bench.resilience``.

The fault middleware of the tests (``tests/support/faults.py``, loaded by path) in front of moto,
in this process; ``cspm scan aws --services kms`` in a child measured by
:class:`bench.launcher.Launcher` (wall time, CPU, peak RSS):

1. **drip**: ``kms:ListKeys`` answers one byte every 2 s (each byte well within the read
   timeout; the whole answer would take minutes); ``--timeout T``. Goal: the process has exited
   by T + 5 s, counted from its start (imports and connecting included), with a partial report.
2. **huge**: ``kms:ListKeys`` answers 300 MB of spaces, the scanner runs under a 1.5 GB
   address-space limit (``RLIMIT_AS``). Goal: it finishes, and ``errors`` holds ListKeys
   ``ResponseTooLarge``.
3. **truncated**: ``kms:ListKeys`` answers HTTP 200 with half of its JSON. Goal: ListKeys
   ``MalformedBody`` in ``errors``, ``complete: false`` (it used to read as "0 keys, complete").

``--clouds`` measures Azure and Google Cloud instead (``bench/results/resilience-clouds.json``):
the demo's Azure subscription and GCP project (``cspm.demo.azure`` / ``cspm.demo.gcp``, served on
127.0.0.1 behind the hostile front of ``tests/support/hostile.py``), scanned by the real
``cspm scan azure`` / ``cspm scan gcp`` as is, then with one listing answering HTTP 500 every
time (Azure ``BlobContainers_List``, GCP ``buckets.getIamPolicy``): the wall time difference,
and how many answers the failing listing was sent.

Writes ``bench/results/resilience.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.launcher import Launcher
from bench.run import cspm_command, scanner_env

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "resilience.json"
LIST_KEYS = "kms:ListKeys"
HUGE_BYTES = 300 * 2**20
ADDRESS_SPACE = 1536 * 2**20
DRIP_SECONDS = 2.0
GRACE = 5.0


def _faults() -> Any:
    spec = importlib.util.spec_from_file_location("faults", HERE.parent / "tests" / "support" / "faults.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["faults"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _hostile() -> Any:
    spec = importlib.util.spec_from_file_location("hostile", HERE.parent / "tests" / "support" / "hostile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["hostile"] = module
    spec.loader.exec_module(module)
    return module


def measure_clouds(runs: int = 2) -> dict[str, Any]:
    """The demo's Azure subscription and GCP project, all answered vs one listing always failing."""
    import os

    from cspm.demo import azure as demo_azure
    from cspm.demo import gcp as demo_gcp

    hostile = _hostile()
    results: dict[str, Any] = {}
    base_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with Launcher() as launcher, tempfile.TemporaryDirectory(prefix="cspm-bench-clouds-") as tmp:
        work = Path(tmp)
        cert, key = demo_azure.make_cert(work)
        azure_front = hostile.Hostile(demo_azure.demo_subscription(), hostile.arm_error_body)
        gcp_front = hostile.Hostile(demo_gcp.demo_project(), hostile.gcs_error_body)
        with demo_azure.serve_https(azure_front, cert, key) as azure_base, demo_gcp.serve_http(gcp_front) as gcp_base:
            key_file = demo_gcp.service_account_file(work, f"{gcp_base}/token", demo_gcp.DEMO_PROJECT)
            clouds = {
                "azure": (azure_front, r"/containers$", "BlobContainers_List",
                          ["scan", "azure", "--subscription", demo_azure.DEMO_SUBSCRIPTION],
                          demo_azure.demo_environment(azure_base, cert)),
                "gcp": (gcp_front, r"/iam$", "buckets.getIamPolicy",
                        ["scan", "gcp", "--project", demo_gcp.DEMO_PROJECT],
                        demo_gcp.demo_environment(gcp_base, key_file)),
            }  # fmt: skip
            for cloud, (front, route, _, args, env) in clouds.items():
                for case in ("answered", "failing"):
                    front.faults.clear()
                    if case == "failing":
                        front.faults[route] = hostile.ServerError()
                    best: dict[str, Any] | None = None
                    for run in range(runs):
                        front.calls.clear()
                        out = work / f"{cloud}-{case}-{run}"
                        argv = [*cspm_command(), *args, "--quiet", "--output-dir", str(out)]
                        measured = launcher.run(argv, {**base_env, **env}, 300)
                        report = json.loads((out / "report.json").read_text())
                        row = {
                            "exit_code": measured.exit_code,
                            "wall_seconds": round(measured.wall_seconds, 2),
                            "cpu_seconds": round(measured.cpu_seconds, 2),
                            "complete": report["scan"]["complete"],
                            "errors": sorted({f"{e['operation']} {e['code']}" for e in report["errors"]}),
                            "failing_answers_sent": len(front.calls),
                            "requests": len(front.inner.requests),
                        }
                        front.inner.requests.clear()
                        if best is None or row["wall_seconds"] < best["wall_seconds"]:
                            best = row
                    results[f"{cloud}-{case}"] = best
            for cloud, (_, _, operation, _, _) in clouds.items():
                answered, failing = results[f"{cloud}-answered"], results[f"{cloud}-failing"]
                results[f"{cloud}-difference_seconds"] = round(failing["wall_seconds"] - answered["wall_seconds"], 2)
                results[f"{cloud}-goal_met"] = f"{operation} InternalServerError" in failing["errors"]
    return results


def _limited(argv: list[str]) -> list[str]:
    code = (
        f"import os, resource, sys; resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE}, {ADDRESS_SPACE})); "
        "os.execv(sys.argv[1], sys.argv[1:])"
    )
    return [sys.executable, "-c", code, *argv]


def measure(timeout: float) -> dict[str, Any]:
    faults = _faults()
    server = faults.FaultServer().start()
    results: dict[str, Any] = {}
    try:
        import boto3

        boto3.client("kms", region_name="us-east-1", endpoint_url=server.url,
                     aws_access_key_id="bench", aws_secret_access_key="bench").create_key()  # fmt: skip
        cases = {
            "drip": (faults.Faults(drip={LIST_KEYS: DRIP_SECONDS}), ["--timeout", f"{timeout:g}"], False),
            "huge": (faults.Faults(huge={LIST_KEYS: HUGE_BYTES}), [], True),
            "truncated": (faults.Faults(truncated=frozenset({LIST_KEYS})), [], False),
        }
        with Launcher() as launcher, tempfile.TemporaryDirectory(prefix="cspm-bench-resilience-") as tmp:
            for name, (injected, extra, limited) in cases.items():
                server.faults.configure(injected)
                out = Path(tmp) / name
                argv = [*cspm_command(), "scan", "aws", "--endpoint-url", server.url, "--region", "us-east-1",
                        "--services", "kms", "--quiet", "--output-dir", str(out), *extra]  # fmt: skip
                measured = launcher.run(_limited(argv) if limited else argv, scanner_env(), 300)
                report = json.loads((out / "report.json").read_text()) if (out / "report.json").exists() else None
                results[name] = {
                    "exit_code": measured.exit_code,
                    "wall_seconds": round(measured.wall_seconds, 2),
                    "cpu_seconds": round(measured.cpu_seconds, 2),
                    "peak_rss_mb": round(measured.peak_rss_mb, 1),
                    "complete": report["scan"]["complete"] if report else None,
                    "errors": [f"{e['operation']} {e['code']}" for e in report["errors"]] if report else None,
                    "requests": [r.outcome for r in server.faults.calls() if r.call.name == LIST_KEYS],
                }
    finally:
        server.stop()
    drip, huge, truncated = results["drip"], results["huge"], results["truncated"]
    results["timeout"] = timeout
    results["goals"] = [
        {"goal": f"--timeout {timeout:g} against a dripping answer: exited, partial report",
         "target": f"<= {timeout + GRACE:g} s", "value": drip["wall_seconds"],
         "met": drip["wall_seconds"] <= timeout + GRACE and drip["complete"] is False},
        {"goal": "300 MB answer under a 1.5 GB address-space limit", "target": "ListKeys ResponseTooLarge",
         "value": huge["errors"], "met": huge["exit_code"] == 0 and huge["errors"] == ["ListKeys ResponseTooLarge"]},
        {"goal": "truncated JSON is an error, not an empty listing", "target": "ListKeys MalformedBody",
         "value": truncated["errors"], "met": truncated["errors"] == ["ListKeys MalformedBody"]
         and truncated["complete"] is False},
    ]  # fmt: skip
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.resilience", description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=10.0, help="--timeout of the dripping scan (default 10)")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--clouds", action="store_true", help="measure Azure and Google Cloud (see above)")
    args = parser.parse_args(argv)
    if args.clouds:
        output = args.output or RESULTS.with_name("resilience-clouds.json")
        clouds = measure_clouds()
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(clouds, indent=2) + "\n", encoding="utf-8")
        for name, row in clouds.items():
            print(f"{name:<26} {row}")
        print(f"wrote {output}")
        return 0 if clouds["azure-goal_met"] and clouds["gcp-goal_met"] else 1
    args.output = args.output or RESULTS
    results = measure(args.timeout)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for name in ("drip", "huge", "truncated"):
        r = results[name]
        print(f"{name:<10} exit {r['exit_code']}  wall {r['wall_seconds']:>6.2f} s  cpu {r['cpu_seconds']:>5.2f} s  "
              f"peak {r['peak_rss_mb']:>6.1f} MB  complete {r['complete']}  errors {r['errors']}  "
              f"ListKeys answers sent {len(r['requests'])}")  # fmt: skip
    for g in results["goals"]:
        print(f"  [{'ok' if g['met'] else 'MISSED'}] {g['goal']}: {g['value']} (target {g['target']})")
    print(f"wrote {args.output}")
    return 0 if all(g["met"] for g in results["goals"]) else 1


if __name__ == "__main__":
    sys.exit(main())
