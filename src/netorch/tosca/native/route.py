"""Which path loads a template: the content-hash cache, the native path, the tosca-parser path.

:func:`routed_load` is what :func:`netorch.tosca.load` calls:

1. the cache (:mod:`netorch.tosca.cache`): unchanged content, same arguments -> the stored
   result, after hashing the files only;
2. the native path (:mod:`netorch.tosca.native.pipeline`), unless it declines the template
   (:mod:`netorch.tosca.native.support`) or ``NETORCH_NATIVE_LOADER=0``;
3. otherwise the tosca-parser path (the loader's own ``_load``, passed in as ``fallback``).

A successful load from either path is then stored in the cache.  A failure inside the native
path itself (a bug, never a verdict on the template) is logged and the tosca-parser path runs.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from pathlib import Path

from netorch.model.diagnostics import Diagnostic, has_errors
from netorch.model.service import ServiceModel
from netorch.tosca import cache
from netorch.tosca.csar import open_source
from netorch.tosca.native.fastyaml import read_file
from netorch.tosca.native.importwalk import FilesRead, walk_imports
from netorch.tosca.native.pipeline import NativeResult, Unsupported, load_native, types_path_of
from netorch.tosca.sol004.policy import PackagePolicy

log = logging.getLogger(__name__)

NATIVE_ENV = "NETORCH_NATIVE_LOADER"
"""``0`` / ``false`` / ``no`` / ``off``: always take the tosca-parser path."""

Result = tuple[ServiceModel | None, list[Diagnostic]]
Fallback = Callable[[Path, Mapping[str, object] | None, Path | None, bool,
                     Mapping[str, set[str]] | None, PackagePolicy | None], Result]


def native_enabled() -> bool:
    return os.environ.get(NATIVE_ENV, "").strip().lower() not in {"0", "false", "no", "off"}


def routed_load(path: Path, inputs: Mapping[str, object] | None, types_path: Path | None,
                allow_network: bool, known_vnfds: Mapping[str, set[str]] | None,
                security: PackagePolicy | None, fallback: Fallback) -> Result:
    """Load ``path``: from the cache, else by the native path, else by ``fallback``."""
    store = cache.from_env()
    request = cache.LoadRequest(path, inputs, types_path, allow_network, known_vnfds, security)
    key = cache.request_key(request) if store is not None else None
    if store is not None and key is not None:
        hit = store.lookup(key)
        if hit is not None:
            log.debug("load of %s served from the cache", path)
            return hit
    started = time.perf_counter()
    outcome: NativeResult | Unsupported | None = None
    if native_enabled():
        try:
            outcome = load_native(path, inputs, types_path, allow_network, known_vnfds,
                                  security)
        except Exception:  # a bug of the native path must not fail a load tosca-parser can do
            log.warning("the native loading path failed on %s; using tosca-parser", path,
                        exc_info=log.isEnabledFor(logging.DEBUG))
            outcome = None
    if isinstance(outcome, NativeResult):
        model, diags = outcome.model, outcome.diagnostics
        record: FilesRead | None = outcome.record
        root = outcome.root
    else:
        model, diags = fallback(path, inputs, types_path, allow_network, known_vnfds, security)
        record, root = None, None
    if store is not None and key is not None and model is not None and \
            not has_errors(diags) and time.perf_counter() - started >= store.min_seconds:
        _store(store, key, path, types_path, allow_network, record, root, model, diags)
    return model, diags


def _store(store: cache.LoadCache, key: str, path: Path, types_path: Path | None,
           allow_network: bool, record: FilesRead | None, root: Path | None,
           model: ServiceModel, diags: list[Diagnostic]) -> None:
    if record is None:
        found = files_read(path, types_path, allow_network)
        if found is None:
            return
        record, root = found
    if record.fetched or cache.carries_signatures(path):
        return
    store.store(key, external(record, path, root), model, diags)


def files_read(path: Path, types_path: Path | None, allow_network: bool
               ) -> tuple[FilesRead, Path | None] | None:
    """What a load of ``path`` reads (for a load the tosca-parser path made): the entry and
    its import graph, resolved the way both paths resolve them."""
    record = FilesRead()
    with ExitStack() as stack:
        src, _diags = open_source(path, stack)
        if src is None:
            return None
        entry, _raw, _diags = read_file(src.entry, src.display_entry)
        if entry is None:
            return None
        graph = walk_imports(src.entry, entry, root=src.root,
                             types_path=types_path_of(types_path), allow_network=allow_network,
                             stack=stack, display=src.display, record=record)
        if has_errors(graph.diagnostics):
            return None
        return record, src.root


def external(record: FilesRead, source: Path, root: Path | None) -> cache.FileRecord:
    """The files and empty places outside the source itself (its digest covers those)."""
    source_abs = str(source.absolute())
    inside = str(root.absolute()) + os.sep if root is not None else None

    def outside(name: str) -> bool:
        return name != source_abs and (inside is None or not name.startswith(inside))

    return cache.FileRecord(
        files={name: digest for name, digest in record.files.items() if outside(name)},
        absent=sorted(name for name in record.absent if outside(name)))
