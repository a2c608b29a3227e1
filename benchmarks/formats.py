"""The same records as Parquet, CSV and JSON Lines: `rulelang run stdlib:all ...
--format summary` on each, timed, and the three summaries compared (issue 12:
"a 100,000-record Parquet run and its CSV/JSONL twins give identical summaries").

    python benchmarks/formats.py                 # 100,000 records in a temporary folder
    python benchmarks/formats.py --records 20000 --keep /tmp/cases

Wall time and peak memory (GNU time's %M) per format; exit 1 if the summaries
differ.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="write the inputs here and keep them")
    parser.add_argument("--group-by", default="claim_date:year")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="rulelang-formats-"))
    started = time.perf_counter()
    paths = synthetic.write_all(args.records, folder)
    print(f"wrote {args.records:,} records in {time.perf_counter() - started:.1f} s to {folder}")
    outputs = {}
    print(f"{'format':<8} {'file size':>14} {'wall':>8} {'records/s':>10} {'peak RSS':>10}  summary sha256")
    for kind in ("parquet", "csv", "jsonl"):
        path = paths[kind]
        out, err = folder / f"summary.{kind}.json", folder / f"stderr.{kind}.txt"
        started = time.perf_counter()
        peak_file = folder / f"peak.{kind}.txt"
        # GNU time reports the child's own peak (a fork's ru_maxrss counts the parent's pages)
        timer = ["/usr/bin/time", "-f", "%M", "-o", str(peak_file)] if Path("/usr/bin/time").exists() else []
        with out.open("wb") as stdout, err.open("wb") as stderr:
            code = subprocess.call(timer + [sys.executable, "-m", "rulelang.cli", "run", "stdlib:all",
                                            str(path), "--format", "summary", "--summary-format", "json",
                                            "--group-by", args.group_by], stdout=stdout, stderr=stderr)
        wall = time.perf_counter() - started
        if code not in (0, 1):
            print(err.read_text()[-2000:])
            return 2
        peak = f"{int(peak_file.read_text().split()[-1]) / 1024:.0f}MB" if timer else "?"
        outputs[kind] = out.read_bytes()
        digest = hashlib.sha256(outputs[kind]).hexdigest()[:16]
        print(f"{kind:<8} {path.stat().st_size:>14,} {wall:>7.1f}s {args.records / wall:>10,.0f} "
              f"{peak:>10}  {digest}")
    same = outputs["parquet"] == outputs["csv"] == outputs["jsonl"]
    print("summaries identical" if same else "SUMMARIES DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
