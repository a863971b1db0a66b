"""The http options on the command line: --server-kind, --concurrency, --ca-bundle; what the
commands say about a plain (non-Qwen3) server's scores."""

from __future__ import annotations

import json
from argparse import Namespace

import pytest

from rerank_tui.cli import main
from rerank_tui.cli.options import build_parser
from rerank_tui.cli.reranking import reranker_factory, reranker_label, run_tag, score_column

from .local_server import LocalServer, json_answer


def plain_server(method, path, headers, body):
    if method == "GET" and path == "/v1/models":
        return json_answer({"data": [{"id": "BAAI/bge-reranker-v2-m3"}]})
    if method == "POST" and path == "/rerank":
        request = json.loads(body)
        results = [{"index": i, "relevance_score": float(len(d)) - 3.5} for i, d in enumerate(request["documents"])]
        return json_answer({"results": results, "usage": {"total_tokens": 5}})
    return json_answer({"detail": "Not Found"}, 404)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_options_reach_the_http_backend(tmp_path, monkeypatch):
    bundle = tmp_path / "ca.pem"
    args = build_parser().parse_args(
        ["score", "--url", "http://127.0.0.1:9", "--model", "m", "--server-kind", "plain", "--concurrency", "3",
         "--no-score-cache", "--ca-bundle", str(bundle)]
    )
    seen = {}
    import rerank_tui.rerank as rerank

    monkeypatch.setattr(rerank, "build_reranker", lambda *a, **options: seen.update(options) or "built")
    assert reranker_factory(args)() == "built"
    assert seen["server_kind"] == "plain" and seen["concurrency"] == 3 and seen["ca_bundle"] == bundle
    defaults = build_parser().parse_args(["score", "--url", "http://127.0.0.1:9"])
    assert defaults.server_kind is None and defaults.concurrency is None and defaults.ca_bundle is None


def test_labels_say_plain_and_scores_are_not_p_yes():
    args = Namespace(cascade=None, url="http://h:8000", backend="auto", model="BAAI/bge-reranker-v2-m3", server_kind="plain")
    assert reranker_label(args) == "bge-reranker-v2-m3 · http plain @ http://h:8000"
    args.server_kind = None
    built = Namespace(label="bge-reranker-v2-m3 · http plain", score_label="score", uses_instruction=False, model="BAAI/bge-reranker-v2-m3")
    assert reranker_label(args, built) == "bge-reranker-v2-m3 · http plain @ http://h:8000"
    assert score_column(built) == "score" and run_tag(built) == "rerank-tui-bge-reranker-v2-m3"
    qwen3 = Namespace(label="Qwen3-Reranker-0.6B · http", score_label="p(yes)", uses_instruction=True)
    assert score_column(qwen3) == "p(yes)" and run_tag(qwen3) == "rerank-tui-qwen3"
    assert score_column(object()) == "p(yes)"


def test_score_against_a_plain_server_notes_it_once(capsys, tmp_path):
    with LocalServer(plain_server) as server:
        code, out, err = run(
            capsys, "score", "--query", "q", "--doc", "short", "--doc", "a longer one", "--url", server.url,
            "--concurrency", "2", "--no-score-cache", "--workspace", tmp_path / "ws", "--json",
        )
        sent = [json.loads(r[3]) for r in server.requests if r[0] == "POST"]
    assert code == 0, err
    assert err.count("plain rerank server") == 1 and "not Qwen3's p(yes)" in err
    assert [json.loads(line)["score"] for line in out.splitlines()] == [8.5, 1.5]  # the model's own scores
    assert sent == [{"model": "BAAI/bge-reranker-v2-m3", "query": "q", "documents": ["short", "a longer one"], "top_n": 2}]


def test_search_rerank_against_a_plain_server(capsys, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("# Workers\n\nnum_workers loads data.\n")
    (folder / "b.md").write_text("# Hooks\n\nworkers and hooks.\n")
    with LocalServer(plain_server) as server:
        code, out, err = run(
            capsys, "search", folder, "workers", "--rerank", "--url", server.url, "--server-kind", "plain",
            "--workspace", tmp_path / "ws", "--no-score-cache", "--json",
        )
    assert code == 0, err
    assert err.count("plain rerank server") == 1  # forced: the note, without a guessed reason
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 2 and all(r["score"] > 1 for r in records)  # not probabilities, and not refused


@pytest.mark.parametrize("value", ["0", "-2"])
def test_concurrency_must_be_positive(capsys, tmp_path, value):
    code, _, err = run(capsys, "score", "--query", "q", "--doc", "d", "--url", "http://127.0.0.1:9", "--model", "m",
                       "--concurrency", value, "--workspace", tmp_path / "ws")
    assert code == 2 and "--concurrency must be at least 1" in err and err.count("\n") == 1


def test_http_options_are_noted_as_ignored_elsewhere(tiny_model):
    from rerank_tui.rerank import build_reranker

    notes = []
    reranker = build_reranker("transformers", str(tiny_model), cache=False, concurrency=4, server_kind="plain", on_note=notes.append)
    reranker.close()
    assert "the concurrency applies to the http backend only: ignored by transformers" in notes
    assert "the server kind applies to the http backend only: ignored by transformers" in notes
