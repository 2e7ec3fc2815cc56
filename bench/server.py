"""The benchmark's moto server, run as a child process: ``python -m bench.server``.

It serves moto's WSGI app on 127.0.0.1 and a free port, behind the demo's
:class:`cspm.demo.server.EmptyListings` (SageMaker listings moto lacks answer an empty page) and
:class:`bench.wire.CountingMiddleware`, prints ``{"port": N}`` on one line of stdout once it
listens, and exits when its parent process goes away (so a killed benchmark never leaves it
running).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time

PARENT_POLL_SECONDS = 1.0


def _exit_with_parent(parent: int) -> None:
    while True:
        time.sleep(PARENT_POLL_SECONDS)
        if os.getppid() != parent:
            os._exit(0)


def main() -> int:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from bench.wire import CountingMiddleware
    from cspm.demo.server import EmptyListings

    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    # The SageMaker listings moto lacks are answered empty, as in the demo (cspm.demo.server);
    # they are still counted: the scanner sends them.
    app = CountingMiddleware(EmptyListings(DomainDispatcherApplication(create_backend_app)))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    sys.stdout.write(json.dumps({"port": server.server_address[1]}) + "\n")
    sys.stdout.flush()
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
