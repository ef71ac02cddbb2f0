"""``TOSCA-Metadata/TOSCA.meta`` (TOSCA Simple Profile YAML 1.3 §4.2.1; ETSI GS NFV-SOL 004
§4.2, SPEC-NOTES §4.1 A).

The file is blocks of ``Key: value`` lines separated by blank lines.  The first block describes
the package:

==========================  ==========================================================
``TOSCA-Meta-File-Version``  mandatory, ``1.0`` (TOSCA 1.3 also writes ``1.1``)
``CSAR-Version``             mandatory, ``1.1`` (``2.0`` for TOSCA 2.0 / SOL004 v4)
``Created-By``               mandatory
``Entry-Definitions``        mandatory: the main service template
``ETSI-Entry-Manifest``      SOL004 v2.6.1+: the ``.mf`` manifest
``ETSI-Entry-Change-Log``    SOL004 v2.6.1+: the change log
``ETSI-Entry-Licenses``      SOL004 v2.6.1+: the licenses folder
``ETSI-Entry-Tests``         optional: the tests folder
``ETSI-Entry-Certificate``   optional: the signing certificate
==========================  ==========================================================

SOL004 v2.4.1 wrote the ETSI keys without the ``ETSI-`` prefix; both spellings are accepted.
Keys are matched case-insensitively (``Created-by`` is common).  Later blocks are the TOSCA 1.0
per-file blocks (``Name`` / ``Content-Type``), to which Tacker adds ``Algorithm`` / ``Hash``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

MANDATORY_TOSCA_KEYS = ("TOSCA-Meta-File-Version", "CSAR-Version", "Created-By")
MANDATORY_ETSI_KEYS = ("ETSI-Entry-Manifest", "ETSI-Entry-Change-Log", "ETSI-Entry-Licenses")
OPTIONAL_ETSI_KEYS = ("ETSI-Entry-Tests", "ETSI-Entry-Certificate")
META_FILE_VERSIONS = ("1.0", "1.1", "2.0")
CSAR_VERSIONS = ("1.0", "1.1", "2.0")


@dataclass(frozen=True, slots=True)
class MetaLine:
    key: str
    """As written."""
    value: str
    line: int


@dataclass(slots=True)
class MetaBlock:
    lines: list[MetaLine] = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.lines[0].line if self.lines else 0

    def get(self, *keys: str) -> MetaLine | None:
        """The first line whose key is one of ``keys`` (case-insensitive)."""
        wanted = {k.lower() for k in keys}
        return next((ml for ml in self.lines if ml.key.lower() in wanted), None)

    def as_dict(self) -> dict[str, str]:
        result: dict[str, str] = {}
        for ml in self.lines:
            result.setdefault(ml.key, ml.value)
        return result


@dataclass(slots=True)
class ToscaMeta:
    """A parsed TOSCA.meta: the package block, the per-file blocks and malformed lines."""

    blocks: list[MetaBlock]
    malformed: list[tuple[int, str]]
    """(line, text) of lines that are not ``Key: value``."""

    @property
    def package(self) -> MetaBlock:
        return self.blocks[0] if self.blocks else MetaBlock()

    @property
    def file_blocks(self) -> list[MetaBlock]:
        return self.blocks[1:]

    def get(self, key: str) -> MetaLine | None:
        """A package-block key, also under its SOL004 v2.4.1 name without ``ETSI-``."""
        if key.startswith("ETSI-"):
            return self.package.get(key, key.removeprefix("ETSI-"))
        return self.package.get(key)

    def is_etsi(self) -> bool:
        """Whether the package block uses any SOL004 ``(ETSI-)Entry-*`` key (besides
        ``Entry-Definitions``)."""
        return any(self.get(k) is not None for k in (*MANDATORY_ETSI_KEYS, *OPTIONAL_ETSI_KEYS))


def parse_tosca_meta(text: str) -> ToscaMeta:
    """Split TOSCA.meta into blocks; never raises."""
    blocks: list[MetaBlock] = []
    malformed: list[tuple[int, str]] = []
    current = MetaBlock()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            if current.lines:
                blocks.append(current)
                current = MetaBlock()
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            malformed.append((number, line))
            continue
        current.lines.append(MetaLine(key.strip(), value.strip(), number))
    if current.lines:
        blocks.append(current)
    return ToscaMeta(blocks, malformed)


def missing(meta: ToscaMeta, keys: Iterable[str]) -> list[str]:
    return [k for k in keys if meta.get(k) is None]
