"""The Qwen3-Reranker prompt: the one source of truth every backend formats from.

Strings are the official ones (model card of Qwen/Qwen3-Reranker-*); README.md, "Reranking",
says how every backend uses them. The score is p(yes) = softmax(logits_last[[no, yes]])[1].

Two shapes of the same prompt:
- `full_prompt()`: prefix + body + suffix, for backends that tokenize one string;
- `query_side()` / `document_side()`: the split vLLM's `score` and `/v1/rerank` take; vLLM
  concatenates them with no separator, so `query_side + document_side == full_prompt`.

Only the document is ever truncated: `fit_document()` cuts the document *text* at a token
boundary so that the whole prompt fits `max_length` tokens; every backend then tokenizes the
same strings, so local and remote backends agree on truncated documents too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .errors import PromptTooLongError

PREFIX = (
    "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query "
    'and the Instruct provided. Note that the answer can only be "yes" or "no".<|im_end|>\n'
    "<|im_start|>user\n"
)
SUFFIX = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
DEFAULT_INSTRUCTION = "Given a web search query, retrieve relevant passages that answer the query"
YES_TOKEN = "yes"
NO_TOKEN = "no"
DOCUMENT_TAG = "<Document>: "

# A string's token ids and their (start, end) character spans (a fast tokenizer's offset
# mapping), without special tokens. Backends pass one; the prompt imports no tokenizer.
EncodeFn = Callable[[str], tuple[Sequence[int], Sequence[tuple[int, int]]]]


def resolve_instruction(instruction: str | None) -> str:
    """`None` means the official default; an empty string is kept as given."""
    return DEFAULT_INSTRUCTION if instruction is None else instruction


def head(query: str, instruction: str | None = None) -> str:
    """The body up to the document: instruction and query lines."""
    return f"<Instruct>: {resolve_instruction(instruction)}\n<Query>: {query}\n"


def body(query: str, document: str, instruction: str | None = None) -> str:
    return head(query, instruction) + DOCUMENT_TAG + document


def full_prompt(query: str, document: str, instruction: str | None = None) -> str:
    return PREFIX + body(query, document, instruction) + SUFFIX


def query_side(query: str, instruction: str | None = None) -> str:
    """vLLM's first text: shared by all documents of a query (its prefix cache hits)."""
    return PREFIX + head(query, instruction)


def document_side(document: str) -> str:
    """vLLM's second text for one document."""
    return DOCUMENT_TAG + document + SUFFIX


def may_exceed(query: str, document: str, instruction: str | None, budget: int) -> bool:
    """False when the body surely fits `budget` tokens without tokenizing it: a byte-level
    BPE token (Qwen's) covers at least one UTF-8 byte, so tokens <= bytes."""
    return len(body(query, document, instruction).encode("utf-8", "surrogatepass")) > budget


def fit_document(
    encode: EncodeFn,
    query: str,
    document: str,
    instruction: str | None,
    budget: int,
    encoded: tuple[Sequence[int], Sequence[tuple[int, int]]] | None = None,
) -> tuple[str, list[int]]:
    """Cut `document` so that `body(query, document)` takes at most `budget` tokens.

    `budget` is max_length minus the prefix and suffix token counts. Returns the (possibly
    shortened) document and the body's token ids. The cut falls on a token boundary of the
    full body, so the kept tokens are exactly the ones the full body starts with; it never
    touches the instruction or the query. Raises `PromptTooLongError` when those alone do not
    fit. `encoded`: the body's (ids, spans) when the caller already has them.
    """
    text = body(query, document, instruction)
    ids, spans = encoded if encoded is not None else encode(text)
    if len(ids) <= budget:
        return document, list(ids)
    doc_start = len(text) - len(document)
    # Tokens ending at or before the document are the head's; a token straddling the
    # boundary (" word" carries the tag's space) belongs to the document.
    n_head = sum(1 for _, end in spans if end <= doc_start)
    if n_head > budget:
        raise PromptTooLongError(n_head, budget)
    keep = budget
    while keep >= n_head:
        cut = spans[keep - 1][1] if keep > n_head else doc_start
        cut = max(cut, doc_start)
        shortened = document[: cut - doc_start]
        ids, _ = encode(body(query, shortened, instruction))
        # Re-tokenizing a cut word can (rarely) take one more token: step back and retry.
        if len(ids) <= budget:
            return shortened, list(ids)
        keep -= 1
    raise PromptTooLongError(n_head + 1, budget)  # even "<Document>: " alone does not fit
