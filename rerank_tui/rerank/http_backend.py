"""Scoring through a running vLLM server's `/v1/rerank` (the Jina/Cohere-style rerank API).

The server must run the checkpoint as a scorer with the Qwen3 overrides and no chat template
(README.md, "Reranking", shows the `vllm serve` command); the client sends the official prompt already split
into `query_side` and `document_side`, so the server's scores are the contract's p(yes). Scores
that are not a number in [0, 1] are an error, never a p(yes).

`timeout` is one deadline for a whole request: connecting, every read, all retries and the
waits between them. httpx's own timeouts are per socket operation (a server trickling a byte a
second never trips them), so the client's sockets cap each operation to the time left and the
body is streamed with the deadline checked between chunks. Connection errors, timeouts, 429
and 5xx answers are retried a bounded number of times, waiting what `Retry-After` asks or a
jittered exponential backoff, never past the deadline; everything else fails at once with an
error naming the URL. The API key is read from an environment variable (default
`RERANK_TUI_API_KEY`) and kept in memory only. Documents are truncated client-side when a
tokenizer is at hand (`tokenizer=` a tokenizer.json or checkpoint folder, or `model` is a local
folder); otherwise the server's own limit applies.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from rerank_tui.http_deadline import capped as _capped  # noqa: F401 (the shared deadline plumbing)
from rerank_tui.http_deadline import connection_reason as _reason
from rerank_tui.http_deadline import deadline_local as _local
from rerank_tui.http_deadline import deadline_transport as _deadline_transport
from rerank_tui.http_deadline import retry_after as _retry_after

from .base import BaseReranker, Call
from .errors import RerankServerError
from .prompt import PREFIX, SUFFIX, document_side, fit_document, may_exceed, query_side

DEFAULT_API_KEY_ENV = "RERANK_TUI_API_KEY"
DEFAULT_TIMEOUT = 60.0
MAX_BODY_BYTES = 64 * 2**20  # a rerank answer is a few KiB; anything near this is not one
_RETRY_STATUS = {429, 500, 502, 503, 504}
_SERVER_HINT = (
    "start one with `python -m vllm.entrypoints.openai.api_server --model M --runner pooling "
    "--hf-overrides '{\"architectures\":[\"Qwen3ForSequenceClassification\"],"
    "\"classifier_from_token\":[\"no\",\"yes\"],\"is_original_qwen3_reranker\":true}'` "
    "or fix --url"
)


class HttpReranker(BaseReranker):
    thread_safe = True  # httpx's Client pools connections across threads; the deadline is per thread
    device = "http"

    def __init__(
        self,
        url: str,
        model: str | None = None,
        *,
        max_length: int = 8192,
        batch_size: int = 64,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.5,
        backoff_max: float = 8.0,
        api_key_env: str = DEFAULT_API_KEY_ENV,
        tokenizer: str | Path | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        super().__init__()
        if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        base = url.rstrip("/")
        base = base.removesuffix("/v1/rerank").removesuffix("/v1")
        self.base_url = base
        self.rerank_url = f"{base}/v1/rerank"
        self.max_length = max_length
        self.batch_size = max(1, batch_size)
        self.retries = max(0, retries)
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.timeout = float(timeout)
        self.connect_timeout = connect_timeout
        headers = {"Accept": "application/json"}
        key = os.environ.get(api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self.api_key_env = api_key_env
        self._client = httpx.Client(
            headers=headers,
            transport=transport or _deadline_transport(),
            trust_env=False,  # never route a local server through a proxy from the env
        )
        self.model = model or self._served_model()
        self.identity = f"http:{self.model}"
        self._tokenizer = _load_tokenizer(tokenizer, self.model)
        if self._tokenizer is not None:
            enc = self._tokenizer.encode
            self._budget = (
                max_length
                - len(enc(PREFIX, add_special_tokens=False).ids)
                - len(enc(SUFFIX, add_special_tokens=False).ids)
            )

    # -- requests -----------------------------------------------------------------------------
    def _request(self, method: str, url: str, payload: dict | None = None) -> _Answer:
        """One call within `timeout` seconds in all, with bounded retries on connection
        errors, timeouts, 429 and 5xx."""
        deadline = time.monotonic() + self.timeout
        tries = 0
        while True:
            tries += 1
            retry_after = None
            try:
                answer = self._attempt(method, url, payload, deadline)
            except (httpx.TransportError, _DeadlinePassed) as error:  # refused, reset, timed out
                failure: _Answer | Exception = error
            else:
                if answer.status_code not in _RETRY_STATUS:
                    return answer
                failure = answer
                retry_after = _retry_after(answer.headers.get("retry-after"))
            cap = min(self.backoff * 2 ** (tries - 1), self.backoff_max)
            wait = retry_after if retry_after is not None else random.uniform(0, cap)  # full jitter
            left = deadline - time.monotonic()
            if tries > self.retries or wait >= left:
                return self._give_up(failure, url, tries, retry_after, left)
            time.sleep(wait)

    def _attempt(self, method: str, url: str, payload: dict | None, deadline: float) -> _Answer:
        """One try, streamed, with every socket operation capped to the time left."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise _DeadlinePassed
        timeout = httpx.Timeout(left, connect=min(self.connect_timeout, left))
        _local.deadline = deadline
        try:
            with self._client.stream(method, url, json=payload, timeout=timeout) as response:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
                    raise self._too_big(url)
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_BODY_BYTES:
                        raise self._too_big(url)
                    if time.monotonic() >= deadline:
                        raise _DeadlinePassed
                return _Answer(response.status_code, response.headers, bytes(body))
        finally:
            _local.deadline = None

    def _give_up(self, failure, url: str, tries: int, retry_after: float | None, left: float) -> _Answer:
        """The error for the last failure (an answer is returned for `_json` to report)."""
        attempts = f"{tries} {'try' if tries == 1 else 'tries'}"
        if isinstance(failure, _Answer):
            if retry_after is not None and retry_after >= left and tries <= self.retries:
                raise RerankServerError(
                    f"the rerank server at {url} answered HTTP {failure.status_code} and asked to retry "
                    f"in {retry_after:g} s, past the {self.timeout:g} s deadline ({attempts})",
                    "the server is overloaded: try again later or raise --timeout",
                )
            return failure
        if isinstance(failure, (httpx.TimeoutException, _DeadlinePassed)):
            raise RerankServerError(
                f"the rerank server at {url} did not answer within {self.timeout:g} s ({attempts})",
                "is it overloaded or still starting? raise --timeout or check the server log",
            ) from failure
        if isinstance(failure, httpx.ConnectError):
            raise RerankServerError(
                f"cannot reach the rerank server at {url}: {_reason(failure)}", _SERVER_HINT
            ) from failure
        raise RerankServerError(  # connection reset, broken protocol
            f"the rerank server at {url} broke the connection: {_reason(failure)}", _SERVER_HINT
        ) from failure

    @staticmethod
    def _too_big(url: str) -> RerankServerError:
        return RerankServerError(
            f"the rerank server at {url} sent an answer larger than {MAX_BODY_BYTES // 2**20} MiB",
            "is --url a rerank server? " + _SERVER_HINT,
        )

    def _json(self, response: _Answer, url: str) -> object:
        status = response.status_code
        if status in (401, 403):
            raise RerankServerError(
                f"the rerank server at {url} refused the request (HTTP {status})",
                f"set the API key in ${self.api_key_env}",
            )
        if status == 404:
            detail = _error_message(response)
            if detail and "model" in detail.lower():  # vLLM: "The model `x` does not exist."
                raise RerankServerError(
                    f"the rerank server at {url} answered 404: {detail}",
                    "pass the served model's name as --model, or leave it out to use the server's",
                )
            raise RerankServerError(
                f"{url} answered 404: not a rerank API", "the server must be vLLM run with --runner pooling; " + _SERVER_HINT
            )
        if status >= 400:
            hint = {429: "the server is overloaded: try again later or raise --timeout"}.get(
                status, "check the server log" if status >= 500 else "check --model and the server's --max-model-len"
            )
            raise RerankServerError(f"the rerank server at {url} answered HTTP {status}: {_snippet(response)}", hint)
        try:
            return response.json()
        except (ValueError, RecursionError):
            raise RerankServerError(
                f"{url} answered something that is not the rerank API (not JSON): {_snippet(response)}",
                _SERVER_HINT,
            ) from None

    def _served_model(self) -> str:
        url = f"{self.base_url}/v1/models"
        data = self._json(self._request("GET", url), url)
        try:
            return str(data["data"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise RerankServerError(
                f"{url} answered something that is not an OpenAI-style model list", _SERVER_HINT
            ) from None

    # -- scoring ------------------------------------------------------------------------------
    def _fit(self, query: str, document: str, instruction: str | None) -> str:
        if self._tokenizer is None or not may_exceed(query, document, instruction, self._budget):
            return document

        def encode(text: str):
            enc = self._tokenizer.encode(text, add_special_tokens=False)
            return enc.ids, enc.offsets

        return fit_document(encode, query, document, instruction, self._budget)[0]

    def _score(self, query, documents, instruction, call: Call):
        q_side = query_side(query, instruction)
        scores: list[float] = []
        tokens = 0
        for start in range(0, len(documents), self.batch_size):
            call.check()
            chunk = documents[start : start + self.batch_size]
            payload = {
                "model": self.model,
                "query": q_side,
                "documents": [document_side(self._fit(query, d, instruction)) for d in chunk],
            }
            data = self._json(self._request("POST", self.rerank_url, payload), self.rerank_url)
            scores += self._parse(data, len(chunk))
            usage = data.get("usage") if isinstance(data, dict) else None
            if isinstance(usage, dict) and isinstance(usage.get("prompt_tokens"), int) and tokens is not None:
                tokens += usage["prompt_tokens"]
            else:
                tokens = None
            call.stats.batches += 1
        call.stats.tokens = tokens
        return scores

    def _parse(self, data: object, n: int) -> list[float]:
        """`results[].index/relevance_score` back to input order; anything else is an error,
        and so is a score that is not a number in [0, 1] (json reads `NaN` and `Infinity`)."""
        out: list[float | None] = [None] * n
        try:
            for item in data["results"]:
                index, score = item["index"], item["relevance_score"]
                if not _is_int(index) or index < 0 or out[index] is not None:
                    raise ValueError(index)
                if not (_is_number(score) and 0.0 <= score <= 1.0):  # False for NaN too
                    raise RerankServerError(
                        f"{self.rerank_url} returned the score {score!r} for document {index}, "
                        "not a probability in [0, 1]",
                        "the server must score with the Qwen3 overrides; " + _SERVER_HINT,
                    )
                out[index] = float(score)
        except (KeyError, TypeError, ValueError, IndexError):
            raise RerankServerError(
                f"{self.rerank_url} answered JSON that is not a rerank result: {str(data)[:120]}",
                _SERVER_HINT,
            ) from None
        if any(s is None for s in out):
            raise RerankServerError(
                f"{self.rerank_url} returned {sum(s is not None for s in out)} scores for {n} documents",
                "the server may cap results (top_n); check its version",
            )
        return out  # type: ignore[return-value]

    def close(self) -> None:
        self._client.close()


def _load_tokenizer(tokenizer: str | Path | None, model: str):
    """A `tokenizers.Tokenizer` for client-side truncation, or None when none is at hand."""
    candidates = [Path(tokenizer)] if tokenizer else [Path(model).expanduser()]
    for path in candidates:
        file = path / "tokenizer.json" if path.is_dir() else path
        if file.is_file() and file.suffix == ".json":
            from tokenizers import Tokenizer

            loaded = Tokenizer.from_file(str(file))
            loaded.no_padding()  # a tokenizer.json may carry either setting
            loaded.no_truncation()
            return loaded
    if tokenizer:
        raise RerankServerError(f"no tokenizer.json at {tokenizer}", "pass a checkpoint folder or its tokenizer.json")
    return None


@dataclass(frozen=True, slots=True)
class _Answer:
    """A whole response, read within the deadline."""

    status_code: int
    headers: httpx.Headers
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> object:
        return json.loads(self.content)


class _DeadlinePassed(Exception):
    """The request's deadline passed before a try or between two reads of its body."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _error_message(response: _Answer) -> str | None:
    """The message of an OpenAI-style error body, if it is one."""
    try:
        data = response.json()
    except (ValueError, RecursionError):
        return None
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    return str(message)[:200] if message else None


def _snippet(response: _Answer) -> str:
    text = " ".join(response.text.split())
    return repr(text[:100] + ("…" if len(text) > 100 else ""))
