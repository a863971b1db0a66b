"""Textual screens and widgets (the only layer that imports textual)."""

import os

# Textual draws at most 60 frames a second and, after a late frame, skips a slot: a keystroke's
# hits then wait 17–33 ms for a frame after the query box's own (bench/tui.py). At 120 the
# wait halves and keystroke → BM25 pane p95 stays under 25 ms at 100k passages; an idle app
# draws nothing either way. Set TEXTUAL_FPS to choose another rate.
os.environ.setdefault("TEXTUAL_FPS", "120")
