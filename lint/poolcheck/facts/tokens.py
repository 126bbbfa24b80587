"""The tokens project facts ask of every Python file, kept where importing them costs
nothing (a rule names them as its ``fact_tokens``; the collectors import them too)."""

from __future__ import annotations

from ..tokenscan import NoCase

# The server settings (facts.server.collect): the .py and .sql files naming these variables,
# in any case (`SET GLOBAL wait_timeout`), are read for them.
SERVER_VARIABLE_TOKENS = (NoCase(b"wait_timeout"), NoCase(b"max_connections"))
