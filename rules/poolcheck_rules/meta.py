"""PC0xx: the linter itself. Implemented through the same hooks any plugin can use."""

from __future__ import annotations

from poolcheck.api import Invalid, Rule, RuleContext, Severity, SourceError, Span, Valid


class SyntaxErrorRule(Rule):
    code = "PC001"
    name = "syntax-error"
    severity = Severity.ERROR
    summary = "A file poolcheck needed to check could not be decoded or parsed."
    what = """
        Reports a Python file that could not be read as Python: a syntax error, bytes that are
        not valid in the file's encoding (UTF-8 unless a coding cookie says otherwise), a NUL
        byte (a binary file named `.py`), or an invalid coding cookie. The other files are
        still checked.

        Decoding is checked for every Python file. Syntax is checked for the files poolcheck
        parses: those whose text mentions something an enabled rule looks for
        (`create_engine`, `SQLALCHEMY_`, ...). A file that cannot matter is never parsed.
    """
    why = """
        A file poolcheck cannot parse is a file it cannot check: engines configured in it
        would go unchecked without anyone knowing. The interpreter will refuse it too, with
        `SyntaxError` or `SyntaxError: (unicode error) 'utf-8' codec can't decode byte ...`.
    """
    example = """
        from sqlalchemy import create_engine

        engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True
    """
    use_instead = """
        from sqlalchemy import create_engine

        engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
    """
    help = "Fix the syntax or encoding error; poolcheck checks the file once it parses."
    references = ("[PEP 263: source code encodings](https://peps.python.org/pep-0263/)",)
    invalid = (
        Invalid("from sqlalchemy import create_engine\nif True\n    create_engine('sqlite://')\n", line=2),
        Invalid("x = 1\n\x00\x00\x00create_engine\n", line=2, message="NUL byte"),
        Invalid("# -*- coding: klingon -*-\nfrom sqlalchemy import create_engine\n", message="encoding"),
        Invalid("from sqlalchemy import create_engine\nengine = create_engine('sqlite://')\n\tdef f(:\n"),
        Invalid("from sqlalchemy import create_engine\nprint 'python 2'\ncreate_engine('sqlite://')\n", line=2),
    )
    valid = (
        Valid("from sqlalchemy import create_engine\nengine = create_engine('sqlite://')\n"),
        Valid("# -*- coding: latin-1 -*-\nfrom sqlalchemy import create_engine\n"),
        Valid("\ufefffrom sqlalchemy import create_engine\n"),
        Valid("from sqlalchemy import create_engine\r\nengine = create_engine('sqlite://')\r\n"),
        Valid("def f(x):\n    match x:\n        case 1:\n            return 'create_engine'\n"),
        Valid("print 'a python 2 file that mentions nothing poolcheck looks for'\n", note="not parsed"),
    )

    def check_unparsable(self, ctx: RuleContext, error: SourceError) -> None:
        message = error.message[0].upper() + error.message[1:] if error.message else "Cannot parse"
        ctx.report(Span.at(error.line, error.column), message)


class UnusedNoqa(Rule):
    code = "PC002"
    name = "unused-noqa"
    severity = Severity.INFO
    default_enabled = False
    summary = "A `# noqa: PCnnn` comment that suppresses nothing."
    tokens = (b"noqa", b"NOQA")
    what = """
        Reports `# noqa: PCnnn` comments naming a poolcheck rule that reported nothing on
        that line, and codes that are not poolcheck rules at all (`# noqa: PC999`).

        Only codes in poolcheck's namespaces are judged (a `# noqa: E501` belongs to another
        tool), a blanket `# noqa` is never reported for the same reason, and a code of a rule
        that is not enabled in this run is not reported (a narrower `--select` must not make
        comments look unused).
    """
    why = """
        A suppression that outlives the problem it silenced hides the next real problem on
        that line: if someone later removes `pool_pre_ping=True`, the stale
        `# noqa: PC101` swallows the finding and the service loses its connections after
        `wait_timeout` again, with `(2006, 'MySQL server has gone away')`.
    """
    example = """
        from sqlalchemy import create_engine

        engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)  # noqa: PC101
    """
    use_instead = """
        from sqlalchemy import create_engine

        engine = create_engine("mysql+pymysql://app@db/app", pool_pre_ping=True)
    """
    help = "Remove the stale code from the `# noqa` comment."
    options = "Opt-in: enable it with `extend-select = [\"PC002\"]` or `--extend-select PC002`."
    invalid = (
        Invalid("from sqlalchemy import create_engine\nx = 1  # noqa: PC101\n", line=2),
        Invalid("import sqlalchemy\nengine = sqlalchemy.create_engine('sqlite://')  # noqa: PC104, PC105\n", line=2),
        Invalid("x = 1  # noqa: PC999\n", line=1, message="not a poolcheck rule"),
        Invalid("from sqlalchemy import create_engine\ncreate_engine('sqlite://')  # NOQA:PC101\n", line=2),
        Invalid("def f():\n    return 1  # noqa: PC001\n", line=2),
    )
    valid = (
        Valid("x = 1  # noqa\n"),
        Valid("x = 1  # noqa: E501\n"),
        Valid("from sqlalchemy import create_engine\nengine = create_engine('mysql://u@h/db')  # noqa: PC101\n"),
        Valid("s = '# noqa: PC101'\n"),
        Valid("from sqlalchemy import create_engine\nengine = create_engine(  # noqa: PC101\n    'mysql://u@h/db',\n)\n", note="on the statement's first line"),
    )

    def check_suppressions(self, ctx: RuleContext, unused) -> None:
        for item in unused:
            comment = item.comment
            span = Span.at(comment.line, comment.column, comment.line, comment.column + len(comment.text))
            if item.unknown_codes:
                codes = ", ".join(item.unknown_codes)
                ctx.report(span, f"`# noqa` names {codes}, which is not a poolcheck rule", help="Remove the code or correct it (see `poolcheck rules`).")
            if item.unused_codes:
                codes = ", ".join(item.unused_codes)
                ctx.report(span, f"Unused `noqa` directive: {codes} reports nothing here")


RULES = [SyntaxErrorRule, UnusedNoqa]
