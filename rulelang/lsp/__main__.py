"""`python -m rulelang.lsp`: the language server over stdio, as `rulelang lsp`."""

import sys

try:
    from rulelang.lsp.server import main
except ImportError as missing:  # pygls is an optional dependency
    sys.exit(f"the language server needs pygls ({missing}): pip install 'rulelang[lsp]'")

main()
