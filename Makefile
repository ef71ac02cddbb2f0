# Developer shortcuts. The test entry point is scripts/run-tests.sh (CI runs it).
PYTHON ?= python3

.PHONY: yang
yang:  ## regenerate the pyangbind bindings from yang/ (commit the result)
	PYTHON=$(PYTHON) bash scripts/gen-yang.sh
