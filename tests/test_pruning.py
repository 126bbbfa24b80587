"""Pruned parsing: only the top-level statements that can matter are parsed, and nothing a
rule or the evaluator needs is lost."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst

from poolcheck.source import SourceFile
from poolcheck.syntax import ParsedFile, parse_pruned

CODE = textwrap.dedent(
    '''\
    """Module docstring."""
    import os
    from sqlalchemy import create_engine

    URL = os.environ.get("DATABASE_URL", "mysql://h/db")


    class Unrelated:
        def method(self):
            return 1


    def helper():
        return "mentioned by the kept code"


    class Base:
        RECYCLE = 10


    class Config(Base):
        pass


    @decorator
    def make_engine():
        return create_engine(URL, pool_recycle=Config.RECYCLE, x=helper())


    def unrelated():
        pass
    a = 1; b = 2
    '''
)


def parse(text: str, tokens=("create_engine",)):
    source = SourceFile(Path("m.py"), text.encode(), text)
    result = parse_pruned(source, tokens)
    return source, result, ParsedFile(source, result.module, Path("m.py"), "m", False, result.line_map, result.pruned_names)


def test_only_what_can_matter_is_parsed():
    _, result, _ = parse(CODE)
    code = result.module.code
    assert "import os" in code and "URL = " in code and "a = 1; b = 2" in code
    assert "def make_engine" in code and "@decorator" in code
    assert "class Config" in code and "class Base" in code and "def helper" in code  # mentioned
    assert "class Unrelated" not in code and "def unrelated" not in code and "Module docstring" not in code
    assert result.pruned_names == {"Unrelated": "class", "unrelated": "def"}


def test_positions_map_back_to_the_file():
    _, _, parsed = parse(CODE)
    calls = []

    class Calls(cst.CSTVisitor):
        def visit_Call(self, node):
            if isinstance(node.func, cst.Name) and node.func.value == "create_engine":
                calls.append(node)

    parsed.module.visit(Calls())
    (call,) = calls
    span = parsed.span(call)
    line = CODE.splitlines()[span.start.line - 1]
    assert line[span.start.column :].startswith("create_engine(URL")


def test_a_statement_s_positions_are_libcst_s_from_one_code_generation(monkeypatch):
    """The positions of a reported statement's nodes come from one code generation (libcst's
    position state, driven here); they are the metadata wrapper's, which the same function
    uses when libcst's internals are not as expected."""
    import builtins

    from libcst.metadata import MetadataWrapper, PositionProvider

    from poolcheck.syntax import _code_and_positions

    module = cst.parse_module(textwrap.dedent(CODE).lstrip())
    code, positions = _code_and_positions(module)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    assert code == module.code and dict(positions) == dict(expected) and len(positions) > 50
    real_import = builtins.__import__

    def without_internals(name, *args, **kwargs):
        if name == "libcst.metadata.position_provider":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_internals)
    code, positions = _code_and_positions(module)
    assert code == module.code and dict(positions) == dict(expected)


def test_pruned_definitions_still_count_as_bindings():
    _, _, parsed = parse(CODE + "unrelated = 3\n")
    assert [b.kind for b in parsed.module_scope.bindings["unrelated"]] == ["def", "assign"]


def test_nothing_pruned_is_the_whole_file():
    _, result, _ = parse("from sqlalchemy import create_engine\nengine = create_engine('sqlite://')\n")
    assert result.line_map is None and result.module.code.startswith("from sqlalchemy")


def test_syntax_newer_than_the_interpreter_falls_back_to_a_full_parse():
    text = "def f(x):\n    match x:\n        case 1:\n            return create_engine\n"
    _, result, _ = parse(text)
    assert result.line_map is None


def test_last_line_without_newline():
    _, result, parsed = parse("def unrelated():\n    pass\nfrom sqlalchemy import create_engine\nengine = create_engine('sqlite://')")
    assert result.module.code.endswith("create_engine('sqlite://')\n")


def test_a_definition_using_an_alias_of_a_token_is_kept():
    text = (
        "from sqlalchemy.ext.asyncio import create_async_engine as make_engine\n"
        "import sqlalchemy\n"
        "ce = sqlalchemy.create_engine\n\n"
        "def app():\n    return make_engine('mysql://h/db')\n\n"
        "def other():\n    return ce('mysql://h/db')\n\n"
        "def unrelated():\n    return 1\n"
    )
    _, result, _ = parse(text, tokens=("create_async_engine", "create_engine"))
    assert "def app" in result.module.code and "def other" in result.module.code
    assert result.pruned_names == {"unrelated": "def"}


def test_a_definition_using_a_kept_definition_is_kept():
    text = (
        "from sqlalchemy import create_engine\n"
        "import logging\n"
        "logger = logging.getLogger()\n\n"
        "def get_db():\n    return create_engine('sqlite://')\n\n"
        "@app.get('/items')\ndef items(db=Depends(get_db)):\n    return []\n\n"
        "def logs():\n    logger.info('x')\n"
    )
    _, result, _ = parse(text)
    assert "def items" in result.module.code
    assert result.pruned_names == {"logs": "def"}, "users of a kept assignment are not pulled in"


def test_a_definition_pruned_in_one_module_is_read_whole_by_another(make_project):
    """A config class mentioning no rule's token is left out of its module's parse; a module
    that reads one of its attributes gets it from the whole file, parsed on demand."""
    from pathlib import PurePosixPath

    from poolcheck.values import Evaluator, Known, Where

    project = make_project(
        {
            "config.py": "class Base:\n    URL = 'mysql://app@db/app'\n\n\nclass Config(Base):\n    DEBUG = False\n",
            "app.py": "from config import Config\n\nURL = Config.URL\n",
        }
    )
    project.keep_tokens = ("create_engine",)
    assert project.parsed(PurePosixPath("config.py")).pruned_names == {"Base": "class", "Config": "class"}
    app = project.parsed(PurePosixPath("app.py"))
    value = Evaluator(project).evaluate(app.module.body[-1].body[0].value, Where.module_level(app))
    assert isinstance(value, Known) and value.value == "mysql://app@db/app"
    assert value.file.span(value.node).start.line == 2


def test_a_short_alias_is_matched_as_a_name_not_as_a_letter():
    """`e = create_engine(...)` made `e` an alias, and every definition whose text contains
    the letter e (every `def`) was kept: a 1 MB module took minutes and gigabytes."""
    text = "from sqlalchemy import create_engine\ne = create_engine('sqlite://')\n\ndef helper():\n    return 1\n\ndef user():\n    return e\n"
    _, result, _ = parse(text)
    assert "def user" in result.module.code
    assert result.pruned_names == {"helper": "def"}


def test_lines_are_counted_as_python_counts_them():
    """A form feed or a U+2028 in a comment is not a line break for Python (nor for
    editors): counting it as one (str.splitlines) shifted every kept statement, and the
    engine below was never seen."""
    for separator in ("\x0c", "\u2028", "\x1c", "\x85"):
        text = f"from sqlalchemy import create_engine\n# a{separator}b\n\ndef unrelated():\n    return 1\n\nengine = create_engine('sqlite://')\n"
        source, result, parsed = parse(text)
        assert result.line_map is not None and "engine = create_engine" in result.module.code
        calls = [n for n in parsed.positions() if isinstance(n, cst.Call)]
        assert [parsed.span(c).start.line for c in calls] == [7], repr(separator)


def test_trusted_parse_builds_the_same_tree_and_restores_validation():
    """parse_trusted skips libcst's per-node validation while parsing text CPython accepted:
    the tree is the one libcst's validating parse builds, and validation is back on after
    (a node built by hand with bad whitespace is still refused), even when the parse fails."""
    import libcst as cst
    import pytest

    from poolcheck.syntax import parse_trusted

    texts = [
        "import os\nx = (1 +\n     2)  # c\n\n\nasync def f(a, /, b=2, *c, d, **e):\n    async with a as b:\n        yield [i async for i in b]\n",
        "match p:\n    case {'k': [1, *rest]} if rest:\n        pass\nclass C[T](Base, metaclass=M):\n    x: int = 1\n",
        "f'{a!r:>{w}} {b=}'\nlambda *a, **k: (yield)\ntry:\n    pass\nexcept* (A, B) as e:\n    raise\n",
    ]
    for text in texts:
        trusted = parse_trusted(text)
        assert trusted.code == text
        assert trusted.deep_equals(cst.parse_module(text))
    with pytest.raises(cst.CSTValidationError):
        cst.SimpleWhitespace("not whitespace")
    with pytest.raises(Exception):
        parse_trusted("def (:\n")
    with pytest.raises(cst.CSTValidationError):
        cst.SimpleWhitespace("still checked after a failed parse")


def test_top_level_ranges_are_the_files_lines_of_each_kept_statement():
    """What creation_sites reads instead of parsing the file a third time."""
    _, result, _ = parse(CODE)
    lines = CODE.splitlines()
    assert len(result.top_level_ranges) == len(result.module.body)
    for (first, last), statement in zip(result.top_level_ranges, result.module.body):
        assert cst.Module(body=[statement]).code.strip().splitlines() == [line for line in lines[first - 1 : last] if line.strip()]
    whole = parse("import os\nx = os.sep\n")[1]
    assert whole.top_level_ranges == ((1, 1), (2, 2))


def test_only_statements_the_relevant_code_depends_on_pull_in_definitions():
    """A table of classes kept as a module-level statement no longer keeps every class it
    names; a statement binding a name the engine's call uses does, and what it uses too."""
    text = textwrap.dedent(
        '''\
        from sqlalchemy import create_engine


        class SubjectHeader:
            pass


        class DateHeader:
            pass


        HEADERS = {"subject": SubjectHeader, "date": DateHeader}


        def make_options():
            return {"pool_recycle": 10}


        def unused_helper():
            return 1


        OPTIONS = make_options()
        engine = create_engine("mysql://h/db", **OPTIONS)
        '''
    )
    _, result, parsed = parse(text)
    code = result.module.code
    assert "def make_options" in code and "OPTIONS = make_options()" in code and "HEADERS = " in code
    assert "class SubjectHeader" not in code and "class DateHeader" not in code and "def unused_helper" not in code
    assert parsed.module_scope.bindings["SubjectHeader"][0].kind == "class"  # still bound (pruned)


def test_literal_tables_nothing_relevant_uses_are_left_out():
    """A statement that only binds a name to a literal (an encodings module's 256-entry
    table: half of what libcst parsed on the standard library) is left out when the
    relevant code does not use the name and nothing else binds it; the name stays bound."""
    text = textwrap.dedent(
        '''\
        from sqlalchemy import create_engine
        decoding_table = (
            "\\x00"
            "\\x01"
        )
        encoding_table = make_table(decoding_table)
        RECYCLE = 280
        SIZE: int = -(2 ** 3)
        _engine = None
        __all__ = ["engine"]
        TWICE = 1
        TWICE = 2
        ALIAS = OTHER = {"a": [1, 2.5, None, ("x", b"y")]}
        called = dict(a=1)
        named = [RECYCLE]
        unpacked, pair = 1, 2


        def TAKEN():
            pass


        TAKEN = 3


        def rebind():
            global _engine
            _engine = None


        engine = create_engine("mysql://h/db", pool_recycle=RECYCLE)
        '''
    )
    _, result, parsed = parse(text)
    code = result.module.code
    left_out = {"decoding_table": "literal", "SIZE": "literal", "ALIAS": "literal", "OTHER": "literal"}
    assert result.pruned_names == {**left_out, "rebind": "def"}
    for kept in ("RECYCLE = 280", "_engine = None", "__all__", "TWICE = 1", "TWICE = 2", "called = ", "named = ", "unpacked, pair", "TAKEN = 3", "def TAKEN", "encoding_table = "):
        assert kept in code, kept
    assert "decoding_table = (" not in code and "SIZE: int" not in code and "ALIAS = " not in code
    assert [b.kind for b in parsed.module_scope.bindings["decoding_table"]] == ["literal"]
    assert parsed.module_scope.bindings["decoding_table"][0].left_out


def test_a_literal_left_out_is_read_from_the_whole_file(make_project):
    """Another module's `from settings import RECYCLE`, or a kept statement of the same
    module, still gets the literal's value (and its place in the file)."""
    from pathlib import PurePosixPath

    from poolcheck.values import Evaluator, Known, Where

    project = make_project(
        {
            "settings.py": '"""Settings."""\nRECYCLE = 280\nTABLE = (1, 2)\nSIZE = len(TABLE)\n',
            "app.py": "from settings import RECYCLE, SIZE\n\nVALUE = RECYCLE\n",
        }
    )
    project.keep_tokens = ("create_engine",)
    settings = project.parsed(PurePosixPath("settings.py"))
    assert settings.pruned_names == {"RECYCLE": "literal", "TABLE": "literal"}
    app = project.parsed(PurePosixPath("app.py"))
    evaluator = Evaluator(project)
    value = evaluator.evaluate(app.module.body[-1].body[0].value, Where.module_level(app))
    assert isinstance(value, Known) and value.value == 280
    assert value.file.span(value.node).start.line == 2
    table = evaluator.evaluate(cst.parse_expression("TABLE"), Where.module_level(settings))
    assert isinstance(table, Known) and table.value == (1, 2)


# --- leaving literals out changes no finding (differential, generated projects) ---------------

_LITERALS = [
    "RECYCLE = 3600",
    "RECYCLE = 28800",
    "SIZE = 5",
    "SIZE = -1",
    'URL = "mysql+pymysql://app@db/app"',
    'URL = "postgresql://app@db/app"',
    'OPTIONS = {"pool_recycle": 3600, "pool_pre_ping": True}',
    'OPTIONS = {"pool_size": 0, "poolclass": None}',
    "_engine = None",
    "TABLE = (1, 2, 3)",
    "TIMEOUT: int = 30",
    "RECYCLE = SIZE = 7",
    'SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 7200}',
    'DEBUG = False',
]
_USES = [
    "engine = create_engine(URL, pool_recycle=RECYCLE)",
    "engine = create_engine(URL, pool_size=SIZE, max_overflow=TIMEOUT)",
    "engine = create_engine(URL, **OPTIONS)",
    "def get():\n    global _engine\n    _engine = create_engine(URL)\n    return _engine\n",
    "def make():\n    return create_engine('mysql://h/db', pool_recycle=RECYCLE)\n",
    "Session = sessionmaker(bind=create_engine(URL))",
    "def leak():\n    s = Session()\n    return s.execute(TABLE)\n",
    'app.config["SQLALCHEMY_ENGINE_OPTIONS"] = OPTIONS',
    "class Config:\n    SQLALCHEMY_POOL_RECYCLE = RECYCLE\n",
    'scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(url=URL)})',
    "def unrelated():\n    return TABLE\n",
    "COPY = make_copy(TABLE)",
    "RECYCLE = 1",
]
_HEAD = (
    "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import sessionmaker\nfrom flask import Flask\n"
    "from apscheduler.schedulers.background import BackgroundScheduler\n"
    "from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore\napp = Flask(__name__)\n"
)


def test_leaving_literals_out_changes_no_finding(tmp_path, monkeypatch):
    """Projects of literal assignments and code using them, in and across modules, in
    random orders: the findings with literals left out of the parse are the findings with
    every literal parsed."""
    import random

    from poolcheck import outline
    from poolcheck.config import Settings
    from poolcheck.registry import load_rules
    from poolcheck.runner import RunOptions, Runner

    rules = load_rules()
    keep_literals = lambda node: ()  # noqa: E731

    def findings(folder):
        result = Runner(Settings(), rules, frozenset(rules.codes), cwd=folder, jobs=1).run(RunOptions(paths=[folder], fingerprints=True))
        assert not result.errors, result.errors
        return sorted((str(f.path), f.code, f.span, f.message, f.fingerprint) for f in result.findings)

    generator = random.Random(20261122)
    compared = with_findings = 0
    for number in range(40):
        folder = tmp_path / f"p{number}"
        folder.mkdir()
        (folder / "pyproject.toml").write_text("")
        settings_lines = generator.sample(_LITERALS, generator.randint(1, 6))
        (folder / "settings.py").write_text("\n".join(settings_lines) + "\n\ndef helper():\n    return 1\n")
        statements = generator.sample(_LITERALS, generator.randint(0, 5)) + generator.sample(_USES, generator.randint(1, 6))
        generator.shuffle(statements)
        imported = "from settings import RECYCLE, SIZE, URL, OPTIONS, TABLE, TIMEOUT\n" if generator.random() < 0.7 else ""
        (folder / "app.py").write_text(_HEAD + imported + "\n".join(statements) + "\n")
        pruned = findings(folder)
        with monkeypatch.context() as patch:
            patch.setattr(outline, "literal_names", keep_literals)
            whole = findings(folder)
        assert pruned == whole, (settings_lines, statements)
        compared += 1
        with_findings += bool(pruned)
    assert compared == 40 and with_findings >= 10  # the projects do give the rules work


def test_names_a_global_statement_declares_keep_their_literals():
    """`global a, b` in any function (even one left out) may rebind a and b: their
    module-level literals stay; a word `global` in a comment declares what follows it on its
    line, which keeps more than needed (the safe side) and nothing else."""
    text = (
        "from sqlalchemy import create_engine\n"
        "FIRST = 1\nSECOND = 2\nTHIRD = 3\nFOURTH = 4\n\n"
        "def unrelated():\n    global FIRST, SECOND\n    FIRST = SECOND = 0\n\n"
        "# global state: THIRD\n"
        "engine = create_engine('sqlite://')\n"
    )
    _, result, _ = parse(text)
    assert result.pruned_names == {"unrelated": "def", "FOURTH": "literal"}
    assert "FIRST = 1" in result.module.code and "SECOND = 2" in result.module.code and "THIRD = 3" in result.module.code


def _pruned_alike(text: str, tokens, keep_if=()):
    """parse_pruned from CPython's tree here, and from an outline that travelled between
    processes (pickled: no nodes, statements parsed alone where pruning needs them)."""
    import ast
    import pickle

    from poolcheck.outline import outline_of

    source = SourceFile(Path("m.py"), text.encode(), text)
    here = parse_pruned(source, tokens, keep_if)
    travelled = pickle.loads(pickle.dumps(outline_of(ast.parse(text))))
    assert travelled._nodes is None
    there = parse_pruned(source, tokens, keep_if, outline=travelled)
    for field in ("line_map", "pruned_names", "statement_lines", "top_level_ranges"):
        assert getattr(there, field) == getattr(here, field), field
    assert there.module.code == here.module.code
    return here


def test_an_outline_made_in_another_process_prunes_as_the_tree_does():
    """The bulk search's processes send the name scan's files' outlines instead of their
    trees (poolcheck.outline): every kind of top-level statement, decorators, statements
    sharing a line, a definition kept because its text holds a token (its names read from
    its own parse), aliases, literal tables."""
    base = CODE + "ce = create_engine\nTABLE = (1, 2, 3)\n\n@ce.decorate\nclass Model(Base):\n    x = Column()\n"
    result = _pruned_alike(base, ("create_engine",))
    assert result.line_map is not None and result.pruned_names
    _pruned_alike(base, ("Session",), (lambda text: "helper" in text,))
    _pruned_alike(base, ("nothing at all",))


def test_outlines_made_elsewhere_prune_the_standard_library_alike():
    """Real modules: every 25th of the running interpreter's standard library, with tokens
    that keep a few definitions of most (and a finer test, as the lifecycle rules give)."""
    import sysconfig

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.rglob("*.py") if "site-packages" not in p.parts)[::25]
    compared = pruned = 0
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            compile(text, str(path), "exec", dont_inherit=True)
        except (UnicodeDecodeError, SyntaxError, ValueError):
            continue
        result = _pruned_alike(text, ("connect", "Error", "open("), (lambda segment: "self._lock" in segment,))
        compared += 1
        pruned += result.line_map is not None
    assert compared > 40 and pruned > 20


def test_a_definition_kept_from_an_outline_is_checked_for_nesting():
    """How deeply a kept definition nests is asked of its own parse when the tree stayed in
    the other process: the same PC001 failure, at the same place."""
    import ast
    import pickle

    import pytest

    from poolcheck.outline import outline_of
    from poolcheck.source import ParseFailure

    text = "import os\n\n\ndef unrelated():\n    pass\n\n\ndef make():\n    return create_engine(" + "[" * 180 + "]" * 180 + ")\n"
    source = SourceFile(Path("m.py"), text.encode(), text)
    failures = []
    for outline in (None, pickle.loads(pickle.dumps(outline_of(ast.parse(text))))):
        with pytest.raises(ParseFailure) as raised:
            parse_pruned(source, ("create_engine",), (), outline)
        failures.append((raised.value.message, raised.value.line, raised.value.column))
    assert failures[0] == failures[1] and failures[0][1] == 9
