"""Collecting package-verification diagnostics with the severity the policy asks for."""

from __future__ import annotations

from dataclasses import dataclass, field

from netorch.model.diagnostics import Diagnostic, Severity
from netorch.tosca.sol004.policy import PackagePolicy


@dataclass(slots=True)
class Report:
    policy: PackagePolicy
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add(self, severity: Severity, code: str, message: str, file: str | None = None,
            line: int | None = None) -> None:
        self.diagnostics.append(Diagnostic(severity, code, message, file, line))

    def error(self, code: str, message: str, file: str | None = None,
              line: int | None = None) -> None:
        self.add(Severity.ERROR, code, message, file, line)

    def warning(self, code: str, message: str, file: str | None = None,
                line: int | None = None) -> None:
        self.add(Severity.WARNING, code, message, file, line)

    def lenient(self, code: str, message: str, file: str | None = None,
                line: int | None = None) -> None:
        """What SOL004 requires but tolerant NFVOs accept: an error only in strict mode."""
        self.add(Severity.ERROR if self.policy.strict else Severity.WARNING, code, message,
                 file, line)

    def trust(self, code: str, message: str, file: str | None = None,
              line: int | None = None) -> None:
        """A signer that cannot be trusted: an error when the policy enforces trust."""
        self.add(Severity.ERROR if self.policy.enforces_trust else Severity.WARNING, code,
                 message, file, line)
