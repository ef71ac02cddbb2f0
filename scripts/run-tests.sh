#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need, then runs the static
# checks (ruff, mypy --strict, import-linter) and every test (unit, component, integration,
# conformance). PostgreSQL is expected at NETORCH_TEST_PG (default: postgres@127.0.0.1:5432/test).
set -uo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
echo "== installing netorch with its test extras"
"$PY" -m pip install --quiet --disable-pip-version-check -e '.[test]' || exit 1

# The lab (netorch lab up; tests/integration/lab_fixture.py) runs real daemons (docs/lab.md).
# As root on Debian/Ubuntu, install what is missing; otherwise say what the lab cannot start.
LAB_PKGS="netconfd netconfd-module-ietf-interfaces openssh-server snmpd snmp iproute2 iputils-ping"
lab_missing=""
for bin in netconfd netconf-subsystem sshd snmpd snmpget ip ping; do
    PATH="$PATH:/usr/sbin:/sbin" command -v "$bin" >/dev/null 2>&1 || lab_missing="$lab_missing $bin"
done
if [ -z "$lab_missing" ] && ! ls /usr/share/yuma/modules/ietf/ietf-interfaces*.yang >/dev/null 2>&1; then
    lab_missing=" ietf-interfaces(yang)"
fi
if [ -n "$lab_missing" ]; then
    echo "== lab: missing$lab_missing"
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        export DEBIAN_FRONTEND=noninteractive
        # shellcheck disable=SC2086
        apt-get install -y --no-install-recommends $LAB_PKGS \
            || { apt-get update && apt-get install -y --no-install-recommends $LAB_PKGS; } \
            || echo "== lab: apt-get install failed; the lab cannot start:$lab_missing"
    else
        echo "== lab: not root or no apt-get; the lab cannot start:$lab_missing" \
             "(needs: $LAB_PKGS, and root); its tests will skip"
    fi
fi

# fake-switches (a Cisco IOS-like SSH device for the CLI driver's cisco_ios platform) pins a
# Twisted that does not build on Python 3.11: it gets a virtualenv of its own, --no-deps, with a
# current Twisted (docs/lab.md).
FSW_VENV=${NETORCH_FSW_VENV:-$HOME/.cache/netorch/venv-fsw}
if [ ! -x "$FSW_VENV/bin/fake-switches" ]; then
    echo "== lab: fake-switches into $FSW_VENV"
    { "$PY" -m venv "$FSW_VENV" \
        && "$FSW_VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps 'fake-switches==1.5.0' \
        && "$FSW_VENV/bin/pip" install --quiet --disable-pip-version-check 'twisted[conch]' netaddr tftpy lxml; } \
        || echo "== lab: fake-switches could not be installed; the cisco_ios device tests will skip"
fi
[ -x "$FSW_VENV/bin/fake-switches" ] && export NETORCH_FAKESWITCHES="$FSW_VENV/bin/fake-switches"

failed=0
echo "== ruff";          "$PY" -m ruff check . || failed=1
echo "== mypy --strict"; "$PY" -m mypy || failed=1
echo "== import-linter"; lint-imports || failed=1

echo "== pytest"
"$PY" -m pytest -q -p no:cacheprovider "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests"; rc=0
fi
[ "$rc" -ne 0 ] && failed=1
exit "$failed"
