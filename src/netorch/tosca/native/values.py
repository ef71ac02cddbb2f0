"""Property, attribute and input values against their definitions (TOSCA Simple Profile YAML
1.3 §3.3 primitive types, §3.3.6 scalar-unit, §3.3.2 version, §3.3.3 range, §3.3.4-§3.3.5 list
and map with ``entry_schema`` / ``key_schema``, §3.6.3 constraint clauses, §3.6.10 property
definitions, §3.7.6 data types).

The rules are the ones the tosca-parser path applies (so both paths agree on every template the
native path accepts), which are, on a few points, more lenient than the letter of the standard:

* a property of type ``string`` takes any value (written as text); a data type's field or an
  input of type ``string`` needs a string;
* ``integer`` takes anything Python's ``int()`` takes (``"12"``, ``true``); ``float`` takes an
  integer too (netorch's review of the validator's findings, :mod:`netorch.tosca.compat` g);
  ``boolean`` takes ``"true"`` / ``"false"`` in any case;
* a scalar-unit is a number, optional blanks and a known unit (case does not matter) at the start
  of the text;
* a constraint on a list-typed field of a data type applies to each element;
* ``valid_values`` on a list accepts a list whose every element is allowed, or that is itself
  one of the allowed values (:mod:`netorch.tosca.compat` d).

Where the tosca-parser path would fail on a definition rather than judge the value (a
``timestamp``, the ``PortSpec`` shorthand, a constraint it cannot build, values it cannot
compare) :class:`~netorch.tosca.native.errors.NotNative` hands the template over.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from numbers import Number
from typing import Any

from netorch.tosca.compat import _lowered_call
from netorch.tosca.native.errors import NotNative, Report, Where, at
from netorch.tosca.type_registry import TypeRegistry

FUNCTIONS = frozenset({"get_property", "get_input", "get_attribute", "get_operation_output",
                       "concat", "token"})
"""The intrinsic functions the validator treats as values it cannot know at load time."""

PRIMITIVE_TYPES = frozenset({
    "integer", "string", "boolean", "float", "range", "number", "timestamp", "list", "map",
    "scalar-unit.size", "scalar-unit.frequency", "scalar-unit.time", "version", "PortDef",
    "PortSpec"})
"""Type names that are not looked up as data types."""

SCALAR_UNITS: Mapping[str, tuple[Mapping[str, float], str]] = {
    # unit -> factor, and the unit values are compared in (§3.3.6.4-§3.3.6.7)
    "scalar-unit.size": ({"B": 1, "kB": 1000, "KiB": 1024, "MB": 1000000, "MiB": 1048576,
                          "GB": 1000000000, "GiB": 1073741824, "TB": 1000000000000,
                          "TiB": 1099511627776}, "B"),
    "scalar-unit.time": ({"d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001,
                          "us": 0.000001, "ns": 0.000000001}, "ms"),
    "scalar-unit.frequency": ({"Hz": 1, "kHz": 1000, "MHz": 1000000, "GHz": 1000000000},
                              "GHz"),
}
_SCALAR = re.compile(r"([0-9.]+)\s*(\w+)")
_VERSION = re.compile(r"^(?P<major>[0-9]+)(\.(?P<minor>[0-9]+))?(\.(?P<fix>[0-9]+))?"
                      r"(\.(?P<qualifier>[0-9A-Za-z]+))?(-(?P<build>[0-9])*)?$")
UNBOUNDED = "UNBOUNDED"

NUMERIC_CONSTRAINT_TYPES = frozenset({"integer", "float", "timestamp", "scalar-unit.size",
                                      "scalar-unit.frequency", "scalar-unit.time"})
_APPLIES_TO: Mapping[str, frozenset[str] | None] = {
    # which value types a constraint operator may constrain (None: any)
    "equal": None, "valid_values": None,
    "greater_than": NUMERIC_CONSTRAINT_TYPES, "greater_or_equal": NUMERIC_CONSTRAINT_TYPES,
    "less_than": NUMERIC_CONSTRAINT_TYPES, "less_or_equal": NUMERIC_CONSTRAINT_TYPES,
    "in_range": NUMERIC_CONSTRAINT_TYPES | {"range"},
    "length": frozenset({"string"}), "pattern": frozenset({"string"}),
    "min_length": frozenset({"string", "map", "list"}),
    "max_length": frozenset({"string", "map", "list"}),
}


def lowered(value: Any) -> Any:
    """``value`` as the tosca-parser path sees it: ``join`` written as ``concat``,
    ``get_nodes_of_type`` as its (empty) load-time list, ``token`` with one separator
    (:mod:`netorch.tosca.compat` 8)."""
    if isinstance(value, dict) and len(value) == 1:
        found = _lowered_call(value)
        if found is not None:
            return found
    return value


def is_function(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in FUNCTIONS


def _fmt(value: Any) -> str:
    """A value as the messages show it."""
    return str(value)


# -- scalar units and versions -------------------------------------------------------------
def scalar_unit(kind: str, value: Any) -> tuple[float | None, str | None]:
    """(value in the comparison unit, problem): the problem names what is wrong."""
    units, base = SCALAR_UNITS[kind]
    match = _SCALAR.match(str(value))
    if match is None:
        return None, f'"{_fmt(value)}" is not a valid scalar-unit.'
    number, unit = match.group(1), match.group(2)
    try:
        amount = float(int(number)) if number.isdigit() else float(number)
    except ValueError:
        return None, f'"{_fmt(value)}" is not a valid scalar-unit.'
    if unit not in units:
        for known in units:
            if known.upper() == unit.upper():
                unit = known
                break
        else:
            valid = sorted(units)
            # the validator reports the unit, then the value
            return None, f'The unit "{unit}" is not valid. Valid units are "{valid}".\n' \
                         f'"{_fmt(value)}" is not a valid scalar-unit.'
    converted = amount * units[unit] / units[base]
    if converted - int(converted) < 0.0000000000001:
        return int(converted), None
    return converted, None


def version_problem(value: Any) -> bool:
    """Whether ``value`` is not a TOSCA version (§3.3.2: major.minor[.fix[.qualifier[-build]]])."""
    text = str(value)
    match = _VERSION.match(text)
    if match is None:
        return True
    parts = match.groupdict()
    if parts["qualifier"] and (parts["fix"] is None or
                               parts["major"] == parts["minor"] == parts["fix"] == "0"):
        return True
    return bool(match.group("build") is not None and not parts["qualifier"]
                and "-" in text)


# -- definitions ---------------------------------------------------------------------------
@dataclass(slots=True)
class Constraint:
    operator: str
    argument: Any
    """As written (for messages)."""
    bound: Any
    """In comparison form (scalar-units as numbers)."""


@dataclass(slots=True)
class Schema:
    """A property, field, input or entry definition (§3.6.10, §3.6.14), compiled once."""

    name: str | None
    type: str
    required: bool = True
    default: Any = None
    constraints: tuple[Constraint, ...] = ()
    entry_def: Any = None
    """``entry_schema`` as written (compiled when a value needs it)."""
    key_def: Any = None
    raw: Mapping[str, Any] = field(default_factory=dict)


class Values:
    """Checks values against schemas for one load; remembers compiled schemas and data types."""

    def __init__(self, registry: TypeRegistry, report: Report,
                 data_type_name: Callable[[str], str | None]) -> None:
        self.registry = registry
        self.report = report
        self.data_type_name = data_type_name
        self._schemas: dict[tuple[int, str | None], tuple[Mapping[str, Any], Schema]] = {}
        self._fields: dict[str, tuple[dict[str, Schema], Schema | None, tuple[Constraint, ...]]] \
            = {}
        self._inherited: dict[tuple[int, str, str], tuple[Any, Any]] = {}

    # -- compiling ---------------------------------------------------------------------
    def schema(self, definition: Any, name: str | None) -> Schema:
        """The compiled form of a property / entry definition (raises NotNative when the
        tosca-parser path would fail on the definition itself)."""
        key = (id(definition), name)
        cached = self._schemas.get(key)
        if cached is not None and cached[0] is definition:
            return cached[1]
        if not isinstance(definition, dict):
            raise NotNative(f"the definition of {name!r} is not a map")
        value_type = definition.get("type")
        if not isinstance(value_type, str):
            raise NotNative(f"the definition of {name!r} has no type")
        if value_type in ("timestamp", "PortSpec"):
            raise NotNative(f"values of type {value_type} are checked by tosca-parser")
        required = definition.get("required", True)
        if not isinstance(required, bool):
            raise NotNative(f"'required' of {name!r} is not a boolean")
        compiled = Schema(
            name=name, type=value_type, required=required, default=definition.get("default"),
            constraints=self._constraints(definition.get("constraints"), value_type, name),
            entry_def=definition.get("entry_schema"), key_def=definition.get("key_schema"),
            raw=definition)
        self._schemas[key] = (definition, compiled)
        return compiled

    def _constraints(self, clauses: Any, value_type: str, name: str | None
                     ) -> tuple[Constraint, ...]:
        if clauses is None or clauses == []:
            return ()
        if not isinstance(clauses, list):
            raise NotNative(f"the constraints of {name!r} are not a list")
        result: list[Constraint] = []
        for clause in clauses:
            if not isinstance(clause, dict) or len(clause) != 1:
                raise NotNative(f"a constraint of {name!r} is not a single-entry map")
            operator, argument = next(iter(clause.items()))
            if operator == "in_range" and value_type == "range":
                # left to netorch's own check of range values (compat 4, precheck)
                continue
            applies = _APPLIES_TO.get(operator, frozenset())
            if applies is not None and value_type not in applies:
                raise NotNative(f"constraint {operator!r} on a {value_type} ({name!r})")
            result.append(Constraint(operator, argument,
                                     self._bound(operator, argument, value_type, name)))
        return tuple(result)

    @staticmethod
    def _bound(operator: str, argument: Any, value_type: str, name: str | None) -> Any:
        comparable = (int, float)
        if value_type in SCALAR_UNITS:
            if operator == "greater_than":
                raise NotNative("greater_than on a scalar-unit")  # the validator refuses it
            items = argument if isinstance(argument, list) else [argument]
            converted = []
            for item in items:
                number, problem = scalar_unit(value_type, item)
                if problem is not None:
                    raise NotNative(f"constraint {operator!r} of {name!r}: {problem}")
                converted.append(number)
            argument = converted if isinstance(argument, list) else converted[0]
        if operator in ("greater_than", "greater_or_equal", "less_than", "less_or_equal"):
            if isinstance(argument, bool) or not isinstance(argument, comparable):
                raise NotNative(f"constraint {operator!r} of {name!r} is not a number")
        elif operator == "in_range":
            if not isinstance(argument, list) or len(argument) != 2 or any(
                    isinstance(b, bool) or not (isinstance(b, comparable) or b == UNBOUNDED)
                    for b in argument):
                raise NotNative(f"in_range of {name!r} is not two numbers")
        elif operator == "valid_values":
            if not isinstance(argument, list):
                raise NotNative(f"valid_values of {name!r} is not a list")
        elif operator in ("length", "min_length", "max_length"):
            if isinstance(argument, bool) or not isinstance(argument, int):
                raise NotNative(f"{operator} of {name!r} is not an integer")
        elif operator == "pattern":
            if not isinstance(argument, str):
                raise NotNative(f"pattern of {name!r} is not a string")
            try:
                return re.compile(argument)
            except re.error as exc:
                raise NotNative(f"pattern of {name!r} does not compile: {exc}") from exc
        return argument

    # -- data types --------------------------------------------------------------------
    def data_type(self, type_name: str, where: Where | None
                  ) -> tuple[dict[str, Schema], Schema | None, tuple[Constraint, ...]] | None:
        """(fields, value schema for a data type with a ``type``, its own constraints), or
        None after reporting an unknown data type."""
        cached = self._fields.get(type_name)
        if cached is not None:
            return cached
        canonical = self.data_type_name(type_name)
        if canonical is None:
            self.report.add("tosca.unknown_type", f'Type "{type_name}" is not a valid type '
                            "(no such data type).", where)
            return None
        chain = self.registry.chain("data_types", canonical)
        own = self.registry.definition("data_types", canonical) or {}
        last = self.registry.definition("data_types", chain[-1]) or {}
        base = last.get("derived_from")
        value_type = own.get("type")
        if isinstance(base, str) and self.registry.canonical("data_types", base) is None:
            # derived from a primitive type (§3.7.6): the value is of that type, under the
            # type's own constraints (how the tosca-parser path reads such a type)
            if value_type is not None and value_type != base:
                raise NotNative(f"data type {canonical} has a type and a primitive parent")
            value_type = base
        fields: dict[str, Schema] = {}
        seen: dict[str, Any] = {}
        for name in chain:
            definition = self.registry.definition("data_types", name) or {}
            props = definition.get("properties")
            if props is None:
                continue
            if not isinstance(props, dict):
                raise NotNative(f"the properties of data type {name} are not a map")
            for prop, pdef in props.items():
                if prop in seen and seen[prop] != pdef:
                    # the validator takes the ancestor's definition of a refined field
                    raise NotNative(f"data type {canonical} refines field {prop!r}")
                seen[prop] = pdef
                pdef = self.with_inherited_type("data_types", name, str(prop), pdef)
                self.property_definition(pdef, str(prop), where)
                fields.setdefault(str(prop), self.schema(pdef, str(prop)))
        value_schema: Schema | None = None
        constraints: tuple[Constraint, ...] = ()
        if value_type is not None:
            if not isinstance(value_type, str):
                raise NotNative(f"data type {canonical} has a non-text type")
            if fields:
                raise NotNative(f"data type {canonical} has both a type and properties")
            if value_type not in PRIMITIVE_TYPES or value_type in ("timestamp", "PortSpec"):
                raise NotNative(f"data type {canonical} has type {value_type}")
            value_schema = Schema(None, value_type)
            constraints = self._constraints(own.get("constraints"), value_type, None)
        result = (fields, value_schema, constraints)
        self._fields[type_name] = result
        return result

    def with_inherited_type(self, section: str, owner: str, prop: str, definition: Any) -> Any:
        """A refined property definition without ``type`` takes its parent's (§3.6.10
        refinement; how :mod:`netorch.tosca.compat` 4 shows it to the validator)."""
        if not isinstance(definition, dict) or "type" in definition:
            return definition
        key = (id(definition), owner, prop)
        cached = self._inherited.get(key)
        if cached is not None and cached[0] is definition:
            return cached[1]
        result = definition
        parent = (self.registry.definition(section, owner) or {}).get("derived_from")
        parent_name = self.registry.canonical(section, parent) if isinstance(parent, str) \
            else None
        if parent_name is not None:
            base = self.registry.merged(section, parent_name, "properties").get(prop)
            if isinstance(base, dict) and isinstance(base.get("type"), str):
                result = {**definition, "type": base["type"]}
        self._inherited[key] = (definition, result)
        return result

    def property_definition(self, definition: Any, name: str, where: Where | None) -> None:
        """What the validator checks of a property definition itself (§3.6.10)."""
        if not isinstance(definition, dict):
            raise NotNative(f"property definition {name!r} is not a map")
        if "type" not in definition:
            self.report.add("tosca.invalid_schema", f'Schema definition of "{name}" must have '
                            'a "type" attribute.', where)
        status = definition.get("status")
        if status is not None and status not in ("supported", "experimental"):
            # deprecated and unsupported are dropped by the shared review (compat e)
            self.report.add("tosca.invalid_schema", f'Schema definition of "{name}" has '
                            f'"status" attribute with invalid value "{status}".', where)
        required = definition.get("required")
        if required is not None and not isinstance(required, bool):
            self.report.add("tosca.invalid_schema", f'Schema definition of "{name}" has '
                            f'"required" attribute with invalid value "{required}". The value '
                            'must be one of "true, false".', where)

    # -- values ------------------------------------------------------------------------
    def property(self, schema: Schema, value: Any, where: Where, *key: str | int) -> None:
        """A property value (TOSCA 1.3 §3.6.11) at ``where`` (``key`` below it): a function is
        left for later, a string property takes any value, then the type and the
        constraints."""
        kind = value.__class__
        if kind is dict:
            value = lowered(value)
            if is_function(value):
                return
        value_type = schema.type
        if value_type == "string":
            value = value if kind is str else _as_text(value)
            if not schema.constraints:
                return
            checked, ok = value, True
        elif not schema.constraints and (
                (kind is int and value_type == "integer") or
                (kind is bool and value_type == "boolean") or
                (kind is float and value_type == "float")):
            return
        else:
            place = at(where, *key) if key else where
            checked, ok = self.value(value_type, value, schema.entry_def, schema.key_def, place,
                                     schema.name)
        if ok and schema.constraints:
            place = at(where, *key) if key else where
            self.constraints(schema.constraints, value_type, checked, place, schema.name)

    def value(self, value_type: str, value: Any, entry: Any, key: Any,
              where: Where, name: str | None, input_code: bool = False) -> tuple[Any, bool]:
        """(the value as constraints see it, whether it has the type)."""
        value = lowered(value)
        if is_function(value):
            return value, False
        code = "input.invalid" if input_code else "tosca.invalid_value"
        report = self.report
        if value_type == "string":
            if isinstance(value, str):
                return value, True
            report.add(code, f'"{_fmt(value)}" is not a string.', where)
            return value, False
        if value_type == "integer":
            if isinstance(value, int):
                return value, True
            try:
                return int(value), True
            except (TypeError, ValueError, OverflowError):
                report.add(code, f'"{_fmt(value)}" is not an integer.', where)
                return value, False
        if value_type == "float":
            if isinstance(value, float):
                return value, True
            # an integer is reported as the validator does; netorch's review of its findings
            # accepts it (compat g)
            report.add(code, f'"{_fmt(value)}" is not a float.', where)
            return value, isinstance(value, int) and not isinstance(value, bool)
        if value_type == "number":
            if isinstance(value, Number):
                return value, True
            report.add(code, f'"{_fmt(value)}" is not a numeric.', where)
            return value, False
        if value_type == "boolean":
            if isinstance(value, bool):
                return value, True
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true", True
            report.add(code, f'"{_fmt(value)}" is not a boolean.', where)
            return None, False
        if value_type in SCALAR_UNITS:
            number, problem = scalar_unit(value_type, value)
            if problem is not None:
                for line in problem.splitlines():
                    report.add(code, line, where)
                return None, False
            return number, True
        if value_type == "version":
            if version_problem(value):
                report.add(code, f'Value of TOSCA version property "{_fmt(value)}" is invalid.',
                           where)
                return value, False
            return value, True
        if value_type == "range":
            return self._range(value, where, code)
        if value_type == "list":
            ok = isinstance(value, list)
            if not ok:
                report.add(code, f'"{_fmt(value)}" is not a list.', where)
            if entry is not None:
                entry_schema = self.schema(entry, None)
                for index, item in enumerate(_entries(value, values=True)):
                    self.entry(entry_schema, item, at(where, index) if ok else where)
            return value, ok
        if value_type == "map":
            ok = isinstance(value, Mapping)
            if not ok:
                report.add(code, f'"{_fmt(value)}" is not a map.', where)
            if key is not None:
                key_schema = self.schema(key, None)
                for item in _entries(value, values=False):
                    self.entry(key_schema, item, where)
            if entry is not None:
                entry_schema = self.schema(entry, None)
                for item in _entries(value, values=True):
                    self.entry(entry_schema, item, where)
            return value, ok
        if value_type in ("timestamp", "PortSpec"):
            raise NotNative(f"values of type {value_type} are checked by tosca-parser")
        return self.data_value(value_type, value, where, name, input_code)

    def entry(self, schema: Schema, value: Any, where: Where) -> None:
        """An element (or key) of a list or map against ``entry_schema`` / ``key_schema``."""
        checked, ok = self.value(schema.type, value, schema.entry_def, schema.key_def, where,
                                 None)
        if ok:
            self.constraints(schema.constraints, schema.type, checked, where, None)

    def _range(self, value: Any, where: Where, code: str) -> tuple[Any, bool]:
        if not isinstance(value, list) or len(value) != 2:
            if not isinstance(value, list | str | dict):
                raise NotNative("a range that is neither a list nor a text")
            self.report.add(code, f'"{_fmt(value)}" is not a valid range.', where)
            return value, False
        bounds: list[Any] = []
        ok = True
        for bound in value:
            if bound == UNBOUNDED:
                bounds.append(None)
            elif isinstance(bound, Number):
                bounds.append(bound)
            else:
                self.report.add(code, f'"{_fmt(bound)}" is not a numeric.', where)
                ok = False
                bounds.append(None)
        low, high = bounds
        if ok and low is not None and high is not None:
            try:
                if low > high:
                    self.report.add(code, f'"{_fmt(value)}" is not a valid range.', where)
                    ok = False
            except TypeError as exc:
                raise NotNative("a range of incomparable bounds") from exc
        return value, ok

    def data_value(self, type_name: str, value: Any, where: Where, name: str | None,
                   input_code: bool = False) -> tuple[Any, bool]:
        """A value of a data type (§3.7.6): its fields, their types and constraints."""
        if input_code:
            raise NotNative("an input of a data type")
        found = self.data_type(type_name, where)
        if found is None:
            return value, False
        fields, value_schema, own_constraints = found
        if value_schema is not None:
            checked, ok = self.value(value_schema.type, value, None, None, where, name)
            if ok:
                self.constraints(own_constraints, value_schema.type, checked, where, name)
            return checked, ok
        shown = self.data_type_name(type_name) or type_name
        if not isinstance(value, dict):
            self.report.add("tosca.type_mismatch", f'"{_fmt(value)}" must be of type '
                            f'"{shown}".', where)
            return value, False
        ok = True
        for key in value:
            if key not in fields:
                self.report.add("tosca.unknown_field", f'Data value of type "{shown}" contains '
                                f'unknown field "{key}".', at(where, key))
                ok = False
        missing = [n for n, f in fields.items() if f.required and n not in value
                   and not f.default]
        if missing:
            self.report.add("tosca.missing_field", f'Data value of type "{shown}" is missing '
                            f'required field "{missing}".', where)
            ok = False
        for key, item in value.items():
            schema = fields.get(key)
            if schema is None:
                continue
            self._field(schema, item, at(where, key))
        for key, schema in fields.items():
            if key not in value and schema.default:
                self._field(schema, schema.default, where)
        return value, ok

    def _field(self, schema: Schema, value: Any, where: Where) -> None:
        """A field of a data value: its type, then its constraints on the value as written
        (each element of a list), whether or not it had the type."""
        value = lowered(value)
        self.value(schema.type, value, schema.entry_def, schema.key_def, where, schema.name)
        if not schema.constraints:
            return
        if is_function(value):
            raise NotNative("a function as the value of a constrained data type field")
        for item in value if isinstance(value, list) else (value,):
            self.constraints(schema.constraints, schema.type, item, where, schema.name)

    # -- constraints -------------------------------------------------------------------
    def constraints(self, constraints: tuple[Constraint, ...], value_type: str, value: Any,
                    where: Where, name: str | None) -> None:
        for constraint in constraints:
            self._constraint(constraint, value_type, value, where, name)

    def _constraint(self, constraint: Constraint, value_type: str, value: Any, where: Where,
                    name: str | None) -> None:
        op, bound, shown = constraint.operator, constraint.bound, constraint.argument
        if is_function(value):
            if op == "greater_or_equal":
                return
            raise NotNative(f"a function under constraint {op!r}")
        if value_type in SCALAR_UNITS and isinstance(value, str):
            value, _problem = scalar_unit(value_type, value)
        text = _fmt(value)
        try:
            if op == "equal":
                if value != bound:
                    self.report.add("tosca.invalid", f'The value "{text}" of property "{name}" '
                                    f'is not equal to "{shown}".', where)
            elif op == "valid_values":
                allowed = bound
                ok = all(v in allowed for v in value) if isinstance(value, list) \
                    else value in allowed
                if not ok and not (isinstance(value, list) and value in allowed):
                    listed = "[" + ", ".join(str(a) for a in allowed) + "]"
                    self.report.add("tosca.invalid_value", f'The value "{text}" of property '
                                    f'"{name}" is not valid. Expected a value from "{listed}".',
                                    where)
            elif op in ("greater_than", "greater_or_equal", "less_than", "less_or_equal"):
                if value is None:
                    if op != "greater_or_equal":
                        raise NotNative(f"no value to compare for {op!r}")
                    ok = False
                else:
                    _comparable(value, bound)
                    ok = {"greater_than": lambda: value > bound,
                          "greater_or_equal": lambda: value >= bound,
                          "less_than": lambda: value < bound,
                          "less_or_equal": lambda: value <= bound}[op]()
                if not ok:
                    relation = {"greater_than": "greater than",
                                "greater_or_equal": "greater than or equal to",
                                "less_than": "less than",
                                "less_or_equal": "less than or equal to"}[op]
                    self.report.add("tosca.invalid_value", f'The value "{text}" of property '
                                    f'"{name}" must be {relation} "{shown}".', where)
            elif op == "in_range":
                low, high = bound
                for limit in (low, high):
                    if limit != UNBOUNDED:
                        _comparable(value, limit)
                if (low != UNBOUNDED and value < low) or (high != UNBOUNDED and value > high):
                    self.report.add("tosca.invalid", f'The value "{text}" of property "{name}" '
                                    f'is out of range "(min:{shown[0]}, max:{shown[1]})".', where)
            elif op in ("length", "min_length", "max_length"):
                size = len(value) if isinstance(value, str | dict | list) else None
                ok = size is not None and {"length": lambda: size == bound,
                                           "min_length": lambda: size >= bound,
                                           "max_length": lambda: size <= bound}[op]()
                if not ok:
                    relation = {"length": "be equal to", "min_length": "be at least",
                                "max_length": "be no greater than"}[op]
                    self.report.add("tosca.invalid", f'Length of value "{text}" of property '
                                    f'"{name}" must {relation} "{shown}".', where)
            elif op == "pattern":
                if not isinstance(value, str):
                    raise NotNative("a pattern on a value that is not text")
                match = bound.match(value)
                if match is None or match.end() != len(value):
                    self.report.add("tosca.invalid", f'The value "{text}" of property "{name}" '
                                    f'does not match pattern "{shown}".', where)
            else:
                raise NotNative(f"constraint {op!r}")
        except TypeError as exc:
            raise NotNative(f"values the validator cannot compare ({op})") from exc


def _entries(value: Any, *, values: bool) -> list[Any]:
    """What the validator takes as the entries of a list or map value: a map's values (or
    keys), a list's items, and, when the value has the wrong shape, whatever iterating it
    gives (the characters of a text; nothing for a number, on which the validator crashes
    after reporting it)."""
    if isinstance(value, Mapping):
        return list(value.values() if values else value.keys())
    if isinstance(value, list | str):
        return list(value)
    return []


def _comparable(value: Any, bound: Any) -> None:
    """Raise NotNative unless ``value`` and ``bound`` compare as numbers."""
    numbers = (int, float)
    if not (isinstance(value, numbers) and isinstance(bound, numbers)):
        raise NotNative("a comparison of values that are not both numbers")


def _as_text(value: Any) -> str:
    """How a value is written when a string property holds it (Python's ``str``)."""
    return str(value)
