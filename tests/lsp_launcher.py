"""Start the language server over stdio with the test rules (``editor_rules.py``) added to
the installed ones: ``python tests/lsp_launcher.py``. The tests of the real ``poolcheck
server`` command use the installed rules only."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from editor_rules import rules_with_test_rules  # noqa: E402

from poolcheck.lsp.server import serve  # noqa: E402

if __name__ == "__main__":
    serve(rules_with_test_rules())
