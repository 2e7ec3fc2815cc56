"""Distributed scans: ``cspm shard run``, ``cspm merge``, and what ``cspm scan aws --org``,
``cspm scan azure`` and ``cspm scan gcp`` do with ``--executor`` or ``--plan`` (docs/distributed.md).

Registered on :data:`cspm.cli.app.app` when ``cspm.cli`` imports this module (``COMMAND_MODULES``).
Only typer and cspm core load at import time; boto3 and Dask load inside the commands.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cspm.cli.app import CONTEXT_SETTINGS, app
from cspm.cli.options import (
    Compliance,
    FailOn,
    Formats,
    JsonPath,
    MutelistOpt,
    OutputDir,
    Quiet,
    Store,
    Strict,
    output_options,
)
from cspm.errors import ScanError, UsageError

if TYPE_CHECKING:
    from cspm.providers.aws import AwsProvider
    from cspm.registry import CheckSpec
    from cspm.runner import OutputOptions
    from cspm.shards import ShardOptions

log = logging.getLogger(__name__)

shard_app = typer.Typer(
    help="Run one shard of a planned distributed scan (Kubernetes Jobs, Argo, AWS Batch...).",
    no_args_is_help=True,
    context_settings=CONTEXT_SETTINGS,
)
app.add_typer(shard_app, name="shard")


@dataclass(frozen=True)
class Distribution:
    """The distributed-scan options of ``cspm scan aws``, ``scan azure`` and ``scan gcp``."""

    executor: str | None = None
    shard_size: int | None = None
    parts_dir: Path | None = None
    resume: bool = False
    plan: Path | None = None
    insecure: bool = False

    @property
    def requested(self) -> bool:
        return bool(self.executor or self.plan)

    def validate(self, *, org: bool = True, timeout: float | None, inspect_artifacts: bool = False) -> None:
        """Exit 2 on contradictory options, before anything is sent. ``org``: AWS's ``--org``
        (Azure and GCP shard without one). A plan carries no artifact settings, so
        ``--inspect-artifacts`` is refused with it."""
        if not self.requested:
            given = [
                name
                for name, value in (
                    ("--shard-size", self.shard_size),
                    ("--parts-dir", self.parts_dir),
                    ("--resume", self.resume),
                    ("--insecure", self.insecure),
                )
                if value
            ]
            if given:
                raise UsageError(f"{', '.join(given)} only apply with --executor (or --plan for --shard-size)")
            return
        if not org:
            raise UsageError("--executor and --plan shard an organization: they need --org")
        if self.executor and self.plan:
            raise UsageError("--plan writes a plan for shards run elsewhere: it cannot be combined with --executor")
        if self.plan and (self.parts_dir or self.resume or self.insecure):
            raise UsageError("--parts-dir, --resume and --insecure apply with --executor, not --plan")
        if timeout is not None:
            raise UsageError("--timeout does not apply to a distributed scan (--executor, --plan)")
        if inspect_artifacts:
            raise UsageError("--inspect-artifacts does not apply to a distributed scan (--executor, --plan)")
        if self.plan is not None:
            _writable_plan(self.plan)


def _writable_plan(plan: Path) -> None:
    """--plan FILE: exit 2 before any cloud call when the file cannot be written."""
    folder = plan.parent
    if not folder.is_dir():
        raise UsageError(f"--plan {plan}: the folder {folder} does not exist")
    if plan.is_dir():
        raise UsageError(f"--plan {plan}: a folder; give the plan's file name")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"--plan {plan}: cannot write to {folder}")


_SCOPES = {"aws": "account(s)", "azure": "subscription(s)", "gcp": "project(s)"}


def scan_org_distributed(provider: AwsProvider, checks: list[CheckSpec], out: OutputOptions, dist: Distribution) -> int:
    """``cspm scan aws --org`` with ``--executor`` (coordinate, merge, report) or ``--plan``."""
    from cspm.shards import AwsShardOptions

    options = provider.options
    return scan_distributed(provider, checks, out, dist, AwsShardOptions.of(options), external_id=options.external_id)


def scan_distributed(
    provider: Any,
    checks: list[CheckSpec],
    out: OutputOptions,
    dist: Distribution,
    shard_options: ShardOptions,
    *,
    external_id: str | None = None,
) -> int:
    """A scan of any cloud with ``--executor`` (coordinate, merge, report) or ``--plan``: the
    scopes (accounts, subscriptions, projects) are listed once and cut into shards."""
    from cspm.coordinator import make_plan, resume_plan, run_shards
    from cspm.shards import DEFAULT_SHARD_SIZE, write_private

    size = dist.shard_size or DEFAULT_SHARD_SIZE
    if dist.plan is not None:
        plan = make_plan(provider, checks, shard_options, size)
        try:
            write_private(dist.plan, plan.model_dump_json(indent=2))
        except OSError as exc:  # the folder went away or filled up since the options were checked
            raise ScanError(f"cannot write the plan {dist.plan}: {exc.strerror or exc}") from exc
        n = len(plan.shards)
        typer.echo(
            f"cspm: wrote {dist.plan}: {len(plan.accounts)} {_SCOPES[plan.provider]} in {n} shard(s); run "
            f"'cspm shard run --plan {dist.plan} --index I --out PARTS' for I = 0..{n - 1}, then 'cspm merge PARTS'",
            err=True,
        )
        return 0
    from cspm.dask_executor import dask_executor, local_environment, parse_executor

    assert dist.executor is not None
    spec = parse_executor(dist.executor, insecure=dist.insecure)
    import distributed  # noqa: F401 - without the extra: MissingExtra (exit 2) before anything is sent

    parts_dir = dist.parts_dir or out.output_dir / "parts"
    if dist.resume:
        plan = resume_plan(parts_dir, checks, shard_options)
    if spec.local_workers:
        local_environment(external_id)
    with dask_executor(spec) as (executor, alive):  # an unreachable scheduler: exit 1 before any cloud call
        if not dist.resume:
            plan = make_plan(provider, checks, shard_options, size)
        run_shards(plan, parts_dir, executor, alive=alive)
    return merge_and_deliver(parts_dir, out)


@shard_app.command("run")
def shard_run(
    plan: Annotated[
        Path,
        typer.Option("--plan", metavar="FILE", help="The plan written by 'cspm scan aws|azure|gcp ... --plan FILE'."),
    ],
    index: Annotated[int, typer.Option("--index", min=0, metavar="N", help="The shard to run (0 to shards - 1).")],
    out: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="The parts directory (shared by every shard of the scan).")
    ],
) -> None:
    """Scan one shard of a plan with this machine's own credentials: one part per account,
    subscription or project in --out."""
    from cspm.shards import prepare_parts_dir, read_plan_file, run_shard, write_parts

    loaded = read_plan_file(plan)
    prepare_parts_dir(out, loaded)
    parts = run_shard(loaded, index)
    write_parts(out, parts)
    log.info("shard %d: %d part(s) written to %s", index, len(parts), out)


@app.command("merge")
def merge_command(
    parts_dir: Annotated[Path, typer.Argument(help="The parts directory of a sharded scan.")],
    output_dir: OutputDir = Path("cspm-output"),
    json_path: JsonPath = None,
    fail_on: FailOn = "none",
    quiet: Quiet = False,
    strict: Strict = False,
    formats: Formats = None,
    mutelist: MutelistOpt = None,
    compliance: Compliance = None,
    store: Store = None,
) -> None:
    """Merge the parts of a sharded scan into one report, as a single-process scan writes it."""

    options = output_options(
        output_dir,
        json_path,
        fail_on,
        strict,
        quiet,
        formats=formats,
        mutelist=mutelist,
        compliance=compliance,
        store=store,
    )
    raise typer.Exit(merge_and_deliver(parts_dir, options))


def merge_and_deliver(parts_dir: Path, out: OutputOptions) -> int:
    """The merged report written and presented; its exit code. With report.json and the terminal
    summary as the only outputs (the default, or ``--quiet``), the merge streams (cspm.merge_stream:
    memory does not grow with the findings); other outputs need the report in memory."""
    from cspm.merge import merge_parts
    from cspm.merge_stream import deliver_streamed, streamable
    from cspm.runner import deliver

    if streamable(out):
        return deliver_streamed(parts_dir, out)
    return deliver(merge_parts(parts_dir), out)
