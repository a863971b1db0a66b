"""Messages that threads post to the app (post_message is thread-safe)."""

from __future__ import annotations

from textual.message import Message

from rerank_tui.session.labels import Saved


class LabelsSaved(Message):
    """The label writer put these changes on disk, or failed to (`saved.error`)."""

    def __init__(self, saved: Saved) -> None:
        super().__init__()
        self.saved = saved
