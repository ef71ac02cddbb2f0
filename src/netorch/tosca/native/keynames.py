"""Keynames the tosca-parser path accepts in each part of a template (TOSCA Simple Profile YAML
1.3 §3.6-§3.9; where it differs from the standard, the native validator follows it: e.g. it
also takes ``metadata``, ``copy``, ``node_filter`` and ``directives`` on node templates, an
output's 1.3 ``type`` is dropped before it looks, and ``namespace`` at the top)."""

from __future__ import annotations

TEMPLATE_KEYS = frozenset({
    "tosca_definitions_version", "tosca_default_namespace", "template_name",
    "topology_template", "template_author", "template_version", "description", "imports",
    "dsl_definitions", "node_types", "relationship_types", "relationship_templates",
    "capability_types", "artifact_types", "data_types", "interface_types", "policy_types",
    "group_types", "repositories", "metadata", "namespace"})
IMPORTED_KEYS = frozenset({
    "tosca_definitions_version", "description", "imports", "dsl_definitions", "node_types",
    "repositories", "data_types", "artifact_types", "group_types", "relationship_types",
    "capability_types", "interface_types", "policy_types", "topology_template", "metadata",
    "namespace"})
VALIDATOR_VERSIONS = frozenset({"tosca_simple_yaml_1_0", "tosca_simple_yaml_1_2",
                                "tosca_simple_yaml_1_3", "tosca_simple_profile_for_nfv_1_0_0",
                                "tosca_simple_profile_for_mec_1_0_0"})
TOPOLOGY_KEYS = frozenset({"description", "inputs", "node_templates", "relationship_templates",
                           "outputs", "groups", "substitution_mappings", "policies"})
NODE_TEMPLATE_KEYS = frozenset({"derived_from", "properties", "requirements", "interfaces",
                                "capabilities", "type", "description", "directives",
                                "attributes", "artifacts", "node_filter", "copy", "metadata"})
REQUIREMENT_KEYS = frozenset({"node", "capability", "relationship", "occurrences",
                              "node_filter"})
INPUT_KEYS = frozenset({"type", "description", "default", "constraints", "required", "status",
                        "key_schema", "entry_schema"})
OUTPUT_KEYS = frozenset({"description", "value", "type"})
POLICY_KEYS = frozenset({"type", "metadata", "description", "properties", "targets",
                         "triggers", "reservation"})
GROUP_KEYS = frozenset({"type", "metadata", "description", "properties", "members",
                        "interfaces", "attributes"})
SUBSTITUTION_KEYS = frozenset({"node_type", "requirements", "capabilities", "properties",
                               "attributes", "interfaces", "substitution_filter"})
OPERATION_KEYS = frozenset({"implementation", "inputs", "outputs"})
TRIGGER_KEYS = frozenset({"description", "event_type", "event", "schedule", "metric",
                          "metadata", "target_filter", "condition", "action"})
CONDITION_KEYS = frozenset({"constraint", "granularity", "evaluations", "aggregation_method",
                            "threshold", "comparison_operator", "resource_type", "state"})
REPOSITORY_KEYS = frozenset({"description", "url", "credential"})
TOPOLOGY = "topology_template"
