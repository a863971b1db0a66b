"""The judge's prompt: an UMBRELA-style grading request, and the chat format it is sent in.

UMBRELA (Upadhyay et al., 2024, "UMBRELA: UMbrela is the (Open-Source Reproduction of the)
Bing RELevance Assessor", arXiv:2406.06519) showed that an LLM asked for a 0–3 grade, given the
query, the passage and what each grade means, agrees with TREC assessors about as well as they
agree with each other. `DEFAULT_TEMPLATE` keeps that shape in its own words: the scale with its
meanings, the query, the passage, and "answer with the grade only". The grade is then read from
the next-token probabilities of the grade tokens, never parsed from generated text.

Placeholders: {query}, {passage}, {scale} (one "g = meaning" line per grade), {low}, {high}.
`render` substitutes them in one pass over the template, so braces (or "{query}") inside a
query or passage stay literal data. Passages are cut to `max_passage_chars` characters first
(the same cut for every backend, so backends agree).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import JudgePromptError

DEFAULT_MAX_PASSAGE_CHARS = 4000
PLACEHOLDERS = ("query", "passage", "scale", "low", "high")
REQUIRED = ("query", "passage")
_PLACEHOLDER = re.compile(r"\{(query|passage|scale|low|high)\}")
_ANY_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

DEFAULT_TEMPLATE = """\
You are grading search results. Read the query and the passage below, and decide how relevant \
the passage is to the query on this scale:
{scale}

Think of what the person searching most likely wants to know, and judge how much of it the \
passage gives. A passage that only shares words or the topic with the query is not an answer; \
one that holds the answer among much else is a partial answer.

Query: {query}

Passage: {passage}

Reply with the grade only: a single number from {low} to {high}."""

# What each grade of the default 0–3 scale means (UMBRELA's four levels, reworded).
DEFAULT_MEANINGS = {
    0: "the passage has nothing to do with the query",
    1: "the passage is related to the query but does not answer it",
    2: "the passage answers the query in part, or its answer is unclear or buried in other material",
    3: "the passage is dedicated to the query and contains the exact answer",
}


def meanings(grades: Sequence[int], names: Mapping[int, str] | None = None) -> dict[int, str]:
    """The meaning written after each grade: `names` where given, else UMBRELA's for the 0–3
    scale, else "not relevant" / "perfectly relevant" at the ends and none in between."""
    grades = tuple(grades)
    names = names or {}
    default = DEFAULT_MEANINGS if grades == (0, 1, 2, 3) else {grades[0]: "not relevant", grades[-1]: "perfectly relevant"}
    return {g: names.get(g) or default.get(g, "") for g in grades}


def scale_text(grades: Sequence[int], names: Mapping[int, str] | None = None) -> str:
    """One line per grade, lowest first: "0 = the passage has nothing to do with the query"."""
    return "\n".join(f"{g} = {m}" if m else str(g) for g, m in meanings(grades, names).items())


def chatml(message: str) -> str:
    """One user turn and the assistant's turn opened with thinking off (Qwen3's format): the
    fallback when a tokenizer has no chat template, and what /v1/completions is sent."""
    return "<|im_start|>user\n" + message + "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"


def cut_passage(passage: str, max_chars: int = DEFAULT_MAX_PASSAGE_CHARS) -> str:
    """The passage's first `max_chars` characters."""
    return passage[: max(0, max_chars)]


@dataclass(frozen=True, slots=True)
class JudgePrompt:
    """A template and where it came from ("default" or a file's path)."""

    template: str
    source: str = "default"

    @property
    def sha1(self) -> str:
        """12 hex digits of the template's SHA-1: what judgments made with it depend on."""
        return hashlib.sha1(self.template.encode("utf-8", "surrogatepass")).hexdigest()[:12]

    def render(self, query: str, passage: str, grades: Sequence[int], names: Mapping[int, str] | None = None) -> str:
        """The user message for one (query, passage); one pass, so values are never re-read."""
        grades = tuple(grades)
        values = {"query": query, "passage": passage, "scale": scale_text(grades, names), "low": str(grades[0]), "high": str(grades[-1])}
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.template)


def check_template(template: str, source: str | Path = "the template") -> None:
    """Raise `JudgePromptError` for an empty template, a missing {query} or {passage}, or an
    unknown {placeholder}."""
    if not template.strip():
        raise JudgePromptError(source, "is empty")
    unknown = sorted({name for name in _ANY_PLACEHOLDER.findall(template) if name not in PLACEHOLDERS})
    if unknown:
        known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
        raise JudgePromptError(source, f"has an unknown placeholder {{{unknown[0]}}} (known: {known})")
    for name in REQUIRED:
        if "{" + name + "}" not in template:
            raise JudgePromptError(source, f"lacks the {{{name}}} placeholder")


def load_prompt(path: str | Path | None = None) -> JudgePrompt:
    """The default prompt (None) or a UTF-8 template file; trailing whitespace is dropped (a
    file's final newline is not part of the prompt)."""
    if path is None:
        return JudgePrompt(DEFAULT_TEMPLATE, "default")
    where = Path(path).expanduser()
    try:
        data = where.read_bytes()
    except OSError as error:
        raise JudgePromptError(path, f"cannot be read ({error.strerror or type(error).__name__})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise JudgePromptError(path, f"is not UTF-8 text (byte {error.start})") from None
    text = text.removeprefix("\ufeff").rstrip()
    check_template(text, path)
    return JudgePrompt(text, str(path))
