"""`--executor local:N`: the Dask housekeeping settings reach the workers cspm starts, and only them."""

from __future__ import annotations

import dask.config
import distributed  # noqa: F401 - loads the distributed.* defaults
import pytest

from cspm.dask_executor import LOCAL_DASK_CONFIG, ExecutorSpec, dask_executor

pytestmark = pytest.mark.e2e  # starts a worker process


def test_a_local_clusters_workers_run_with_the_quiet_housekeeping() -> None:
    keys = sorted(LOCAL_DASK_CONFIG)
    before = {key: dask.config.get(key) for key in keys}
    assert before != LOCAL_DASK_CONFIG  # Dask's defaults differ, or this test proves nothing
    with dask_executor(ExecutorSpec(local_workers=1)) as (executor, _alive):
        seen = executor.submit(lambda: {key: dask.config.get(key) for key in keys}).result(timeout=60)
    assert seen == LOCAL_DASK_CONFIG
    assert {key: dask.config.get(key) for key in keys} == before  # the coordinator's own config is untouched
