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


def test_file_to_file_quick_run_with_the_bound():
    """benchmarks/file_to_file.py on a small CSV file: it runs, the command line agrees
    with the hand-written query, and the bound is printed (figures not asserted)."""
    script = RUN.parent / "file_to_file.py"
    proc = subprocess.run([sys.executable, str(script), "--records", "2000", "--repeats", "1", "--format", "csv",
                           "--bound"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert " csv:" in out and " parquet:" not in out and " jsonl:" not in out
    assert "rulelang, reading and checking" in out and "best ratio reachable (CPU)" in out
    assert "decisions that differ from the baseline's: 0" in out


def test_editor_benchmark_quick_run():
    """benchmarks/editor.py: it runs and prints its table (figures not asserted)."""
    script = RUN.parent / "editor.py"
    proc = subprocess.run([sys.executable, str(script), "--quick"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "keystroke: median" in proc.stdout and "stca_us.rules" in proc.stdout
    assert "× the API it wraps" in proc.stdout
