"""An independent, minimal implementation of the official Qwen3-Reranker recipe.

Deliberately shares no code with rerank_tui: the strings are copied from the model card, the
whole prompt is tokenized as one string, one forward per pair, softmax over the [no, yes]
logits of the last position in float32.
"""

from __future__ import annotations

PREFIX = (
    "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and "
    "the Instruct provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n<|im_start|>user\n"
)
SUFFIX = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
INSTRUCTION = "Given a web search query, retrieve relevant passages that answer the query"


def prompt(query: str, document: str, instruction: str | None = None) -> str:
    instruction = INSTRUCTION if instruction is None else instruction
    return PREFIX + f"<Instruct>: {instruction}\n<Query>: {query}\n<Document>: {document}" + SUFFIX


class Reference:
    def __init__(self, path):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
        self.yes = self.tokenizer.convert_tokens_to_ids("yes")
        self.no = self.tokenizer.convert_tokens_to_ids("no")

    def ids(self, query, document, instruction=None) -> list[int]:
        return self.tokenizer(prompt(query, document, instruction), add_special_tokens=False)["input_ids"]

    def score_ids(self, ids: list[int]) -> float:
        torch = self.torch
        with torch.no_grad():
            logits = self.model(input_ids=torch.tensor([ids])).logits[0, -1]
        pair = torch.stack([logits[self.no], logits[self.yes]]).float()
        return torch.softmax(pair, dim=0)[1].item()

    def score(self, query, document, instruction=None) -> float:
        return self.score_ids(self.ids(query, document, instruction))
