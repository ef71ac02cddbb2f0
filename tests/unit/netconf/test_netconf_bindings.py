"""The committed pyangbind bindings are what scripts/gen-yang.sh makes from yang/ now."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import REPO
from netorch.drivers.netconf import yang_path

BINDINGS = REPO / "src" / "netorch" / "drivers" / "netconf" / "bindings"


def test_committed_bindings_are_not_stale(tmp_path: Path) -> None:
    out = tmp_path / "bindings"
    subprocess.run(["bash", str(REPO / "scripts" / "gen-yang.sh"), str(out)], check=True,
                   capture_output=True, env={**os.environ, "PYTHON": sys.executable})
    generated = sorted(p.name for p in out.glob("*.py"))
    assert generated == sorted(p.name for p in BINDINGS.glob("*.py"))
    stale = [name for name in generated
             if (out / name).read_bytes() != (BINDINGS / name).read_bytes()]
    assert not stale, f"bindings out of date, run `make yang`: {stale}"


def test_yang_path_holds_the_modules_and_they_compile() -> None:
    path = yang_path()
    modules = sorted(p.name for p in path.glob("*.yang"))
    assert modules == ["netorch-l3vpn.yang", "netorch-service-chain.yang"]
    result = subprocess.run([sys.executable, "-m", "pyang", "-p", str(path),
                             *(str(path / m) for m in modules)],
                            capture_output=True, text=True)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
