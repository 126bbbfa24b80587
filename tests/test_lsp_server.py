"""The language server, driven over stdio by a real LSP client (pytest-lsp, on pygls).

The client here behaves as an editor does: it keeps its own copy of each open document,
applies the server's edits itself (counting columns in UTF-16 code units, independently of
the server's conversion) and sends the changes back as ``didChange``.

No test asserts anything about time: waits only bound how long to wait before failing.
"""

from __future__ import annotations

import asyncio
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types  # noqa: E402
from pygls.protocol import default_converter  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features  # noqa: E402

from poolcheck.lsp.convert import unknown_code_hover  # noqa: E402

TESTS = Path(__file__).resolve().parent
WITH_TEST_RULES = [sys.executable, str(TESTS / "lsp_launcher.py")]
REAL_COMMAND = [sys.executable, "-m", "poolcheck", "server"]
WAIT_SECONDS = 60.0  # how long to wait for the server before failing (not a speed test)

VSCODE = client_capabilities("visual-studio-code")
# A client that can do little: no versioned edits, no dynamic registration, no encodings list.
MINIMAL = types.ClientCapabilities(
    text_document=types.TextDocumentClientCapabilities(
        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(related_information=True),
        code_action=types.CodeActionClientCapabilities(),
        hover=types.HoverClientCapabilities(),
    ),
)
UTF8_CLIENT = types.ClientCapabilities(general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf8]))

PYPROJECT = '[tool.poolcheck]\nextend-select = ["PC002"]\n'


# --- the client ---------------------------------------------------------------------------


def make_client() -> LanguageClient:
    client = LanguageClient(converter_factory=default_converter)
    client.published = []  # every publishDiagnostics, in order
    client.registrations = []

    def publish(ls: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        ls.published.append(params)
        ls.diagnostics[params.uri] = params.diagnostics

    def register(ls: LanguageClient, params: types.RegistrationParams) -> None:
        ls.registrations.append(params)

    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    features[types.CLIENT_REGISTER_CAPABILITY] = register
    register_lsp_features(client, features)
    return client


def utf16_offset(text: str, position: types.Position) -> int:
    """The string index of an LSP position, counting characters in UTF-16 code units."""
    lines = re.split(r"(?<=\n)", text)
    before = sum(len(line) for line in lines[: position.line])
    line = lines[position.line].rstrip("\r\n") if position.line < len(lines) else ""
    units = line.encode("utf-16-le")[: 2 * position.character]
    return before + len(units.decode("utf-16-le"))


def apply_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    spans = sorted(((utf16_offset(text, e.range.start), utf16_offset(text, e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


@dataclass
class Document:
    uri: str
    path: Path
    text: str
    version: int = 1


class Editor:
    """An editor on one project folder, connected to the server."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client = client
        self.root = root

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        return path

    def mark(self) -> int:
        return len(self.client.published)

    def open(self, relative: str, text: str, language: str = "python", save: bool = True) -> Document:
        path = self.write(relative, text) if save else self.root / relative
        document = Document(from_fs_path(str(path)), path, text)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(uri=document.uri, language_id=language, version=1, text=text))
        )
        return document

    async def diagnostics(self, document: Document, since: int) -> List[types.Diagnostic]:
        """The first diagnostics published for the document's current version after ``since``."""
        deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
        while True:
            for params in self.client.published[since:]:
                if params.uri == document.uri and params.version == document.version:
                    return list(params.diagnostics)
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no diagnostics for {document.path.name} v{document.version}; got {self.client.published[since:]}")
            await asyncio.sleep(0.01)

    async def wait_for_log(self, pattern: str) -> types.LogMessageParams:
        deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
        while True:
            for message in self.client.log_messages:
                if re.search(pattern, message.message):
                    return message
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no log message matching {pattern!r}: {[m.message for m in self.client.log_messages]}")
            await asyncio.sleep(0.01)

    def change(self, document: Document, edits: Sequence[types.TextEdit]) -> None:
        """Apply edits as the user's editor would, and tell the server (incrementally)."""
        document.text = apply_edits(document.text, edits)
        document.version += 1
        ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
        changes = [types.TextDocumentContentChangePartial(range=e.range, text=e.new_text) for e in ordered]
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=document.uri, version=document.version), content_changes=changes
            )
        )

    def replace_all(self, document: Document, text: str) -> None:
        document.text = text
        document.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=document.uri, version=document.version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def apply(self, document: Document, edit: types.WorkspaceEdit) -> None:
        if edit.document_changes:
            [change] = edit.document_changes
            assert change.text_document.uri == document.uri
            assert change.text_document.version == document.version, "an edit for another version of the document"
            self.change(document, change.edits)
        else:
            self.change(document, edit.changes[document.uri])

    def save(self, document: Document) -> None:
        document.path.write_text(document.text, encoding="utf-8", newline="")
        self.client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=document.uri)))

    async def actions(self, document: Document, at: types.Range, only: Optional[List[str]] = None) -> List[types.CodeAction]:
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=document.uri),
            range=at,
            context=types.CodeActionContext(diagnostics=list(self.client.diagnostics.get(document.uri, [])), only=only),
        )
        return list(await self.client.text_document_code_action_async(params) or [])

    async def hover(self, document: Document, line: int, character: int) -> Optional[types.Hover]:
        params = types.HoverParams(text_document=types.TextDocumentIdentifier(uri=document.uri), position=types.Position(line=line, character=character))
        return await self.client.text_document_hover_async(params)


def project_files(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "settings.cfg").write_text("# shared\nstrict = on\n")


@pytest.fixture
def start(tmp_path: Path):
    """``await start(client, capabilities)``: initialize a session on a fresh project and
    return an Editor on it; the session is shut down after the test."""
    async def begin(client: LanguageClient, capabilities: types.ClientCapabilities = VSCODE) -> Editor:
        root = tmp_path / "project"
        project_files(root)
        uri = from_fs_path(str(root))
        await client.initialize_session(
            types.InitializeParams(
                capabilities=capabilities, root_uri=uri, workspace_folders=[types.WorkspaceFolder(uri=uri, name="project")]
            )
        )
        return Editor(client, root)

    return begin


async def _shut_down(client: LanguageClient) -> None:
    # pytest-lsp's own teardown waits for the server to exit: the session must end first.
    if not getattr(client, "shut_down", False):
        await client.shutdown_session()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=WITH_TEST_RULES, client_factory=make_client))
async def client(lsp_client: LanguageClient):
    yield
    await _shut_down(lsp_client)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=REAL_COMMAND, client_factory=make_client))
async def real_client(lsp_client: LanguageClient):
    yield
    await _shut_down(lsp_client)


def by_code(diagnostics: Sequence[types.Diagnostic]) -> Dict[Any, types.Diagnostic]:
    return {d.code: d for d in diagnostics}


# --- diagnostics ----------------------------------------------------------------------------


async def test_diagnostics_on_open_in_utf16_columns_with_severity_code_and_link(client, start):
    editor = await start(client)
    mark = editor.mark()
    text = 'greeting = "👋 hello"; conn = legacy_connect()\npool = open_pool()  # noqa: PC999\n'
    document = editor.open("app.py", text)
    found = by_code(await editor.diagnostics(document, mark))
    assert set(found) == {"TST901", "TST902", "PC002"}

    legacy = found["TST901"]
    # "legacy_connect" starts at character 29; the waving hand before it is 2 UTF-16 units.
    assert text.index("legacy_connect") == 29
    assert legacy.range == types.Range(start=types.Position(line=0, character=30), end=types.Position(line=0, character=44))
    assert legacy.severity == types.DiagnosticSeverity.Warning
    assert legacy.source == "poolcheck"
    assert legacy.message == "`legacy_connect()` holds a connection forever; call `modern_connect()`\nhelp: Rename the call."

    strict = found["TST902"]
    assert strict.severity == types.DiagnosticSeverity.Error
    [related] = strict.related_information
    assert related.location.uri == from_fs_path(str(editor.root / "settings.cfg"))
    assert related.location.range.start == types.Position(line=1, character=0)
    assert related.message == "strict = on is set here"

    unused = found["PC002"]
    assert unused.severity == types.DiagnosticSeverity.Information
    assert unused.code_description.href == "https://github.com/poolcheck/poolcheck/blob/main/docs/rules/PC002.md"


async def test_a_fix_is_offered_applied_and_the_diagnostic_goes_away(client, start):
    editor = await start(client)
    mark = editor.mark()
    document = editor.open("app.py", 's = "😀"; conn = legacy_connect()\n')
    [diagnostic] = await editor.diagnostics(document, mark)
    actions = await editor.actions(document, diagnostic.range)
    titles = [action.title for action in actions]
    assert titles == [
        "Fix TST901: Call `modern_connect()`",
        "Ignore TST901 on this line (# noqa)",
        "poolcheck: fix all safely fixable problems",
    ]
    fix = actions[0]
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
    assert fix.diagnostics[0].code == "TST901"

    mark = editor.mark()
    editor.apply(document, fix.edit)
    assert document.text == 's = "😀"; conn = modern_connect()\n'
    assert await editor.diagnostics(document, mark) == []


async def test_ignoring_adds_or_extends_the_noqa_comment(client, start):
    editor = await start(client)
    mark = editor.mark()
    document = editor.open("app.py", "pool = open_pool(legacy_connect())  # noqa: E501\n")
    found = by_code(await editor.diagnostics(document, mark))
    actions = await editor.actions(document, found["TST902"].range)
    [ignore] = [a for a in actions if a.title == "Ignore TST902 on this line (# noqa)"]
    mark = editor.mark()
    editor.apply(document, ignore.edit)
    assert document.text == "pool = open_pool(legacy_connect())  # noqa: E501, TST902\n"
    assert [d.code for d in await editor.diagnostics(document, mark)] == ["TST901"]


async def test_ignoring_a_finding_on_a_line_ending_inside_a_string(client, start):
    """A comment cannot go inside a string: it goes on the statement's first line, where
    poolcheck also reads it; where neither line can hold it, no action is offered."""
    editor = await start(client)
    mark = editor.mark()
    document = editor.open("app.py", 'conn = make(\n    legacy_connect("""\n  sql"""))\nother = legacy_connect("""\n  sql""")\n')
    first, second = await editor.diagnostics(document, mark)
    actions = await editor.actions(document, first.range)
    [ignore] = [a for a in actions if a.title.startswith("Ignore")]
    assert ignore.title == "Ignore TST901 on line 1 (# noqa)"
    assert not [a for a in await editor.actions(document, second.range) if a.title.startswith("Ignore")]
    mark = editor.mark()
    editor.apply(document, ignore.edit)
    assert document.text.startswith('conn = make(  # noqa: TST901\n    legacy_connect("""')
    assert [d.range.start.line for d in await editor.diagnostics(document, mark)] == [3]


async def test_fix_all_as_a_source_action(client, start):
    editor = await start(client)
    mark = editor.mark()
    document = editor.open("app.py", "a = legacy_connect()\nb = open_pool()\nc = legacy_connect()\n")
    await editor.diagnostics(document, mark)
    whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
    [fix_all] = await editor.actions(document, whole, only=[types.CodeActionKind.SourceFixAll])
    assert fix_all.kind == "source.fixAll.poolcheck"
    mark = editor.mark()
    editor.apply(document, fix_all.edit)
    assert document.text == "a = modern_connect()\nb = open_pool()\nc = modern_connect()\n"
    assert [d.code for d in await editor.diagnostics(document, mark)] == ["TST902"]
    # Nothing left that a fix could change: no fix-all action any more.
    assert await editor.actions(document, whole, only=[types.CodeActionKind.SourceFixAll]) == []


async def test_changes_are_checked_and_only_the_latest_version_is_published(client, start):
    editor = await start(client)
    mark = editor.mark()
    document = editor.open("app.py", "x = 1\n")
    assert await editor.diagnostics(document, mark) == []
    mark = editor.mark()
    for count in range(1, 6):  # typing: five changes in a row
        editor.replace_all(document, "x = 1\n" + "legacy_connect()\n" * count)
    final = await editor.diagnostics(document, mark)
    assert [d.range.start.line for d in final] == [1, 2, 3, 4, 5]
    await asyncio.sleep(0.5)  # let anything stale arrive, if the server were to send it
    published = [p for p in editor.client.published[mark:] if p.uri == document.uri]
    assert published[-1].version == document.version
    assert [p.version for p in published] == sorted(p.version for p in published)


async def test_a_changed_project_file_checks_open_documents_again(client, start):
    editor = await start(client)
    mark = editor.mark()
    document = editor.open("app/pools.py", "pool = open_pool()\n")
    assert [d.code for d in await editor.diagnostics(document, mark)] == ["TST902"]
    # The server asked to be told about file changes.
    [registration] = editor.client.registrations[0].registrations
    assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES

    settings = editor.write("settings.cfg", "strict = off\n")
    mark = editor.mark()
    editor.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=from_fs_path(str(settings)), type=types.FileChangeType.Changed)])
    )
    assert await editor.diagnostics(document, mark) == []

    # A change in a folder that is never walked (a virtual environment) is not a project file.
    editor.write(".venv/lib/settings.cfg", "x\n")
    editor.write("settings.cfg", "strict = on\n")
    mark = editor.mark()
    editor.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=from_fs_path(str(editor.root / ".venv/lib/settings.cfg")), type=types.FileChangeType.Created)])
    )
    await asyncio.sleep(0.5)
    assert [p for p in editor.client.published[mark:] if p.uri == document.uri] == []


async def test_saving_another_document_checks_the_others_again(client, start):
    editor = await start(client)
    mark = editor.mark()
    app = editor.open("app.py", "pool = open_pool()\n")
    assert [d.code for d in await editor.diagnostics(app, mark)] == ["TST902"]
    settings = editor.open("settings.cfg", (editor.root / "settings.cfg").read_text(), language="ini")
    editor.replace_all(settings, "strict = off\n")
    mark = editor.mark()
    editor.save(settings)
    assert await editor.diagnostics(app, mark) == []
    # Only Python documents get diagnostics.
    assert all(p.uri != settings.uri for p in editor.client.published)


async def test_hover_on_a_noqa_code_shows_the_rule(client, start):
    editor = await start(client)
    mark = editor.mark()
    line = "x = 1  # noqa: TST901, PC999, E501  # 😀 PC002"
    document = editor.open("app.py", line + "\n# poolcheck: noqa: PC002\n")
    await editor.diagnostics(document, mark)

    hover = await editor.hover(document, 0, line.index("TST901") + 3)
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert hover.contents.value.startswith("**TST901** `legacy-connect` · warning\n\nA call to `legacy_connect()`")
    assert hover.range.start == types.Position(line=0, character=line.index("TST901"))

    pc002 = await editor.hover(document, 1, len("# poolcheck: noqa: P"))
    assert "**PC002** `unused-noqa` · info · opt-in" in pc002.contents.value
    assert "[Documentation](https://github.com/poolcheck/poolcheck/blob/main/docs/rules/PC002.md)" in pc002.contents.value

    unknown = await editor.hover(document, 0, line.index("PC999"))
    assert unknown.contents.value == "**PC999** is not a poolcheck rule (`poolcheck rules` lists them)."
    assert await editor.hover(document, 0, line.index("E501")) is None  # another tool's code
    assert await editor.hover(document, 0, 1) is None  # not a comment
    assert await editor.hover(document, 0, len(line) - 1) is None  # not in the noqa comment


async def test_a_crash_in_one_document_is_logged_and_the_others_are_still_checked(client, start):
    editor = await start(client)
    mark = editor.mark()
    engine = editor.open("engine.py", "crash_the_engine()\n")
    rule = editor.open("rule.py", "crash_the_rule()\nlegacy_connect()\n")
    editor.open("exits.py", "exit_the_server()\n")
    healthy = editor.open("healthy.py", "legacy_connect()\n")

    crash = await editor.wait_for_log(r"checking .*engine\.py failed \(please report this\)")
    assert crash.type == types.MessageType.Error and "AttributeError" in crash.message
    assert await editor.diagnostics(engine, mark) == []
    # A rule that raises loses its own findings only.
    await editor.wait_for_log(r"rule\.py: internal error in rule TST904 \(raises\): RuntimeError: this rule is broken on purpose")
    assert [d.code for d in await editor.diagnostics(rule, mark)] == ["TST901"]
    exited = await editor.wait_for_log(r"checking .*exits\.py failed")
    assert "SystemExit: 3" in exited.message
    assert [d.code for d in await editor.diagnostics(healthy, mark)] == ["TST901"]
    # Still serving: a change is checked.
    mark = editor.mark()
    editor.replace_all(healthy, "x = 1\n")
    assert await editor.diagnostics(healthy, mark) == []
    # The same failure on the next keystroke is not logged again.
    mark = editor.mark()
    editor.replace_all(engine, "crash_the_engine()\ny = 2\n")
    assert await editor.diagnostics(engine, mark) == []
    assert len([m for m in editor.client.log_messages if "engine.py failed" in m.message]) == 1


async def test_a_broken_configuration_is_shown_once_and_fixing_it_recovers(client, start):
    editor = await start(client)
    editor.write("pyproject.toml", '[tool.poolcheck]\nselct = ["PC1"]\n')
    mark = editor.mark()
    first = editor.open("a.py", "legacy_connect()\n")
    second = editor.open("b.py", "legacy_connect()\n")
    assert await editor.diagnostics(first, mark) == []
    assert await editor.diagnostics(second, mark) == []
    problem = f"{editor.root / 'pyproject.toml'}: [tool.poolcheck]: unknown key 'selct'; did you mean 'select'?"
    assert [m.message for m in editor.client.messages] == [f"poolcheck: {problem}"]
    await editor.wait_for_log(re.escape(f"cannot check {first.path}: {problem}"))

    pyproject = editor.write("pyproject.toml", PYPROJECT)
    mark = editor.mark()
    editor.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=from_fs_path(str(pyproject)), type=types.FileChangeType.Changed)])
    )
    assert [d.code for d in await editor.diagnostics(first, mark)] == ["TST901"]
    assert [d.code for d in await editor.diagnostics(second, mark)] == ["TST901"]


async def test_a_client_without_versioned_edits_or_file_watching(client, start):
    editor = await start(client, MINIMAL)
    mark = editor.mark()
    document = editor.open("app.py", "legacy_connect()\n")
    [diagnostic] = await editor.diagnostics(document, mark)
    [fix, _, _] = await editor.actions(document, diagnostic.range)
    assert fix.edit.document_changes is None and list(fix.edit.changes) == [document.uri]
    await editor.wait_for_log("the client cannot report file changes")
    assert editor.client.registrations == []
    mark = editor.mark()
    editor.apply(document, fix.edit)
    assert await editor.diagnostics(document, mark) == []


async def test_columns_in_utf8_when_the_client_asks_for_them(client, start):
    editor = await start(client, UTF8_CLIENT)
    mark = editor.mark()
    document = editor.open("app.py", 's = "é😀"; legacy_connect()\n')
    [diagnostic] = await editor.diagnostics(document, mark)
    # s = "  (5 bytes) é (2) 😀 (4) "; (3): legacy_connect starts at byte 14.
    assert diagnostic.range.start == types.Position(line=0, character=14)


async def test_closing_a_document_clears_its_diagnostics(client, start):
    editor = await start(client)
    mark = editor.mark()
    document = editor.open("app.py", "legacy_connect()\n")
    assert await editor.diagnostics(document, mark) != []
    mark = editor.mark()
    editor.client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=document.uri)))
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while not [p for p in editor.client.published[mark:] if p.uri == document.uri]:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)
    assert list(editor.client.diagnostics[document.uri]) == []


async def test_the_poolcheck_server_command_serves_and_shuts_down_cleanly(real_client, start):
    """The installed command and rules: PC101's fix is unsafe, so it is offered, labelled,
    and never part of "fix all"."""
    editor = await start(real_client)
    mark = editor.mark()
    line = 'label = "😀"; engine = create_engine("mysql+pymysql://app:s3cret@db/app")  # noqa: PC999'
    document = editor.open("db.py", f"from sqlalchemy import create_engine\n\n{line}\n")
    found = by_code(await editor.diagnostics(document, mark))
    assert set(found) == {"PC101", "PC002"}
    pc101 = found["PC101"]
    # One more UTF-16 unit than characters before it: the emoji.
    assert pc101.range.start == types.Position(line=2, character=line.index("create_engine") + 1)
    assert pc101.code_description.href == "https://github.com/poolcheck/poolcheck/blob/main/docs/rules/PC101.md"
    assert "app:***@db" in pc101.message and "s3cret" not in pc101.message

    actions = await editor.actions(document, pc101.range)
    assert [a.title for a in actions] == [
        "Fix PC101: Add `pool_pre_ping=True` (unsafe fix: review the change)",
        "Ignore PC101 on this line (# noqa)",
    ]
    assert not actions[0].is_preferred
    whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
    assert await editor.actions(document, whole, only=[types.CodeActionKind.SourceFixAll]) == []

    mark = editor.mark()
    editor.apply(document, actions[0].edit)
    assert 'label = "😀"; engine = create_engine("mysql+pymysql://app:s3cret@db/app", pool_pre_ping=True)  # noqa' in document.text
    assert [d.code for d in await editor.diagnostics(document, mark)] == ["PC002"]

    hover = await editor.hover(document, 2, document.text.split("\n")[2].index("PC999") + 1)
    assert hover.contents.value == unknown_code_hover("PC999")

    await real_client.shutdown_session()
    real_client.shut_down = True
    assert real_client._server.returncode == 0


async def test_pc102_points_at_the_projects_my_cnf_and_follows_its_changes(tmp_path):
    """The real PC102, with the server started in the project's folder as editors do: the
    finding's related information is the my.cnf line, and editing my.cnf (a file the editor
    does not have open) clears it."""
    root = tmp_path / "project"
    project_files(root)
    (root / "deploy").mkdir()
    my_cnf = root / "deploy" / "my.cnf"
    my_cnf.write_text("[mysqld]\nwait_timeout = 600\n")
    client = make_client()
    await client.start_io(*REAL_COMMAND, cwd=str(root))
    try:
        uri = from_fs_path(str(root))
        await client.initialize_session(types.InitializeParams(capabilities=VSCODE, root_uri=uri))
        editor = Editor(client, root)
        mark = editor.mark()
        document = editor.open("db.py", 'from sqlalchemy import create_engine\n\nengine = create_engine("mysql+pymysql://app@db/app", pool_recycle=3600)\n')
        [diagnostic] = await editor.diagnostics(document, mark)
        assert (diagnostic.code, diagnostic.severity) == ("PC102", types.DiagnosticSeverity.Error)
        [related] = diagnostic.related_information
        assert related.location.uri == from_fs_path(str(my_cnf))
        assert related.location.range.start == types.Position(line=1, character=0)
        assert related.message.startswith("wait_timeout = 600 is set here")

        my_cnf.write_text("[mysqld]\nwait_timeout = 7200\n")
        mark = editor.mark()
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=from_fs_path(str(my_cnf)), type=types.FileChangeType.Changed)])
        )
        assert await editor.diagnostics(document, mark) == []
    finally:
        await _shut_down(client)
        await client.stop()
