import sys

from rerank_tui.cli import main

sys.exit(main())
