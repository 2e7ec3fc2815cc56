"""The distributed-scan benchmark: ``python -m bench.distributed`` (issue 17; docs/distributed.md).

On the organization of :mod:`bench.org` (51 accounts x 4 regions, 50 ms per request, one moto
server in a child process), in one run:

1. ``cspm scan aws --org``: the single-process scan, the reference;
2. the same with ``--executor local:N --shard-size K``: wall time against the reference, and the
   report, which must equal the reference except for the scan id and the timestamps;
3. the same with one worker process killed (SIGKILL) ``--kill-at`` seconds into the scan: wall
   time and, again, the report;
4. the same with ``--shard-size 1``: the CPU a shard costs on a warm worker is the difference in
   CPU time (coordinator and workers) divided by the difference in the number of shards;
5. ``cspm merge`` of ``--merge-parts`` synthetic account parts (copies of the real parts of step
   2 under new account ids): wall time and the merging process's peak RSS.

CPU and peak RSS are measured with ``os.wait4`` from the small launcher process
(:mod:`bench.launcher`); the CPU of a ``local:N`` scan includes its worker processes (reaped by
the coordinator), its peak RSS is the largest single process. Writes
``bench/results/distributed.json``. The machine's load changes the figures: run it twice.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.launcher import Launcher, Measured
from bench.org import LATENCY, MEMBERS, REGIONS, Light, log, seed_organization, server_child, set_latency

RESULTS = Path(__file__).resolve().parent / "results" / "distributed.json"
SCAN_TIMEOUT = 900.0
GOALS = {"sharded_wall_ratio": 1.1, "killed_wall_ratio": 1.3, "cpu_per_shard_seconds": 0.3, "merge_peak_rss_mb": 1024}


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    scan = {k: v for k, v in report["scan"].items() if k not in ("id", "started_at", "finished_at")}
    return {**report, "scan": scan}


def read_report(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return comparable(data)


def figures(run: Measured) -> dict[str, Any]:
    return {
        "exit_code": run.exit_code,
        "wall_seconds": round(run.wall_seconds, 2),
        "cpu_seconds": round(run.cpu_seconds, 2),
        "peak_rss_mb": round(run.peak_rss_mb, 1),
    }


def run_killed(argv: list[str], env: dict[str, str], kill_at: float) -> dict[str, Any]:
    """Run ``argv`` and SIGKILL one of its Dask worker processes ``kill_at`` seconds in."""
    import psutil

    started = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    killed: list[int] = []

    def kill() -> None:
        workers = [
            p
            for p in psutil.Process(proc.pid).children(recursive=True)
            if " ".join(p.cmdline()).startswith("dask worker")  # Dask names its worker processes so
        ]
        if workers:
            workers[0].kill()
            killed.append(workers[0].pid)

    timer = threading.Timer(kill_at, kill)
    timer.start()
    _, stderr = proc.communicate(timeout=SCAN_TIMEOUT)
    timer.cancel()
    return {
        "exit_code": proc.returncode,
        "wall_seconds": round(time.monotonic() - started, 2),
        "killed_worker": bool(killed),
        "stderr_tail": stderr[-500:],
    }


def synthesize_parts(source: Path, target: Path, count: int) -> dict[str, Any]:
    """``count`` account parts made of the real ones in ``source`` under new account ids, every
    uid its account's own (:func:`bench.merge.synthesize`; ``python -m bench.merge`` measures the
    merge alone at 2,000 / 5,000 / 20,000 parts)."""
    from bench.merge import synthesize

    return synthesize(source, target, count)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from bench.run import cspm_command, scanner_env

    result: dict[str, Any] = {"accounts": args.members + 1, "regions": list(REGIONS), "latency_ms": args.latency * 1000}
    env = scanner_env()
    with (
        Launcher() as launcher,
        server_child() as url,
        tempfile.TemporaryDirectory(prefix="cspm-bench-dist-") as tmp,
    ):
        root = Path(tmp)
        log(f"moto server on {url}; seeding {args.members} member accounts ...")
        seed_organization(url, args.members, Light())
        set_latency(url, args.latency)
        regions = [arg for region in REGIONS for arg in ("--region", region)]
        base = [*cspm_command(), "scan", "aws", "--org", "--endpoint-url", url, *regions, "--quiet"]
        executor = ["--executor", f"local:{args.processes}"]

        def scan(name: str, *extra: str) -> Measured:
            log(f"{name}: cspm {' '.join(base[2:] + list(extra))}")
            measured = launcher.run([*base, *extra, "--output-dir", str(root / name)], env, SCAN_TIMEOUT)
            log(f"  {measured.wall_seconds:.1f} s wall, {measured.cpu_seconds:.1f} s CPU, exit {measured.exit_code}")
            if measured.exit_code not in (0, 3):
                raise RuntimeError(f"{name}: exit {measured.exit_code}: {measured.stderr_tail}")
            return measured

        single = scan("single")
        reference = read_report(root / "single")
        sharded = scan("sharded", *executor, "--shard-size", str(args.shard_size))
        killed = run_killed(
            [*base, *executor, "--shard-size", str(args.shard_size), "--output-dir", str(root / "killed")],
            env,
            args.kill_at,
        )
        log(f"killed: {killed['wall_seconds']:.1f} s wall, worker killed: {killed['killed_worker']}")
        fine = scan("fine", *executor, "--shard-size", "1")
        set_latency(url, 0)
        accounts = args.members + 1
        coarse_shards = -(-accounts // args.shard_size)
        result["single"] = figures(single)
        result["sharded"] = {**figures(sharded), "shard_size": args.shard_size, "processes": args.processes}
        result["sharded"]["wall_ratio"] = round(sharded.wall_seconds / single.wall_seconds, 3)
        result["sharded"]["identical_report"] = read_report(root / "sharded") == reference
        result["killed"] = {**killed, "kill_at_seconds": args.kill_at}
        result["killed"]["wall_ratio"] = round(killed["wall_seconds"] / single.wall_seconds, 3)
        result["killed"]["identical_report"] = read_report(root / "killed") == reference
        result["per_shard"] = {
            "shards_coarse": coarse_shards,
            "shards_fine": accounts,
            "cpu_coarse_seconds": round(sharded.cpu_seconds, 2),
            "cpu_fine_seconds": round(fine.cpu_seconds, 2),
            "extra_cpu_per_shard_seconds": round(
                (fine.cpu_seconds - sharded.cpu_seconds) / (accounts - coarse_shards), 3
            ),
            "fine_identical_report": read_report(root / "fine") == reference,
        }
        result["resources"], result["findings"] = len(reference["resources"]), len(reference["findings"])
        if args.merge_parts:
            log(f"merge: {args.merge_parts} synthetic parts ...")
            synthetic = synthesize_parts(root / "sharded" / "parts", root / "synthetic", args.merge_parts)
            shutil.rmtree(root / "killed", ignore_errors=True)
            merged = launcher.run(
                [*cspm_command(), "merge", str(root / "synthetic"), "--quiet", "--output-dir", str(root / "merged")],
                env,
                SCAN_TIMEOUT * 2,
            )
            log(f"  {merged.wall_seconds:.1f} s wall, {merged.peak_rss_mb:.0f} MB peak RSS, exit {merged.exit_code}")
            report = json.loads((root / "merged" / "report.json").read_text(encoding="utf-8"))
            result["merge"] = {
                **synthetic,
                **figures(merged),
                "scopes": len(report["scan"]["scopes"]),
                "resources": len(report["resources"]),
                "findings": len(report["findings"]),
            }
    result["goals"] = goals(result)
    return result


def goals(result: dict[str, Any]) -> list[dict[str, Any]]:
    found = [
        ("sharded wall / single wall", GOALS["sharded_wall_ratio"], result["sharded"]["wall_ratio"]),
        ("worker killed: wall / single wall", GOALS["killed_wall_ratio"], result["killed"]["wall_ratio"]),
        ("extra CPU per shard (s)", GOALS["cpu_per_shard_seconds"], result["per_shard"]["extra_cpu_per_shard_seconds"]),
    ]
    checks = [
        {"goal": name, "target": f"<= {target:g}", "value": value, "met": value <= target}
        for name, target, value in found
    ]
    if "merge" in result:  # the goal is for 20,000 parts: fewer measure the slope, never meet it
        merge = result["merge"]
        met = merge["parts"] >= 20_000 and merge["peak_rss_mb"] <= GOALS["merge_peak_rss_mb"]
        checks.append({"goal": f"merge peak RSS (MB), {merge['parts']} parts (goal: 20,000)",
                       "target": f"<= {GOALS['merge_peak_rss_mb']:g} at 20,000", "value": merge["peak_rss_mb"],
                       "met": met})  # fmt: skip
    checks.append({"goal": "identical reports", "target": "true", "value": result["sharded"]["identical_report"]
                   and result["killed"]["identical_report"], "met": result["sharded"]["identical_report"]
                   and result["killed"]["identical_report"] and result["killed"]["killed_worker"]})  # fmt: skip
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.distributed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=MEMBERS)
    parser.add_argument("--latency", type=float, default=LATENCY)
    parser.add_argument("--processes", type=int, default=2, help="--executor local:N")
    parser.add_argument("--shard-size", type=int, default=7)
    parser.add_argument("--kill-at", type=float, default=10.0)
    parser.add_argument("--merge-parts", type=int, default=2_000, help="0: none (bench.merge: the merge alone)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
