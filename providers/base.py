"""What every provider service module declares, as data."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from cspm.resources.base import Resource

T = TypeVar("T")


@dataclass(frozen=True)
class ServiceSpec:
    """A service collector.

    ``permissions`` are the read-only API permissions the collector needs; ``cspm permissions``
    builds the scanner's own least-privilege policy from them.
    """

    name: str
    produces: tuple[type[Resource], ...]
    regional: bool
    permissions: tuple[str, ...]
    collect: Callable[[Any], Iterable[Resource]]


def with_deadline(fn: Callable[[], T], seconds: float, *, name: str = "cspm-deadline") -> T:
    """Run ``fn`` in a daemon thread; raise TimeoutError if it has not returned in ``seconds``.

    A daemon thread, because an SDK blocked on a silent endpoint (a cloud metadata service that
    accepts connections and never answers) cannot be interrupted and must not keep the process
    alive once the CLI has given up. Used to bound credential discovery.
    """
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # handed to the caller below, never dropped
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name=name, daemon=True).start()
    if not done.wait(seconds):
        raise TimeoutError(f"no answer within {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value
