"""A smoke run of benchmarks/run.py: it runs, prints its tables, and compiled rulelang
agrees with the hand-written baseline. Timings are not asserted (see docs/performance.md)."""

import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def test_benchmark_quick_run():
    proc = subprocess.run([sys.executable, str(RUN), "--quick", "--skip-peers", "--skip-stream"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "engine" in out and "µs/record" in out and "× baseline" in out
    assert "check: compiled rulelang vs baseline: 0 mismatches" in out
    assert out.count("check: compiled rulelang vs baseline: 0 mismatches") == 2  # both policies
