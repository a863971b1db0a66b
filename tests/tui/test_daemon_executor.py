"""Thread workers on daemon threads: a stuck task never holds the app (or the process) open."""

from __future__ import annotations

import threading

import pytest

from rerank_tui.tui.daemon_executor import DaemonExecutor


def test_a_task_runs_on_a_daemon_thread_and_hands_back_its_result():
    executor = DaemonExecutor()
    seen = {}

    def task(x):
        seen["daemon"] = threading.current_thread().daemon
        return x * 2

    assert executor.submit(task, 21).result(timeout=10) == 42
    assert seen["daemon"] is True


def test_an_exception_reaches_the_waiting_side():
    def fail():
        raise ValueError("broken model")

    with pytest.raises(ValueError, match="broken model"):
        DaemonExecutor().submit(fail).result(timeout=10)


def test_shutdown_returns_while_a_task_is_stuck_and_busy_says_so():
    executor = DaemonExecutor()
    release = threading.Event()
    started = threading.Event()

    def stuck():
        started.set()
        release.wait()

    future = executor.submit(stuck)
    assert started.wait(10)
    executor.shutdown(wait=True)  # a ThreadPoolExecutor would block here until `release`
    assert executor.busy() and not future.done()
    release.set()
    future.result(timeout=10)
    for thread in list(executor._threads):
        thread.join(10)
    assert not executor.busy()


async def test_the_app_runs_its_thread_workers_on_its_daemon_executor(tmp_path):
    from functools import partial

    from rerank_tui.recall import open_index
    from rerank_tui.session.workspace import Workspace
    from rerank_tui.tui.app import AppOptions, RerankApp

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# Alpha\n\nbeta gamma delta\n")
    app = RerankApp(AppOptions(source=str(folder), open_index=partial(open_index, folder, use_cache=False), make_reranker=None,
                               reranker_label="none", workspace=Workspace.open(tmp_path / "ws")))
    async with app.run_test() as pilot:
        while app.index is None:
            await pilot.pause(0.05)
    assert app.executor._count >= 1  # the index worker ran on it
