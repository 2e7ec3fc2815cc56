"""The merge benchmark: ``python -m bench.merge --parts 2000 5000 20000`` (issue 17, "Must reach").

1. Makes real account parts once: a moto organization (:mod:`bench.org`, ``--members`` member
   accounts, no latency), planned with ``cspm scan aws --org --plan`` and every shard run with
   ``cspm shard run``. ``--source DIR`` reuses a parts directory made before.
2. For each N of ``--parts``: N synthetic parts, copies of the real ones in which every account id
   is rewritten, so that every account's uids and ARNs are its own, as in a real organization
   (bucket names carry the account id in the seeded organization; a uid without it is refused).
3. ``cspm merge`` of them in a subprocess of :class:`bench.launcher.Launcher`: wall time, CPU time
   and peak RSS (``os.wait4`` of that process alone), and the report's size. Once per
   ``--variants``: ``quiet`` (``--quiet``: report.json alone) and ``summary`` (the default
   invocation: the terminal summary printed too, to a file — piped, plain: every failing
   resource named — whose size is reported).

Goal: peak RSS under 1 GB for 20,000 parts. Writes ``bench/results/merge.json``. The machine's
load changes the times: run it twice.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.launcher import Launcher, Measured
from bench.org import REGIONS, Light, log, seed_organization, server_child

RESULTS = Path(__file__).resolve().parent / "results" / "merge.json"
GOAL_PEAK_RSS_MB = 1024
GOAL_PARTS = 20_000
TIMEOUT = 7200.0
FIRST_ACCOUNT = 900_000_000_000


def make_source(target: Path, members: int, launcher: Launcher) -> None:
    """Real parts of a seeded moto organization in ``target`` (plan.json and part-*.json)."""
    from bench.run import cspm_command, scanner_env

    env = scanner_env()
    with server_child() as url:
        log(f"moto server on {url}; seeding {members} member accounts ...")
        seed_organization(url, members, Light())
        regions = [arg for region in REGIONS for arg in ("--region", region)]
        plan = target.parent / "source-plan.json"
        argv = [*cspm_command(), "scan", "aws", "--org", "--endpoint-url", url, *regions, "--quiet",
                "--plan", str(plan), "--shard-size", "1", "--output-dir", str(target.parent / "unused")]  # fmt: skip
        _checked(launcher.run(argv, env, TIMEOUT), "plan")
        shards = len(json.loads(plan.read_text(encoding="utf-8"))["shards"])
        for index in range(shards):
            argv = [*cspm_command(), "shard", "run", "--plan", str(plan), "--index", str(index), "--out", str(target)]
            _checked(launcher.run(argv, env, TIMEOUT), f"shard {index}")


def _checked(run: Measured, what: str) -> Measured:
    if run.exit_code not in (0, 3):
        raise RuntimeError(f"{what}: exit {run.exit_code}: {run.stderr_tail}")
    return run


def synthesize(source: Path, target: Path, count: int) -> dict[str, Any]:
    """``count`` parts in ``target``: the real parts of ``source`` in turn, each under a new
    account id replacing the old one everywhere (uids, ARNs, bucket names, policies)."""
    from cspm.shards import PLAN_FILE, ShardPlan, cut, part_path

    plan = ShardPlan.model_validate_json((source / PLAN_FILE).read_text(encoding="utf-8"))
    templates = []
    for account in plan.accounts:
        path = part_path(source, account)
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        shared = [r["data"]["uid"] for r in json.loads(text)["resources"] if account not in r["data"]["uid"]]
        if shared:  # the same uid in every copy: not an organization of distinct accounts
            raise RuntimeError(f"part-{account}.json: uid(s) without the account id: {shared[:3]}")
        templates.append((account, text))
    if not templates:
        raise RuntimeError(f"{source}: no parts")
    target.mkdir(parents=True)
    ids = [str(FIRST_ACCOUNT + i) for i in range(count)]
    size = 0
    for i, account in enumerate(ids):
        old, text = templates[i % len(templates)]
        part = text.replace(old, account)
        size += len(part)
        part_path(target, account).write_text(part, encoding="utf-8")
    synthetic = plan.model_copy(update={"shards": cut(ids, 100), "setup_errors": []})
    (target / PLAN_FILE).write_text(synthetic.model_dump_json(), encoding="utf-8")
    return {"parts": count, "parts_mb": round(size / 2**20, 1), "mean_part_kb": round(size / count / 1024, 1)}


VARIANTS = ("quiet", "summary")


def merge(launcher: Launcher, parts: Path, out: Path, variant: str = "quiet") -> dict[str, Any]:
    from bench.run import cspm_command, scanner_env

    argv = [*cspm_command(), "merge", str(parts), "--output-dir", str(out)]
    summary = out.parent / f"{out.name}-summary.txt"
    if variant == "quiet":
        argv.append("--quiet")
    else:  # the shell execs cspm (os.wait4 still measures cspm alone) with stdout to a file
        out.mkdir(parents=True, exist_ok=True)
        argv = ["/bin/sh", "-c", 'exec "$@" > "$0"', str(summary), *argv]
    run = _checked(launcher.run(argv, scanner_env(), TIMEOUT), "merge")
    report_path = out / "report.json"
    with report_path.open(encoding="utf-8") as handle:
        report = json.load(handle)
    shown: dict[str, Any] = {}
    if variant != "quiet":
        text = summary.read_text(encoding="utf-8")
        shown = {"summary_kb": round(len(text.encode()) / 1024, 1), "summary_lines": text.count("\n")}
        summary.unlink()
    return {
        "variant": variant,
        **shown,
        "exit_code": run.exit_code,
        "wall_seconds": round(run.wall_seconds, 1),
        "cpu_seconds": round(run.cpu_seconds, 1),
        "peak_rss_mb": round(run.peak_rss_mb, 1),
        "report_mb": round(report_path.stat().st_size / 2**20, 1),
        "scopes": len(report["scan"]["scopes"]),
        "resources": len(report["resources"]),
        "distinct_resource_uids": len({r["uid"] for r in report["resources"]}),
        "findings": len(report["findings"]),
        "errors": len(report["errors"]),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"runs": []}
    with Launcher() as launcher, tempfile.TemporaryDirectory(prefix="cspm-bench-merge-") as tmp:
        root = Path(tmp)
        source = args.source
        if source is None:
            source = root / "source"
            started = time.monotonic()
            make_source(source, args.members, launcher)
            log(f"  real parts in {time.monotonic() - started:.0f} s")
            if args.keep_source is not None:
                shutil.copytree(source, args.keep_source)
        for count in args.parts:
            parts, out = root / f"parts-{count}", root / f"out-{count}"
            synthetic = synthesize(source, parts, count)
            for variant in args.variants:
                log(f"merge of {count} parts ({synthetic['parts_mb']} MB), {variant} ...")
                figures = {**synthetic, **merge(launcher, parts, out, variant)}
                log(f"  {figures['wall_seconds']} s wall, {figures['cpu_seconds']} s CPU, "
                    f"{figures['peak_rss_mb']:.0f} MB peak RSS")  # fmt: skip
                result["runs"].append(figures)
                shutil.rmtree(out)
            shutil.rmtree(parts)
    result["goals"] = [
        {
            "goal": f"merge peak RSS (MB), {r['parts']} parts, {r['variant']}",
            "target": f"<= {GOAL_PEAK_RSS_MB}",
            "value": r["peak_rss_mb"],
            "met": r["peak_rss_mb"] <= GOAL_PEAK_RSS_MB,
        }
        for r in result["runs"]
        if r["parts"] >= GOAL_PARTS
    ]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.merge", description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", type=int, nargs="+", default=[2_000, 5_000, 20_000])
    parser.add_argument("--members", type=int, default=3, help="member accounts of the real organization")
    parser.add_argument("--source", type=Path, help="a parts directory to copy (default: make one)")
    parser.add_argument("--keep-source", type=Path, help="copy the real parts made here, for --source")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
