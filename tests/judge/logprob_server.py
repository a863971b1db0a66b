"""An OpenAI-compatible server in a thread whose logprobs are REAL: the tiny model's
log_softmax at the last position of the tokenized prompt, top-k sorted (tests/judge/reference.py).
It answers /v1/models, /v1/completions (a batch of prompts, vLLM's `logprobs` shape) and
/v1/chat/completions (the user message in chatml(), `logprobs.content[0].top_logprobs`)."""

from __future__ import annotations

import json
import threading

from rerank_tui.judge.prompt import chatml
from tests.rerank.local_server import json_answer

MODEL = "tiny-judge"


class LogprobHandler:
    """`handler(method, path, headers, body)` for `LocalServer`; `reverse` answers the
    choices of a batch in reverse order (they carry `index`)."""

    def __init__(self, reference, *, model: str = MODEL, reverse: bool = True):
        self.reference, self.model, self.reverse = reference, model, reverse
        self._lock = threading.Lock()  # one forward at a time
        self.payloads: list[dict] = []

    def top(self, text: str, k: int) -> list[tuple[str, float]]:
        with self._lock:
            ranked = self.reference.logprobs(text)
        decode = self.reference.tokenizer.decode
        out: dict[str, float] = {}
        for token_id, value in ranked:
            if len(out) == k:
                break
            out.setdefault(decode([token_id]), value)  # the first (most probable) of equal strings, as vLLM's dict keeps one
        return list(out.items())

    def __call__(self, method: str, path: str, headers: dict, body: bytes):
        if path == "/v1/models":
            return json_answer({"object": "list", "data": [{"id": self.model, "object": "model"}]})
        request = json.loads(body or b"{}")
        self.payloads.append(request)
        if request.get("model") != self.model:
            return json_answer({"error": {"message": f"The model `{request.get('model')}` does not exist."}}, 404)
        if path == "/v1/completions":
            choices = []
            for i, prompt in enumerate(request["prompt"]):
                top = self.top(prompt, request["logprobs"])
                choices.append({"index": i, "text": top[0][0], "finish_reason": "length",
                                "logprobs": {"tokens": [top[0][0]], "token_logprobs": [top[0][1]], "top_logprobs": [dict(top)]}})
            return json_answer({"object": "text_completion", "choices": choices[::-1] if self.reverse else choices})
        if path == "/v1/chat/completions":
            assert request["chat_template_kwargs"] == {"enable_thinking": False} and request["logprobs"] is True
            top = self.top(chatml(request["messages"][0]["content"]), request["top_logprobs"])
            content = [{"token": top[0][0], "logprob": top[0][1], "top_logprobs": [{"token": t, "logprob": v} for t, v in top]}]
            message = {"role": "assistant", "content": top[0][0]}
            return json_answer({"object": "chat.completion", "choices": [{"index": 0, "message": message, "logprobs": {"content": content}}]})
        return json_answer({"error": {"message": "no such route"}}, 404)
