"""`rerank-tui score`: pasted documents, scored as given by the tiny model, through `main(argv)`."""

import io
import json

import pytest

from rerank_tui.cli import main

QUERY = "dataloader worker hangs"
DOCS = [
    "the dataloader worker thread hangs in python",
    "river mountain history",
    "pytorch dataloader error with worker process",
]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def seen(monkeypatch):
    """What the model was given: (query, documents, instruction) per call; scores stay real."""
    from rerank_tui.rerank.transformers_backend import TransformersReranker

    calls = []
    original = TransformersReranker.encode_pairs

    def recording(self, query, documents, instruction):
        calls.append((query, list(documents), instruction))
        return original(self, query, documents, instruction)

    monkeypatch.setattr(TransformersReranker, "encode_pairs", recording)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return calls


def reference_scores(tiny_model_dir, query, documents, instruction):
    from rerank_tui.rerank import build_reranker

    model = build_reranker("transformers", str(tiny_model_dir), cache=False)
    try:
        return model.score(query, documents, instruction)
    finally:
        model.close()


def test_json_gives_each_document_its_index_score_and_rank(capsys, tmp_path, tiny_model_dir, seen):
    instruction = "Given a python error, retrieve the answer"
    argv = ["score", "--query", QUERY, *(a for d in DOCS for a in ("--doc", d)), "--instruction", instruction,
            "--model", tiny_model_dir, "--backend", "transformers", "--json", "--workspace", tmp_path / "ws"]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert seen[0] == (QUERY, DOCS, instruction)  # exactly as given: no title added
    records = [json.loads(line) for line in out.splitlines()]
    assert all(set(r) == {"index", "document", "score", "rank"} for r in records)
    expected = reference_scores(tiny_model_dir, QUERY, DOCS, instruction)
    order = sorted(range(len(DOCS)), key=lambda i: -expected[i])
    assert [r["index"] for r in records] == order
    assert [r["rank"] for r in records] == [1, 2, 3]
    assert [r["document"] for r in records] == [DOCS[i] for i in order]
    assert [r["score"] for r in records] == pytest.approx([expected[i] for i in order], abs=1e-6)


def test_paragraphs_of_a_text_file_print_as_a_table(capsys, tmp_path, tiny_model_dir, seen):
    docs = tmp_path / "pasted.txt"
    docs.write_text(
        "the dataloader worker thread hangs\nin python, second line\n\n\n"
        "river \x1b]0;pwned\x07mountain \x1b[31mhistory\x1b[0m\n\n"
        "pytorch dataloader error\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "score", "--query", QUERY, "--docs", docs, "--model", tiny_model_dir,
                         "--backend", "transformers", "--workspace", tmp_path / "ws")
    assert code == 0, err
    paragraphs = [
        "the dataloader worker thread hangs\nin python, second line",
        "river \x1b]0;pwned\x07mountain \x1b[31mhistory\x1b[0m",
        "pytorch dataloader error",
    ]
    assert seen[0][1] == paragraphs
    lines = out.splitlines()
    assert lines[0].split() == ["rank", "p(yes)", "index", "document"]
    rows = [line.split(maxsplit=3) for line in lines[1:]]
    from rerank_tui.rerank.prompt import DEFAULT_INSTRUCTION

    expected = reference_scores(tiny_model_dir, QUERY, paragraphs, DEFAULT_INSTRUCTION)
    order = sorted(range(3), key=lambda i: -expected[i])
    assert [r[0] for r in rows] == ["1", "2", "3"]
    assert [int(r[2]) for r in rows] == order
    assert [float(r[1]) for r in rows] == pytest.approx([expected[i] for i in order], abs=1e-3)
    first_lines = {int(r[2]): r[3] for r in rows}
    assert first_lines == {0: "the dataloader worker thread hangs", 1: "river mountain history", 2: "pytorch dataloader error"}
    assert "\x1b" not in out and "\x07" not in out


def test_jsonl_from_standard_input_with_a_preset(capsys, tmp_path, tiny_model_dir, seen, monkeypatch):
    from rerank_tui.session.presets import PresetStore

    lines = "".join(json.dumps({"id": i, "text": d}) + "\n" for i, d in enumerate(DOCS))
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    code, out, err = run(capsys, "score", "--query", QUERY, "--docs", "-", "--preset", "code-focused", "--json",
                         "--model", tiny_model_dir, "--backend", "transformers", "--workspace", tmp_path / "ws")
    assert code == 0, err
    instruction = PresetStore.load(tmp_path / "ws" / "presets.yaml").get("code-focused")
    assert seen[0] == (QUERY, DOCS, instruction)
    assert sorted(json.loads(line)["index"] for line in out.splitlines()) == [0, 1, 2]


def test_a_jsonl_file_is_read_by_its_name(capsys, tmp_path, tiny_model_dir, seen):
    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps({"text": d}) + "\n" for d in DOCS), encoding="utf-8")
    code, out, err = run(capsys, "score", "--query", QUERY, "--docs", docs, "--json",
                         "--model", tiny_model_dir, "--backend", "transformers", "--workspace", tmp_path / "ws")
    assert code == 0, err
    assert seen[0][1] == DOCS and len(out.splitlines()) == 3


@pytest.mark.parametrize(
    "argv, files, message",
    [
        (["--query", "q", "--docs", "{tmp}/docs.jsonl"], {"docs.jsonl": '{"text": "a"}\n{"txt": "b"}\n'},
         "{tmp}/docs.jsonl:2: expected an object with a `text` string"),
        (["--query", "q", "--docs", "{tmp}/docs.jsonl"], {"docs.jsonl": '{"text": "a"}\n{"text": \n'}, "{tmp}/docs.jsonl:2: not JSON"),
        (["--query", "q", "--docs", "{tmp}/empty.txt"], {"empty.txt": "\n\n  \n"}, "no documents in {tmp}/empty.txt"),
        (["--query", "q", "--docs", "{tmp}/missing.txt"], {}, "cannot read documents file {tmp}/missing.txt"),
        (["--query", "", "--doc", "a"], {}, "the query is empty"),
        (["--query", "  ", "--doc", "a"], {}, "the query is empty"),
        (["--doc", "a"], {}, "give a query: --query TEXT"),
        (["--query", "q"], {}, "give documents: --doc TEXT (repeatable) or --docs FILE"),
        (["--query", "q", "--doc", "a", "--doc", " "], {}, "--doc #2: the document is empty"),
        (["--query", "q", "--doc", "a", "--docs", "{tmp}/x.txt"], {"x.txt": "a\n"}, "give documents with --doc TEXT or --docs FILE, not both"),
        (["--query", "q", "--doc", "a", "--preset", "nope"], {}, "no preset named 'nope'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, argv, files, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, out, err = run(capsys, "score", *argv, "--workspace", tmp_path / "ws")
    assert code == 2 and out == ""
    assert err.startswith(f"rerank-tui: error: {message.replace('{tmp}', str(tmp_path))}")
    assert err.count("\n") == 1
