"""HTTP with one deadline per request: sockets that never wait past it, Retry-After, reasons,
TLS trust and proxies.

Shared by the reranker's and the embedder's HTTP backends (rerank/http_backend.py,
embed/_http.py), which may not import each other. A caller sets `deadline_local.deadline`
(a `time.monotonic()` value) around a request; every connect, read and write of the
transport from `deadline_transport()` is then capped at what is left of it.

TLS: certificates are checked against `ca_bundle` when given (a PEM file: a private CA),
else `$SSL_CERT_FILE` / `$SSL_CERT_DIR`, else certifi's bundle (`ssl_context`). Proxies:
`$HTTP_PROXY`, `$HTTPS_PROXY` and `$ALL_PROXY` (either case) apply to remote hosts, with
`$NO_PROXY`'s exceptions (names, `.domain` suffixes, `*`, IP addresses and CIDR ranges); a
loopback host (127.0.0.0/8, ::1, localhost) is never proxied (`proxy_for`).
"""

from __future__ import annotations

import ipaddress
import math
import os
import ssl
import threading
import time
import urllib.request
from email.utils import parsedate_to_datetime
from pathlib import Path

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


def _with_deadline_sockets(transport: httpx.HTTPTransport) -> httpx.HTTPTransport:
    """httpx has no public hook for the network backend, so it is swapped on the pool; if a
    future httpx moves it, the deadline is still checked between body chunks."""
    pool = getattr(transport, "_pool", None)
    inner = getattr(pool, "_network_backend", None)
    if pool is not None and isinstance(inner, httpcore.NetworkBackend):
        pool._network_backend = DeadlineBackend(inner)
    return transport


# -- TLS trust -----------------------------------------------------------------------------------
class CABundleError(ValueError):
    """A CA bundle that cannot be read (missing file, not PEM)."""


def ssl_context(ca_bundle: str | Path | None = None) -> ssl.SSLContext:
    """The context that checks server certificates: against `ca_bundle` (a PEM file or a
    folder of hashed certificates) when given, else `$SSL_CERT_FILE` or `$SSL_CERT_DIR`, else
    certifi's bundle (the system's default store when certifi is missing). Raises
    `CABundleError` naming the file when it cannot be loaded."""
    source = "the CA bundle"
    if ca_bundle is not None:
        where = Path(ca_bundle).expanduser()
    elif os.environ.get("SSL_CERT_FILE"):
        where, source = Path(os.environ["SSL_CERT_FILE"]), "$SSL_CERT_FILE"
    elif os.environ.get("SSL_CERT_DIR"):
        where, source = Path(os.environ["SSL_CERT_DIR"]), "$SSL_CERT_DIR"
    else:
        try:
            import certifi
        except ImportError:  # pragma: no cover - httpx depends on certifi
            return ssl.create_default_context()
        return ssl.create_default_context(cafile=certifi.where())
    try:
        if where.is_dir():
            return ssl.create_default_context(capath=str(where))
        return ssl.create_default_context(cafile=str(where))
    except FileNotFoundError:
        raise CABundleError(f"{source} {where} does not exist") from None
    except (ssl.SSLError, OSError, ValueError) as error:
        raise CABundleError(f"{source} {where} is not a PEM certificate bundle: {error}") from None


def is_certificate_error(error: BaseException) -> bool:
    """True when a connection failed because the server's certificate is not trusted."""
    current: BaseException | None = error
    for _ in range(10):  # httpx wraps httpcore wraps ssl
        if current is None:
            return False
        if isinstance(current, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


# -- proxies: the environment's, never for loopback ----------------------------------------------
def is_loopback(host: str) -> bool:
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    """`$NO_PROXY` semantics: `*`, a name or `.suffix` (with or without a port), an IP
    address or a CIDR range."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry.strip("[]"), strict=False):
                    return True
            except ValueError:
                pass
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and (not entry_port.isdigit() or int(entry_port) != port):
            continue
        name = name.lstrip("*").lstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def _environment_proxies() -> dict[str, str]:
    """scheme -> proxy URL, and "no" -> the exceptions, from the environment (either case)."""
    return {k: v for k, v in urllib.request.getproxies_environment().items() if v}


def proxy_for(url: str | httpx.URL, proxies: dict[str, str] | None = None) -> str | None:
    """The proxy a request to `url` goes through, from the environment (`proxies`: a
    snapshot of it), or None: loopback hosts and `$NO_PROXY`'s are reached directly."""
    url = httpx.URL(url)
    proxies = _environment_proxies() if proxies is None else proxies
    proxy = proxies.get(url.scheme) or proxies.get("all")
    if not proxy or is_loopback(url.host) or _bypassed(url.host, url.port or _DEFAULT_PORTS.get(url.scheme), proxies.get("no", "")):
        return None
    return proxy


_DEFAULT_PORTS = {"http": 80, "https": 443}


class RoutingTransport(httpx.BaseTransport):
    """Direct for loopback and `$NO_PROXY` hosts, through the environment's proxy for the rest;
    every route with deadline sockets and the same TLS trust."""

    def __init__(self, direct: httpx.HTTPTransport, proxies: dict[str, str], make):
        self._direct, self._proxies, self._make = direct, proxies, make
        self._via: dict[str, httpx.HTTPTransport] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        proxy = proxy_for(request.url, self._proxies)
        if proxy is None:
            return self._direct.handle_request(request)
        with self._lock:
            transport = self._via.get(proxy)
            if transport is None:
                transport = self._via[proxy] = self._make(proxy)
        return transport.handle_request(request)

    def close(self) -> None:
        self._direct.close()
        with self._lock:
            for transport in self._via.values():
                transport.close()
            self._via.clear()


def deadline_transport(
    *, ca_bundle: str | Path | None = None, limits: httpx.Limits | None = None, trust_env: bool = True
) -> httpx.BaseTransport:
    """httpx's transport with `DeadlineBackend` sockets, TLS checked by `ssl_context(ca_bundle)`
    and, with `trust_env`, the environment's proxies for remote hosts (never for loopback).
    Pass it to an `httpx.Client(..., trust_env=False)`: the client's own env handling would
    route around it."""
    context = ssl_context(ca_bundle)
    limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
    direct = _with_deadline_sockets(httpx.HTTPTransport(verify=context, limits=limits))
    proxies = _environment_proxies() if trust_env else {}
    if not any(k != "no" for k in proxies):
        return direct
    return RoutingTransport(
        direct, proxies, lambda proxy: _with_deadline_sockets(httpx.HTTPTransport(verify=context, limits=limits, proxy=proxy))
    )


def deadline_client(
    headers: dict[str, str] | None = None,
    *,
    ca_bundle: str | Path | None = None,
    limits: httpx.Limits | None = None,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """The one way both HTTP backends make their client: `deadline_transport()` (or a given
    `transport`, for tests), and httpx's own environment handling off (it would bypass it)."""
    return httpx.Client(
        headers=headers,
        transport=transport or deadline_transport(ca_bundle=ca_bundle, limits=limits),
        trust_env=False,
    )


def connection_reason(error: Exception) -> str:
    text = str(error) or type(error).__name__
    if "refused" in text.lower() or "Errno 111" in text:
        return "connection refused (is the server running?)"
    if is_certificate_error(error):
        return f"its TLS certificate is not trusted ({text})"
    return text
