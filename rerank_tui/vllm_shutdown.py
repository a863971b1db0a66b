"""Stop an in-process vLLM engine: the one way both vLLM backends (reranker, embedder) close.

vLLM >= 0.11 runs the model in engine-core worker processes that only `engine_core.shutdown()`
stops (`LLMEngine.shutdown` is gone in 0.32); dropping the `LLM` object leaves them to the
garbage collector, seconds later. Then the CUDA cache is emptied so the memory is really free.
"""

from __future__ import annotations


def shutdown_llm(llm) -> None:
    """Stop `llm`'s worker processes and free its memory; never raises."""
    engine = getattr(llm, "llm_engine", None)
    shutdown = getattr(getattr(engine, "engine_core", None), "shutdown", None) or getattr(engine, "shutdown", None)
    if callable(shutdown):
        try:
            shutdown()
        except Exception:  # noqa: BLE001 - closing must not fail
            pass
    del llm, engine, shutdown
    import gc

    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except Exception:  # noqa: BLE001 - nothing more to free
        pass
