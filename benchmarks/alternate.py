"""`evaluate_many` ÷ the compiled decide on simplified_stca, timed in alternation: a
pass of one, then a pass of the other, nine times over benchmarks/run.py's records,
so that a change of load on a shared machine weighs on both alike (run.py times its
rows a minute apart: it now times these two rows so too, with the same function).
CPU time; the median of the nine ratios.

    python benchmarks/alternate.py [--records N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rulelang  # noqa: E402
from run import (ALTERNATIONS, SIMPLIFIED, is_complete, simplified_records, time_alternating,  # noqa: E402
                 validated)

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args(argv)
    policy = rulelang.load(str(SIMPLIFIED))
    record_type = policy.program.input_type
    raw = simplified_records(args.records, 20240501, record_type)
    values = validated(raw, record_type)
    known = [is_complete(v) for v in values]
    sets = {"every fact known": ([v for v, k in zip(values, known) if k], [r for r, k in zip(raw, known) if k]),
            "all records": (values, raw)}
    decide = policy.compiled.decide

    def decide_all(items):
        for value in items:
            decide(value)

    def evaluate_many(items):
        for _ in policy.evaluate_many(items):
            pass

    for name, (decided, read) in sets.items():
        first, second, ratio = time_alternating(decide_all, evaluate_many, decided, read, ALTERNATIONS)
        print(f"{name} ({len(read):,}): compiled decide {first:.2f} µs, evaluate_many {second:.2f} µs, "
              f"ratio {ratio:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
