"""The benchmark's moto server, run as a child process: ``python -m bench.server``.

It serves moto's WSGI app on 127.0.0.1 and a free port, behind the demo's
:class:`cspm.demo.server.EmptyListings` (SageMaker listings moto lacks answer an empty page),
:class:`cspm.demo.bedrock_gaps.BedrockGaps` (the Bedrock reads moto lacks; with
``CSPM_BENCH_BEDROCK_GAPS=N`` it holds N guardrails, imported models with their import jobs,
and provisioned throughputs per region, see :func:`bench.seed.bedrock_gap_state`) and
:class:`bench.wire.CountingMiddleware`, prints ``{"port": N}`` on one line of stdout once it
listens, and exits when its parent process goes away (so a killed benchmark never leaves it
running).
"""

from __future__ import annotations

import logging
import os
import sys


def main() -> int:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from bench.child import announce_and_serve
    from bench.seed import bedrock_gap_state
    from bench.wire import CountingMiddleware
    from cspm.demo.bedrock_gaps import BedrockGaps
    from cspm.demo.server import EmptyListings

    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    # The SageMaker listings moto lacks are answered empty, as in the demo (cspm.demo.server);
    # they are still counted: the scanner sends them.
    gaps = bedrock_gap_state(int(os.environ.get("CSPM_BENCH_BEDROCK_GAPS", "0")))
    app = CountingMiddleware(EmptyListings(BedrockGaps(DomainDispatcherApplication(create_backend_app), gaps)))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    return announce_and_serve(server)


if __name__ == "__main__":
    sys.exit(main())
