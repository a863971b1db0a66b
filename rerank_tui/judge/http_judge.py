"""Judging through an OpenAI-compatible server (vLLM serve, llama.cpp, ...): one generated
token's top logprobs at the answer position give the grade distribution.

- endpoint "completions": POST /v1/completions with a batch of prompts per request,
  `chatml(message)` each (Qwen3's format, thinking off: the server's chat template is not
  used), `max_tokens: 1, temperature: 0, logprobs: top_logprobs`; each choice's
  `logprobs.top_logprobs[0]` ({token: logprob}) is read, matched to its prompt by `index`.
- endpoint "chat": POST /v1/chat/completions, one request per passage, the message as the
  user turn (the server applies the model's chat template; `chat_template_kwargs:
  {enable_thinking: false}` for Qwen3), `logprobs: true, top_logprobs: k`; read
  `choices[0].logprobs.content[0].top_logprobs`.

The restricted softmax over the grades is exact for the grade tokens in the top k; one not
there gets probability 0 and is counted in `missing` (vLLM caps k at its --max-logprobs,
20 by default). Requests use the project's deadline client (http_deadline.py): one
deadline per request, bounded retries of connection errors, 429 and 5xx; up to `concurrency`
requests are in flight at once, and a call's cancel is watched while they are.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import httpx

from rerank_tui.http_deadline import NOT_A_MODEL_LIST, Answer, CABundleError, DeadlineClient, error_message, first_model_id, snippet
from rerank_tui.rerank.base import _POLL_S
from rerank_tui.rerank.errors import RerankCancelled
from rerank_tui.rerank.http_backend import _normalised

from .base import BaseJudge, Cancel, raise_if_cancelled
from .errors import JudgeServerError
from .grades import GradeDistribution
from .prompt import DEFAULT_MAX_PASSAGE_CHARS, JudgePrompt, chatml

ENDPOINTS = ("completions", "chat")
DEFAULT_API_KEY_ENV = "RERANK_TUI_API_KEY"
DEFAULT_TIMEOUT = 60.0
MAX_BODY_BYTES = 64 * 2**20
_HINT = "start one with `python -m vllm.entrypoints.openai.api_server --model M --max-logprobs 20` (or any OpenAI-compatible server) or fix the URL"
_TLS_HINT = "pass the server's CA certificate with --ca-bundle FILE (or set $SSL_CERT_FILE)"


class HttpJudge(BaseJudge):
    thread_safe = True  # the server takes overlapping requests; httpx pools connections across threads
    device = "http"

    def __init__(
        self,
        url: str,
        *,
        model: str | None = None,
        endpoint: str = "completions",
        grades: Sequence[int],
        names: Mapping[int, str] | None = None,
        prompt: JudgePrompt | None = None,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        concurrency: int = 4,
        top_logprobs: int = 20,
        max_passage_chars: int = DEFAULT_MAX_PASSAGE_CHARS,
        batch_size: int = 16,
        retries: int = 3,
        connect_timeout: float = 5.0,
        api_key_env: str = DEFAULT_API_KEY_ENV,
        ca_bundle: str | Path | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        super().__init__(grades=grades, names=names, prompt=prompt, max_passage_chars=max_passage_chars)
        if endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint {endpoint!r}: choose one of {', '.join(ENDPOINTS)}")
        if not (isinstance(concurrency, int) and not isinstance(concurrency, bool) and concurrency >= 1):
            raise ValueError(f"concurrency must be a whole number of requests, at least 1, not {concurrency!r}")
        if not (isinstance(top_logprobs, int) and not isinstance(top_logprobs, bool) and top_logprobs >= 1):
            raise ValueError(f"top_logprobs must be a whole number, at least 1, not {top_logprobs!r}")
        self.endpoint = endpoint
        self.base_url = _base_url(url)
        self.route = f"{self.base_url}/v1/{'completions' if endpoint == 'completions' else 'chat/completions'}"
        self.concurrency = concurrency
        self.top_logprobs = top_logprobs
        self.batch_size = max(1, batch_size)
        self.api_key_env = api_key_env
        try:
            self._http = DeadlineClient(
                timeout=timeout, connect_timeout=connect_timeout, retries=retries, api_key_env=api_key_env, api_key=api_key,
                max_body_bytes=MAX_BODY_BYTES, error=JudgeServerError, what="judge server", hint=lambda: _HINT,
                timeout_option="the judge's timeout", too_big_hint="is the URL an OpenAI-compatible server? ", certificate_hint=_TLS_HINT,
                ca_bundle=ca_bundle, limits=httpx.Limits(max_connections=max(100, concurrency), max_keepalive_connections=max(20, concurrency)),
                transport=transport,
            )
        except CABundleError as error:
            raise JudgeServerError(str(error), "pass a PEM file of the CA that signed the server's certificate") from None
        self._slots = threading.BoundedSemaphore(concurrency)  # requests in flight, all calls together
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self.model = model or self._served_model()
        self.model_name = self.model
        self.identity = f"http:{_normalised(self.base_url)}:{self.model}:{endpoint}"

    # -- requests ---------------------------------------------------------------------------
    def _json(self, answer: Answer, url: str) -> Any:
        status = answer.status_code
        if status in (401, 403):
            raise JudgeServerError(f"the judge server at {url} refused the request (HTTP {status})", f"set the API key in ${self.api_key_env}")
        detail = error_message(answer)
        if status == 404:
            if detail and "model" in detail.lower():
                raise JudgeServerError(f"the judge server at {url} answered 404: {detail}", "pass the served model's name, or leave it out to use the server's")
            raise JudgeServerError(f"{url} answered 404: not an OpenAI-compatible API", _HINT)
        if status >= 400:
            text = detail or snippet(answer)
            if "logprob" in text.lower():
                hint = f"lower the judge's top_logprobs ({self.top_logprobs}) or start vLLM with --max-logprobs {self.top_logprobs}"
            else:
                hint = "check the server log" if status >= 500 else "check the model name and the server's --max-model-len"
            raise JudgeServerError(f"the judge server at {url} answered HTTP {status}: {text}", hint)
        try:
            return answer.json()
        except (ValueError, RecursionError):
            raise JudgeServerError(f"{url} answered something that is not JSON: {snippet(answer)}", _HINT) from None

    def _served_model(self) -> str:
        url = f"{self.base_url}/v1/models"
        data = self._json(self._http.request("GET", url), url)
        model = first_model_id(data)
        if model is None:
            raise JudgeServerError(f"{url} {NOT_A_MODEL_LIST}", "pass the served model's name; " + _HINT)
        return model

    def _completions(self, messages: list[str]) -> list[GradeDistribution | None]:
        payload = {
            "model": self.model, "prompt": [chatml(m) for m in messages],
            "max_tokens": 1, "temperature": 0, "logprobs": self.top_logprobs,
        }
        data = self._json(self._http.request("POST", self.route, payload), self.route)
        out: list[GradeDistribution | None] = [None] * len(messages)
        seen = set()
        try:
            for choice in data["choices"]:
                index = choice["index"]
                if not (isinstance(index, int) and 0 <= index < len(messages)) or index in seen:
                    raise ValueError(index)
                seen.add(index)
                out[index] = GradeDistribution.from_logprobs(self.grades, _token_logprobs(choice["logprobs"]["top_logprobs"][0]))
        except (KeyError, IndexError, TypeError, ValueError):
            raise self._not_logprobs(data) from None
        if len(seen) != len(messages):
            raise JudgeServerError(f"{self.route} answered {len(seen)} choices for {len(messages)} prompts", "check the server's version and log")
        return out

    def _chat(self, message: str) -> list[GradeDistribution | None]:
        payload = {
            "model": self.model, "messages": [{"role": "user", "content": message}],
            "max_tokens": 1, "temperature": 0, "logprobs": True, "top_logprobs": self.top_logprobs,
            "chat_template_kwargs": {"enable_thinking": False},
        }
        data = self._json(self._http.request("POST", self.route, payload), self.route)
        try:
            top = data["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
            logprobs: dict[str, float] = {}
            for item in top:
                token, value = item["token"], item["logprob"]
                if not isinstance(token, str):
                    raise TypeError(token)
                logprobs[token] = max(_number(value), logprobs.get(token, -math.inf))
        except (KeyError, IndexError, TypeError, ValueError):
            raise self._not_logprobs(data) from None
        return [GradeDistribution.from_logprobs(self.grades, logprobs)]

    def _not_logprobs(self, data: object) -> JudgeServerError:
        return JudgeServerError(
            f"{self.route} answered JSON without the next token's logprobs: {str(data)[:120]}",
            "the server must return logprobs (vLLM, llama.cpp's server and OpenAI-compatible servers do); " + _HINT,
        )

    # -- judging ----------------------------------------------------------------------------
    def _judge(self, query: str, messages: list[str], cancel: Cancel) -> list[GradeDistribution | None]:
        tasks: list[Callable[[], list[GradeDistribution | None]]]
        if self.endpoint == "completions":
            chunks = [messages[i : i + self.batch_size] for i in range(0, len(messages), self.batch_size)]
            tasks = [functools.partial(self._completions, chunk) for chunk in chunks]
        else:
            tasks = [functools.partial(self._chat, m) for m in messages]
        out: list[GradeDistribution | None] = []
        if self.concurrency == 1 or len(tasks) == 1:
            for task in tasks:
                raise_if_cancelled(cancel)
                out += self._in_slot(task, cancel, None)
            return out
        abort = threading.Event()
        futures: list[Future] = [self._task_pool().submit(self._in_slot, task, None, abort) for task in tasks]
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=_POLL_S, return_when=FIRST_EXCEPTION)
                for future in done:
                    error = future.exception()
                    if error is not None:
                        raise error
                raise_if_cancelled(cancel)
        except BaseException:
            abort.set()
            for future in futures:
                future.cancel()
            raise
        for future in futures:
            out += future.result()
        return out

    def _in_slot(self, task, cancel: Cancel, abort: threading.Event | None):
        """Run one request once a slot is free (watching `cancel`, or `abort` for another thread's call)."""
        while not self._slots.acquire(timeout=_POLL_S):
            raise_if_cancelled(cancel)
            if abort is not None and abort.is_set():
                raise RerankCancelled("judging cancelled")
        try:
            if abort is not None and abort.is_set():
                raise RerankCancelled("judging cancelled")
            return task()
        finally:
            self._slots.release()

    def _task_pool(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="judge-http")
            return self._pool

    def close(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        self._http.close()


def _base_url(url: str) -> str:
    """The server's base URL: a trailing /v1 (or a whole /v1/... route) is dropped."""
    url = url.strip().rstrip("/")
    for tail in ("/v1/chat/completions", "/v1/completions", "/v1"):
        if url.endswith(tail):
            return url.removesuffix(tail)
    return url


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(value)
    return float(value)


def _token_logprobs(top: object) -> dict[str, float]:
    """A completions choice's {token: logprob} at the first position, checked."""
    if not isinstance(top, dict):
        raise TypeError(top)
    return {str(token): _number(value) for token, value in top.items()}
