"""Adding a keyword argument keeps the call's own layout."""

from __future__ import annotations

import libcst as cst
import pytest

from poolcheck.edits import add_keyword_argument


@pytest.mark.parametrize(
    "before, after",
    [
        ("create_engine(url)", "create_engine(url, pool_pre_ping=True)"),
        ("create_engine()", "create_engine(pool_pre_ping=True)"),
        ("create_engine(url, **kw)", "create_engine(url, **kw, pool_pre_ping=True)"),
        (
            'create_async_engine(\n    "mysql+asyncmy://root@localhost/db"\n)',
            'create_async_engine(\n    "mysql+asyncmy://root@localhost/db",\n    pool_pre_ping=True\n)',
        ),
        ("create_engine(\n    url,\n    pool_size=5\n)", "create_engine(\n    url,\n    pool_size=5,\n    pool_pre_ping=True\n)"),
        ("create_engine(\n    url,\n    pool_size=5,\n)", "create_engine(\n    url,\n    pool_size=5,\n    pool_pre_ping=True,\n)"),
        ("create_engine(\n    url,\n)", "create_engine(\n    url,\n    pool_pre_ping=True,\n)"),
        ("create_engine(url,\n              pool_size=5)", "create_engine(url,\n              pool_size=5,\n              pool_pre_ping=True)"),
    ],
)
def test_layout_is_kept(before, after):
    call = cst.parse_expression(before)
    assert cst.Module([]).code_for_node(add_keyword_argument(call, "pool_pre_ping", cst.Name("True"))) == after
