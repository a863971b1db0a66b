"""Embeddings from a running server's OpenAI-compatible `/v1/embeddings`.

`vllm serve MODEL --runner pooling`, Hugging Face TEI and Infinity all answer it. Servers embed
the text they are sent as is (none of them applies a model's query prompt), so prompts are put
in front here, by the same rules as the in-process backend: `query_style` "instruct" for
Qwen3-Embedding (`Instruct: {task}\\nQuery:{query}`, documents plain) or "prompt" (the model's
own query/document prompts). Give `model_dir=` (a local copy of the served checkpoint's
folder; `model` itself when it is a folder) and its sentence-transformers settings are read
from it: prompts, pooling and max length, and its `tokenizer.json` truncates texts client-side
exactly as the in-process backend does, so both give the same vectors. Without a tokenizer the
server's own limit applies (`max_length` 0).

A request has one deadline (`timeout`) for connecting, reading and all retries; 429 and 5xx
are retried with `Retry-After` or jittered backoff; the API key comes from an environment
variable (default `RERANK_TUI_API_KEY`). Every answer is checked: one vector per input (by
`index`), all numbers, finite, the same length; vectors are re-normalised. The vector length
is learnt from a one-text request when the embedder is built, unless `dims=` says it.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from rerank_tui.http_deadline import NOT_A_MODEL_LIST, Answer, DeadlineClient, error_message, first_model_id, snippet

from .base import DEFAULT_QUERY_INSTRUCTION, INSTRUCT, PROMPT, QUERY_STYLES, BaseEmbedder, instruct_task
from .errors import EmbedServerError
from .st_config import read_st_settings

DEFAULT_API_KEY_ENV = "RERANK_TUI_API_KEY"
DEFAULT_TIMEOUT = 60.0
MAX_BODY_BYTES = 256 * 2**20  # 64 texts × 4096 dims as JSON is ~6 MiB; far past this is not an answer
_SERVER_HINT = "start one with `vllm serve MODEL --runner pooling` (or TEI, Infinity) or fix the URL"
_PROBE = "dimension probe"


class HttpEmbedder(BaseEmbedder):
    thread_safe = True  # httpx's Client pools connections across threads; the deadline is per thread
    device = "http"

    def __init__(
        self,
        url: str,
        model: str | None = None,
        *,
        model_dir: str | Path | None = None,
        tokenizer: str | Path | None = None,
        max_length: int | None = None,
        batch_size: int = 64,
        query_style: str | None = None,
        instruction: str | None = None,
        query_prompt: str | None = None,
        document_prompt: str | None = None,
        pooling: str | None = None,
        dims: int | None = None,
        encoding_format: str = "float",
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.5,
        backoff_max: float = 8.0,
        api_key_env: str = DEFAULT_API_KEY_ENV,
        transport: httpx.BaseTransport | None = None,
    ):
        super().__init__()
        if query_style is not None and query_style not in QUERY_STYLES:
            raise ValueError(f"query style {query_style!r}: use one of {', '.join(QUERY_STYLES)}")
        if encoding_format not in ("float", "base64"):
            raise ValueError(f"encoding_format {encoding_format!r}: use float or base64")
        base = url.rstrip("/").removesuffix("/v1/embeddings").removesuffix("/embeddings").removesuffix("/v1")
        self.base_url = base
        self.embeddings_url = f"{base}/v1/embeddings"
        self.batch_size = max(1, batch_size)
        self.encoding_format = encoding_format
        self.api_key_env = api_key_env
        self._http = DeadlineClient(
            timeout=timeout,
            connect_timeout=connect_timeout,
            retries=retries,
            backoff=backoff,
            backoff_max=backoff_max,
            api_key_env=api_key_env,
            max_body_bytes=MAX_BODY_BYTES,
            error=EmbedServerError,
            what="embedding server",
            hint=lambda: _SERVER_HINT,
            too_big_hint="lower the batch size, or check the URL: ",
            transport=transport,
        )
        self.timeout = self._http.timeout
        self.model = model or self._served_model()
        if model_dir is None and Path(self.model).expanduser().is_dir():
            model_dir = self.model
        if model_dir is not None and not Path(model_dir).expanduser().is_dir():
            raise EmbedServerError(f"model_dir {model_dir} is not a folder", "pass a local copy of the served model's folder")
        settings = read_st_settings(model_dir) if model_dir is not None else None

        # prompts and style: explicit > the folder's > the model's name
        saved_query = settings.query_prompt if settings else ""
        self.query_prompt = saved_query if query_prompt is None else query_prompt
        self.document_prompt = (settings.document_prompt if settings else "") if document_prompt is None else document_prompt
        saved_task = instruct_task(self.query_prompt)
        if query_style is None:
            named = "qwen3-embedding" in self.model.lower()
            query_style = INSTRUCT if saved_task is not None or (named and not self.query_prompt) else PROMPT
        self.query_style = query_style
        self.default_instruction = instruction if instruction is not None else saved_task
        if self.query_style == INSTRUCT and self.default_instruction is None:
            self.default_instruction = DEFAULT_QUERY_INSTRUCTION
        self.pooling = pooling or (settings.pooling if settings and settings.pooling else "server")

        # client-side truncation, when a tokenizer is at hand
        tokenizer_file = Path(tokenizer).expanduser() if tokenizer else (settings.tokenizer_file if settings else None)
        if tokenizer_file is not None and tokenizer_file.is_dir():
            tokenizer_file = tokenizer_file / "tokenizer.json"
        if tokenizer is not None and (tokenizer_file is None or not tokenizer_file.is_file()):
            raise EmbedServerError(f"no tokenizer.json at {tokenizer}", "pass a checkpoint folder or its tokenizer.json")
        limit = max_length or (settings.max_seq_length if settings else None)
        self._tokenizer = None
        notes = []
        if tokenizer_file is not None and limit:
            from tokenizers import Tokenizer

            self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
            self._tokenizer.no_padding()
            self._tokenizer.enable_truncation(int(limit))
            self.max_length = int(limit)
        else:
            self.max_length = 0  # the server's own limit
            if max_length:
                notes.append(
                    f"no tokenizer to truncate texts to {max_length} tokens: the embedding server's own limit applies "
                    "(pass the model folder to truncate client-side)"
                )
        self.notes = tuple(notes)
        self.identity = f"http:{self.model}"
        self.dims = int(dims) if dims else 0
        if not self.dims:
            vectors, _ = self._post([_PROBE])
            self.dims = vectors.shape[1]

    # -- requests -----------------------------------------------------------------------------
    def _served_model(self) -> str:
        url = f"{self.base_url}/v1/models"
        data = self._json(self._http.request("GET", url), url)
        model = first_model_id(data)
        if model is None:
            raise EmbedServerError(f"{url} {NOT_A_MODEL_LIST}", "pass the served model's name as the embedding model, or " + _SERVER_HINT)
        return model

    def _json(self, answer: Answer, url: str) -> Any:  # parsed JSON: read under try/except
        status = answer.status_code
        if status in (401, 403):
            raise EmbedServerError(
                f"the embedding server at {url} refused the request (HTTP {status})", f"set the API key in ${self.api_key_env}"
            )
        if status == 404:
            detail = error_message(answer)
            if detail and "model" in detail.lower():
                raise EmbedServerError(
                    f"the embedding server at {url} answered 404: {detail}",
                    "pass the served model's name as the embedding model, or leave it out to use the server's",
                )
            raise EmbedServerError(f"{url} answered 404: not an embeddings API", _SERVER_HINT)
        if status >= 400:
            detail = error_message(answer) or snippet(answer)
            hint = {429: "the server is overloaded: try again later or raise the timeout"}.get(
                status,
                "check the server log" if status >= 500
                else "texts may exceed the server's max length: pass the model folder to truncate client-side, "
                "or raise the server's --max-model-len",
            )
            raise EmbedServerError(f"the embedding server at {url} answered HTTP {status}: {detail}", hint)
        try:
            return answer.json()
        except (ValueError, RecursionError):
            raise EmbedServerError(
                f"{url} answered something that is not the embeddings API (not JSON): {snippet(answer)}", _SERVER_HINT
            ) from None

    def _post(self, texts: list[str]) -> tuple[np.ndarray, int | None]:
        payload = {"model": self.model, "input": texts, "encoding_format": self.encoding_format}
        url = self.embeddings_url
        data = self._json(self._http.request("POST", url, payload), url)
        vectors = self._parse(data, len(texts))
        usage = data.get("usage") if isinstance(data, dict) else None
        tokens = usage.get("prompt_tokens") if isinstance(usage, dict) else None
        return vectors, tokens if isinstance(tokens, int) and not isinstance(tokens, bool) else None

    def _parse(self, data: Any, n: int) -> np.ndarray:
        """`data[].index/embedding` back to input order; anything else is an error."""
        url = self.embeddings_url
        rows: list[np.ndarray | None] = [None] * n
        try:
            items = data["data"]
            if not isinstance(items, list):
                raise TypeError
            for position, item in enumerate(items):
                index = item.get("index", position)
                if not _is_int(index) or not 0 <= index < n or rows[index] is not None:
                    raise ValueError(index)
                rows[index] = self._vector(item["embedding"])
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            raise EmbedServerError(
                f"{url} answered JSON that is not an embeddings result: {str(data)[:120]}", _SERVER_HINT
            ) from None
        vectors = [r for r in rows if r is not None]
        if len(vectors) != n:
            raise EmbedServerError(
                f"{url} returned {len(vectors)} vectors for {n} texts", "check the server's version and log"
            )
        lengths = {len(r) for r in vectors}
        if len(lengths) != 1 or (self.dims and lengths != {self.dims}):
            raise EmbedServerError(
                f"{url} returned vectors of {'/'.join(str(x) for x in sorted(lengths))} dimensions"
                + (f", expected {self.dims}" if self.dims else ""),
                "is the server still serving the same model?",
            )
        matrix = np.stack(vectors)
        if not np.isfinite(matrix).all():
            raise EmbedServerError(f"{url} returned a vector with NaN or infinite values", "check the server's dtype and log")
        return matrix

    @staticmethod
    def _vector(value) -> np.ndarray:
        if isinstance(value, str):  # encoding_format "base64": little-endian float32
            vector = np.frombuffer(base64.b64decode(value, validate=True), dtype="<f4").astype(np.float32)
        elif isinstance(value, list) and all(_is_number(x) for x in value):
            vector = np.asarray(value, dtype=np.float64)
        else:
            raise ValueError("not a vector")
        if vector.ndim != 1 or vector.size == 0:
            raise ValueError("not a vector")
        return vector

    # -- embedding ----------------------------------------------------------------------------
    def _fit(self, texts: list[str]) -> tuple[list[str], int | None]:
        """Texts cut to `max_length` tokens (special tokens included) at a token boundary,
        as the in-process tokenizer truncates them; and their token count."""
        if self._tokenizer is None:
            return texts, None
        out, tokens = [], 0
        for text, enc in zip(texts, self._tokenizer.encode_batch(texts, add_special_tokens=True)):
            tokens += len(enc.ids)
            if enc.overflowing:
                ends = [end for (_, end), special in zip(enc.offsets, enc.special_tokens_mask) if not special]
                text = text[: max(ends, default=0)]
            out.append(text)
        return out, tokens

    def _embed_batch(self, texts: list[str], prompt: str, kind: str) -> tuple[np.ndarray, int | None]:
        fitted, counted = self._fit([prompt + t for t in texts])
        vectors, tokens = self._post(fitted)
        return vectors, tokens if tokens is not None else counted

    def close(self) -> None:
        self._http.close()


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
