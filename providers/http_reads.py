"""A model artifact's body read through ``requests``: the Azure Blob and Cloud Storage readers
(:mod:`cspm.providers.azure.artifacts`, :mod:`cspm.providers.gcp.artifacts`) send their GETs
with ``stream=True`` and read the answer here, as it arrives (urllib3's ``read1``), so that the
time limit of one artifact read (:func:`cspm.artifacts.collect.within`) is checked while a body
drips. S3's reader goes through botocore instead (:func:`cspm.providers.aws.artifacts.arriving`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Final

import requests
import urllib3.exceptions

from cspm.artifacts.collect import first_of, pinned_chunks

# What reading a streamed body can raise: a broken or reset connection, a bad chunk.
READ_ERRORS: Final = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)


def _arrived(response: requests.Response) -> Callable[[int], bytes]:
    return partial(response.raw.read1, decode_content=True)


def body_chunks(
    response: requests.Response,
    *,
    expected: str | None,
    served: str | None,
    changed: str,
    record: Callable[[BaseException], None],
    what: str,
) -> Iterator[bytes]:
    """:func:`cspm.artifacts.collect.pinned_chunks` of ``response``'s body; the response is closed
    when the body ends or the reader stops."""
    return pinned_chunks(
        _arrived(response),
        response.close,
        expected=expected,
        served=served,
        changed=changed,
        errors=READ_ERRORS,
        record=record,
        what=what,
    )


def first_bytes_of(response: object, length: int, seconds: float) -> bytes:
    """The first ``length`` bytes of a ranged GET's body within ``seconds``
    (:func:`cspm.artifacts.collect.first_of`); empty when the call failed (``response`` is not a
    response: the context recorded it) or the body broke off. The response is closed."""
    if not isinstance(response, requests.Response):
        return b""
    try:
        return first_of(_arrived(response), length, seconds)
    except READ_ERRORS:
        return b""
    finally:
        response.close()
