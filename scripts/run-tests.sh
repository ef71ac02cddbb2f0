#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what the tests need, then runs the static
# checks (ruff, mypy --strict, import-linter) and every test (unit, component, integration,
# conformance). PostgreSQL is expected at NETORCH_TEST_PG (default: postgres@127.0.0.1:5432/test).
set -uo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
echo "== installing netorch with its test extras"
"$PY" -m pip install --quiet --disable-pip-version-check -e '.[test]' || exit 1

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
