"""SOL004 package verification (ETSI GS NFV-SOL 004; SPEC-NOTES §4): the CSAR layouts, the
manifest and its digests, CMS signatures against trust anchors, and the limits that keep hostile
archives and YAML harmless.

Entry point: :func:`netorch.tosca.sol004.verify.verify_package` with a
:class:`netorch.tosca.sol004.policy.PackagePolicy`.  This package's modules import
:mod:`netorch.tosca.csar` only for type checking, so ``csar`` and ``yaml_doc`` can use
:mod:`~netorch.tosca.sol004.limits` and :mod:`~netorch.tosca.sol004.meta` freely.
"""
