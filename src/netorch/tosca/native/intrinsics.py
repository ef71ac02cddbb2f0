"""The intrinsic functions of a template, checked where the tosca-parser path checks them
(TOSCA Simple Profile YAML 1.3 §4.3 ``concat`` / ``token``, §4.4 ``get_input``, ``get_property``,
§4.5 ``get_attribute``).

A function is checked when it is the whole value of a node template's property, of a property
of one of its capabilities, of an operation input, of a relationship property, or of an output;
a function nested inside a list or a map is evaluated later by :mod:`netorch.tosca.functions`
without being judged here, exactly as in the tosca-parser path.

* ``get_input`` names one declared input;
* ``concat`` has at least one argument, ``token`` three: a text, one separator character (the
  first of several, see :mod:`netorch.tosca.compat` 8) and an index;
* ``get_property`` / ``get_attribute`` name a node template (``SELF``, a name, or ``HOST`` for
  ``get_attribute``: the first node reached through requirements whose target can host, see
  :meth:`Functions.host_with_attribute`) and a property or attribute it has; ``get_property``'s
  three-argument form names a capability the node template assigns and one of its properties.

Forms whose checking the native validator does not reproduce (``get_operation_output``, an
input path, ``HOST`` for ``get_property``, nested references, a capability reached through a
requirement...) raise :class:`~netorch.tosca.native.errors.NotNative`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from netorch.tosca.native.errors import NotNative, Report, Where
from netorch.tosca.native.typeinfo import (
    CONFIGURE_OPERATIONS,
    LIFECYCLE_OPERATIONS,
    NodeTypeInfo,
)
from netorch.tosca.native.values import FUNCTIONS, PRIMITIVE_TYPES, lowered

CONTAINER = "tosca.capabilities.Container"
"""The target capability of HostedOn (TOSCA 1.3 §5.7.3): what ``HOST`` looks for."""

NodeInfo = Callable[[str], NodeTypeInfo | None]
_FUNCTION = object()
"""A property value that is a function (its content is not known at load time)."""


def call(value: Any) -> tuple[str, list[Any]] | None:
    """``(name, arguments)`` of a function value, arguments always a list."""
    value = lowered(value)
    if isinstance(value, dict) and len(value) == 1:
        name = next(iter(value))
        if name in FUNCTIONS:
            args = value[name]
            return name, args if isinstance(args, list) else [args]
    return None


class Functions:
    """Checks function values of one topology template."""

    def __init__(self, report: Report, nodes: Mapping[str, Any], inputs: Mapping[str, Any],
                 node_info: NodeInfo, is_container: Callable[[str], bool],
                 data_fields: Callable[[str], Mapping[str, Any]]) -> None:
        self.data_fields = data_fields
        self._ends: tuple[str, str] | None = None
        self.report = report
        self.nodes = nodes
        self.inputs = inputs
        self.node_info = node_info
        self.is_container = is_container

    # -- entry points --------------------------------------------------------------------
    def check(self, value: Any, context: str | None, where: Where, *, outputs: bool = False,
              relationship: bool = False, ends: tuple[str, str] | None = None) -> None:
        """``value`` if it is a function; ``context`` is the node template it belongs to
        (None in outputs), ``ends`` the source and target nodes when it belongs to an operation
        of a relationship (then ``context`` names the relationship)."""
        found = call(value)
        if found is None:
            return
        self._ends = ends
        try:
            self._check(found, context, where, outputs, relationship)
        finally:
            self._ends = None

    def _check(self, found: tuple[str, list[Any]], context: str | None, where: Where,
               outputs: bool, relationship: bool) -> None:
        name, args = found
        if name == "get_input":
            self.get_input(args, where)
        elif name == "concat":
            if not args:
                self.report.add("tosca.invalid_function", 'Invalid arguments for function '
                                '"concat". Expected at least one arguments.', where)
        elif name == "token":
            self.token(args, where)
        elif relationship:
            raise NotNative(f"{name} in a relationship's properties")
        elif name == "get_property":
            self.get_property(args, context, where, outputs)
        elif name == "get_attribute":
            self.get_attribute(args, context, where, outputs)
        else:
            self.get_operation_output(args, context, where, outputs)

    def get_input(self, args: list[Any], where: Where) -> None:
        if len(args) != 1:
            raise NotNative("get_input with a path")  # TOSCA 1.3 allows it; the validator not
        name = args[0]
        if not isinstance(name, str):
            raise NotNative("get_input of something that is not a name")
        if name not in self.inputs:
            self.report.add("tosca.unknown_input", f'Unknown input "{name}".', where)

    def token(self, args: list[Any], where: Where) -> None:
        if len(args) < 3:
            self.report.add("tosca.invalid_function", 'Invalid arguments for function "token". '
                            "Expected at least three arguments.", where)
            return
        separator = args[1]
        if not isinstance(separator, str) or not separator:
            self.report.add("tosca.invalid_function", 'Invalid arguments for function "token". '
                            "Expected single char value as second argument.", where)
        if not isinstance(args[2], int):
            self.report.add("tosca.invalid_function", 'Invalid arguments for function "token". '
                            "Expected integer value as third argument.", where)

    # -- node references -----------------------------------------------------------------
    def _node(self, ref: Any, context: str | None, where: Where, outputs: bool, *,
              quoted_context: bool) -> str | None:
        if isinstance(ref, dict):
            raise NotNative("a node reference given as a map")
        if self._ends is not None:
            if ref in ("TARGET", "SOURCE"):
                return self._ends[1] if ref == "TARGET" else self._ends[0]
            if ref in ("SELF", "HOST"):
                raise NotNative(f"{ref} in a relationship's operation")
        if ref in ("TARGET", "SOURCE"):
            if outputs:
                raise NotNative(f"{ref} in outputs")
            self.report.add("tosca.not_found", f'"{ref}" keyword can only be used in context '
                            'to "Relationships" target node', where)
            return None
        if ref == "SELF" and not outputs:
            return context
        if ref == "SELF" and quoted_context:
            raise NotNative("get_property of SELF in outputs")
        if isinstance(ref, str) and ref in self.nodes:
            return ref
        if quoted_context and outputs:
            raise NotNative("get_property of an unknown node in outputs")
        suffix = f" referenced from node template {context}" if quoted_context else ""
        self.report.add("tosca.not_found", f'Node template "{ref}" was not found.{suffix}',
                        where)
        return None

    def properties_of(self, node: str) -> dict[str, Any]:
        """The properties the node template has (given ones its type defines, then type
        defaults that are not null), with their raw values."""
        info = self.node_info(node)
        raw = self.nodes.get(node)
        given = raw.get("properties") if isinstance(raw, dict) else None
        result: dict[str, Any] = {}
        if info is None:
            return result
        if isinstance(given, dict):
            for name, value in given.items():
                if name in info.properties.schemas:
                    result[str(name)] = value
        for name, default in info.properties.defaults:
            result.setdefault(name, default)
        return result

    def get_property(self, args: list[Any], context: str | None, where: Where,
                     outputs: bool) -> None:
        if len(args) < 2:
            self.report.add("tosca.invalid_value", 'Expected arguments: "node-template-name", '
                            '"req-or-cap" (optional), "property name".', where)
            return
        if args[0] == "HOST":
            raise NotNative("get_property of HOST")
        if args[0] == "SELF" and self._ends is not None:
            raise NotNative("get_property of SELF in a relationship's operation")
        node = self._node(args[0], context, where, outputs, quoted_context=True)
        if len(args) == 2:
            if node is None:
                return
            props = self.properties_of(node)
            if args[1] not in props:
                self.report.add("tosca.not_found", f'Property "{args[1]}" was not found in node '
                                f'template "{node}".', where)
                return
            referenced = call(props[args[1]])
            if referenced is not None:
                if referenced[0] in ("get_input", "concat", "token"):
                    self.check(props[args[1]], context, where, outputs=outputs)
                else:
                    raise NotNative("get_property of a property that refers further")
            return
        props = self.properties_of(node) if node is not None else {}
        if args[1] in props:
            value: Any = self.checked_value(node, args[1], props[args[1]])
            rest = args[2:]
        else:
            value = self._requirement_or_capability_property(node, args[1], args[2], context,
                                                             where)
            rest = args[3:]
        for step in rest:
            value = self._step(value, step, args, context, where)

    def checked_value(self, node: str | None, prop: str, value: Any) -> Any:
        """A property value as the validator holds it once checked (see
        :func:`netorch.tosca.native.validate`'s nested templates): text for a string."""
        info = self.node_info(node) if node is not None else None
        schema = info.properties.schemas.get(prop) if info is not None else None
        value = lowered(value)
        if call(value) is not None:
            return _FUNCTION
        if schema is not None and schema.type == "string":
            return str(value)
        return value

    def _step(self, value: Any, step: Any, args: list[Any], context: str | None,
              where: Where) -> Any:
        """One index or key of a ``get_property`` path into a property value."""
        shown = f"Property '{args[2] if len(args) > 2 else args[1]}' found in capability " \
                f"'{args[1]}' referenced from node template {context}"
        if isinstance(value, list):
            if isinstance(step, bool) or not isinstance(step, int | str):
                raise NotNative("a get_property index that is not a number")
            try:
                index = int(step)
            except ValueError as exc:
                raise NotNative("a get_property index that is not a number") from exc
            if 0 <= index < len(value) or (index < 0 and -index <= len(value)):
                return value[index]
            self.report.add("tosca.not_found", f"{shown} must have an element with index "
                            f"{index}.", where)
            return None
        if value is _FUNCTION:
            raise NotNative("a get_property path into a function value")
        if isinstance(value, dict):
            if step in value:
                return value[step]
            self.report.add("tosca.not_found", f"{shown} must have an attribute named {step}.",
                            where)
            return None
        self.report.add("tosca.not_found", f"{shown} must be a dict.", where)
        return None

    def _requirement_or_capability_property(self, node: str | None, name: Any, prop: Any,
                                            context: str | None, where: Where) -> Any:
        """``[node, req_or_cap, property]``: a capability of the node a requirement of that
        name targets (the capability named like the requirement), else one of the node's
        own capabilities."""
        if node is None:
            return None
        target = self._requirement_target(node, name, "get_property")
        return self._capability_property(target or node, name, prop, context, where)

    def _capability_property(self, node: str, capability: Any, prop: Any,
                             context: str | None, where: Where) -> Any:
        info = self.node_info(node)
        raw = self.nodes[node]
        assigned = raw.get("capabilities") if isinstance(raw, dict) else None
        if info is None:
            raise NotNative("a capability of a node of unknown type")
        if not isinstance(assigned, dict) or capability not in assigned or \
                capability not in info.capabilities:
            self.report.add("tosca.not_found", f'Requirement/Capability "{capability}" '
                            f'referenced from node template "{context}" was not found in node '
                            f'template "{node}".', where)
            return None
        cap = info.capabilities[capability]
        given = assigned[capability].get("properties") if isinstance(
            assigned[capability], dict) else None
        values = dict(cap.own_defaults)
        if isinstance(given, dict):
            values.update(given)
        value = values.get(prop) if prop in cap.properties.schemas else None
        if value is None:
            self.report.add("tosca.not_found", f'Property "{prop}" was not found in capability '
                            f'"{capability}" of node template "{node}" referenced from node '
                            f'template "{context}".', where)
            return None
        schema = cap.properties.schemas[prop]
        value = lowered(value)
        if call(value) is not None:
            return _FUNCTION
        return str(value) if schema.type == "string" else value

    def get_attribute(self, args: list[Any], context: str | None, where: Where,
                      outputs: bool) -> None:
        if len(args) < 2:
            self.report.add("tosca.invalid_value", 'Illegal arguments for function '
                            '"get_attribute". Expected arguments: "node-template-name", '
                            '"req-or-cap"(optional), "property name"', where)
            return
        attribute = args[1]
        if args[0] == "HOST":
            if self._ends is not None:
                raise NotNative("HOST in a relationship's operation")
            if outputs:
                self.report.add("tosca.invalid_value", '"get_attribute: [ HOST, ... ]" is not '
                                'allowed in "outputs" section of the TOSCA template.', where)
                return
            if context is None:
                raise NotNative("get_attribute of HOST without a node")
            node = self.host_with_attribute(context, attribute, set())
            if node is None:
                self.report.add("tosca.invalid_value", '"get_attribute: [ HOST, ... ]" was used '
                                f'in node template "{context}" but '
                                '"tosca.relationships.HostedOn" was not found in the '
                                "relationship chain.", where)
                return
        else:
            if outputs and args[0] == "SELF":
                self.report.add("tosca.not_found", 'Node template "SELF" was not found.', where)
                return
            node = self._node(args[0], context, where, outputs, quoted_context=False)
            if node is None:
                return
        info = self.node_info(node)
        if info is None:
            return
        if len(args) == 2:
            if attribute not in info.attributes and attribute not in self.properties_of(node):
                self.report.add("tosca.not_found", f'Attribute "{attribute}" was not found in '
                                f'node template "{node}".', where)
            return
        if attribute in info.attributes:
            definition = info.attributes[attribute]
            rest = args[2:]
        else:
            found = self._requirement_or_capability_attribute(node, attribute, args[2], context,
                                                              where)
            if found is None:
                return
            definition = found
            rest = args[3:]
        self._attribute_path(definition, rest, where)

    def _requirement_or_capability_attribute(self, node: str, name: Any, attribute: Any,
                                             context: str | None, where: Where) -> Any:
        target = self._requirement_target(node, name, "get_attribute")
        return self._capability_attribute(target or node, name, attribute, context, where)

    def _requirement_target(self, node: str, name: Any, function: str) -> str | None:
        """The node template that ``node``'s first requirement called ``name`` targets, or None
        when it has no such requirement (``name`` is then one of its own capabilities)."""
        raw = self.nodes[node]
        requirements = raw.get("requirements") if isinstance(raw, dict) else None
        for entry in requirements if isinstance(requirements, list) else ():
            if not isinstance(entry, dict) or name not in entry:
                continue
            value = entry[name]
            target = value.get("node") if isinstance(value, dict) else value
            if not isinstance(target, str) or target not in self.nodes:
                raise NotNative(f"{function} through a requirement that names no node")
            return target
        return None

    def _capability_attribute(self, node: str, capability: Any, attribute: Any,
                              context: str | None, where: Where) -> Any:
        info = self.node_info(node)
        raw = self.nodes[node]
        assigned = raw.get("capabilities") if isinstance(raw, dict) else None
        if info is None:
            raise NotNative("a capability of a node of unknown type")
        if not isinstance(assigned, dict) or capability not in assigned or \
                capability not in info.capabilities:
            self.report.add("tosca.not_found", f'Requirement/Capability "{capability}" '
                            f'referenced from node template "{context}" was not found in node '
                            f'template "{node}".', where)
            return None
        definition = info.capabilities[capability].attributes.get(attribute)
        if definition is None:
            self.report.add("tosca.not_found", f'Attribute "{attribute}" was not found in '
                            f'capability "{capability}" of node template "{node}" referenced '
                            f'from node template "{context}".', where)
        return definition

    def _attribute_path(self, definition: Any, rest: list[Any], where: Where) -> None:
        """Indexes and field names after an attribute (§4.5.1): a list takes an integer, a
        map any key, a complex data type one of its fields."""
        if not isinstance(definition, dict) or not isinstance(definition.get("type"), str):
            raise NotNative("an attribute definition without a type")
        value_type = definition["type"]
        schema = definition
        for step in rest:
            if value_type in ("list", "map"):
                if value_type == "list" and (isinstance(step, bool) or not isinstance(step, int)):
                    self.report.add("tosca.invalid_value", 'Illegal arguments for function '
                                    f'"get_attribute". "{step}" Expected positive integer '
                                    "argument", where)
                entry = schema.get("entry_schema")
                if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
                    raise NotNative("an attribute entry schema without a type")
                value_type = entry["type"]
            elif value_type in PRIMITIVE_TYPES:
                self.report.add("tosca.invalid_value", 'Illegal arguments for function '
                                f'"get_attribute". Unexpected attribute/index value "{step}"',
                                where)
                return
            else:
                fields = self.data_fields(value_type)
                if step in fields:
                    field_def = fields[step]
                    if not isinstance(field_def, dict) or \
                            not isinstance(field_def.get("type"), str):
                        raise NotNative("a data type field without a type")
                    schema = field_def
                    value_type = field_def["type"]
                else:
                    self.report.add("tosca.not_found", 'Illegal arguments for function '
                                    f'"get_attribute". Attribute name "{step}" not found in '
                                    f'"{value_type}"', where)

    def get_operation_output(self, args: list[Any], context: str | None, where: Where,
                             outputs: bool) -> None:
        """``[template, interface, operation, output]`` (§4.6.1): the template has that
        operation (any of the lifecycle or configure operations; for another interface, one
        its template assigns)."""
        if len(args) != 4:
            self.report.add("tosca.invalid_value", 'Illegal arguments for function '
                            '"get_operation_output". Expected arguments: "template_name",'
                            '"interface_name","operation_name","output_variable_name"', where)
            return
        ref, interface, operation = args[0], args[1], args[2]
        node: str | None
        if ref in ("TARGET", "SOURCE"):
            if self._ends is None:
                if outputs:
                    raise NotNative(f"{ref} in outputs")
                self.report.add("tosca.not_found", f'"{ref}" keyword can only be used in '
                                'context to "Relationships" target node', where)
                node = None
            else:
                node = self._ends[1] if ref == "TARGET" else self._ends[0]
        elif ref == "SELF" and not outputs:
            if self._ends is not None:
                raise NotNative("SELF in a relationship's operation")
            node = context
        else:
            node = ref if isinstance(ref, str) and ref in self.nodes else None
        if node is None:
            self.report.add("tosca.not_found", f'Node or relationship template "{ref}" was not '
                            "found.", where)
            return
        if interface in ("Configure", "tosca.interfaces.node.relationship.Configure"):
            known = operation in CONFIGURE_OPERATIONS
            if not known:
                self.report.add("tosca.invalid_value", "Enter an operation of Configure "
                                "interface", where)
        elif interface in ("Standard", "tosca.interfaces.node.lifecycle.Standard"):
            known = operation in LIFECYCLE_OPERATIONS
            if not known:
                self.report.add("tosca.invalid_value", "Enter an operation of Standard "
                                "interface", where)
        else:
            assigned = self._assigned_operations(node)
            known = (interface, operation) in assigned
            if not assigned:
                self.report.add("tosca.invalid_value", "Enter a valid operation name", where)
        if not known:
            self.report.add("tosca.invalid_value", f'Node or relationship template "{node}" has '
                            f'not interface "{interface}" or operation "{operation}".', where)

    def _assigned_operations(self, node: str) -> set[tuple[Any, Any]]:
        """(interface, operation) pairs the node template's interface assignments hold."""
        raw = self.nodes.get(node)
        interfaces = raw.get("interfaces") if isinstance(raw, dict) else None
        result: set[tuple[Any, Any]] = set()
        for name, value in (interfaces.items() if isinstance(interfaces, dict) else ()):
            if not isinstance(value, dict):
                raise NotNative("an interface assignment that is not a map")
            if "notifications" in value:
                raise NotNative("interface notifications are checked by tosca-parser")
            operations = value["operations"] if "operations" in value else \
                {k: v for k, v in value.items() if k != "inputs"}
            if not isinstance(operations, dict):
                raise NotNative("operations that are not a map")
            result.update((name, op) for op in operations)
        return result

    def host_with_attribute(self, node: str, attribute: Any, seen: set[str]) -> str | None:
        """The node ``get_attribute: [HOST, attribute]`` in ``node`` refers to: through the
        first requirement whose target has a Container capability, that target if its type
        has the attribute, else whatever its own requirements lead to."""
        if node in seen:
            raise NotNative("a HOST chain that loops")
        seen.add(node)
        raw = self.nodes.get(node)
        requirements = raw.get("requirements") if isinstance(raw, dict) else None
        for entry in requirements if isinstance(requirements, list) else ():
            if not isinstance(entry, dict):
                continue
            for value in entry.values():
                target = value.get("node") if isinstance(value, dict) else value
                if isinstance(value, dict) and "node" not in value:
                    raise NotNative("a requirement without a node in a HOST chain")
                if not isinstance(target, str) or target not in self.nodes:
                    raise NotNative("a HOST chain through a requirement that names no node")
                info = self.node_info(target)
                if info is None:
                    raise NotNative("a HOST chain through a node of unknown type")
                if any(self.is_container(cap.type) for cap in info.capabilities.values()):
                    if attribute in info.attributes:
                        return target
                    return self.host_with_attribute(target, attribute, seen)
        return None
