"""A JSON-over-HTTP client with one deadline per request, bounded retries and an API key.

The same plumbing as the reranker's HTTP backend (`rerank/http_backend.py`); the two layers
are independent siblings, so this is a copy rather than an import (a shared module below both
would remove it). `timeout` is one deadline for a whole request: connecting, every read, all
retries and the waits between them. httpx's own timeouts are per socket operation (a server
trickling a byte a second never trips them), so the sockets cap each operation to the time
left and the body is streamed with the deadline checked between chunks. Connection errors,
timeouts, 429 and 5xx are retried a bounded number of times, waiting what `Retry-After` asks
or a jittered exponential backoff, never past the deadline; everything else is returned for
the caller to report. The API key is read from an environment variable and kept in memory.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from rerank_tui.http_deadline import capped as _capped  # noqa: F401 (the shared deadline plumbing)
from rerank_tui.http_deadline import connection_reason as _reason
from rerank_tui.http_deadline import deadline_local as _local
from rerank_tui.http_deadline import deadline_transport as _deadline_transport
from rerank_tui.http_deadline import retry_after as _retry_after

from .errors import EmbedServerError

RETRY_STATUS = {429, 500, 502, 503, 504}


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
    `EmbedServerError` when the server cannot be reached, or is too slow, within `timeout`."""

    def __init__(
        self,
        *,
        timeout: float,
        connect_timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.5,
        backoff_max: float = 8.0,
        api_key_env: str,
        max_body_bytes: int,
        server_hint: str,
        what: str = "embedding server",
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self.timeout = float(timeout)
        self.connect_timeout = connect_timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.api_key_env = api_key_env
        self.max_body_bytes = max_body_bytes
        self.server_hint = server_hint
        self.what = what
        self._sleep = sleep
        headers = {"Accept": "application/json"}
        key = os.environ.get(api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._client = httpx.Client(
            headers=headers,
            transport=transport or _deadline_transport(),
            trust_env=False,  # never route a local server through a proxy from the env
        )

    def request(self, method: str, url: str, payload: dict | None = None) -> Answer:
        deadline = time.monotonic() + self.timeout
        tries = 0
        while True:
            tries += 1
            retry_after = None
            try:
                answer = self._attempt(method, url, payload, deadline)
            except (httpx.TransportError, DeadlinePassed) as error:  # refused, reset, timed out
                failure: Answer | Exception = error
            else:
                if answer.status_code not in RETRY_STATUS:
                    return answer
                failure = answer
                retry_after = _retry_after(answer.headers.get("retry-after"))
            cap = min(self.backoff * 2 ** (tries - 1), self.backoff_max)
            wait = retry_after if retry_after is not None else random.uniform(0, cap)  # full jitter
            left = deadline - time.monotonic()
            if tries > self.retries or wait >= left:
                return self._give_up(failure, url, tries, retry_after, left)
            self._sleep(wait)

    def _attempt(self, method: str, url: str, payload: dict | None, deadline: float) -> Answer:
        left = deadline - time.monotonic()
        if left <= 0:
            raise DeadlinePassed
        timeout = httpx.Timeout(left, connect=min(self.connect_timeout, left))
        _local.deadline = deadline
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
            _local.deadline = None

    def _give_up(self, failure, url: str, tries: int, retry_after: float | None, left: float) -> Answer:
        attempts = f"{tries} {'try' if tries == 1 else 'tries'}"
        if isinstance(failure, Answer):
            if retry_after is not None and retry_after >= left and tries <= self.retries:
                raise EmbedServerError(
                    f"the {self.what} at {url} answered HTTP {failure.status_code} and asked to retry "
                    f"in {retry_after:g} s, past the {self.timeout:g} s deadline ({attempts})",
                    "the server is overloaded: try again later or raise the timeout",
                )
            return failure
        if isinstance(failure, (httpx.TimeoutException, DeadlinePassed)):
            raise EmbedServerError(
                f"the {self.what} at {url} did not answer within {self.timeout:g} s ({attempts})",
                "is it overloaded or still starting? raise the timeout or check the server log",
            ) from failure
        if isinstance(failure, httpx.ConnectError):
            raise EmbedServerError(f"cannot reach the {self.what} at {url}: {_reason(failure)}", self.server_hint) from failure
        raise EmbedServerError(  # connection reset, broken protocol
            f"the {self.what} at {url} broke the connection: {_reason(failure)}", self.server_hint
        ) from failure

    def _too_big(self, url: str) -> EmbedServerError:
        return EmbedServerError(
            f"the {self.what} at {url} sent an answer larger than {self.max_body_bytes // 2**20} MiB",
            "lower the batch size, or check the URL: " + self.server_hint,
        )

    def close(self) -> None:
        self._client.close()


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
    text = " ".join(answer.text.split())
    return repr(text[:100] + ("…" if len(text) > 100 else ""))
