"""The coordinator of a distributed scan: plan, submit shards, keep parts, merge.

1. :func:`make_plan`: the caller's credentials list the scopes once, through the cloud's adapter
   (:mod:`cspm.shard_clouds`): the organization's accounts (``organizations:ListAccounts``, the
   ``--region`` names checked once, the SCPs and RCPs read once), the Azure subscriptions, the
   Google Cloud projects (``--organization`` / ``--folder`` walked once); and the scan id and the
   evaluation time are fixed. No role is assumed here: each worker assumes roles itself.
2. :func:`run_shards`: every shard with an account still to do is submitted to a
   ``concurrent.futures.Executor`` (Dask's ``Client.get_executor()``, or any other); each shard's
   parts are written to the parts directory as soon as it returns. A shard that fails beyond the
   executor's retries leaves a failed part for each of its accounts (an error, ``complete:
   false``), which ``--resume`` runs again. Accounts that already have a part are not submitted
   again, so ``--resume`` finishes a scan whose coordinator died.
3. :func:`cspm.merge.merge_parts` builds the report from the directory.

The executor only ever receives :class:`~cspm.shards.ShardTask` objects: the plan cut down to one
shard (options, check ids, scope ids, the SCPs its accounts need) and an index. No credential
crosses the scheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, CancelledError, Executor, Future, wait
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cspm.errors import ScanError, UsageError
from cspm.shards import (
    PLAN_FILE,
    ShardOptions,
    ShardPlan,
    ShardTask,
    cut,
    failed_parts,
    finished_accounts,
    prepare_parts_dir,
    read_plan_file,
    write_parts,
)

if TYPE_CHECKING:
    from cspm.registry import CheckSpec

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5


class SchedulerLost(ScanError):
    """The executor went away mid-scan: the parts received so far are kept for --resume."""


def make_plan(provider: Any, checks: Sequence[CheckSpec], options: ShardOptions, shard_size: int) -> ShardPlan:
    """List the scopes once (accounts, subscriptions or projects: the provider's adapter in
    :mod:`cspm.shard_clouds`) and cut them into shards (see the module docstring).

    A plan carries no artifact settings, so the model-artifact checks are refused here (exit 2),
    before any shard is sent: a worker would otherwise fail every shard on them."""
    from cspm.artifacts.options import is_artifact_check
    from cspm.shard_clouds import adapter

    if any(is_artifact_check(c.id) for c in checks):
        raise UsageError("a sharded scan cannot run the model artifact checks (--inspect-artifacts is not distributed)")
    started = datetime.now(UTC)
    listed = adapter(provider.name).scopes(provider)
    return ShardPlan(
        provider=provider.name,
        started_at=started,
        checks=[c.id for c in checks],
        options=options,
        shards=cut(listed.scopes, shard_size),
        setup_errors=listed.setup_errors,
        org_policies=listed.org_policies,
    )


def resume_plan(parts_dir: Path, checks: Sequence[CheckSpec], options: ShardOptions) -> ShardPlan:
    """The plan of the scan to finish in ``parts_dir`` (--resume); one with other options or
    checks than the command line's is refused (exit 2). The accounts are the plan's."""
    path = parts_dir / PLAN_FILE
    if not path.exists():
        raise UsageError(f"--resume: {parts_dir} has no {PLAN_FILE}; nothing to resume")
    plan = read_plan_file(path)
    if plan.checks != [c.id for c in checks] or plan.options != options:  # another cloud's options differ too
        raise UsageError(f"--resume: {parts_dir} holds a scan with other options or checks ({plan.scan_id})")
    return plan


def run_shards(
    plan: ShardPlan,
    parts_dir: Path,
    executor: Executor,
    *,
    alive: Callable[[], bool] = lambda: True,
) -> int:
    """Run every shard that has an account without a part; returns how many shards ran.
    Raises :class:`SchedulerLost` when ``alive()`` turns false or the executor cancels the work."""
    prepare_parts_dir(parts_dir, plan)
    done = finished_accounts(parts_dir, plan)
    todo = [rest for shard in plan.shards if (rest := [a for a in shard if a not in done])]
    if done:
        log.info("resuming: %d account(s) already scanned, %d shard(s) to run", len(done), len(todo))
    if not todo:
        return 0
    pending_plan = plan.model_copy(update={"shards": todo})
    pending: dict[Future[list[tuple[str, str]]], list[str]] = {
        executor.submit(ShardTask(pending_plan.for_shard(index), 0)): shard for index, shard in enumerate(todo)
    }
    finished = 0
    while pending:
        ready, _ = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
        for future in ready:
            accounts = pending.pop(future)
            write_parts(parts_dir, _parts_of(future, plan, accounts, parts_dir))
            finished += 1
            log.info("shard %d/%d done (%d account(s))", finished, len(todo), len(accounts))
        if pending and not alive():
            raise SchedulerLost(_lost(parts_dir))
    return len(todo)


def _parts_of(
    future: Future[list[tuple[str, str]]], plan: ShardPlan, accounts: list[str], parts_dir: Path
) -> list[tuple[str, str]]:
    try:
        return future.result()
    except CancelledError as exc:
        raise SchedulerLost(_lost(parts_dir)) from exc
    except Exception as exc:  # the shard failed beyond its retries: its accounts become errors
        message = " ".join(str(exc).split())[:300] or type(exc).__name__
        log.warning("a shard of %d account(s) failed: %s: %s", len(accounts), type(exc).__name__, message)
        return failed_parts(plan, accounts, type(exc).__name__, f"the shard failed: {message}")


def _lost(parts_dir: Path) -> str:
    return f"lost the scheduler mid-scan; the parts received are kept: run again with --parts-dir {parts_dir} --resume"
