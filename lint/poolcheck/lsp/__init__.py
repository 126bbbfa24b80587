"""``poolcheck server``: the Language Server Protocol server editors talk to over stdio.

- :mod:`.positions`: poolcheck's columns (characters) and the client's (UTF-16 code units,
  or whatever encoding was negotiated).
- :mod:`.convert`: findings as diagnostics, fixes as text edits, rule summaries as hovers.
- :mod:`.server`: the pygls server: when to check, what to publish, code actions, hover.

Only :mod:`.server` imports pygls (the optional ``poolcheck[lsp]`` extra).
"""
