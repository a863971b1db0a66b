from rerank_tui.corpus.passage import Passage


def passages(*texts: str, title: str = "") -> list[Passage]:
    return [Passage(id=f"doc{i}.md#1", doc=f"doc{i}.md", title=title, text=t) for i, t in enumerate(texts)]
