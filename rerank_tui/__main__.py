"""`python -m rerank_tui …`: the same as the `rerank-tui` command."""

import sys

from rerank_tui.cli import main

sys.exit(main())
