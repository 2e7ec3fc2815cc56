"""The simulated account's server: moto on 127.0.0.1, in this process, in its own thread.

moto does not implement every read API the collectors call. For SageMaker, a real account that
has no feature groups (or monitoring schedules, lifecycle configurations, inference experiments)
answers those List calls with an empty page; moto answers HTTP 500, which botocore retries for
half a minute and the scan then reports as errors. :class:`EmptyListings` is a WSGI layer in
front of moto that gives the real account's answer, an empty page, for the SageMaker ``List*``
operations this moto version lacks, and nothing else: every other request goes to moto, and an
operation moto implements is never intercepted. It changes nothing inside moto; the simulated
account simply has none of those resources. The Bedrock reads moto lacks are answered the same
way, by :class:`~cspm.demo.bedrock_gaps.BedrockGaps`.

This is why the demo serves moto's WSGI application itself (as ``ThreadedMotoServer`` does,
with the same request handler) rather than through ``ThreadedMotoServer``, which cannot wrap it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from cspm.demo.bedrock_gaps import BedrockGaps, GapState

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

JSON_TARGET_PREFIX = "SageMaker."


@cache
def missing_sagemaker_listings() -> dict[str, dict[str, list[Any]]]:
    """SageMaker ``List*`` operations moto lacks -> the empty response (every list member ``[]``)."""
    import botocore.session
    from botocore import xform_name
    from moto.sagemaker.responses import SageMakerResponse

    model = botocore.session.get_session().get_service_model("sagemaker")
    missing: dict[str, dict[str, list[Any]]] = {}
    for name in model.operation_names:
        if not name.startswith("List") or hasattr(SageMakerResponse, xform_name(name)):
            continue
        output = model.operation_model(name).output_shape
        members = output.members if output is not None else {}
        missing[name] = {key: [] for key, shape in members.items() if shape.type_name == "list"}
    return missing


class EmptyListings:
    """WSGI middleware: answer the SageMaker listings moto lacks with an empty page."""

    def __init__(self, app: WsgiApp, listings: dict[str, dict[str, list[Any]]] | None = None) -> None:
        self.app = app
        self.listings = missing_sagemaker_listings() if listings is None else listings

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        operation = target.removeprefix(JSON_TARGET_PREFIX) if target.startswith(JSON_TARGET_PREFIX) else ""
        empty = self.listings.get(operation)
        if empty is None:
            return self.app(environ, start_response)
        body = json.dumps(empty).encode()
        start_response(
            "200 OK",
            [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))],
        )
        return [body]


@contextmanager
def serve_simulated_account(bedrock: GapState | None = None) -> Iterator[str]:
    """moto (behind :class:`EmptyListings` and :class:`~cspm.demo.bedrock_gaps.BedrockGaps`,
    which serves the Bedrock reads moto lacks from ``bedrock``) on 127.0.0.1 and a free port;
    yields its URL and always shuts the server down."""
    with serve_moto(lambda app: EmptyListings(BedrockGaps(app, bedrock))) as url:
        yield url


@contextmanager
def serve_moto(wrap: Callable[[WsgiApp], WsgiApp] = lambda app: app) -> Iterator[str]:
    """moto's WSGI app, wrapped by ``wrap``, on 127.0.0.1 and a free port, in a thread of this
    process (as ``ThreadedMotoServer``, with the same request handler); yields its URL and always
    shuts the server down."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    app = wrap(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="cspm-demo-moto", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
