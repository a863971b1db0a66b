"""The transformers judge on the tiny model: every distribution from a real forward pass,
checked against the recipe computed by hand (tests/judge/reference.py)."""

from __future__ import annotations

import pytest

from rerank_tui.judge.errors import JudgeScaleError
from rerank_tui.judge.prompt import chatml, load_prompt
from rerank_tui.judge.transformers_judge import TransformersJudge
from rerank_tui.rerank.checkpoint import resolve
from rerank_tui.rerank.errors import RerankCancelled
from tests.rerank.helpers import QUERY, make_documents

from .conftest import CHATML_TEMPLATE, with_chat_template

GRADES = (0, 1, 2, 3)


def passages() -> list[str]:
    """Varied lengths; one past max_passage_chars; one with placeholders, braces and controls."""
    docs = make_documents(9, seed=11, max_words=120)
    docs.append(" ".join(make_documents(60, seed=12, min_words=40)))  # > 4000 characters
    docs.append('see {query} and {passage} {"k": {1}} \x00\x07\x1b[0m tab\there {scale}')
    docs.append("")
    assert len(docs[-3]) > 4000
    return docs


def test_distributions_equal_the_hand_computed_reference(tiny_judge, reference):
    docs = passages()
    got = tiny_judge.judge(QUERY, docs)
    spread = set()
    for doc, d in zip(docs, got):
        probs, mass = reference.distribution(QUERY, doc, GRADES)
        assert d.grades == GRADES and d.missing == 0
        assert max(abs(a - b) for a, b in zip(d.probs, probs)) <= 1e-5
        assert sum(d.probs) == pytest.approx(1.0, abs=1e-9)
        assert 0.0 < d.mass <= 1.0 and d.mass == pytest.approx(mass, rel=1e-4)
        assert d.expected == pytest.approx(sum(g * p for g, p in zip(GRADES, probs)), abs=1e-5)
        assert d.argmax == GRADES[max(range(4), key=lambda i: (probs[i], -i))]
        spread.add(d.argmax)
    # the distributions differ enough that a wrong grade-token mapping could not pass
    assert max(max(d.probs) for d in got) > 0.4 and len({round(d.expected, 3) for d in got}) == len(docs)


def test_the_long_passage_is_cut_to_max_passage_chars(tiny_judge, reference):
    long_doc = passages()[-3]
    (d,) = tiny_judge.judge(QUERY, [long_doc])
    (cut,) = tiny_judge.judge(QUERY, [long_doc[:4000]])
    assert d.probs == pytest.approx(cut.probs, abs=1e-6)
    full, _ = reference.distribution(QUERY, long_doc, GRADES, max_chars=10**6)
    assert max(abs(a - b) for a, b in zip(d.probs, full)) > 1e-4  # the cut mattered


def test_batched_equals_one_by_one(tiny_judge, tiny_model):
    docs = make_documents(14, seed=13, max_words=150)
    batched = tiny_judge.judge(QUERY, docs)
    single = TransformersJudge(resolve(str(tiny_model)), grades=GRADES, batch_size=1)
    one = [single.judge(QUERY, [d])[0] for d in docs]
    assert max(abs(a - b) for x, y in zip(batched, one) for a, b in zip(x.probs, y.probs)) <= 1e-5
    assert tiny_judge.judge(QUERY, []) == []


def test_a_one_to_four_scale_reads_the_tokens_1_to_4(tiny_model, reference):
    judge = TransformersJudge(resolve(str(tiny_model)), grades=(1, 2, 3, 4), names={2: "on topic"}, batch_size=3)
    docs = make_documents(5, seed=14)
    for doc, d in zip(docs, judge.judge(QUERY, docs)):
        probs, _ = reference.distribution(QUERY, doc, (1, 2, 3, 4), names={2: "on topic"})
        assert d.grades == (1, 2, 3, 4) and max(abs(a - b) for a, b in zip(d.probs, probs)) <= 1e-5
        assert 1.0 <= d.expected <= 4.0 and d.argmax in (1, 2, 3, 4)


@pytest.mark.parametrize("grades", [range(0, 11), range(-1, 3)])
def test_a_grade_of_several_tokens_is_refused(tiny_model, grades):
    with pytest.raises(JudgeScaleError) as info:
        TransformersJudge(resolve(str(tiny_model)), grades=grades)
    assert "one token per grade" in str(info.value) and ("grade 10" in str(info.value) or "grade -1" in str(info.value))


def test_cancellation_between_batches(tiny_judge):
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 2  # the first check passes, then one batch, then stop

    with pytest.raises(RerankCancelled):
        tiny_judge.judge(QUERY, make_documents(12, seed=15), cancel=cancel)
    with pytest.raises(RerankCancelled):
        tiny_judge.judge(QUERY, ["a"], cancel=lambda: True)
    assert tiny_judge.judge(QUERY, ["a"], cancel=lambda: False)[0] is not None


def test_a_custom_prompt_reaches_the_model(tiny_model, reference, tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("Is this passage about {query}? {passage}\nGrade {low}-{high}:", encoding="utf-8")
    prompt = load_prompt(path)
    judge = TransformersJudge(resolve(str(tiny_model)), grades=GRADES, prompt=prompt)
    doc = make_documents(1, seed=16)[0]
    (d,) = judge.judge(QUERY, [doc])
    probs, _ = reference.distribution(QUERY, doc, GRADES, prompt=prompt)
    assert max(abs(a - b) for a, b in zip(d.probs, probs)) <= 1e-5
    default, _ = reference.distribution(QUERY, doc, GRADES)
    assert max(abs(a - b) for a, b in zip(d.probs, default)) > 1e-4


def test_the_tokenizers_chat_template_is_used(tiny_model, tiny_judge, tmp_path):
    assert not tiny_judge.uses_chat_template
    docs = make_documents(6, seed=17)
    fallback = tiny_judge.judge(QUERY, docs)
    same = with_chat_template(tiny_model, tmp_path / "chatml", CHATML_TEMPLATE.read_text())
    judge = TransformersJudge(resolve(str(same)), grades=GRADES)
    assert judge.uses_chat_template
    message = judge.messages(QUERY, docs[:1])[0]
    assert judge.chat(message) == chatml(message)  # the equivalent template renders the same text
    templated = judge.judge(QUERY, docs)
    assert max(abs(a - b) for x, y in zip(fallback, templated) for a, b in zip(x.probs, y.probs)) <= 1e-6
    other = with_chat_template(
        tiny_model, tmp_path / "system", "{{ '<|im_start|>system\\nYou grade.<|im_end|>\\n' }}" + CHATML_TEMPLATE.read_text()
    )
    changed = TransformersJudge(resolve(str(other)), grades=GRADES).judge(QUERY, docs)
    assert max(abs(a - b) for x, y in zip(fallback, changed) for a, b in zip(x.probs, y.probs)) > 1e-4


def test_identity_and_names(tiny_judge, tiny_model):
    assert tiny_judge.identity.startswith(f"transformers:{tiny_model}@") and tiny_judge.identity.endswith(":float32")
    assert tiny_judge.model_name == str(tiny_model) and tiny_judge.device == "cpu"
    assert tiny_judge.notes and "CPU" in tiny_judge.notes[0]


def test_build_judge_in_process(tiny_model, tmp_path):
    from rerank_tui.judge import build_judge

    path = tmp_path / "p.txt"
    path.write_text("{query} {passage}", encoding="utf-8")
    judge = build_judge(str(tiny_model), grades=(1, 2, 3), prompt_path=path, api_key="x", batch_size=2)
    assert isinstance(judge, TransformersJudge) and judge.prompt.source == str(path) and judge.batch_size == 2
    assert any("API key" in n for n in judge.notes)
    with pytest.raises(ValueError, match="needs a model"):
        build_judge(None, grades=(0, 1))
