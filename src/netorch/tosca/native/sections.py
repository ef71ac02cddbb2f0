"""The other parts of a topology template as the tosca-parser path checks them: inputs
(§3.6.14), outputs (§3.6.15), groups (§3.8.5), policies and their types (§3.8.6, §3.7.12,
TOSCA 1.0 triggers), repositories (§3.6.5) and substitution mappings (§3.8.13)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

from netorch.tosca.compat import is_tosca_1_3_trigger
from netorch.tosca.native.context import TopologyContext
from netorch.tosca.native.errors import NotNative, Where, at
from netorch.tosca.native.keynames import (
    CONDITION_KEYS,
    GROUP_KEYS,
    INPUT_KEYS,
    OUTPUT_KEYS,
    POLICY_KEYS,
    REPOSITORY_KEYS,
    SUBSTITUTION_KEYS,
    TRIGGER_KEYS,
)
from netorch.tosca.native.typeinfo import GROUP_TYPE_KEYS, POLICY_TYPE_KEYS
from netorch.tosca.native.values import PRIMITIVE_TYPES, version_problem
from netorch.tosca.yaml_doc import YamlDocument


class SectionChecks(TopologyContext):
    """The checks of a topology's inputs, outputs, groups, policies and mappings."""

    def check_inputs(self) -> None:
        given = self.given
        for name, definition in self.inputs.items():
            where = self.where("inputs", name)
            if not isinstance(definition, dict):
                raise NotNative(f"input {name!r} is not a map")
            for key in definition:
                if key not in INPUT_KEYS:
                    self.report.add("tosca.unknown_field", f'Input "{name}" contains unknown '
                                    f'field "{key}".', at(where, key))
            value_type = definition.get("type")
            if value_type not in PRIMITIVE_TYPES:
                raise NotNative(f"input {name!r} of type {value_type}")
            if given and name in given:
                value = given[name]
            else:
                value = definition.get("default")
                if not value:
                    continue
            if value is not None:
                self.values.value(str(value_type), value, None, None, where, str(name),
                                  input_code=True)

    def check_outputs(self) -> None:
        outputs = self.topology.get("outputs")
        for name, output in (outputs.items() if isinstance(outputs, dict) else ()):
            where = self.where("outputs", name)
            if not isinstance(output, dict):
                raise NotNative(f"output {name!r} is not a map")
            if output.get("value") is None:
                self.report.add("tosca.missing_field", f'Output "{name}" is missing required '
                                'field "value".', where)
            for key in output:
                if key not in OUTPUT_KEYS:
                    self.report.add("tosca.unknown_field", f'Output "{name}" contains unknown '
                                    f'field "{key}".', at(where, key))
            self.functions.check(output.get("value"), None, at(where, "value"), outputs=True)

    def check_groups(self) -> None:
        groups = self.topology.get("groups")
        for name, group in (groups.items() if isinstance(groups, dict) else ()):
            where = self.where("groups", name)
            if not isinstance(group, dict):
                raise NotNative(f"group {name!r} is not a map")
            self.entity(str(name), group, where)
            members = group.get("members")
            if members is not None:
                if not isinstance(members, list):
                    raise NotNative("group members that are not a list")
                if not members or len(members) != len(set(map(str, members))):
                    self.report.add("tosca.invalid_group_target", f'"Member nodes "{members}" '
                                    'should be >= 1 and not repeated"', at(where, "members"))
            group_type = self.registry.canonical("group_types", group.get("type"))
            if group_type is None:
                raise NotNative(f"group {name!r} has a type the registry does not know")
            definition = self.registry.definition("group_types", group_type) or {}
            if "metadata" in definition:
                self.type_metadata(definition["metadata"], "group", where)
            for code, message in self.types.keys_problems("group_types", group_type,
                                                          GROUP_TYPE_KEYS, "Group Type"):
                self.report.add(code, message, where)
            if "metadata" in group and not isinstance(group["metadata"], Mapping):
                self.report.add("tosca.invalid_value", f'"{group["metadata"]}" is not a map.',
                                at(where, "metadata"))
            for key in group:
                if key not in GROUP_KEYS:
                    self.report.add("tosca.unknown_field", f'Groups "{name}" contains unknown '
                                    f'field "{key}".', at(where, key))

    def check_policies(self) -> None:
        policies = self.topology.get("policies")
        for index, entry in enumerate(policies if isinstance(policies, list) else ()):
            if not isinstance(entry, dict) or len(entry) != 1:
                raise NotNative("a policy entry that is not a single-entry map")
            name, policy = next(iter(entry.items()))
            where = self.where("policies", index, name)
            if not isinstance(policy, dict):
                raise NotNative(f"policy {name!r} is not a map")
            self.entity(str(name), policy, where)
            self.triggers(policy.get("triggers"), at(where, "triggers"))
            if "reservation" in policy:
                raise NotNative("a policy reservation")
            if "metadata" in policy and not isinstance(policy["metadata"], Mapping):
                self.report.add("tosca.invalid_value", f'"{policy["metadata"]}" is not a map.',
                                at(where, "metadata"))
            for key in policy:
                if key not in POLICY_KEYS:
                    self.report.add("tosca.unknown_field", f'Policy "{name}" contains unknown '
                                    f'field "{key}".', at(where, key))
            policy_type = self.registry.canonical("policy_types", policy.get("type"))
            if policy_type is None:
                raise NotNative(f"policy {name!r} has a type the registry does not know")
            self.policy_type(policy_type, where)
            properties = self.types.property_set(
                self.registry.property_definitions("policy_types", policy_type),
                "policy_types", self.registry.chain("policy_types", policy_type))
            self.properties(str(name), policy.get("properties"), properties, where)

    def type_metadata(self, metadata: Any, kind: str, where: Where) -> None:
        """A group or policy type's ``metadata`` as the validator reads it: a ``map`` schema
        whose entries are strings (a plain map of strings, which TOSCA 1.3 §3.7.1 means, is
        refused by it: left to the tosca-parser path)."""
        if not isinstance(metadata, dict) or metadata.get("type") not in ("map", "tosca:map"):
            raise NotNative(f"a {kind} type with metadata")
        for key, value in metadata.items():
            if isinstance(value, dict) and value.get("type") != "string":
                self.report.add("tosca.unknown_type", f'Type ""{value.get("type")}" defined in '
                                f'{kind} for metadata "{key}"" is not a valid type.', where)

    def triggers(self, triggers: Any, where: Where) -> None:
        """TOSCA 1.0 trigger definitions of a policy (1.3 ones are netorch's to check,
        :func:`netorch.tosca.compat.check_triggers`): known keynames, and a condition of known
        keynames whose counts are integers and threshold a number."""
        if not triggers:
            return
        if not isinstance(triggers, dict):
            raise NotNative("triggers that are not a map")
        for name, trigger in triggers.items():
            if is_tosca_1_3_trigger(trigger):
                continue
            twhere = at(where, name)
            if not isinstance(trigger, dict) or not isinstance(trigger.get("condition"), dict):
                raise NotNative("a TOSCA 1.0 trigger without a condition map")
            for key in trigger:
                if key not in TRIGGER_KEYS:
                    self.report.add("tosca.unknown_field", f'Triggers "{name}" contains unknown '
                                    f'field "{key}".', at(twhere, key))
            for key, value in trigger["condition"].items():
                if key not in CONDITION_KEYS:
                    self.report.add("tosca.unknown_field", f'Triggers "{name}" contains unknown '
                                    f'field "{key}".', at(twhere, "condition", key))
                elif key in ("granularity", "evaluations"):
                    self.values.value("integer", value, None, None, at(twhere, "condition", key),
                                      key)
                elif key == "threshold":
                    self.values.value("number", value, None, None, at(twhere, "condition", key),
                                      key)

    def repositories(self, doc: YamlDocument) -> None:
        """Repository definitions (§3.6.5): known keynames and a URL."""
        data = doc.data if isinstance(doc.data, dict) else {}
        repositories = data.get("repositories")
        for name, definition in (repositories.items() if isinstance(repositories, dict)
                                 else ()):
            if not isinstance(definition, dict):
                continue
            where = (doc, ("repositories", name))
            if "url" not in definition:
                raise NotNative("a repository without a url")  # the validator crashes on it
            for key in definition:
                if key not in REPOSITORY_KEYS:
                    self.report.add("tosca.unknown_field", f'repositories "{name}" contains '
                                    f'unknown field "{key}".', at(where, key))
            url = definition["url"]
            if not isinstance(url, str):
                raise NotNative("a repository url that is not text")
            parsed = urllib.parse.urlparse(url)
            if parsed.scheme != "file" and not (parsed.scheme and parsed.netloc):
                self.report.add("import.not_found", f'repsositories "{name}" Invalid Url',
                                at(where, "url"))

    def policy_type(self, policy_type: str, where: Where) -> None:
        chain = self.registry.chain("policy_types", policy_type)
        if chain[-1] != "tosca.policies.Root":
            raise NotNative(f"policy type {policy_type} does not derive from tosca.policies.Root")
        for name in chain:
            definition = self.registry.definition("policy_types", name) or {}
            if "metadata" in definition:
                self.type_metadata(definition["metadata"], "policy", where)
            triggers = definition.get("triggers")
            if triggers and not (isinstance(triggers, dict) and
                                 all(is_tosca_1_3_trigger(t) for t in triggers.values())):
                raise NotNative("TOSCA 1.0 triggers in a policy type")
            props = definition.get("properties")
            if props is not None and not isinstance(props, dict):
                raise NotNative(f"the properties of policy type {name} are not a map")
            for code, message in self.types.keys_problems("policy_types", name,
                                                          POLICY_TYPE_KEYS, "Policy"):
                self.report.add(code, message, where)
            if "version" in definition and version_problem(definition["version"]):
                self.report.add("tosca.invalid_value", f'Value of TOSCA version property '
                                f'"{definition["version"]}" is invalid.', where)
            targets = definition.get("targets")
            if targets is not None:
                if not isinstance(targets, list):
                    raise NotNative("policy type targets that are not a list")
                for target in targets:
                    if self.registry.canonical("node_types", target) is None and \
                            self.registry.canonical("group_types", target) is None:
                        self.report.add("tosca.unknown_type", f'Type ""{target}" defined in '
                                        f'targets for policy "{name}"" is not a valid type.',
                                        where)

    def check_substitution(self, mapping: Any) -> None:
        where = self.where("substitution_mappings")
        if not isinstance(mapping, dict):
            raise NotNative("substitution mappings that are not a map")
        for key in mapping:
            if key not in SUBSTITUTION_KEYS:
                self.report.add("tosca.unknown_field", f'SubstitutionMappings contains unknown '
                                f'field "{key}".', at(where, key))
        if mapping.get("substitution_filter"):
            raise NotNative("a substitution filter is checked by tosca-parser")
        node_type = mapping.get("node_type")
        if not isinstance(node_type, str) or ":" in node_type:
            raise NotNative("a substituted node type the validator names otherwise")
        canonical = self.registry.canonical("node_types", node_type)
        if canonical is None:
            raise NotNative(f"substituted node type {node_type!r} is unknown")
        if not self.registry.is_custom(node_type):
            if canonical == node_type or canonical.startswith("tosca."):
                self.report.add("tosca.unknown_type", f'Node type "{node_type}" is not a valid '
                                'type.', at(where, "node_type"))
                return
            raise NotNative(f"substituted node type {node_type!r} spelt otherwise")
        info = self.types.node(canonical)
        shown = f"SubstitutionMappings with node_type {node_type}"
        for prop in info.properties.required:
            if prop not in self.inputs:
                self.report.add("tosca.substitution_missing_input", f'{shown} is missing '
                                f'required input definition of input "{prop}".', where)
        if self.parent is not None and self.substituted is not None:
            for prop in self.parent.functions.properties_of(self.substituted):
                if prop not in self.inputs and prop in info.properties.schemas:
                    self.report.add("tosca.substitution_missing_input", f'{shown} is missing '
                                    f'required input definition of input "{prop}".', where)
        for input_name, definition in self.inputs.items():
            if input_name in info.properties.schemas:
                continue
            if not isinstance(definition, dict) or definition.get("default") is None:
                self.report.add("tosca.substitution_missing_input", f'{shown} is missing '
                                f'required default value of input "{input_name}".',
                                self.where("inputs", input_name))
        outputs = self.topology.get("outputs")
        for output in outputs if isinstance(outputs, dict) else ():
            if output not in info.attributes:
                self.report.add("tosca.unknown_output", f'Unknown output "{output}" in {shown}.',
                                self.where("outputs", output))
