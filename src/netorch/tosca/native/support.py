"""What the native loading path handles, and what it leaves to the tosca-parser path.

The native validator (:mod:`netorch.tosca.native.validate`) reproduces the checks the
tosca-parser path makes for the TOSCA most templates are written in.  It declines, by raising
:class:`~netorch.tosca.native.errors.NotNative` with the reason, wherever it does not reproduce
them; the loader then takes the tosca-parser path, so the result never depends on which path
ran.  It declines (the reasons are the messages of the NotNative raised):

* a ``tosca_definitions_version`` other than TOSCA Simple Profile 1.0-1.3 and the OASIS NFV
  profile 1.0 (checked here, before anything else);
* relationship templates, substitution filters, interface notifications, ``occurrences`` in a
  requirement assignment, policy reservations, TOSCA 1.0 triggers without a condition;
* inputs of a data type, values of type ``timestamp`` or ``PortSpec``, data types that refine
  an inherited field or mix a ``type`` with properties, capability types refining a property at
  two levels, constraints tosca-parser would refuse (``greater_than`` on a scalar-unit, an
  operator on a type it does not apply to, bounds that are not numbers) or values it could not
  compare;
* requirement definitions in their short form, capability definitions without a type, node and
  policy types that do not derive from their root type, group and policy types whose
  ``metadata`` is a plain map, interfaces without a type, type names spelt in a short form the
  two paths resolve differently;
* the function forms :mod:`netorch.tosca.native.intrinsics` does not check the way tosca-parser
  does: ``get_input`` with a path, ``get_property`` of ``HOST`` or of a property that is itself a
  reference, ``SELF`` or ``HOST`` in a relationship's operation, a function under a constraint;
* shapes on which tosca-parser crashes rather than judges (a capability assigned without
  ``properties``, a repository without a URL, a ``relationship`` keyname that is a list...).
"""

from __future__ import annotations

from netorch.tosca.imports import ImportGraph
from netorch.tosca.native.errors import NotNative

VERSIONS = frozenset({
    "tosca_simple_yaml_1_0", "tosca_simple_yaml_1_1", "tosca_simple_yaml_1_2",
    "tosca_simple_yaml_1_3", "tosca_simple_profile_for_nfv_1_0_0",
    "tosca_simple_profile_for_nfv_1_0"})


def check(graph: ImportGraph, version: str) -> None:
    """Raise :class:`NotNative` when the template is outside what the native path handles
    (the cheap, template-wide conditions; the validator raises it for the rest)."""
    if version not in VERSIONS:
        raise NotNative(f"tosca_definitions_version {version}")
    if not graph.files:
        raise NotNative("no entry definitions")
