"""Scoring through a running rerank server: vLLM's `/rerank` (the Jina/Cohere-style rerank API),
or any server of that API, or text-embeddings-inference's.

Two kinds of server (`server_kind`):

- "qwen3": vLLM running the checkpoint as a scorer with the Qwen3 overrides and no chat
  template (README.md, "Reranking", shows the `vllm serve` command); the client sends the
  official prompt already split into `query_side` and `document_side`, so the server's scores
  are the contract's p(yes). Scores that are not a number in [0, 1] are an error.
- "plain": a server whose model is not a Qwen3 yes/no scorer (bge-reranker, jina-reranker,
  Cohere, TEI, Infinity, ...): the query and documents are sent as they are, with no prompt
  and no instruction, and the scores are that model's (`score_label` "score"), any finite
  number.
- "auto" (the default): plain when the served model's name is a reranker's other than
  Qwen3-Reranker's (bge-reranker-…, jina-reranker-…, mxbai-rerank-…, ms-marco-…) or the
  server is TEI; else qwen3, as before this option existed. A note says when it chose plain.

Wire shapes: `{"model", "query", "documents"[, "top_n"]}` → `{"results": [{"index",
"relevance_score"}], "usage": {"prompt_tokens"?, "total_tokens"}}` (vLLM, Jina, Cohere,
Infinity), or TEI's `{"query", "texts", "truncate"}` → `[{"index", "score"}]` (tokens in its
`x-compute-tokens` header); TEI's is used once the server asks for `texts` or its `/info`
says it is TEI. Routes: a base URL tries vLLM's current `/rerank`, then `/v1/rerank` (older
vLLM, Jina) when that answers 404, and keeps the one that works; a URL ending in `/rerank`
(`https://api.cohere.com/v2/rerank`) is used as it is.

`timeout` is one deadline for a whole request: connecting, every read, all retries and the
waits between them. httpx's own timeouts are per socket operation (a server trickling a byte a
second never trips them), so the client's sockets cap each operation to the time left and the
body is streamed with the deadline checked between chunks. Connection errors, timeouts, 429
and 5xx answers are retried a bounded number of times, waiting what `Retry-After` asks or a
jittered exponential backoff, never past the deadline; everything else fails at once with an
error naming the URL.

`concurrency` (default 4) requests may be in flight at once, from one call (a long candidate
list split into batches) or many (`rank_many`, several calls from threads); each keeps its own
deadline and retries, and a call waiting for a free slot still sees its cancel. vLLM batches
concurrent requests into the same forward passes, so a few in flight hide each request's
round trip and JSON work and keep the accelerator busy; past 4–8 the gain flattens while a
shared server's queue (and its other users' latency) grows.

TLS: `ca_bundle` (a PEM file) else `$SSL_CERT_FILE` else certifi; proxies from the environment
apply to remote hosts only (http_deadline.py). The API key is read from an environment
variable (default `RERANK_TUI_API_KEY`) and kept in memory only. Documents are truncated
client-side for qwen3 when a tokenizer is at hand (`tokenizer=` a tokenizer.json or checkpoint
folder, or `model` is a local folder); otherwise, and for plain servers, the server's own limit
applies (TEI is asked to truncate).
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import httpx

from rerank_tui.http_deadline import NOT_A_MODEL_LIST, Answer, CABundleError, DeadlineClient, error_message, first_model_id, snippet

from .base import _POLL_S, BaseReranker, Call
from .errors import RerankCancelled, RerankServerError
from .prompt import PREFIX, SUFFIX, document_side, fit_document, may_exceed, query_side

DEFAULT_API_KEY_ENV = "RERANK_TUI_API_KEY"
DEFAULT_TIMEOUT = 60.0
DEFAULT_CONCURRENCY = 4
SERVER_KINDS = ("auto", "qwen3", "plain")
MAX_BODY_BYTES = 64 * 2**20  # a rerank answer is a few KiB; anything near this is not one
_SERVER_HINT = (
    "start one with `python -m vllm.entrypoints.openai.api_server --model M --runner pooling "
    "--hf-overrides '{\"architectures\":[\"Qwen3ForSequenceClassification\"],"
    "\"classifier_from_token\":[\"no\",\"yes\"],\"is_original_qwen3_reranker\":true}'` "
    "or fix --url"
)
_PLAIN_HINT = "is --url a rerank API (vLLM, TEI, Infinity, Jina, Cohere)? fix --url, or pass the full endpoint ending in /rerank"
_TLS_HINT = "pass the server's CA certificate with --ca-bundle FILE (or set $SSL_CERT_FILE)"
# Names of rerankers that are not Qwen3's yes/no scorer: "auto" treats their servers as plain.
_PLAIN_MODEL_WORDS = ("rerank", "cross-encoder", "crossencoder", "ms-marco", "msmarco")
DOCUMENTS, TEI = "documents", "tei"  # the two wire shapes


class HttpReranker(BaseReranker):
    thread_safe = True  # httpx's Client pools connections across threads; the deadline is per thread
    device = "http"

    def __init__(
        self,
        url: str,
        model: str | None = None,
        *,
        server_kind: str = "auto",
        max_length: int = 8192,
        batch_size: int = 64,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.5,
        backoff_max: float = 8.0,
        api_key_env: str = DEFAULT_API_KEY_ENV,
        tokenizer: str | Path | None = None,
        ca_bundle: str | Path | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        super().__init__()
        if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        if not (isinstance(concurrency, int) and not isinstance(concurrency, bool) and concurrency >= 1):
            raise ValueError(f"concurrency must be a whole number of requests, at least 1, not {concurrency!r}")
        if server_kind not in SERVER_KINDS:
            raise ValueError(f"server kind {server_kind!r}: choose one of {', '.join(SERVER_KINDS)}")
        self.base_url, self._routes = _endpoints(url)
        self.rerank_url = self._routes[0]
        self._settled = False  # True once a request got an answer: route and shape are known
        self._api = DOCUMENTS
        self.max_length = max_length
        self.batch_size = max(1, batch_size)
        self.concurrency = concurrency
        self.api_key_env = api_key_env
        try:
            self._http = DeadlineClient(
                timeout=timeout, connect_timeout=connect_timeout, retries=retries, backoff=backoff, backoff_max=backoff_max,
                api_key_env=api_key_env, max_body_bytes=MAX_BODY_BYTES, error=RerankServerError, what="rerank server",
                hint=self._hint, timeout_option="--timeout", too_big_hint="is --url a rerank server? ",
                certificate_hint=_TLS_HINT, ca_bundle=ca_bundle,
                limits=httpx.Limits(max_connections=max(100, concurrency), max_keepalive_connections=max(20, concurrency)),
                transport=transport,
            )
        except CABundleError as error:
            raise RerankServerError(str(error), "pass a PEM file of the CA that signed the server's certificate") from None
        self.timeout = self._http.timeout
        self._slots = threading.BoundedSemaphore(concurrency)  # requests in flight, all calls together
        self._pool: ThreadPoolExecutor | None = None  # one call's batches, made on first need
        self._pool_lock = threading.Lock()
        self.model = model or self._served_model()
        self.server_kind = self._kind(server_kind)
        self.plain = self.server_kind == "plain"
        self.identity = f"{'http-plain' if self.plain else 'http'}:{self.model}@{_normalised(self.base_url)}"
        short = self.model.rstrip("/").split("/")[-1] or self.model
        self.label = f"{short} · http plain" if self.plain else f"{short} · http"
        self.score_label = "score" if self.plain else "p(yes)"
        self.uses_instruction = not self.plain
        notes = []
        if self.plain:
            why = "" if server_kind == "plain" else f" ({self.model} is not Qwen3-Reranker; --server-kind qwen3 forces the Qwen3 prompt)"
            notes.append(
                f"plain rerank server{why}: query and documents are sent as they are, without the Qwen3 "
                f"prompt or any instruction; scores are {short}'s own, not Qwen3's p(yes)"
            )
        if self.plain and tokenizer:
            notes.append("the tokenizer is not used with a plain rerank server: the server truncates to its own limit")
        self.notes = tuple(notes)
        self._tokenizer = None if self.plain else _load_tokenizer(tokenizer, self.model)
        if self._tokenizer is not None:
            enc = self._tokenizer.encode
            self._budget = (
                max_length
                - len(enc(PREFIX, add_special_tokens=False).ids)
                - len(enc(SUFFIX, add_special_tokens=False).ids)
            )

    @property
    def parallel_calls(self) -> int:
        """How many `rank()` calls `rank_many` runs at once: one per request slot."""
        return self.concurrency

    def _kind(self, requested: str) -> str:
        if requested != "auto":
            return requested
        if self._api == TEI:
            return "plain"
        name = self.model.lower()
        if "qwen3" in name and "rerank" in name:
            return "qwen3"
        return "plain" if any(word in name for word in _PLAIN_MODEL_WORDS) else "qwen3"

    # -- requests -----------------------------------------------------------------------------
    def _request(self, method: str, url: str, payload: dict | None = None) -> Answer:
        """One call within `timeout` seconds in all, with bounded retries (`DeadlineClient`)."""
        return self._http.request(method, url, payload)

    def _hint(self) -> str:
        return _PLAIN_HINT if getattr(self, "plain", False) else _SERVER_HINT

    def _json(self, response: Answer, url: str) -> Any:  # parsed JSON: read under try/except
        status = response.status_code
        if status in (401, 403):
            raise RerankServerError(
                f"the rerank server at {url} refused the request (HTTP {status})",
                f"set the API key in ${self.api_key_env}",
            )
        if status == 404:
            detail = error_message(response)
            if detail and "model" in detail.lower():  # vLLM: "The model `x` does not exist."
                raise RerankServerError(
                    f"the rerank server at {url} answered 404: {detail}",
                    "pass the served model's name as --model, or leave it out to use the server's",
                )
            raise RerankServerError(
                f"{url} answered 404: not a rerank API",
                "the server must be vLLM run with --runner pooling (or a rerank API: --server-kind plain); " + _SERVER_HINT,
            )
        if status >= 400:
            hint = {429: "the server is overloaded: try again later or raise --timeout"}.get(
                status, "check the server log" if status >= 500 else "check --model and the server's --max-model-len"
            )
            raise RerankServerError(f"the rerank server at {url} answered HTTP {status}: {snippet(response)}", hint)
        try:
            return response.json()
        except (ValueError, RecursionError):
            raise RerankServerError(
                f"{url} answered something that is not the rerank API (not JSON): {snippet(response)}",
                self._hint(),
            ) from None

    def _served_model(self) -> str:
        """The first model of `/v1/models`; for TEI (no such route), `/info`'s model_id."""
        url = f"{self.base_url}/v1/models"
        answer = self._request("GET", url)
        if answer.status_code == 404:
            info = self._tei_info()
            if info is not None:
                return info
        data = self._json(answer, url)
        model = first_model_id(data)
        if model is None:
            raise RerankServerError(f"{url} {NOT_A_MODEL_LIST}", "pass the served model's name as --model; " + _SERVER_HINT)
        return model

    def _tei_info(self) -> str | None:
        """TEI's `/info` → its model id (and the TEI wire shape from now on), or None."""
        url = f"{self.base_url}/info"
        try:
            answer = self._request("GET", url)
            data = answer.json() if answer.status_code == 200 else None
        except (RerankServerError, ValueError, RecursionError):
            return None
        if isinstance(data, dict) and isinstance(data.get("model_id"), str):
            self._api = TEI
            return data["model_id"]
        return None

    def _post(self, query: str, documents: list[str]) -> tuple[object, Answer, str]:
        """One batch to the rerank route: the JSON answer, the raw answer and the URL that
        took it. Falls back from `/rerank` to `/v1/rerank` on a 404, and to TEI's shape when
        the server asks for `texts`; both are remembered. Until a first answer settles them,
        concurrent batches each find them (a few 404s at most): none waits for another, since
        a request still out there (a stale query's, a slow batch) must not hold up a new one."""
        while True:
            url, api = self.rerank_url, self._api
            payload: dict[str, object] = (
                {"query": query, "texts": documents, "truncate": True}
                if api == TEI
                else {"model": self.model, "query": query, "documents": documents}
            )
            if api != TEI and self.plain:
                payload["top_n"] = len(documents)  # every server's default is all, but not every server's docs say so
            answer = self._request("POST", url, payload)
            if answer.status_code in (404, 422) and (url, api) != (self.rerank_url, self._api):
                continue  # another request found the route or the shape while this one was out: use them
            if not self._settled:
                if answer.status_code == 404 and not _names_a_model(answer):
                    position = self._routes.index(url)
                    if position + 1 == len(self._routes):
                        tried = " and ".join(self._routes)
                        raise RerankServerError(f"{tried} answered 404: not a rerank API", self._hint())
                    self.rerank_url = self._routes[position + 1]
                    continue
                if api == DOCUMENTS and answer.status_code == 422 and b"texts" in answer.content and b"missing" in answer.content:
                    self._api = TEI  # text-embeddings-inference: `missing field \`texts\``
                    continue
                if answer.status_code < 400:
                    self._settled = True
            return self._json(answer, url), answer, url

    # -- scoring ------------------------------------------------------------------------------
    def _fit(self, query: str, document: str, instruction: str | None) -> str:
        tokenizer = self._tokenizer
        if tokenizer is None or not may_exceed(query, document, instruction, self._budget):
            return document

        def encode(text: str):
            enc = tokenizer.encode(text, add_special_tokens=False)
            return enc.ids, enc.offsets

        return fit_document(encode, query, document, instruction, self._budget)[0]

    def _score(self, query, documents, instruction, call: Call):
        chunks = [documents[start : start + self.batch_size] for start in range(0, len(documents), self.batch_size)]
        if self.concurrency == 1 or len(chunks) == 1:
            answers = []
            for chunk in chunks:
                call.check()
                answers.append(self._batch(query, chunk, instruction, call))
                call.stats.batches += 1
        else:
            answers = self._batches_at_once(query, chunks, instruction, call)
        scores: list[float] = []
        tokens: int | None = 0
        for batch_scores, batch_tokens in answers:
            scores += batch_scores
            tokens = None if tokens is None or batch_tokens is None else tokens + batch_tokens
        call.stats.tokens = tokens
        return scores

    def _batches_at_once(self, query, chunks, instruction, call: Call) -> list[tuple[list[float], int | None]]:
        """A long candidate list's batches in parallel (at most `concurrency` in flight), in
        order; the caller's cancel is watched here, and stops batches not yet sent."""
        abort = threading.Event()
        futures: list[Future] = [self._batch_pool().submit(self._batch, query, c, instruction, None, abort) for c in chunks]
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=_POLL_S, return_when=FIRST_EXCEPTION)
                for future in done:
                    error = future.exception()
                    if error is not None:
                        raise error
                    call.stats.batches += 1
                call.check()
        except BaseException:
            abort.set()
            for future in futures:
                future.cancel()
            raise
        return [future.result() for future in futures]

    def _batch_pool(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="rerank-http")
            return self._pool

    def _batch(self, query, chunk, instruction, call: Call | None, abort: threading.Event | None = None):
        """One request: (scores in input order, prompt tokens or None). Waits for a free slot
        (checking `call`'s cancel, or `abort` when run for another thread's call)."""
        if self.plain:
            q_text, texts = query, list(chunk)
        else:
            q_text = query_side(query, instruction)
            texts = [document_side(self._fit(query, d, instruction)) for d in chunk]
        while not self._slots.acquire(timeout=_POLL_S):
            if call is not None:
                call.check()
            if abort is not None and abort.is_set():
                raise RerankCancelled("rerank cancelled")
        try:
            if abort is not None and abort.is_set():
                raise RerankCancelled("rerank cancelled")
            data, answer, url = self._post(q_text, texts)
        finally:
            self._slots.release()
        return self._parse(data, len(chunk), url), _tokens(data, answer)

    def _parse(self, data: Any, n: int, url: str | None = None) -> list[float]:
        """`results[].index/relevance_score` (or TEI's `[].index/score`) back to input order;
        anything else is an error, and so is a score that is not a finite number (for qwen3:
        not a number in [0, 1]; json reads `NaN` and `Infinity`)."""
        url = url or self.rerank_url
        out: list[float | None] = [None] * n
        try:
            items, field = (data, "score") if isinstance(data, list) else (data["results"], "relevance_score")
            for item in items:
                index, score = item["index"], item[field]
                if not _is_int(index) or index < 0 or out[index] is not None:
                    raise ValueError(index)
                if self.plain:
                    if not (_is_number(score) and math.isfinite(score)):
                        raise RerankServerError(
                            f"{url} returned the score {score!r} for document {index}, not a finite number",
                            "check the server log",
                        )
                elif not (_is_number(score) and 0.0 <= score <= 1.0):  # False for NaN too
                    raise RerankServerError(
                        f"{url} returned the score {score!r} for document {index}, "
                        "not a probability in [0, 1]",
                        "the server must score with the Qwen3 overrides (a plain reranker: --server-kind plain); "
                        + _SERVER_HINT,
                    )
                out[index] = float(score)
        except (KeyError, TypeError, ValueError, IndexError):
            raise RerankServerError(
                f"{url} answered JSON that is not a rerank result: {str(data)[:120]}",
                self._hint(),
            ) from None
        if any(s is None for s in out):
            raise RerankServerError(
                f"{url} returned {sum(s is not None for s in out)} scores for {n} documents",
                "the server may cap results (top_n); check its version",
            )
        return out  # type: ignore[return-value]

    def close(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        self._http.close()


def _endpoints(url: str) -> tuple[str, list[str]]:
    """(base URL for `/v1/models`, the rerank routes to try in order)."""
    url = url.strip().rstrip("/")
    if url.endswith("/rerank"):  # a full endpoint: used as it is
        base = url.removesuffix("/rerank")
        for version in ("/v1", "/v2"):
            base = base.removesuffix(version)
        return base, [url]
    base = url.removesuffix("/v1")
    return base, [f"{base}/rerank", f"{base}/v1/rerank"]


def _normalised(base: str) -> str:
    """The server's URL as part of the cache identity: scheme and host lower case, no
    credentials, no default port, no trailing slash."""
    try:
        u = httpx.URL(base)
    except (httpx.InvalidURL, TypeError, ValueError):
        return base
    host = f"[{u.host}]" if ":" in u.host else u.host
    port = f":{u.port}" if u.port is not None else ""
    return f"{u.scheme}://{host}{port}{u.path.rstrip('/')}"


def _tokens(data: object, answer: Answer) -> int | None:
    """Prompt tokens of one answer: `usage.prompt_tokens` (vLLM, Infinity), else
    `usage.total_tokens` (older vLLM, Jina), else TEI's `x-compute-tokens`; None if none."""
    usage = data.get("usage") if isinstance(data, dict) else None
    if isinstance(usage, dict):
        for field in ("prompt_tokens", "total_tokens"):
            if _is_int(usage.get(field)):
                return usage[field]
    header = answer.headers.get("x-compute-tokens", "")
    return int(header) if header.isdigit() else None


def _names_a_model(answer: Answer) -> bool:
    detail = error_message(answer)
    return bool(detail and "model" in detail.lower())


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


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
