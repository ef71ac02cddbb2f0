"""Validation through OpenStack tosca-parser, kept behind one function.

tosca-parser checks a template against the TOSCA Simple Profile type system (TOSCA Simple
Profile YAML 1.3 §3.6-§3.9).  It has habits a library must not pass on: a process-wide
``ExceptionCollector``, noisy loggers, ``print`` calls, one ``ValidationError`` holding every
message as text, and network access for URL imports.  This module

* serializes calls (the collector is global) and silences its loggers, stdout and stderr;
* reads the collected exceptions one by one and turns each into a :class:`Diagnostic` with a
  stable code chosen from the exception class (and the message shape where a class is shared);
* is given a template whose imports are all local files (see :mod:`netorch.tosca.staging`),
  so no import is ever fetched;
* never lets an exception out: a crash inside tosca-parser becomes an ``internal.error``.

tosca-parser is imported lazily, inside the call: importing netorch.tosca does no work.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import re
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from netorch.model.diagnostics import Diagnostic, Severity

log = logging.getLogger(__name__)

_LOCK = threading.Lock()
_PARSER_LOGGERS = ("tosca", "toscaparser", "stevedore")

Locator = Callable[[str], tuple[str | None, int | None, int | None]]
"""message -> (file, line, column) of the template element the message names."""

_CLASS_CODES: Mapping[str, str] = {
    "UnknownFieldError": "tosca.unknown_field",
    "MissingRequiredFieldError": "tosca.missing_field",
    "TypeMismatchError": "tosca.type_mismatch",
    "InvalidTypeError": "tosca.unknown_type",
    "InvalidNodeTypeError": "tosca.unknown_type",
    "InvalidTypeAdditionalRequirementsError": "tosca.invalid_type",
    "UnsupportedTypeError": "tosca.unsupported_type",
    "RangeValueError": "tosca.invalid_value",
    "InvalidPropertyValueError": "tosca.invalid_value",
    "InvalidSchemaError": "tosca.invalid_schema",
    "InvalidTemplateVersion": "tosca.unsupported_version",
    "InvalidTOSCAVersionPropertyException": "tosca.invalid_value",
    "UnknownInputError": "tosca.unknown_input",
    "MissingRequiredInputError": "tosca.substitution_missing_input",
    "MissingRequiredParameterError": "tosca.substitution_missing_input",
    "MissingDefaultValueError": "tosca.substitution_missing_input",
    "UnknownOutputError": "tosca.unknown_output",
    "MissingRequiredOutputError": "tosca.substitution_missing_output",
    "InvalidGroupTargetException": "tosca.invalid_group_target",
    "URLException": "import.not_found",
    "ImportError": "import.not_found",
    "ValueError": "tosca.invalid_value",
    "TypeError": "tosca.invalid_value",
    "KeyError": "tosca.not_found",
    "AttributeError": "tosca.invalid_value",
    "ValidationError": "tosca.invalid",
    "ToscaExtImportError": "tosca.unsupported_version",
    "ToscaExtAttributeError": "tosca.unsupported_version",
}

_MESSAGE_CODES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Node template \".*\" was not found in \""), "tosca.missing_requirement_target"),
    (re.compile(r"has a wrong number of occurrences"), "tosca.requirement_occurrences"),
    (re.compile(r"^Lookup by TOSCA types is not supported"), "tosca.requirement_by_type"),
    (re.compile(r"^Invalid arguments for function|^Expected .* argument.* for function|"
                r"^Unknown function"), "tosca.invalid_function"),
    (re.compile(r"is not a valid scalar-unit|is not a valid (?:timestamp|version)|"
                r"^The value \".*\" of property \".*\" (?:must|is not valid)"),
     "tosca.invalid_value"),
)

_WARNING_CODES: frozenset[str] = frozenset({"tosca.requirement_by_type"})
"""Valid TOSCA that netorch leaves unresolved: reported, but the template still loads."""


@contextlib.contextmanager
def _silenced() -> Iterator[io.StringIO]:
    """Mute tosca-parser's loggers, stdout, stderr and warnings; re-log them at DEBUG."""
    saved: list[tuple[logging.Logger, int, bool, list[logging.Handler]]] = []
    forward = _ForwardToDebug()
    for name in _PARSER_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate, list(logger.handlers)))
        logger.handlers = [forward]
        logger.propagate = False
        logger.setLevel(logging.DEBUG if log.isEnabledFor(logging.DEBUG) else logging.CRITICAL + 1)
    captured = io.StringIO()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(captured), \
                contextlib.redirect_stderr(captured):
            warnings.simplefilter("ignore")
            yield captured
    finally:
        for logger, level, propagate, handlers in saved:
            logger.handlers = handlers
            logger.propagate = propagate
            logger.setLevel(level)
        if captured.getvalue():
            log.debug("tosca-parser output: %s", captured.getvalue())


class _ForwardToDebug(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log.debug("tosca-parser: %s", record.getMessage())


@functools.cache
def _template_class() -> type[Any]:
    from toscaparser.tosca_template import ToscaTemplate

    class _CollectingTemplate(ToscaTemplate):  # type: ignore[misc]
        """Keeps the collected exceptions for the caller instead of raising one text blob."""

        def verify_template(self) -> None:
            return None

    return _CollectingTemplate


def _message(exc: BaseException) -> str:
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    text = text.replace(" Refer to the definition to verify valid values.", "")
    return " ".join(text.split())


def _from_input_validation(exc: BaseException) -> bool:
    trace = getattr(exc, "trace", None) or ()
    return any(getattr(frame, "filename", "").endswith("parameters.py")
               and getattr(frame, "name", "") == "validate" for frame in trace)


def classify(exc: BaseException) -> tuple[str, Severity, str]:
    """(code, severity, message) for one exception collected by tosca-parser."""
    message = _message(exc)
    code = _CLASS_CODES.get(type(exc).__name__, "tosca.invalid")
    for pattern, specific in _MESSAGE_CODES:
        if pattern.search(message):
            code = specific
            break
    if _from_input_validation(exc):
        code = "input.invalid"
    severity = Severity.WARNING if code in _WARNING_CODES else Severity.ERROR
    return code, severity, message


def validate(entry: Path, *, inputs: Mapping[str, object] | None, locate: Locator
             ) -> list[Diagnostic]:
    """Validate the template at ``entry`` with tosca-parser; one diagnostic per problem.

    ``entry`` imports only local files by absolute path (see :mod:`netorch.tosca.staging`).
    """
    diags: list[Diagnostic] = []
    with _LOCK:
        params = dict(inputs) if inputs is not None else None
        crash: BaseException | None = None
        with _silenced():
            # importing tosca-parser loads its extensions (stevedore), which may log too
            from toscaparser.common.exception import ExceptionCollector

            template_class = _template_class()
            try:
                template_class(path=str(entry), parsed_params=params, a_file=True)
            except Exception as failure:  # tosca-parser bug on this template
                crash = failure
                log.debug("tosca-parser crashed:\n%s", traceback.format_exc())
            collected = list(ExceptionCollector.getExceptions())
            ExceptionCollector.stop()
            ExceptionCollector.clear()
    seen: set[tuple[str, str]] = set()
    for exc in collected:
        code, severity, message = classify(exc)
        if (code, message) in seen:
            continue
        seen.add((code, message))
        file, line, column = locate(message)
        diags.append(Diagnostic(severity, code, message, file, line, column))
    if crash is not None:
        file, line, column = locate(str(crash))
        diags.append(Diagnostic(
            Severity.ERROR, "internal.error",
            f"tosca-parser failed on this template: {type(crash).__name__}: {_message(crash)}",
            file, line, column))
    return diags
