"""A headless Chromium shared by the HTML report tests of this directory (see support.browser)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from support.browser import browser_context


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with browser_context(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context
