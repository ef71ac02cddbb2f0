"""The shared corpus's conformance results, summed up at the end of the session.

``test_corpus.py`` records one outcome per entry through the :func:`record_outcome` fixture;
this plugin prints a ``kind x outcome`` table in the terminal summary (visible with
``pytest -q`` too), then the valid entries rejected on purpose, one per line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

DELIBERATE_OUTCOME = "valid, rejected on purpose"
OUTCOMES: tuple[str, ...] = ("loaded", "rejected as expected", DELIBERATE_OUTCOME,
                             "xfail (stretch)", "FAILED")
_RESULTS: pytest.StashKey[dict[str, tuple[str, str]]] = pytest.StashKey()


@pytest.fixture
def record_outcome(request: pytest.FixtureRequest) -> Callable[[str, str, str], None]:
    """``record(entry_id, kind, outcome)``: note the outcome of one corpus entry."""
    config = request.config

    def record(entry_id: str, kind: str, outcome: str) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        config.stash.setdefault(_RESULTS, {})[entry_id] = (kind, outcome)

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            exitstatus: int, config: pytest.Config) -> None:
    results = config.stash.get(_RESULTS, {})
    if not results:
        return
    counts = Counter(results.values())
    kinds = sorted({kind for kind, _ in results.values()})
    width = max(len(k) for k in (*kinds, "kind", "total"))
    columns = [o for o in OUTCOMES if any(counts[(k, o)] for k in kinds)]
    header = "  ".join([f"{'kind':<{width}}", *(f"{o:>{len(o)}}" for o in columns), "total"])
    terminalreporter.section("shared corpus conformance")
    terminalreporter.write_line(header)
    for kind in kinds:
        cells = [f"{counts[(kind, o)]:>{len(o)}}" for o in columns]
        total = sum(counts[(kind, o)] for o in OUTCOMES)
        terminalreporter.write_line("  ".join([f"{kind:<{width}}", *cells, f"{total:>5}"]))
    cells = [f"{sum(counts[(k, o)] for k in kinds):>{len(o)}}" for o in columns]
    terminalreporter.write_line("  ".join([f"{'total':<{width}}", *cells,
                                           f"{len(results):>5}"]))
    deliberate = sorted(entry for entry, (_k, o) in results.items() if o == DELIBERATE_OUTCOME)
    terminalreporter.write_line(f"{DELIBERATE_OUTCOME}: {len(deliberate)}")
    for entry in deliberate:
        terminalreporter.write_line(f"  {entry}")
    failed = sorted(entry for entry, (_k, o) in results.items() if o == "FAILED")
    for entry in failed:
        terminalreporter.write_line(f"FAILED: {entry}")
