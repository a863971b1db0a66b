"""Scoring through a running vLLM server's `/v1/rerank` (the Jina/Cohere-style rerank API).

The server must run the checkpoint as a scorer with the Qwen3 overrides and no chat template
(see shared/VLLM_ON_CPU.md, "The server"); the client sends the official prompt already split
into `query_side` and `document_side`, so the server's scores are the contract's p(yes).

Connection errors, timeouts and 5xx answers are retried a bounded number of times with
exponential backoff; everything else fails at once with an error naming the URL. The API key
is read from an environment variable (default `RERANK_TUI_API_KEY`) and kept in memory only.
Documents are truncated client-side when a tokenizer is at hand (`tokenizer=` a tokenizer.json
or checkpoint folder, or `model` is a local folder); otherwise the server's own limit applies.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx

from .base import BaseReranker, RerankStats
from .errors import RerankServerError
from .prompt import PREFIX, SUFFIX, document_side, fit_document, may_exceed, query_side

DEFAULT_API_KEY_ENV = "RERANK_TUI_API_KEY"
_RETRY_STATUS = {429, 500, 502, 503, 504}
_SERVER_HINT = (
    "start one with `python -m vllm.entrypoints.openai.api_server --model M --runner pooling "
    "--hf-overrides '{\"architectures\":[\"Qwen3ForSequenceClassification\"],"
    "\"classifier_from_token\":[\"no\",\"yes\"],\"is_original_qwen3_reranker\":true}'` "
    "or fix --url"
)


class HttpReranker(BaseReranker):
    def __init__(
        self,
        url: str,
        model: str | None = None,
        *,
        max_length: int = 8192,
        batch_size: int = 64,
        timeout: float = 60.0,
        connect_timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.5,
        backoff_max: float = 8.0,
        api_key_env: str = DEFAULT_API_KEY_ENV,
        tokenizer: str | Path | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        super().__init__()
        base = url.rstrip("/")
        base = base.removesuffix("/v1/rerank").removesuffix("/v1")
        self.base_url = base
        self.rerank_url = f"{base}/v1/rerank"
        self.max_length = max_length
        self.batch_size = max(1, batch_size)
        self.retries = max(0, retries)
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.timeout = timeout
        headers = {"Accept": "application/json"}
        key = os.environ.get(api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self.api_key_env = api_key_env
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(connect_timeout, timeout)),
            transport=transport,
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
    def _request(self, method: str, url: str, json: dict | None = None) -> httpx.Response:
        """One call with bounded retries on connection errors, timeouts and 5xx."""
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self._client.request(method, url, json=json)
            except httpx.ConnectError as error:
                if last:
                    raise RerankServerError(
                        f"cannot reach the rerank server at {url}: {_reason(error)}", _SERVER_HINT
                    ) from error
            except httpx.TimeoutException as error:
                if last:
                    raise RerankServerError(
                        f"the rerank server at {url} did not answer within {self.timeout:g} s "
                        f"({self.retries + 1} tries)",
                        "is it overloaded or still starting? raise the timeout or check the server log",
                    ) from error
            except httpx.TransportError as error:  # connection reset, broken protocol
                if last:
                    raise RerankServerError(
                        f"the rerank server at {url} broke the connection: {_reason(error)}", _SERVER_HINT
                    ) from error
            else:
                if response.status_code not in _RETRY_STATUS or last:
                    return response
            time.sleep(min(self.backoff * 2**attempt, self.backoff_max))
        raise AssertionError("unreachable")  # pragma: no cover

    def _json(self, response: httpx.Response, url: str) -> object:
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
            raise RerankServerError(
                f"the rerank server at {url} answered HTTP {status}: {_snippet(response)}",
                "check the server log" if status >= 500 else "check --model and the server's --max-model-len",
            )
        try:
            return response.json()
        except ValueError:
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

    def _score(self, query, documents, instruction, check, stats: RerankStats):
        q_side = query_side(query, instruction)
        scores: list[float] = []
        tokens = 0
        for start in range(0, len(documents), self.batch_size):
            check()
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
            stats.batches += 1
        stats.tokens = tokens
        return scores

    def _parse(self, data: object, n: int) -> list[float]:
        """`results[].index/relevance_score` back to input order; anything else is an error."""
        out: list[float | None] = [None] * n
        try:
            for item in data["results"]:
                index, score = item["index"], item["relevance_score"]
                if not isinstance(index, int) or out[index] is not None or index < 0:
                    raise ValueError(index)
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


def _reason(error: Exception) -> str:
    text = str(error) or type(error).__name__
    if "refused" in text.lower() or "Errno 111" in text:
        return "connection refused (is the server running?)"
    return text


def _error_message(response: httpx.Response) -> str | None:
    """The message of an OpenAI-style error body, if it is one."""
    try:
        data = response.json()
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    return str(message)[:200] if message else None


def _snippet(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return repr(text[:100] + ("…" if len(text) > 100 else ""))
