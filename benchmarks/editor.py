"""How quickly the tools answer a person: the language server's work per keystroke
and per request, the deep check, and the workbench's decision per case.

    python benchmarks/editor.py            # every shipped file
    python benchmarks/editor.py --quick    # three files, fewer repeats (a smoke run)

Each figure is the median of repeated runs in this process's CPU time (one
core; the machine is noisy). The baseline beside each is the work it wraps,
timed the same way in the same run, so the ratio is what the tool adds:

- a keystroke: `lsp.analysis.analyse` (parse and check the edited text with its
  imports) against `rulelang.check` on the same text (the pipeline alone);
- a request: hover, definition, completion after `case.`, semantic tokens of
  the whole file, against nothing (they read the analysis);
- the deep check of each agreement file, against its plain check;
- the workbench's `/api/decide` answer (service.decide: validation, decisions
  with traces, reasons, facts to collect) against `Policy.evaluate(trace=True)`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import rulelang
from rulelang.lsp import completion, describe, places
from rulelang.lsp.analysis import analyse, deepened
from rulelang.lsp.tokens import semantic_tokens
from rulelang.resources import stdlib_dir
from rulelang.web import service

CLOCK = time.process_time
ROOT = Path(__file__).resolve().parent.parent


def median_ms(work, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = CLOCK()
        work()
        times.append(CLOCK() - started)
    return statistics.median(times) * 1000


def editor_rows(files: list[Path], repeats: int) -> list[tuple]:
    rows = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        # a keystroke: each run's text differs from every one parsed before (a parse is
        # kept per text; the files it imports are unchanged, and kept, as when typing)
        edits = (f"{text}\n# {i}" for i in range(10**9))
        check = median_ms(lambda: rulelang.check(next(edits)), repeats)
        keystroke = median_ms(lambda: analyse(next(edits), str(path), path), repeats)
        analysis = analyse(text, str(path), path)
        names = [t for t in semantic_tokens(analysis) if t.type not in ("keyword", "comment",
                                                                       "string", "number")]
        sample = names[:: max(1, len(names) // 50)] or names

        def hovers():
            for token in sample:
                place = places.place_at(analysis.program, analysis.module, token.start)
                if place is not None:
                    describe.describe(analysis.program, place.target, place.path[-1])
                    if place.target is not None:
                        places.definition(analysis.program, place.target)
        hover = median_ms(hovers, repeats) / max(1, len(sample))
        typing = text + "\nrule probe: bool? = case."
        complete = median_ms(lambda: completion.completions(analysis, typing, len(typing)), repeats)
        colours = median_ms(lambda: semantic_tokens(analysis), repeats)
        deep = median_ms(lambda: deepened(analyse(text, str(path), path)), max(1, repeats // 3))
        rows.append((path.name, len(text), check, keystroke, hover, complete, colours, deep))
    return rows


def workbench_rows(records: list[dict], repeats: int) -> tuple[float, float]:
    policy = rulelang.load("stdlib:all")
    api = median_ms(lambda: [policy.evaluate(r, trace=True) for r in records], repeats) / len(records)
    page = median_ms(lambda: [service.decide(policy, {"record": r}) for r in records],
                     repeats) / len(records)
    return api, page


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three files, three repeats")
    args = parser.parse_args(argv)
    files = sorted(p for p in stdlib_dir().glob("*.rules"))
    repeats = 3 if args.quick else 9
    if args.quick:
        files = [p for p in files if p.stem in ("common", "stca_us", "mpp")]
    rows = editor_rows(files, repeats)
    print(f"{'file':<32}{'chars':>8}{'check ms':>10}{'keystroke':>11}{'× check':>9}"
          f"{'hover ms':>10}{'complete':>10}{'colours':>9}{'deep ms':>9}")
    for name, chars, check, key, hover, complete, colours, deep in rows:
        print(f"{name:<32}{chars:>8,}{check:>10.1f}{key:>11.1f}{key / check:>9.2f}"
              f"{hover:>10.2f}{complete:>10.2f}{colours:>9.1f}{deep:>9.0f}")
    keys = [row[3] for row in rows]
    print(f"keystroke: median {statistics.median(keys):.1f} ms, worst {max(keys):.1f} ms "
          f"({rows[keys.index(max(keys))][0]})")
    records = [json.loads(line) for line in (ROOT / "examples/cases/sample.jsonl").read_text().splitlines()
               if line.strip()][: 20 if args.quick else 115]
    api, page = workbench_rows(records, repeats)
    print(f"workbench /api/decide: {page:.2f} ms a case; Policy.evaluate(trace=True): {api:.2f} ms "
          f"({page / api:.2f} × the API it wraps)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
