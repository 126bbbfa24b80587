"""How long after a keystroke the editor shows poolcheck's diagnostics.

Starts ``poolcheck server`` (the installed command) over stdio, opens FILE, then edits it
ROUNDS times, one edit per second, alternating between the file as it is and the file with
a MySQL engine appended (which PC101 flags), and measures each ``didChange`` ->
``publishDiagnostics`` for that version. The figure includes the server's debounce (it waits
for typing to pause before checking); the check's own time is printed too.

    python bench/lsp_latency.py path/to/project/module.py [ROUNDS]

Needs pytest-lsp (the test extra) for its LSP client. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from poolcheck.lsp.server import DEBOUNCE_SECONDS

APPENDED = '\nfrom sqlalchemy import create_engine as _bench_engine\n_bench = _bench_engine("mysql+pymysql://app@db/app")\n'


async def measure(path: Path, rounds: int) -> None:
    published = []
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = lambda ls, params: published.append((time.perf_counter(), params))
    features[types.CLIENT_REGISTER_CAPABILITY] = lambda ls, params: None
    client = LanguageClient(converter_factory=default_converter)
    register_lsp_features(client, features)

    async def wait_for(version: int) -> float:
        while True:
            for when, params in published:
                if params.version == version:
                    return when
            await asyncio.sleep(0.001)

    started = time.perf_counter()
    await client.start_io(sys.executable, "-m", "poolcheck", "server")
    root = from_fs_path(str(path.parent))
    await client.initialize_session(types.InitializeParams(capabilities=client_capabilities("visual-studio-code"), root_uri=root))
    initialized = time.perf_counter()
    uri = from_fs_path(str(path))
    original = path.read_text(encoding="utf-8")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=original))
    )
    opened = time.perf_counter()
    first = await wait_for(1) - opened
    print(f"server start + initialize: {initialized - started:.2f} s; first diagnostics after didOpen: {first * 1000:.0f} ms")

    latencies = []
    for version in range(2, rounds + 2):
        await asyncio.sleep(1.0)
        text = original + APPENDED if version % 2 == 0 else original
        sent = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        arrived = await wait_for(version)
        latencies.append(arrived - sent)
        codes = sorted({d.code for _, p in published if p.version == version for d in p.diagnostics})
        if version < 4:
            print(f"  v{version}: {(arrived - sent) * 1000:.0f} ms, diagnostics {codes}")

    ms = sorted(x * 1000 for x in latencies)
    debounce = DEBOUNCE_SECONDS * 1000
    print(
        f"didChange -> publishDiagnostics over {len(ms)} edits of {path.name} ({len(original.splitlines())} lines): "
        f"median {statistics.median(ms):.0f} ms, p90 {ms[int(len(ms) * 0.9) - 1]:.0f} ms, max {ms[-1]:.0f} ms "
        f"(of which {debounce:.0f} ms is the debounce: checking itself median {statistics.median(ms) - debounce:.0f} ms)"
    )
    await client.shutdown_session()
    await client.stop()


if __name__ == "__main__":
    asyncio.run(measure(Path(sys.argv[1]).resolve(), int(sys.argv[2]) if len(sys.argv) > 2 else 20))
