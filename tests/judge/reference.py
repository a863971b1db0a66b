"""The judge's recipe computed by hand: the whole prompt tokenized as one string, one forward
pass of the bare Qwen3ForCausalLM per passage (no padding, no mask), softmax over the grade
tokens' logits at the last position in float32. Shares with rerank_tui only the prompt text."""

from __future__ import annotations

from rerank_tui.judge.prompt import chatml, load_prompt


class Reference:
    def __init__(self, path):
        import torch
        from transformers import AutoTokenizer, Qwen3ForCausalLM

        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = Qwen3ForCausalLM.from_pretrained(path, dtype=torch.float32).eval()

    def text(self, query: str, passage: str, grades, names=None, prompt=None, max_chars: int = 4000) -> str:
        return chatml((prompt or load_prompt(None)).render(query, passage[:max_chars], grades, names))

    def last_logits(self, text: str):
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        with self.torch.no_grad():
            return self.model(input_ids=self.torch.tensor([ids])).logits[0, -1].float()

    def grade_ids(self, grades) -> list[int]:
        return [self.tokenizer.convert_tokens_to_ids(str(g)) for g in grades]

    def distribution(self, query: str, passage: str, grades, **kwargs) -> tuple[list[float], float]:
        """(p over the grades, total probability of the grade tokens under the full softmax)."""
        torch = self.torch
        logits = self.last_logits(self.text(query, passage, grades, **kwargs))
        ids = self.grade_ids(grades)
        restricted = torch.softmax(logits[ids], dim=0).tolist()
        mass = torch.softmax(logits, dim=0)[ids].sum().item()
        return restricted, mass

    def logprobs(self, text: str) -> list[tuple[int, float]]:
        """(token id, log p) over the whole vocabulary, most probable first."""
        values = self.torch.log_softmax(self.last_logits(text), dim=0)
        order = self.torch.argsort(values, descending=True).tolist()
        return [(i, values[i].item()) for i in order]
