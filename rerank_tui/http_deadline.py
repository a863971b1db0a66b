"""HTTP with one deadline per request: sockets that never wait past it, Retry-After, reasons.

Shared by the reranker's and the embedder's HTTP backends (rerank/http_backend.py,
embed/_http.py), which may not import each other. A caller sets `deadline_local.deadline`
(a `time.monotonic()` value) around a request; every connect, read and write of the
transport from `deadline_transport()` is then capped at what is left of it.
"""

from __future__ import annotations

import math
import threading
import time
from email.utils import parsedate_to_datetime

import httpcore
import httpx

def retry_after(value: str | None) -> float | None:
    """Seconds a `Retry-After` header asks to wait (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # an HTTP date is GMT
            return None
        seconds = when.timestamp() - time.time()
    return max(seconds, 0.0) if math.isfinite(seconds) else None


# -- sockets that never wait past the calling thread's deadline -------------------------------
deadline_local = threading.local()  # .deadline: time.monotonic() by which the current request must end


def capped(timeout: float | None, error: type[Exception]) -> float | None:
    deadline = getattr(deadline_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, capped(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, capped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        return DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, capped(timeout, httpcore.ConnectTimeout))
        )

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend):
        self._inner = inner

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        timeout = capped(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        timeout = capped(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def deadline_transport() -> httpx.HTTPTransport:
    """httpx's transport with `DeadlineBackend` sockets. httpx has no public hook for the
    network backend, so it is swapped on the pool; if a future httpx moves it, the deadline
    is still checked between body chunks."""
    transport = httpx.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    inner = getattr(pool, "_network_backend", None)
    if isinstance(inner, httpcore.NetworkBackend):
        pool._network_backend = DeadlineBackend(inner)
    return transport


def connection_reason(error: Exception) -> str:
    text = str(error) or type(error).__name__
    if "refused" in text.lower() or "Errno 111" in text:
        return "connection refused (is the server running?)"
    return text
