"""One POST with a timeout, and what its answer means: 2xx sent; 429, 5xx, timeouts and
refused connections are worth retrying; any other 4xx will not get better by itself."""

from __future__ import annotations

import ssl
from functools import cache
from typing import Any

import certifi
import httpx

from apps.notify.transports.base import TIMEOUT, Transport, TransportError


@cache
def tls() -> ssl.SSLContext:
    """Built once per process: loading the CA bundle costs about half a second each time."""
    return ssl.create_default_context(cafile=certifi.where())


def post(transport: Transport, url: str, **kwargs: Any) -> httpx.Response:
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False, verify=tls()) as client:
            response = client.post(url, **kwargs)
    except httpx.TimeoutException:
        raise TransportError(f"no answer within {TIMEOUT:g} seconds") from None
    except httpx.HTTPError as exc:
        raise TransportError(transport.scrub(f"could not connect ({exc.__class__.__name__}: {exc})")) from None
    if response.is_success:
        return response
    status = response.status_code
    detail = transport.scrub(response.text[:200].strip())
    message = f"the receiver answered {status} {response.reason_phrase}" + (f": {detail}" if detail else "")
    if status == 429 or status >= 500:
        raise TransportError(message)
    raise TransportError(message, permanent=400 <= status < 500)
