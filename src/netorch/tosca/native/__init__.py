"""netorch's own loading path: the tosca-parser path's results, in linear time.

:func:`netorch.tosca.load` goes through :func:`netorch.tosca.native.route.routed_load`: the
content-hash cache (:mod:`netorch.tosca.cache`), then this package's pipeline
(:mod:`~netorch.tosca.native.pipeline`), then the tosca-parser path for the templates the
native validator declines (:mod:`~netorch.tosca.native.support`).

Modules: ``fastyaml`` (YAML to data from libyaml's events), ``importwalk`` (the import graph,
type files parsed once per process), ``keynames`` / ``typeinfo`` / ``values`` (what each part
of a template may hold, types worked out once, values against their definitions),
``intrinsics`` (function arguments), ``context`` / ``nodes`` / ``sections`` / ``validate`` (the
validator), ``errors`` (diagnostics and :class:`~netorch.tosca.native.errors.NotNative`).

Importing this package does no work.
"""
