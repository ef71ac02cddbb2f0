"""How tosca-parser's collected exceptions become diagnostics."""

from __future__ import annotations

import pytest

from netorch.model.diagnostics import Severity
from netorch.tosca.parser_bridge import classify


class UnknownFieldError(Exception):
    """Stands in for tosca-parser's class of the same name (classification is by name)."""


class ValidationError(Exception):
    pass


@pytest.mark.parametrize(("exc", "code", "severity"), [
    (UnknownFieldError('Node template "a" contains unknown field "x". Refer to the definition '
                       "to verify valid values."), "tosca.unknown_field", Severity.ERROR),
    (KeyError('Node template "db" was not found in "app".'),
     "tosca.missing_requirement_target", Severity.ERROR),
    (ValidationError('Relationship "host" in template "app" has a wrong number of occurrences'),
     "tosca.requirement_occurrences", Severity.ERROR),
    (NotImplementedError('Lookup by TOSCA types is not supported. Requirement node "x"'),
     "tosca.requirement_by_type", Severity.WARNING),
    (ValueError('"lots" is not a valid scalar-unit.'), "tosca.invalid_value", Severity.ERROR),
    (RuntimeError("something new"), "tosca.invalid", Severity.ERROR),
])
def test_classify(exc: Exception, code: str, severity: Severity) -> None:
    got_code, got_severity, message = classify(exc)
    assert (got_code, got_severity) == (code, severity)
    assert "Refer to the definition" not in message
    if isinstance(exc, KeyError):
        assert not message.startswith("'")  # the KeyError's repr quotes are gone
