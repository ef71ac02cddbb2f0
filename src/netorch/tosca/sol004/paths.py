"""Paths a package names (TOSCA.meta keys, manifest ``Source`` lines), kept inside the package.

A name is a relative POSIX path (SOL004 §4.3.2); ``./`` prefixes are tolerated.  An absolute
name, a ``..`` component or a symbolic link that leads out of the package root is refused, so
verifying a hostile package never reads a file outside it.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath


class OutsidePackage(ValueError):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def is_uri(name: str) -> bool:
    """``https://...``, ``file:...``: an external artifact (SOL004 §4.3.2)."""
    scheme, sep, _ = name.partition(":")
    return bool(sep) and len(scheme) > 1 and scheme.replace("+", "").replace(".", "") \
        .replace("-", "").isalnum() and scheme[0].isalpha()


def normalize(name: str) -> str:
    """``./Files/a`` -> ``Files/a``."""
    text = name.strip().replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text


def resolve_member(root: Path, name: str) -> Path:
    """The path ``name`` denotes under ``root``; :class:`OutsidePackage` when it is not inside."""
    text = normalize(name)
    if not text or "\0" in text:
        raise OutsidePackage("sol004.source_invalid", "an empty name")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        raise OutsidePackage("csar.absolute_path", "an absolute path")
    if ".." in PurePosixPath(text).parts:
        raise OutsidePackage("csar.path_traversal", "a '..' path component")
    path = root / text
    if not path.resolve().is_relative_to(root.resolve()):
        raise OutsidePackage("csar.symlink", "a symbolic link that leads out of the package")
    return path
