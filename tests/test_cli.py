"""Headless commands, run in-process through `main(argv)` (and once as a real subprocess)."""

import json
import subprocess
import sys

import ir_measures
import pytest

from rerank_tui.cli import main


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "notes"
    (root / "py").mkdir(parents=True)
    (root / "py" / "loader.md").write_text(
        "# DataLoader\n\n## Workers\n\nnum_workers=0 loads data in the main process; it never hangs in Jupyter.\n"
    )
    (root / "react.md").write_text("# Hooks\n\nuseEffect cleanup runs before the next effect.\n")
    (root / "zh.md").write_text("# 数据加载\n\n在 Jupyter 中把 num_workers 设为 0，数据加载就不会卡住。\n", encoding="utf-8")
    (root / "evil.md").write_text("# Evil\n\nworkers \x1b]0;pwned\x07 \x1b[31mred\x1b[0m [bold]markup[/bold]\n")
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    return root


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_index_reports_passages_files_and_skips(capsys, folder):
    code, out, _ = run(capsys, "index", folder)
    assert code == 0
    assert "passages from 4 files" in out and "(built)" in out
    assert "skipped 1: binary 1" in out
    code, out, _ = run(capsys, "index", folder, "--verbose")
    assert "(loaded from cache)" in out
    assert "image.png" in out


def test_search_prints_ranked_hits(capsys, folder):
    code, out, _ = run(capsys, "search", folder, "why does the DataLoader hang in Jupyter")
    assert code == 0
    first = out.splitlines()[0]
    assert first.split()[0] == "1" and "py/loader.md#" in first


def test_search_json_has_the_documented_fields(capsys, folder):
    code, out, _ = run(capsys, "search", folder, "num_workers", "--json", "-k", "2")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(records) == 2
    assert set(records[0]) == {"rank", "id", "score", "title", "path", "snippet"}
    assert [r["rank"] for r in records] == [1, 2]
    assert records[0]["score"] >= records[1]["score"]


def test_chinese_query_from_the_command_line(capsys, folder):
    code, out, _ = run(capsys, "search", folder, "数据加载卡住", "--json")
    assert json.loads(out.splitlines()[0])["path"] == "zh.md"


def test_terminal_escapes_in_documents_never_reach_the_terminal(capsys, folder):
    code, out, _ = run(capsys, "search", folder, "workers red markup")
    assert "\x1b" not in out and "\x07" not in out
    assert "[bold]markup[/bold]" in out  # markup is shown as the text it is


def test_queries_file_writes_a_trec_run(capsys, folder, tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"id": "q1", "text": "DataLoader workers"}\n'
        "\n"
        '{"_id": "q2", "text": "useEffect cleanup"}\n',
        encoding="utf-8",
    )
    out_file = tmp_path / "run.trec"
    code, _, err = run(capsys, "search", folder, "--queries", queries, "--run", out_file, "-k", "3")
    assert code == 0, err
    rows = [line.split() for line in out_file.read_text().splitlines()]
    assert all(len(r) == 6 and r[1] == "Q0" and r[5] == "rerank-tui-bm25" for r in rows)
    assert {r[0] for r in rows} == {"q1", "q2"}
    parsed = list(ir_measures.read_trec_run(str(out_file)))
    assert parsed[0].query_id == "q1" and parsed[0].doc_id.startswith("py/loader.md#")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["search", "{missing}", "x"], "does not exist"),
        (["index", "{empty}"], "no passages"),
        (["search", "{folder}", "--queries", "{missing}"], "cannot read queries file"),
        (["search", "{folder}", "--queries", "{badq}"], "bad.jsonl:1: expected `id<TAB>text`"),
        (["search", "{folder}", "--queries", "{noq}"], "no queries in"),
        (["search", "{folder}"], "give a query"),
        (["search", "{folder}", "x", "--run", "{out}"], "--run needs --queries"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(capsys, folder, tmp_path, argv, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.jsonl").write_text("nope\n")
    (tmp_path / "none.tsv").write_text("\n\n")
    paths = {
        "missing": tmp_path / "nowhere",
        "empty": tmp_path / "empty",
        "folder": folder,
        "badq": tmp_path / "bad.jsonl",
        "noq": tmp_path / "none.tsv",
        "out": tmp_path / "o.trec",
    }
    code, out, err = run(capsys, *[a.format(**paths) for a in argv])
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith("rerank-tui: error:") and message in last
    assert "Traceback" not in err


def test_console_script_runs_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "rerank_tui.cli", "search", str(tmp_path / "nowhere"), "q"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "rerank-tui: error:" in result.stderr


def test_default_model_is_the_rerank_layers():
    from rerank_tui.cli.options import DEFAULT_MODEL
    from rerank_tui.rerank import DEFAULT_MODEL as RERANK_DEFAULT

    assert DEFAULT_MODEL == RERANK_DEFAULT


def test_search_rerank_shows_both_orders_with_real_scores(capsys, folder, tiny_model_dir, monkeypatch, tmp_path):
    from rerank_tui.rerank import build_reranker
    from rerank_tui.recall import open_index
    from rerank_tui.session.ranking import document_text

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    argv = ["search", folder, "DataLoader workers Jupyter", "--rerank", "--model", tiny_model_dir,
            "--backend", "transformers", "--rerank-depth", "4", "--json", "--workspace", tmp_path / "ws"]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["rank"] for r in records] == list(range(1, len(records) + 1))
    assert [r["score"] for r in records] == sorted((r["score"] for r in records), reverse=True)
    assert sorted(r["bm25_rank"] for r in records) == list(range(1, len(records) + 1))
    hits = {h.passage.id: h for h in open_index(folder).index.search("DataLoader workers Jupyter", 4)}
    reference = build_reranker("transformers", str(tiny_model_dir), cache=False)
    expected = reference.score("DataLoader workers Jupyter", [document_text(hits[r["id"]]) for r in records])
    assert [r["score"] for r in records] == pytest.approx(expected, abs=1e-5)
    assert "CPU" in err  # the note that reranking runs on the CPU


def test_search_rerank_writes_a_reranked_run(capsys, folder, tiny_model_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "q1", "text": "DataLoader workers"}\n{"id": "q2", "text": "useEffect cleanup"}\n')
    out_file = tmp_path / "reranked.trec"
    code, _, err = run(capsys, "search", folder, "--queries", queries, "--run", out_file, "--rerank",
                       "--model", tiny_model_dir, "--backend", "transformers", "--preset", "code-focused",
                       "--workspace", tmp_path / "ws")
    assert code == 0, err
    rows = [line.split() for line in out_file.read_text().splitlines()]
    assert {r[5] for r in rows} == {"rerank-tui-qwen3"}
    for qid in ("q1", "q2"):
        scores = [float(r[4]) for r in rows if r[0] == qid]
        assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)


def test_search_cascade_prints_unscored_passages_as_dash_and_null(capsys, folder, tiny_model_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    stage = f"{{backend: transformers, model: '{tiny_model_dir}', max_length: 256}}"
    config = tmp_path / "cascade.yaml"
    config.write_text(f"small: {stage}\nlarge: {stage}\nsmall_top_n: 2\nlarge_top_m: 1\n")
    common = ["search", folder, "workers", "--rerank", "--cascade", config, "--rerank-depth", "4", "--workspace", tmp_path / "ws"]
    code, out, err = run(capsys, *common, "--json")
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) > 2
    assert all(0 <= r["score"] <= 1 for r in records[:2]) and all(r["score"] is None for r in records[2:])
    code, out, err = run(capsys, *common)
    assert code == 0, err
    rows = [line.split() for line in out.splitlines() if not line.startswith(" ")]
    assert [r[1] for r in rows[2:]] == ["–"] * (len(rows) - 2) and all(r[1] != "–" for r in rows[:2])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["search", "{folder}", "q", "--rerank", "--model", "{missing}", "--backend", "transformers"], "hint"),
        (["search", "{folder}", "q", "--rerank", "--preset", "nope"], "no preset named 'nope'"),
        (["tui", "{missing}"], "does not exist"),
        (["tui", "{folder}", "--recall", "dense"], "--recall dense needs --embedder MODEL"),
        (["tui", "{folder}", "--recall-run", "{bad_run}"], "bad.trec:2"),
        (["tui", "{folder}", "--recall", "hybrid", "--embedder", "m", "--alpha", "2"], "--alpha must be between 0 and 1"),
    ],
)
def test_reranker_and_app_errors_are_one_line(capsys, folder, tmp_path, argv, message, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    (tmp_path / "bad.trec").write_text("q1 Q0 d1 1 2.0 t\nq1 Q0 d2 x 1.0 t\n")
    paths = {"folder": folder, "missing": tmp_path / "no-such-model", "bad_run": tmp_path / "bad.trec"}
    code, _, err = run(capsys, *[a.format(**paths) for a in argv], "--workspace", tmp_path / "ws")
    assert code == 2
    assert err.strip().splitlines()[-1].startswith("rerank-tui: error:") and message in err
    assert "Traceback" not in err


HOSTILE_TITLE = "Ti\u200btle \u202eevil"
HOSTILE_TEXT = "workers hostile \x9b text \u202e reversed and zero\u200bwidth here"


def test_search_json_escapes_controls_and_round_trips_the_text(capsysbinary, tmp_path):
    root = tmp_path / "hostile"
    root.mkdir()
    (root / "h.md").write_text(f"# {HOSTILE_TITLE}\n\n{HOSTILE_TEXT}\n", encoding="utf-8")
    assert main(["search", str(root), "workers hostile", "--json"]) == 0
    raw = capsysbinary.readouterr().out
    for code in (0x9B, 0x202E, 0x200B):
        assert chr(code).encode() not in raw and f"\\u{code:04x}".encode() in raw
    record = json.loads(raw.decode("utf-8").splitlines()[0])
    assert HOSTILE_TITLE in record["title"] and HOSTILE_TEXT in record["snippet"]


def test_run_files_refuse_scores_that_are_not_numbers(tmp_path):
    from rerank_tui.cli.errors import UserError
    from rerank_tui.cli.headless import write_trec_run

    out = tmp_path / "run.trec"
    for bad in (float("nan"), float("inf")):
        with pytest.raises(UserError, match="q1 has the score"):
            write_trec_run(out, [("q1", [("d1", 1, 0.5), ("d2", 2, bad)])], "t")
        assert not out.exists() and not list(tmp_path.glob(".run.trec.tmp-*"))


@pytest.mark.parametrize("value", ["0", "-1", "abc", "nan", "inf"])
def test_bad_timeout_is_one_line_and_exit_2(capsys, folder, value):
    with pytest.raises(SystemExit) as info:
        main(["search", str(folder), "q", f"--timeout={value}"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [f"rerank-tui: error: --timeout expects a positive number of seconds, not {value!r}"]


def test_timeout_is_parsed_in_seconds():
    from rerank_tui.cli.options import build_parser

    assert build_parser().parse_args(["search", "x", "q", "--timeout", "2.5"]).timeout == 2.5
    assert build_parser().parse_args(["tui", "x"]).timeout is None  # the backend's default (60 s)


def test_a_mistyped_command_suggests_the_nearest(capsys):
    code, _, err = run(capsys, "serach", "query")
    assert code == 2 and "unknown command 'serach': did you mean 'search'?" in err


def test_the_app_refuses_without_a_terminal(capsys, folder, tmp_path):
    code, _, err = run(capsys, "tui", folder, "--no-rerank", "--workspace", tmp_path / "ws")  # pytest's stdout is no terminal
    assert code == 2 and err.count("\n") == 1 and "needs a terminal" in err


def test_the_app_refuses_term_dumb(capsys, folder, tmp_path, monkeypatch):
    import sys

    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    code, _, err = run(capsys, "tui", folder, "--no-rerank", "--workspace", tmp_path / "ws")
    assert code == 2 and "TERM=dumb" in err


def test_python_dash_m_runs_the_cli(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "rerank_tui", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("rerank-tui ")


def test_failures_at_run_time_exit_1_and_ctrl_c_130(capsys, monkeypatch):
    from rerank_tui.cli import headless
    from rerank_tui.cli.errors import RunFailure

    def down(args):
        raise RunFailure("the server at http://127.0.0.1:9 is not answering")

    monkeypatch.setattr(headless, "cmd_search", down)
    code, _, err = run(capsys, "search", "x", "q")
    assert code == 1 and err == "rerank-tui: error: the server at http://127.0.0.1:9 is not answering\n"

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(headless, "cmd_search", interrupted)
    code, _, err = run(capsys, "search", "x", "q")
    assert code == 130 and "interrupted" in err


def test_a_server_that_is_down_exits_1(capsys, folder, tmp_path):
    code, _, err = run(capsys, "search", folder, "workers", "--rerank", "--url", "http://127.0.0.1:9", "--workspace", tmp_path / "ws")
    assert code == 1 and err.startswith("rerank-tui: error: cannot reach the rerank server") and err.count("\n") == 1
