"""Instructions per record on simplified_stca, counted with callgrind (deterministic,
unlike the clock on a shared machine): what docs/performance.md's tables quote.

    python benchmarks/instructions.py              # every part, each under valgrind
    python benchmarks/instructions.py --part decide --passes 4   # one run (valgrind calls this)

Each part runs in its own process under `valgrind --tool=callgrind`: the records are
made and everything is built and run once (warm), then `--passes` passes over the 500
records are counted. The same process with no passes is subtracted, so a figure is
the cost of the passes alone (the calling loop included), divided by passes × records.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECORDS = 500
PASSES = 4
SEED = 20240501           # benchmarks/run.py's


def _parts(policy, raw: list) -> dict:
    """name -> one pass over the records (a function of no argument)."""
    from rulelang.records import validate_dict

    record_type = policy.program.input_type
    values = [validate_dict(r, record_type).value for r in raw]
    decide = policy.compiled.decide
    transient = policy._transient()

    def compiled_decide():
        for value in values:
            decide(value)

    def transient_validator():
        for record in raw:
            transient(record)

    def validate_and_decide():
        for record in raw:
            decide(validate_dict(record, record_type).value)

    reader = policy._fused_reader()

    def reader_alone():              # evaluate_many's reader (checks and decision), called
        for record in raw:           # without evaluate_many's generator around it
            reader(record, None, None)

    def evaluate_many():
        for _ in policy.evaluate_many(raw):
            pass

    return {"decide": compiled_decide, "transient": transient_validator,
            "validate_dict+decide": validate_and_decide, "reader": reader_alone,
            "evaluate_many": evaluate_many}


def run_part(part: str, passes: int) -> None:
    sys.path.insert(0, str(HERE))
    import rulelang
    from run import SIMPLIFIED, simplified_records

    policy = rulelang.load(str(SIMPLIFIED))
    raw = simplified_records(RECORDS, SEED, policy.program.input_type)
    one_pass = _parts(policy, raw)[part]
    one_pass()                       # warm: compiled code, date cache, validators
    for _ in range(passes):
        one_pass()


def count(part: str, passes: int) -> int:
    """Instructions of the process that runs `part` `passes` times."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        sys.executable, __file__, "--part", part, "--passes", str(passes)],
                       env=env, check=True, capture_output=True)
        with open(out) as f:
            return int(re.search(r"^summary: (\d+)", f.read(), re.M).group(1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", help="run this part in this process (no valgrind)")
    parser.add_argument("--passes", type=int, default=PASSES)
    parser.add_argument("parts", nargs="*", help="count only these parts")
    args = parser.parse_args(argv)
    if args.part:
        run_part(args.part, args.passes)
        return 0
    figures = {}
    for part in args.parts or ["decide", "transient", "validate_dict+decide", "reader", "evaluate_many"]:
        figures[part] = (count(part, args.passes) - count(part, 0)) / (args.passes * RECORDS)
        print(f"{part:<24} {figures[part] / 1000:6.1f}k instructions a record", flush=True)
    if {"evaluate_many", "decide"} <= figures.keys():
        print(f"{'evaluate_many ÷ decide':<24} {figures['evaluate_many'] / figures['decide']:6.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
