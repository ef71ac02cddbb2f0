"""How the native validator reports: diagnostics at a place, and "not mine" for the rest.

:class:`NotNative` is raised wherever a template uses something the native validator does not
check the way the tosca-parser path does (see :mod:`netorch.tosca.native.support`); the
pipeline then answers :class:`~netorch.tosca.native.pipeline.Unsupported` and the loader takes
the tosca-parser path.  It is never a verdict on the template.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from netorch.model.diagnostics import Diagnostic, Severity
from netorch.tosca.yaml_doc import YamlDocument

Path_ = tuple[str | int, ...]


class NotNative(Exception):
    """The template needs the tosca-parser path; the message says why."""


Where = tuple[YamlDocument, Path_]
"""A place in a document: the document and the key path from its root (a plain tuple: the
validator makes one for every value it looks at)."""


def at(where: Where, *more: str | int) -> Where:
    """The place ``more`` below ``where``."""
    return where[0], where[1] + more


@dataclass(slots=True)
class Report:
    """Collected diagnostics, each message once: the first report of a text wins, as in the
    tosca-parser path (its collector keeps one exception per message)."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)

    def add(self, code: str, message: str, where: Where | None,
            severity: Severity = Severity.ERROR) -> None:
        if message in self._seen:
            return
        self._seen.add(message)
        file: str | None = None
        line: int | None = None
        column: int | None = None
        if where is not None:
            file = where[0].file
            line, column = _located(where[0], where[1])
        self.diagnostics.append(Diagnostic(severity, code, message, file, line, column))

    def extend(self, diagnostics: Sequence[Diagnostic]) -> None:
        for diag in diagnostics:
            if diag.message not in self._seen:
                self._seen.add(diag.message)
                self.diagnostics.append(diag)


def _located(doc: YamlDocument, path: Path_) -> tuple[int | None, int | None]:
    """The position of ``path``, or of its nearest ancestor that has one."""
    for end in range(len(path), -1, -1):
        line, column = doc.where(*path[:end])
        if line is not None:
            return line, column
    return None, None
