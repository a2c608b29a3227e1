"""The language server (`rulelang lsp`): diagnostics, hover, go to definition,
references, the outline, completion and formatting for rule files in an editor.

Its answers come from the pipeline's own passes (analysis.py) and the checked
program's side tables (places.py, describe.py); server.py speaks the protocol
with pygls, an optional dependency (`pip install 'rulelang[lsp]'`).
"""
