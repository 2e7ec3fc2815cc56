"""Bounded, checked response bodies for the SDKs that send through ``requests``: azure-core's
``RequestsTransport`` (Azure) and google-auth's ``AuthorizedSession`` (Google Cloud).

:class:`BoundedAdapter` is mounted on the session the SDK sends with. Every body the SDK would
read whole (``stream=False``; a streamed download is left to its reader) is read here instead:

- at most ``limit`` bytes (``--max-response-mb``): over it, reading stops, the connection is
  dropped, :class:`ResponseTooLarge`;
- for at most ``body_seconds`` in all, however slowly it drips (the read timeout applies to each
  wait for bytes only): :class:`SlowBody`;
- fewer bytes than ``Content-Length`` announced (the connection broke): :class:`IncompleteBody`;
- a successful GET whose body is not a JSON object (truncated, blank, an array; unless the answer
  says it is not JSON): :class:`MalformedBody`. Azure Resource Manager and the Google JSON APIs
  answer every read with an object, and their SDKs read a blank body as an empty listing.

The errors are ``requests`` exceptions, so each SDK wraps or raises them as it does a broken
connection; the contexts' classifiers report them under these names. The first two are final
(they would be as large, or as slow, again); the last two are retried as transient errors.
"""

from __future__ import annotations

from typing import Any

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from cspm.providers.resilience import (
    BODY_SECONDS,
    DEFAULT_MAX_RESPONSE_BYTES,
    BodySlow,
    BodyTooLarge,
    json_object_problem,
    length_problem,
    read_bounded,
)


class ResponseIntegrityError(requests.RequestException):
    """An answer that cannot be trusted as what the service meant to send."""


class IncompleteBody(ResponseIntegrityError):
    """Fewer bytes than the answer's Content-Length announced (the connection broke)."""


class MalformedBody(ResponseIntegrityError):
    """A successful answer whose body is not a JSON object (truncated, blank, an array)."""


class ResponseTooLarge(ResponseIntegrityError):
    """The body is larger than the cap (``--max-response-mb``); reading stopped there."""


class SlowBody(ResponseIntegrityError):
    """The body kept arriving for longer than the body time cap (a dripping answer)."""


FINAL = (ResponseTooLarge, SlowBody)  # not retried: the same answer would come again
TRANSIENT = (IncompleteBody, MalformedBody)


class BoundedAdapter(HTTPAdapter):
    """requests' HTTP adapter, reading each non-streamed body bounded and checked."""

    def __init__(
        self, *, limit: int = DEFAULT_MAX_RESPONSE_BYTES, body_seconds: float = BODY_SECONDS, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.limit = limit
        self.body_seconds = body_seconds

    def send(self, request: requests.PreparedRequest, stream: bool = False, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response = super().send(request, stream=True, **kwargs)
        if stream:
            return response
        try:
            body = self._read(response, request)
        except BaseException:
            response.raw.close()  # half read: never back into the pool
            raise
        response.raw.release_conn()
        response._content = body  # what Response.content returns from now on
        response._content_consumed = True
        self._check(response, body, request)
        return response

    def _read(self, response: requests.Response, request: requests.PreparedRequest) -> bytes:
        raw = response.raw

        def read(n: int) -> bytes:
            try:
                chunk: bytes = raw.read1(n, decode_content=True)
            except urllib3.exceptions.ReadTimeoutError as exc:
                raise requests.exceptions.ReadTimeout(exc, request=request) from exc
            except urllib3.exceptions.ProtocolError as exc:
                raise IncompleteBody(f"the connection broke during the answer ({exc})", request=request) from exc
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise requests.exceptions.ConnectionError(exc, request=request) from exc
            return chunk

        def abort() -> None:
            raw.close()  # the rest is never read; the connection is not reused

        try:
            return read_bounded(read, abort, limit=self.limit, seconds=self.body_seconds)
        except BodyTooLarge as exc:
            raise ResponseTooLarge(str(exc), request=request, response=response) from exc
        except BodySlow as exc:
            raise SlowBody(str(exc), request=request, response=response) from exc

    def _check(self, response: requests.Response, body: bytes, request: requests.PreparedRequest) -> None:
        if request.method == "HEAD" or response.status_code in (204, 304):
            return  # no body by definition
        headers = response.headers
        if not headers.get("content-encoding"):  # a decoded body has another length
            short = length_problem(body, headers)
            if short is not None:
                raise IncompleteBody(short, request=request, response=response)
        if request.method != "GET" or not 200 <= response.status_code < 300:
            return
        if "json" not in headers.get("content-type", "json").lower():
            return  # a payload that is not JSON (an object's media)
        problem = json_object_problem(body, allow_empty=False)
        if problem is not None:
            raise MalformedBody(problem, request=request, response=response)


def bound(
    session: requests.Session, *, limit: int = DEFAULT_MAX_RESPONSE_BYTES, body_seconds: float = BODY_SECONDS
) -> requests.Session:
    """Mount a :class:`BoundedAdapter` on ``session`` for http and https; returns the session."""
    adapter = BoundedAdapter(limit=limit, body_seconds=body_seconds)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
