"""Diagnostics: every stage that can find many problems returns them all.

Modelled on compiler / Terraform diagnostics: a severity, a stable machine-readable code,
a human message and, where known, the source position.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["severity"] = self.severity.value
        return d

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return f"{where}{self.severity.value}[{self.code}]: {self.message}"


def error(code: str, message: str, file: str | None = None, line: int | None = None,
          column: int | None = None) -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, message, file, line, column)


def warning(code: str, message: str, file: str | None = None, line: int | None = None,
            column: int | None = None) -> Diagnostic:
    return Diagnostic(Severity.WARNING, code, message, file, line, column)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)
