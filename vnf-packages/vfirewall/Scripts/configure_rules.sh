#!/bin/sh
# Vnflcm instantiate_end hook of the vFirewall: push the initial rule set to every
# packet-filter VDU through the management VDU's API.
#   $1  management address of the vfirewall-mgmt VDU
#   $2  default policy (drop | accept)
set -eu
mgmt="$1"
policy="${2:-drop}"
curl --fail --silent --show-error \
     --header 'Content-Type: application/json' \
     --data "{\"default_policy\": \"${policy}\"}" \
     "https://${mgmt}/api/v1/rules/default"
