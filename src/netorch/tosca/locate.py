"""Pointing a validator message at the template element it is about.

tosca-parser's messages name elements in double quotes (``Node template "web" contains unknown
field "proprties"``).  The locator indexes, per topology template, where each node template,
policy, group, input and output is declared, and where each of their own keys is, then picks
the most specific match among the quoted names of a message (falling back to where a quoted
value is written).  The index is built on first use,
in one pass over the templates.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from netorch.tosca.yaml_doc import YamlDocument

_QUOTED = re.compile(r"\"([^\"]+)\"|'([^']+)'")
_TOPOLOGY = "topology_template"

Where = tuple[str | None, int | None, int | None]


class Locator:
    def __init__(self, entry: YamlDocument, others: Sequence[YamlDocument]) -> None:
        self.entry = entry
        self.docs = [entry, *others]
        self._names: dict[str, Where] | None = None
        self._pairs: dict[tuple[str, str], Where] = {}
        self._types: dict[str, Where] = {}
        self._values: dict[str, Where] = {}

    def _add(self, table: dict[Any, Where], key: Any, doc: YamlDocument,
             *path: str | int) -> None:
        if key in table:
            return
        line, col = doc.where(*path)
        if line is not None:
            table[key] = (doc.file, line, col)

    def _build(self) -> dict[str, Where]:
        names: dict[str, Where] = {}
        for doc in self.docs:
            data = doc.data if isinstance(doc.data, dict) else {}
            topology = data.get(_TOPOLOGY)
            if not isinstance(topology, dict):
                continue
            for section in ("node_templates", "groups", "inputs", "outputs",
                            "relationship_templates"):
                entries = topology.get(section)
                if not isinstance(entries, dict):
                    continue
                for name, body in entries.items():
                    self._add(names, str(name), doc, _TOPOLOGY, section, name)
                    if isinstance(body, dict):
                        self._index_body(doc, str(name), body, (_TOPOLOGY, section, name))
                        self._index_values(doc, body, (_TOPOLOGY, section, name), 6)
            policies = topology.get("policies")
            if isinstance(policies, list):
                for index, entry in enumerate(policies):
                    if isinstance(entry, dict) and len(entry) == 1:
                        name, body = next(iter(entry.items()))
                        self._add(names, str(name), doc, _TOPOLOGY, "policies", index, name)
                        if isinstance(body, dict):
                            self._index_body(doc, str(name), body,
                                             (_TOPOLOGY, "policies", index, name))
        return names

    def _index_body(self, doc: YamlDocument, name: str, body: dict[str, Any],
                    path: tuple[str | int, ...]) -> None:
        for key, value in body.items():
            self._add(self._pairs, (name, str(key)), doc, *path, key)
            if key == "type" and isinstance(value, str):
                self._add(self._types, value, doc, *path)
            if isinstance(value, dict):
                for sub in value:
                    self._add(self._pairs, (name, str(sub)), doc, *path, key, sub)
            elif key == "requirements" and isinstance(value, list):
                for index, entry in enumerate(value):
                    if isinstance(entry, dict):
                        for req in entry:
                            self._add(self._pairs, (name, str(req)), doc, *path, key, index)

    def _index_values(self, doc: YamlDocument, value: Any, path: tuple[str | int, ...],
                      depth: int) -> None:
        """Scalar values -> where the key holding them is (for "value X is invalid")."""
        if depth == 0:
            return
        items: Any = value.items() if isinstance(value, dict) else (
            enumerate(value) if isinstance(value, list) else ())
        for key, item in items:
            child = (*path, key)
            if isinstance(item, str | int | float) and not isinstance(item, bool):
                self._add(self._values, str(item), doc, *child)
            else:
                self._index_values(doc, item, child, depth - 1)

    def __call__(self, message: str) -> Where:
        if self._names is None:
            self._names = self._build()
        quoted = [a or b for a, b in _QUOTED.findall(message)]
        for i, first in enumerate(quoted):
            for second in quoted[i + 1:]:
                if (first, second) in self._pairs:
                    return self._pairs[(first, second)]
        for name in quoted:
            if name in self._names:
                return self._names[name]
        for name in quoted:
            if name in self._types:
                return self._types[name]
        for name in quoted:
            if name in self._values:
                return self._values[name]
        return self.entry.file, None, None
