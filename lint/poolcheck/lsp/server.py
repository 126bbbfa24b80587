"""The language server: pygls over stdio, checking open documents with a :class:`Session`.

When documents are checked:
- on open and on save, at once; on change, once typing pauses (``debounce`` seconds);
- again when a file of their project changes: saving another document, or a file-system
  event from the client (``workspace/didChangeWatchedFiles``, registered at start when the
  client allows it): a ``my.cnf``, a ``requirements.txt``, a ``db.py`` that defines the
  engine. A created or deleted file, or a changed configuration, makes the session re-read
  configurations and re-walk projects.

The document being checked is read from the editor's buffer; every other file of its
project as saved on disk (what ``poolcheck check --stdin-filename`` does).

All checking happens on one worker thread, one check at a time, so the event loop keeps
answering while a check runs; a result for a version of a document that has since changed
is dropped. A check that fails (a bug in a rule or in poolcheck, a broken configuration) is
reported in the editor's log (``window/logMessage``), never by stopping the server.
"""

from __future__ import annotations

import asyncio
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .. import __version__
from ..config import CONFIG_FILENAMES, ConfigError
from ..context import minimal_edits
from ..discovery import DEFAULT_EXCLUDES, PYTHON_SUFFIXES, find_project_root
from ..findings import Applicability, Finding, Location, Position
from ..findings import applicable
from ..masking import mask_secrets
from ..registry import RuleLoadError, RuleSet, load_rules
from ..runner import RunResult
from ..selection import SelectionError
from ..session import Session
from ..source import encode_text
from ..suppression import noqa_codes, noqa_edit
from .convert import TextLines, diagnostic, overlaps, rule_hover, text_edits, unknown_code_hover, wanted

DEBOUNCE_SECONDS = 0.25
# File events come in bursts (a branch switch, a formatter run): wait this long for the burst
# to end before checking the affected documents again.
RECHECK_DELAY_SECONDS = 0.1
FIX_ALL_KIND = "source.fixAll.poolcheck"
WATCHER_REGISTRATION_ID = "poolcheck-watched-files"
# Files whose change can alter the configuration or the set of project files.
STRUCTURE_FILES = frozenset(CONFIG_FILENAMES) | {".gitignore"}


@dataclass
class Checked:
    """The last check of one document: for which version and text, and what it found."""

    version: Optional[int]
    text: str
    path: Path
    findings: List[Finding] = field(default_factory=list)


@dataclass
class Outcome:
    """What the worker thread hands back: a result, or why there is none."""

    result: Optional[RunResult] = None
    problem: Optional[str] = None  # a configuration the user must fix (one line)
    crash: Optional[str] = None  # a bug: the traceback


class PoolcheckServer(LanguageServer):
    def __init__(self, rules: Optional[RuleSet] = None, debounce: float = DEBOUNCE_SECONDS) -> None:
        super().__init__("poolcheck", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.rules = rules if rules is not None else load_rules()
        self.debounce = debounce
        self.session = Session(self.rules)  # touched only by the worker thread
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="poolcheck-check")
        self.pending: Dict[str, "asyncio.Task[Any]"] = {}
        self.checked: Dict[str, Checked] = {}
        self.logged: Dict[str, Set[str]] = {}  # per document: the messages its last check logged
        self.shown: Set[str] = set()  # configuration problems shown since files last changed
        self.prefixes = frozenset(code.rstrip("0123456789") for code in self.rules.codes)

    # --- plumbing ---------------------------------------------------------------------------
    @property
    def encoding(self) -> str:
        encoding = self.workspace.position_encoding
        return str(getattr(encoding, "value", encoding) or "utf-16")

    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=mask_secrets(message)))

    async def in_worker(self, function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.worker, function, *args)

    def open_document(self, uri: str):
        """The open document at ``uri`` if it is a Python file poolcheck can check, else
        None (other documents, a ``my.cnf`` open in the same editor, only matter when saved)."""
        if not uri.startswith("file:"):
            return None
        document = self.workspace.text_documents.get(uri)
        if document is None or not (document.language_id == "python" or uri.endswith(PYTHON_SUFFIXES)):
            return None
        return document

    # --- checking ---------------------------------------------------------------------------
    def schedule(self, uri: str, delay: float) -> None:
        """Check ``uri`` after ``delay`` seconds, replacing any check not yet started."""
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.pending[uri] = asyncio.ensure_future(self._check_later(uri, delay))

    async def _check_later(self, uri: str, delay: float) -> None:
        task = asyncio.current_task()
        try:
            if delay:
                await asyncio.sleep(delay)
            await self.refresh(uri)
        except asyncio.CancelledError:
            raise
        except Exception:  # the server's own bug: say so, keep serving
            self.log(f"poolcheck: internal error while checking {uri}:\n{traceback.format_exc()}", types.MessageType.Error)
        finally:
            if self.pending.get(uri) is task:
                del self.pending[uri]

    def _check(self, path: Path, text: str, fix: bool = False) -> Outcome:
        """Runs on the worker thread."""
        try:
            return Outcome(result=self.session.check(path, encode_text(text), fix=fix))
        except (ConfigError, SelectionError, RuleLoadError) as exc:
            return Outcome(problem=str(exc))
        except BaseException:  # a rule calling sys.exit() must not stop the server either
            return Outcome(crash=traceback.format_exc())

    async def refresh(self, uri: str) -> Optional[Checked]:
        """Check the document as it is now and publish its diagnostics. None when it was
        closed or changed while being checked (a newer check is then on its way)."""
        document = self.open_document(uri)
        if document is None:
            return None
        version, text = document.version, document.source
        path = Path(to_fs_path(uri))
        outcome: Outcome = await self.in_worker(self._check, path, text)
        current = self.open_document(uri)
        if current is None or current.version != version or current.source != text:
            return None
        self._report(uri, path, outcome)
        findings = list(outcome.result.findings) if outcome.result is not None else []
        checked = Checked(version, text, path, findings)
        self.checked[uri] = checked
        self.publish(uri, checked)
        return checked

    async def current(self, uri: str) -> Optional[Checked]:
        """The check of the document's current version, running it if need be."""
        document = self.open_document(uri)
        if document is None:
            return None
        checked = self.checked.get(uri)
        if checked is not None and checked.version == document.version and checked.text == document.source:
            return checked
        return await self.refresh(uri)

    def _report(self, uri: str, path: Path, outcome: Outcome) -> None:
        """Log what went wrong checking a document. The same message recurs on every
        keystroke: it is logged when it appears, and again only if it went away meanwhile."""
        messages: List[Tuple[str, types.MessageType]] = []
        if outcome.problem is not None:
            messages.append((f"poolcheck: cannot check {path}: {outcome.problem}", types.MessageType.Error))
            if outcome.problem not in self.shown:
                self.shown.add(outcome.problem)
                self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=mask_secrets(f"poolcheck: {outcome.problem}")))
        if outcome.crash is not None:
            messages.append((f"poolcheck: checking {path} failed (please report this):\n{outcome.crash}", types.MessageType.Error))
        if outcome.result is not None:
            messages += [(f"poolcheck: {m}", types.MessageType.Error) for m in outcome.result.errors]
            messages += [(f"poolcheck: {m}", types.MessageType.Warning) for m in outcome.result.warnings]
        previous = self.logged.get(uri, set())
        for message, kind in messages:
            if message not in previous:
                self.log(message, kind)
        self.logged[uri] = {message for message, _ in messages}

    def publish(self, uri: str, checked: Checked) -> None:
        lines = TextLines(checked.text, self.encoding)
        resolve = self._related_resolver(checked.path)
        diagnostics = [diagnostic(finding, lines, resolve) for finding in checked.findings]
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, version=checked.version, diagnostics=diagnostics))

    def _related_resolver(self, document_path: Path) -> Callable[[Location], Optional[types.Location]]:
        root = find_project_root(document_path)

        def resolve(location: Location) -> Optional[types.Location]:
            path = Path(location.path)
            if not path.is_absolute():
                # Rules name other files relative to the runner's working directory
                # (Project.display), some relative to the project root: whichever exists.
                candidates = [self.session.cwd / path, root / path]
                path = next((c for c in candidates if c.exists()), candidates[-1])
            uri = from_fs_path(str(path))
            if uri is None:
                return None
            text = self._text_of(uri, path)
            lines = TextLines(text, self.encoding)
            start = lines.to_lsp(Position(location.line, location.column))
            end_of_line = lines.to_lsp(Position(location.line, 1 << 30))
            return types.Location(uri=uri, range=types.Range(start=start, end=end_of_line))

        return resolve

    def _text_of(self, uri: str, path: Path) -> str:
        document = self.workspace.text_documents.get(uri)
        if document is not None:
            return document.source
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    # --- files changing ---------------------------------------------------------------------
    def recheck_around(self, changed: Sequence[Path], delay: float = RECHECK_DELAY_SECONDS) -> None:
        """Check again the open documents whose project (or configuration) ``changed``
        touches."""
        for uri in list(self.workspace.text_documents):
            if self.open_document(uri) is None:
                continue
            path = Path(to_fs_path(uri))
            root = find_project_root(path)
            if any(_affects(change, path, root) for change in changed):
                self.schedule(uri, delay)

    async def files_changed(self, changes: Sequence[types.FileEvent]) -> None:
        paths = [Path(to_fs_path(change.uri)) for change in changes if change.uri.startswith("file:")]
        structural = any(
            change.type != types.FileChangeType.Changed or Path(to_fs_path(change.uri)).name in STRUCTURE_FILES
            for change in changes
            if change.uri.startswith("file:")
        )
        if structural:
            self.shown.clear()
            await self.in_worker(self.session.forget)
        self.recheck_around(paths)

    async def saved(self, uri: str) -> None:
        # A saved document may be new to its project (Save As), or be the configuration.
        self.shown.clear()
        await self.in_worker(self.session.forget)
        path = Path(to_fs_path(uri))
        self.recheck_around([path])
        self.schedule(uri, 0)

    async def watch_files(self) -> None:
        """Ask the client to report file-system changes, when it allows registering that."""
        capabilities = self.client_capabilities.workspace
        watched = capabilities.did_change_watched_files if capabilities is not None else None
        if watched is None or not watched.dynamic_registration:
            self.log("poolcheck: the client cannot report file changes; projects are re-read when a document is saved")
            return
        registration = types.Registration(
            id=WATCHER_REGISTRATION_ID,
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=[types.FileSystemWatcher(glob_pattern="**/*")]),
        )
        try:
            await self.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
        except Exception as exc:
            self.log(f"poolcheck: could not register for file changes: {exc}", types.MessageType.Warning)

    # --- code actions -----------------------------------------------------------------------
    async def code_actions(self, params: types.CodeActionParams) -> Optional[List[types.CodeAction]]:
        uri = params.text_document.uri
        checked = await self.current(uri)
        if checked is None:
            return None
        only = params.context.only
        lines = TextLines(checked.text, self.encoding)
        resolve = self._related_resolver(checked.path)
        actions: List[types.CodeAction] = []
        here = []
        for finding in checked.findings:
            item = diagnostic(finding, lines, resolve)
            if overlaps(item.range, params.range):
                here.append((finding, item))
        if wanted(types.CodeActionKind.QuickFix, only):
            for finding, item in here:
                actions.extend(self._quick_fixes(uri, checked, finding, item, lines))
        fixable = [f for f in checked.findings if applicable(f.fix, unsafe=False)]
        fix_all_kinds = []
        if fixable and here and wanted(types.CodeActionKind.QuickFix, only):
            fix_all_kinds.append(types.CodeActionKind.QuickFix)
        if fixable and only is not None and wanted(FIX_ALL_KIND, only):
            fix_all_kinds.append(FIX_ALL_KIND)
        if fix_all_kinds:
            edit = await self._fix_all_edit(uri, checked)
            if edit is not None:
                for kind in fix_all_kinds:
                    actions.append(types.CodeAction(title="poolcheck: fix all safely fixable problems", kind=kind, edit=edit))
        return actions or None

    def _quick_fixes(self, uri: str, checked: Checked, finding: Finding, item: types.Diagnostic, lines: TextLines) -> List[types.CodeAction]:
        actions = []
        fix = finding.fix
        if fix is not None and fix.edits:
            safe = fix.applicability == Applicability.SAFE
            title = f"Fix {finding.code}: {mask_secrets(fix.message)}" + ("" if safe else " (unsafe fix: review the change)")
            actions.append(
                types.CodeAction(
                    title=title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[item],
                    is_preferred=safe or None,
                    edit=self._workspace_edit(uri, checked.version, text_edits(fix.edits, lines)),
                )
            )
        noqa = noqa_edit(checked.text, [finding.line, finding.noqa_line or finding.line], finding.code)
        if noqa is not None:
            where = "this line" if noqa.start.line == finding.line else f"line {noqa.start.line}"
            actions.append(
                types.CodeAction(
                    title=f"Ignore {finding.code} on {where} (# noqa)",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[item],
                    edit=self._workspace_edit(uri, checked.version, text_edits([noqa], lines)),
                )
            )
        return actions

    async def _fix_all_edit(self, uri: str, checked: Checked) -> Optional[types.WorkspaceEdit]:
        outcome: Outcome = await self.in_worker(self._check, checked.path, checked.text, True)
        if outcome.result is None or not outcome.result.fixed or outcome.result.fixed[0].text is None:
            if outcome.result is None:
                self._report(uri, checked.path, outcome)
            return None
        edits = minimal_edits(checked.text, outcome.result.fixed[0].text, Position(1, 0))
        if not edits:
            return None
        return self._workspace_edit(uri, checked.version, text_edits(edits, TextLines(checked.text, self.encoding)))

    def _workspace_edit(self, uri: str, version: Optional[int], edits: List[types.TextEdit]) -> types.WorkspaceEdit:
        workspace = self.client_capabilities.workspace
        edit_capabilities = workspace.workspace_edit if workspace is not None else None
        if edit_capabilities is not None and edit_capabilities.document_changes and version is not None:
            # Versioned: the client refuses the edit if the document changed in between.
            document = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
            return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=document, edits=edits)])
        return types.WorkspaceEdit(changes={uri: edits})

    # --- hover ------------------------------------------------------------------------------
    def hover(self, params: types.HoverParams) -> Optional[types.Hover]:
        document = self.workspace.text_documents.get(params.text_document.uri)
        if document is None:
            return None
        text = document.source
        lines = TextLines(text, self.encoding)
        at = lines.from_lsp(params.position)
        for written in noqa_codes(text):
            if written.line != at.line or not written.start <= at.column <= written.end:
                continue
            rule = self.rules.get(written.code)
            if rule is not None:
                markdown = rule_hover(rule)
            elif written.code.rstrip("0123456789") in self.prefixes:
                markdown = unknown_code_hover(written.code)
            else:
                return None  # another tool's code
            return types.Hover(
                contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown),
                range=lines.range(Position(written.line, written.start), Position(written.line, written.end)),
            )
        return None

    # --- shutting down ----------------------------------------------------------------------
    def stop_checking(self) -> None:
        for task in self.pending.values():
            task.cancel()
        self.pending.clear()
        self.worker.shutdown(wait=False, cancel_futures=True)


def _affects(changed: Path, document: Path, root: Path) -> bool:
    """Whether a change to ``changed`` can alter the findings of ``document`` (in project
    ``root``): a file of the project outside the folders never walked, or a configuration
    file in a folder above the document."""
    if changed.name in STRUCTURE_FILES and _is_within(document, changed.parent):
        return True
    if not _is_within(changed, root):
        return False
    relative = changed.relative_to(root)
    return not any(part in DEFAULT_EXCLUDES for part in relative.parts[:-1])


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def create_server(rules: Optional[RuleSet] = None, debounce: float = DEBOUNCE_SECONDS) -> PoolcheckServer:
    server = PoolcheckServer(rules, debounce)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: PoolcheckServer, params: types.InitializedParams) -> None:
        for warning in ls.rules.warnings:
            ls.log(f"poolcheck: warning: {warning}", types.MessageType.Warning)
        await ls.watch_files()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PoolcheckServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PoolcheckServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    async def did_save(ls: PoolcheckServer, params: types.DidSaveTextDocumentParams) -> None:
        await ls.saved(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PoolcheckServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        task = ls.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        ls.checked.pop(uri, None)
        ls.logged.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(ls: PoolcheckServer, params: types.DidChangeWatchedFilesParams) -> None:
        await ls.files_changed(params.changes)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]),
    )
    async def code_action(ls: PoolcheckServer, params: types.CodeActionParams) -> Optional[List[types.CodeAction]]:
        return await ls.code_actions(params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: PoolcheckServer, params: types.HoverParams) -> Optional[types.Hover]:
        return ls.hover(params)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: PoolcheckServer, params: None) -> None:
        ls.stop_checking()

    return server


def serve(rules: Optional[RuleSet] = None, debounce: float = DEBOUNCE_SECONDS) -> None:
    """Serve one client over standard input and output until it says exit."""
    protocol_out = sys.stdout.buffer
    # Anything printed by a rule plugin would corrupt the protocol stream: send it to stderr.
    sys.stdout = sys.stderr
    server = create_server(rules, debounce)
    try:
        server.start_io(sys.stdin.buffer, protocol_out)
    finally:
        server.stop_checking()
