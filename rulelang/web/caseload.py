"""A caseload decided in the workbench: a file of records (JSON Lines, JSON, CSV
or Parquet, gzip too) run through the same batch as `rulelang report`, answered
with the report's page (outcomes per agreement and over time, the facts most
often missing, the exceptions, the groups) and the first invalid records.

The upload is written to a temporary file as it arrives (a caseload can be
larger than memory), read by the records reader that `rulelang run` uses, and
removed when the run is done.
"""

from __future__ import annotations

import datetime as _dt
import os
import tempfile
from pathlib import Path

import attrs
from starlette.concurrency import run_in_threadpool

from rulelang import api
from rulelang.batch import Events, Options, run
from rulelang.records import InputError, open_records
from rulelang.views.report import render_report
from rulelang.views.summary import Tally, parse_group_by

KINDS = {".jsonl": ".jsonl", ".ndjson": ".jsonl", ".json": ".json", ".csv": ".csv",
         ".parquet": ".parquet"}
SHOWN_INVALID = 20  # invalid records listed on the page (all are counted)
MAX_UPLOAD = 2 * 2**30  # bytes


@attrs.frozen
class Caseload:
    status: int
    error: str | None = None
    report: str | None = None          # the report's HTML page
    records: int = 0
    invalid: int = 0
    first_invalid: tuple[str, ...] = ()


def suffix_of(filename: str) -> str | None:
    """The file's kind from its name (`.jsonl`, `.csv.gz`, ...), or None."""
    name = filename.lower()
    gzip = name.endswith(".gz")
    kind = KINDS.get(Path(name[:-3] if gzip else name).suffix)
    return None if kind is None else kind + (".gz" if gzip else "")


def _named(message: str, path: str, filename: str) -> str:
    """A reader's message about the temporary file, naming the upload instead."""
    return message.replace(path, filename)


async def decide_caseload(policy: api.Policy, chunks, filename: str, as_of: _dt.date | None,
                          assume: str | None, group_by: str | None) -> Caseload:
    """Decide the records of an upload (`chunks`: its bytes, as they arrive)."""
    suffix = suffix_of(filename)
    if suffix is None:
        return Caseload(415, f"`{filename}` is not a file of records: name it .jsonl, .json, "
                             ".csv or .parquet (.gz for gzip)")
    program = policy.program
    if assume is not None and assume not in api.ASSUMPTIONS:
        return Caseload(400, f"cannot assume {assume!r}: only {', '.join(api.ASSUMPTIONS)}")
    try:
        grouping = (parse_group_by(group_by, program.input_type),) if group_by else ()
        options = Options(as_of=policy.decision_date(as_of), assume=assume)
    except (ValueError, api.ArgumentError) as error:
        return Caseload(400, str(error))
    handle, path = tempfile.mkstemp(suffix=suffix, prefix="rulelang-caseload-")
    try:
        written = 0
        with os.fdopen(handle, "wb") as out:
            async for chunk in chunks:
                written += len(chunk)
                if written > MAX_UPLOAD:
                    return Caseload(413, f"the file is over {MAX_UPLOAD // 2**30} GB: run "
                                         "`rulelang report` on it instead")
                out.write(chunk)
        # the run is long and computes: in a worker thread, so the app keeps answering
        return await run_in_threadpool(_decided, policy, path, filename, grouping, options)
    finally:
        os.unlink(path)


def _decided(policy: api.Policy, path: str, filename: str, grouping, options: Options) -> Caseload:
    program = policy.program
    first_invalid: list[str] = []

    def invalid(record) -> None:
        if len(first_invalid) < SHOWN_INVALID:
            first_invalid.append(" ".join(line.strip() for line in record.lines()))

    try:
        source = open_records(path, None, program.input_type)
    except (OSError, InputError) as error:
        return Caseload(422, _named(f"cannot read `{filename}`: {error}", path, filename))
    tally = Tally(grouping, month_field=program.as_of_field)
    try:
        with source:
            stats = run(policy, source, tally, options, Events(invalid=invalid))
    except InputError as error:  # a file that turns out unreadable part way
        return Caseload(422, _named(f"cannot read `{filename}`: {error}", path, filename))
    report = render_report(tally, f"{filename}: {stats.records:,} records",
                           as_of_field=program.as_of_field)
    return Caseload(200, report=report, records=stats.records, invalid=stats.invalid,
                    first_invalid=tuple(first_invalid))
