"""Service models cut down to the operations the scanner calls.

botocore parses each service's whole ``service-2.json`` and keeps it for the life of the
session: 17 MB of Python objects for SageMaker and 16 MB for EC2, about 50 MB for the services
of a scan, when a collector calls a dozen operations of each. :class:`PrunedLoader` keeps, of a
service model, only the operations whose IAM action the scanner declares (the permissions that
``cspm permissions aws`` prints, so nothing is listed twice) and the shapes they reach, without
their documentation; the full model is parsed once, pruned, and dropped.

A call to an operation that was pruned away fails like any other failed call: the collector's
data is recorded as an error and its checks answer ERROR, never PASS. The tests prove that every
operation a collector calls is declared (tests/resilience/test_least_privilege.py).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from functools import partial
from typing import Any

import botocore.loaders
import botocore.session

SERVICE_MODEL = "service-2"


def prune_model(model: Mapping[str, Any], keep: Callable[[str], bool]) -> dict[str, Any]:
    """``model`` with only the operations ``keep`` accepts (by name, as the model spells it) and
    the shapes they use, input, output and errors, followed through structure members, list
    members and map keys and values. Documentation strings are left out."""
    kept = {name: _undocumented(op) for name, op in model.get("operations", {}).items() if keep(name)}
    shapes: Mapping[str, Any] = model.get("shapes", {})
    reached: dict[str, Any] = {}
    todo = [ref["shape"] for op in kept.values() for ref in _operation_refs(op)]
    while todo:
        name = todo.pop()
        if name in reached or name not in shapes:
            continue
        shape = _undocumented(shapes[name])
        reached[name] = shape
        todo.extend(ref["shape"] for ref in _shape_refs(shape))
    pruned = {key: value for key, value in model.items() if key not in ("operations", "shapes", "documentation")}
    pruned["operations"] = kept
    pruned["shapes"] = reached
    return pruned


def _operation_refs(operation: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for key in ("input", "output"):
        if key in operation:
            yield operation[key]
    yield from operation.get("errors", ())


def _shape_refs(shape: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    yield from shape.get("members", {}).values()
    for key in ("member", "key", "value"):
        if key in shape:
            yield shape[key]


def _undocumented(node: Mapping[str, Any]) -> dict[str, Any]:
    """A shape or operation without its documentation (members' too)."""
    out = {key: value for key, value in node.items() if key != "documentation"}
    if "members" in out:
        out["members"] = {
            name: {k: v for k, v in ref.items() if k != "documentation"} for name, ref in out["members"].items()
        }
    return out


Keep = Callable[[str, str], bool]  # (service, operation) -> whether the scanner may call it


class PrunedLoader(botocore.loaders.Loader):
    """A botocore loader whose ``service-2`` models of ``services`` keep only the operations
    ``keep`` accepts. Other services and model types load whole."""

    def __init__(self, services: Collection[str], keep: Keep, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._services = frozenset(services)
        self._keep = keep
        self._pruned: dict[tuple[str, str | None], dict[str, Any]] = {}
        self._prune_lock = threading.Lock()

    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        if type_name != SERVICE_MODEL or service_name not in self._services:
            return super().load_service_model(service_name, type_name, api_version)
        key = (service_name, api_version)
        pruned = self._pruned.get(key)
        if pruned is not None:
            return pruned
        with self._prune_lock:  # one full model parsed at a time, and each only once
            pruned = self._pruned.get(key)
            if pruned is None:
                full = super().load_service_model(service_name, type_name, api_version)
                pruned = prune_model(full, partial(self._keep, service_name))
                self._forget(full)
                self._pruned[key] = pruned
        return pruned

    def _forget(self, model: Any) -> None:
        """Drop every cache entry of the base loader that holds the full model."""
        stale = [
            key
            for key, value in list(self._cache.items())
            if value is model or (isinstance(value, tuple) and value and value[0] is model)
        ]
        for key in stale:
            self._cache.pop(key, None)


def install(session: botocore.session.Session, services: Collection[str], keep: Keep) -> PrunedLoader:
    """Give ``session`` a :class:`PrunedLoader`, with the search paths its own would have had
    (``AWS_DATA_PATH``, as :func:`botocore.loaders.create_loader` reads it)."""
    data_path = session.get_config_variable("data_path") or ""
    extra = [os.path.expanduser(os.path.expandvars(path)) for path in data_path.split(os.pathsep) if path]
    loader = PrunedLoader(services, keep, extra_search_paths=extra)
    session.register_component("data_loader", loader)
    return loader
