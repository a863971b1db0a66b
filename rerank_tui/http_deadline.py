"""HTTP with one deadline per request: sockets that never wait past it, Retry-After, reasons,
TLS trust and proxies.

Shared by the reranker's and the embedder's HTTP backends (rerank/http_backend.py,
embed/http_backend.py), which may not import each other: `DeadlineClient` is the one request
loop (deadline, retries, Retry-After, body cap) both use, with their own words in its errors. A caller sets `deadline_local.deadline`
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
import json
import math
import os
import random
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
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


# -- the client both HTTP backends use ----------------------------------------------------------

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Answer:
    """A whole response, read within the deadline."""

    status_code: int
    headers: httpx.Headers
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> object:
        return json.loads(self.content)


class DeadlinePassed(Exception):
    """The request's deadline passed before a try or between two reads of its body."""


class DeadlineClient:
    """`request(method, url, payload)` → `Answer` (any status but a retried one), or raises
    `error` (the backend's server error) when the server cannot be reached, or is too slow,
    within `timeout`: one deadline for a whole request (connecting, every read, all retries and
    the waits between them). Connection errors, timeouts, 429 and 5xx are retried a bounded
    number of times, waiting what `Retry-After` asks or a jittered exponential backoff, never
    past the deadline; an untrusted certificate is not retried when `certificate_hint` is
    given. The API key is read from the environment variable `api_key_env`. The words of the
    errors are the backend's: `what` ("rerank server"), `hint()` (how to start or fix the
    server), `timeout_option` ("--timeout"), `too_big_hint`. `api_key`, when given, is used
    instead of the environment variable's."""

    def __init__(
        self,
        *,
        timeout: float,
        api_key_env: str,
        max_body_bytes: int,
        error: type[Exception],
        what: str,
        hint: Callable[[], str],
        timeout_option: str = "the timeout",
        too_big_hint: str = "",
        certificate_hint: str | None = None,
        connect_timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.5,
        backoff_max: float = 8.0,
        ca_bundle: str | Path | None = None,
        limits: httpx.Limits | None = None,
        transport: httpx.BaseTransport | None = None,
        api_key: str | None = None,
    ):
        if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self.timeout = float(timeout)
        self.connect_timeout = connect_timeout
        self.retries = max(0, retries)
        self.backoff, self.backoff_max = backoff, backoff_max
        self.api_key_env, self.max_body_bytes = api_key_env, max_body_bytes
        self.error, self.what, self.hint = error, what, hint
        self.timeout_option, self.too_big_hint, self.certificate_hint = timeout_option, too_big_hint, certificate_hint
        headers = {"Accept": "application/json"}
        key = api_key or os.environ.get(api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._client = deadline_client(headers, ca_bundle=ca_bundle, limits=limits, transport=transport)

    def request(self, method: str, url: str, payload: dict | None = None) -> Answer:
        deadline = time.monotonic() + self.timeout
        tries = 0
        while True:
            tries += 1
            retry_after_s = None
            try:
                answer = self._attempt(method, url, payload, deadline)
            except (httpx.TransportError, DeadlinePassed) as error:  # refused, reset, timed out
                failure: Answer | Exception = error
                if self.certificate_hint is not None and is_certificate_error(error):
                    return self._give_up(failure, url, tries, None)  # retrying cannot make a certificate trusted
            else:
                if answer.status_code not in RETRY_STATUS:
                    return answer
                failure = answer
                retry_after_s = retry_after(answer.headers.get("retry-after"))
            cap = min(self.backoff * 2 ** (tries - 1), self.backoff_max)
            wait_s = retry_after_s if retry_after_s is not None else random.uniform(0, cap)  # full jitter
            left = deadline - time.monotonic()
            if tries > self.retries or wait_s >= left:
                if isinstance(failure, Answer) and retry_after_s is not None and retry_after_s >= left and tries <= self.retries:
                    raise self.error(
                        f"the {self.what} at {url} answered HTTP {failure.status_code} and asked to retry "
                        f"in {retry_after_s:g} s, past the {self.timeout:g} s deadline ({_attempts(tries)})",
                        f"the server is overloaded: try again later or raise {self.timeout_option}",
                    )
                return self._give_up(failure, url, tries, left)
            time.sleep(wait_s)

    def _attempt(self, method: str, url: str, payload: dict | None, deadline: float) -> Answer:
        """One try, streamed, with every socket operation capped to the time left."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise DeadlinePassed
        timeout = httpx.Timeout(left, connect=min(self.connect_timeout, left))
        deadline_local.deadline = deadline
        try:
            with self._client.stream(method, url, json=payload, timeout=timeout) as response:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_body_bytes:
                    raise self._too_big(url)
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > self.max_body_bytes:
                        raise self._too_big(url)
                    if time.monotonic() >= deadline:
                        raise DeadlinePassed
                return Answer(response.status_code, response.headers, bytes(body))
        finally:
            deadline_local.deadline = None

    def _give_up(self, failure, url: str, tries: int, left: float | None) -> Answer:
        """The error for the last failure (an answer is returned for the caller to report)."""
        if isinstance(failure, Answer):
            return failure
        if isinstance(failure, (httpx.TimeoutException, DeadlinePassed)):
            raise self.error(
                f"the {self.what} at {url} did not answer within {self.timeout:g} s ({_attempts(tries)})",
                f"is it overloaded or still starting? raise {self.timeout_option} or check the server log",
            ) from failure
        if self.certificate_hint is not None and is_certificate_error(failure):
            raise self.error(f"cannot reach the {self.what} at {url}: {connection_reason(failure)}", self.certificate_hint) from failure
        if isinstance(failure, httpx.ConnectError):
            raise self.error(f"cannot reach the {self.what} at {url}: {connection_reason(failure)}", self.hint()) from failure
        raise self.error(  # connection reset, broken protocol
            f"the {self.what} at {url} broke the connection: {connection_reason(failure)}", self.hint()
        ) from failure

    def _too_big(self, url: str) -> Exception:
        return self.error(
            f"the {self.what} at {url} sent an answer larger than {self.max_body_bytes // 2**20} MiB",
            self.too_big_hint + self.hint(),
        )

    def close(self) -> None:
        self._client.close()


def _attempts(tries: int) -> str:
    return f"{tries} {'try' if tries == 1 else 'tries'}"


NOT_A_MODEL_LIST = "answered something that is not an OpenAI-style model list"


def first_model_id(data) -> str | None:
    """The first model id of an OpenAI-style `/v1/models` answer (parsed JSON), or None when
    it is not one: each backend then raises its own error, with `NOT_A_MODEL_LIST`."""
    try:
        return str(data["data"][0]["id"])
    except (KeyError, IndexError, TypeError):
        return None


def error_message(answer: Answer) -> str | None:
    """The message of an OpenAI-style (or TEI-style) error body, if it is one."""
    try:
        data = answer.json()
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    error = data.get("error", data.get("detail"))
    message = error.get("message") if isinstance(error, dict) else error
    return str(message)[:200] if message else None


def snippet(answer: Answer) -> str:
    """The start of an answer's body, on one line, quoted: for error messages."""
    text = " ".join(answer.text.split())
    return repr(text[:100] + ("…" if len(text) > 100 else ""))
