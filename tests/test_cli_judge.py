"""`rerank-tui judge`: the LLM judge pre-labels the query set's pools (tiny random Qwen3, real
forward passes), resumes from its cache, and `--agreement` compares it with people's labels."""

from __future__ import annotations

import json

import pytest

from rerank_tui.cli import main

DOCS = {
    "cats.md": "# Cats\n\ncat cat cat cat cat sleeps all day long in the warm sun.\n",
    "pets.md": "# Pets\n\nA cat and a dog can share a home when the dog is calm.\n",
    "dogs.md": "# Dogs\n\ndog dog dog dog dog barks at the mail carrier every morning.\n",
    "fish.md": "# Fish\n\nGoldfish need clean water and a filter; a cat may watch the bowl {query} {passage}.\n",
    "birds.md": "# Birds\n\nParrots talk; a dog may bark at a parrot, a parrot may mimic a dog.\n",
}
QUERIES = {"q1": "cat dog", "q2": "dog barks", "q3": "cat water filter"}
QRELS = {"q1": {"pets.md#1": 3}, "q2": {"dogs.md#1": 2, "birds.md#1": 0}}


@pytest.fixture
def setup(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    queries = tmp_path / "queries.jsonl"
    queries.write_text("".join(json.dumps({"id": q, "text": t}) + "\n" for q, t in QUERIES.items()))
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("".join(f"{q} 0 {d} {g}\n" for q, docs in QRELS.items() for d, g in docs.items()))
    ws = tmp_path / "ws"
    assert main(["import", str(queries), "--workspace", str(ws)]) == 0
    assert main(["import", str(qrels), "--queries", str(queries), "--workspace", str(ws)]) == 0
    capsys.readouterr()
    return corpus, ws


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def bm25_top(corpus, query: str, k: int) -> list[tuple[str, str]]:
    from rerank_tui.recall import open_index

    return [(h.passage.id, h.passage.text) for h in open_index(corpus).index.search(query, k)]


@pytest.mark.slow
def test_judge_grades_the_unlabeled_pool_resumes_and_reports_agreement(setup, capsys, tiny_model_dir):
    from rerank_tui.judge.transformers_judge import TransformersJudge
    from rerank_tui.rerank.checkpoint import resolve
    from rerank_tui.session.suggestions import SuggestionStore

    corpus, ws = setup
    judge_args = ["judge", corpus, "--workspace", ws, "--no-rerank", "--pool", 3, "--judge-model", tiny_model_dir, "--json"]
    code, out, err = run(capsys, *judge_args)
    assert code == 0, err
    report = json.loads(out)

    store = SuggestionStore.load(ws / "suggestions.jsonl")
    reference = TransformersJudge(resolve(str(tiny_model_dir)), grades=(0, 1, 2, 3))
    expected_pairs = 0
    for qid, query in QUERIES.items():
        pool = [(doc, text) for doc, text in bm25_top(corpus, query, 3) if doc not in QRELS.get(qid, {})]
        expected_pairs += len(pool)
        got = store.for_query(query)
        assert set(got) == {doc for doc, _ in pool}  # the unlabeled pool, nothing else
        for (doc, _), dist in zip(pool, reference.judge(query, [text for _, text in pool])):
            s = got[doc]
            assert s.grade == dist.argmax and s.expected == pytest.approx(dist.expected, abs=1e-6)
            assert [p for _, p in s.probs] == pytest.approx(list(dist.probs), abs=1e-6)
            assert s.judge == report["judge"] and s.prompt == report["prompt"]
    assert report["judged"] == expected_pairs > 0 and report["cached"] == 0
    assert report["labeled_skipped"] > 0  # pets.md#1 etc. were in the pools and are people's

    code, out, err = run(capsys, *judge_args)  # a second run finds everything judged
    again = json.loads(out)
    assert code == 0 and again["judged"] == 0 and again["cached"] == expected_pairs

    code, out, err = run(capsys, *judge_args, "--labeled")  # the labeled pairs too: what agreement compares
    assert code == 0 and json.loads(out)["judged"] == report["labeled_skipped"]

    suggested = ws.parent / "suggested.qrels"
    code, _, err = run(capsys, "export", "--workspace", ws, "--out", ws.parent / "labels.qrels", "--suggested", suggested)
    assert code == 0, err
    import ir_measures

    rows = {(q.query_id, q.doc_id): q.relevance for q in ir_measures.read_trec_qrels(str(suggested))}
    store = SuggestionStore.load(ws / "suggestions.jsonl")
    want = {(qid, doc): s.grade for qid, text in QUERIES.items() for doc, s in store.for_query(text).items() if doc not in QRELS.get(qid, {})}
    assert rows == want and rows  # Cranfield-style ids as imported, labeled pairs left out

    code, out, err = run(capsys, "judge", "--agreement", "--workspace", ws)
    assert code == 0, err
    assert "kappa" in out.lower() or "κ" in out
    assert "snapshot" in out  # fewer than three systems: it says how to get them


@pytest.mark.slow
def test_the_judge_being_the_reranker_is_warned_about(setup, capsys, tiny_model_dir):
    corpus, ws = setup
    code, _, err = run(capsys, "judge", corpus, "--workspace", ws, "--model", tiny_model_dir, "--backend", "transformers",
                       "--rerank-depth", 3, "--pool", 2, "--limit", 1, "--judge-model", tiny_model_dir)
    assert code == 0, err
    assert "circular" in err and "warning" in err


def test_bad_judge_input_is_one_line_and_status_2(setup, capsys, tmp_path):
    corpus, ws = setup
    code, _, err = run(capsys, "judge", corpus, "--workspace", ws, "--no-rerank")
    assert code == 2 and "no judge" in err and "Traceback" not in err
    bad = tmp_path / "prompt.txt"
    bad.write_text("Grade this: {passage} {nope}\n")
    code, _, err = run(capsys, "judge", corpus, "--workspace", ws, "--judge-model", "x", "--judge-prompt", bad)
    assert code == 2 and str(bad) in err and "{nope}" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "judge", "--workspace", ws, "--judge-model", "x")
    assert code == 2 and "PATH" in err


def test_show_prompt_prints_the_workspace_prompt_or_the_default(setup, capsys):
    from rerank_tui.judge.prompt import DEFAULT_TEMPLATE

    _, ws = setup
    code, out, _ = run(capsys, "judge", "--show-prompt", "--workspace", ws)
    assert code == 0 and out == DEFAULT_TEMPLATE + "\n"
    (ws / "judge-prompt.txt").write_text("Query: {query}\nPassage: {passage}\nGrade {low}-{high}:\n", encoding="utf-8")
    code, out, _ = run(capsys, "judge", "--show-prompt", "--workspace", ws)
    assert code == 0 and out.startswith("Query: {query}")


@pytest.mark.slow
def test_eval_counts_the_label_source_asked_for(setup, capsys, tiny_model_dir):
    import ir_measures

    from rerank_tui.session.label_sources import accepted_extra
    from rerank_tui.session.labels import LabelStore
    from rerank_tui.session.suggestions import SuggestionStore

    corpus, ws = setup
    code, _, err = run(capsys, "judge", corpus, "--workspace", ws, "--no-rerank", "--pool", 3, "--judge-model", tiny_model_dir)
    assert code == 0, err
    suggestions = SuggestionStore.load(ws / "suggestions.jsonl")
    store = LabelStore.load(ws / "labels.yaml")
    doc, s = next(iter(suggestions.for_query("dog barks").items()))  # one suggestion accepted by a person
    text = dict(bm25_top(corpus, "dog barks", 3))[doc]
    store.set("dog barks", doc, s.grade, text, extra=accepted_extra(s))
    store.close()
    ids = {t: q for q, t in QUERIES.items()}
    human = {q: dict(d) for q, d in QRELS.items()}
    accepted = {q: dict(d) for q, d in QRELS.items()}
    accepted["q2"][doc] = s.grade
    everything = {q: dict(d) for q, d in accepted.items()}
    for text_, by_doc in ((t, suggestions.for_query(t)) for t in QUERIES.values()):
        for d, sug in by_doc.items():
            everything.setdefault(ids[text_], {}).setdefault(d, sug.grade)
    for source, qrels in (("human", human), ("human+accepted", accepted), ("all", everything)):
        code, out, err = run(capsys, "eval", corpus, "--labels", ws / "labels.yaml", "--label-source", source, "--bm25-only",
                             "--json", "--metrics", "nDCG@10", "--runs", ws.parent / f"runs-{source}")
        assert code == 0, err
        row = json.loads(out)["rows"][0]
        value = row["nDCG@10"]
        assert row["queries"] == len(qrels)  # q3 has only suggestions: judged in "all" alone
        run_file = next((ws.parent / f"runs-{source}").glob("*.trec"))
        flat = [ir_measures.Qrel(q, d, g) for q, docs in qrels.items() for d, g in docs.items()]
        want = ir_measures.calc_aggregate([ir_measures.nDCG @ 10], flat, list(ir_measures.read_trec_run(str(run_file))))
        assert value == pytest.approx(want[ir_measures.nDCG @ 10], abs=1e-9), source
