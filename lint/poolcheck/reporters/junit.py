"""``--format junit``: JUnit XML for test dashboards (Jenkins, GitLab, Azure, CircleCI...).

One test suite; a test case per checked file (named by its path relative to the repository
root), passing when the file has no finding; a ``<failure>`` per finding, with the finding's
header, source line, help and notes as its text; an ``<error>`` when the file could not be
checked. ``failures`` counts the failing files (test cases), as JUnit consumers expect
``failures <= tests``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Dict, List

from ..findings import Finding
from ..masking import mask_secrets
from ..source import split_lines
from ..runner import RunResult
from . import ReportContext

# Characters XML 1.0 cannot carry even escaped (control characters, lone surrogates).
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", mask_secrets(text))


def failure_text(finding: Finding, result: RunResult, lines: List[str]) -> str:
    path = result.repository_path(finding.path)
    out = [f"{path}:{finding.line}:{finding.column + 1}: {finding.code} {finding.message}"]
    if 0 < finding.line <= len(lines):
        out.append(f"    {lines[finding.line - 1].strip()}")
    if finding.help:
        out.append(f"help: {finding.help}")
    for related in finding.related:
        out.append(f"note: {result.related_repository_path(finding, related.location)}:{related.location.line}: {related.message}")
    if finding.url:
        out.append(f"docs: {finding.url}")
    return "\n".join(out)


def junit_tree(result: RunResult) -> ET.Element:
    by_file: Dict[Path, List[Finding]] = defaultdict(list)
    for finding in result.findings:
        by_file[finding.path].append(finding)
    files = list(result.checked_files) + [p for p in by_file if p not in set(result.checked_files)]
    errors_by_file: Dict[Path, List[str]] = defaultdict(list)
    unattributed: List[str] = []
    for error in result.errors:
        owner = next((p for p in files if error.startswith(f"{p}: ")), None)
        (errors_by_file[owner] if owner is not None else unattributed).append(error)

    suites = ET.Element("testsuites", name="poolcheck")
    suite = ET.SubElement(suites, "testsuite", name="poolcheck")
    failing = erroring = 0
    for path in files:
        name = result.repository_path(path)
        case = ET.SubElement(suite, "testcase", name=name, classname="poolcheck", file=name)
        lines = split_lines(result.sources.get(path, ""))
        for finding in by_file.get(path, ()):
            failure = ET.SubElement(case, "failure", message=_xml_text(f"{finding.code} {finding.message}"), type=finding.code)
            failure.text = _xml_text(failure_text(finding, result, lines))
        for error in errors_by_file.get(path, ()):
            element = ET.SubElement(case, "error", message=_xml_text(error), type="poolcheck-error")
            element.text = _xml_text(error)
        failing += bool(by_file.get(path))
        erroring += bool(errors_by_file.get(path))
    if unattributed:
        ET.SubElement(suite, "system-err").text = _xml_text("\n".join(unattributed))
    for element in (suites, suite):
        element.set("tests", str(len(files)))
        element.set("failures", str(failing))
        element.set("errors", str(erroring))
        element.set("skipped", "0")
    return suites


def render_junit(result: RunResult, context: ReportContext) -> str:
    tree = junit_tree(result)
    ET.indent(tree)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(tree, encoding="unicode") + "\n"
