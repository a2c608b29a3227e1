"""Case records: read (JSON Lines, JSON, CSV, TSV, Parquet, gzip), validated against
the input record type, and decisions written back out (JSON Lines, JSON, CSV, Parquet).

    read.py      what kind of input, its header, its records one at a time
    validate.py  a record against the input type: a typed value, or every error it has
    fastpath.py  the validator generated per record type, for valid records (validate.py's fast path)
    write.py     decision rows out, with kept input fields and error rows in place
"""

from rulelang.records.read import (KINDS, InputError, Note, RawRecord, RecordSource, check_columns,
                                   detect_format, open_input, open_records, read_records)
from rulelang.records.validate import (Duration, InvalidRecord, ValidRecord, date_problem, record_id,
                                       validate, validate_dict)

__all__ = ["KINDS", "Duration", "InputError", "InvalidRecord", "Note", "RawRecord", "RecordSource",
           "ValidRecord", "check_columns", "date_problem", "detect_format", "open_input",
           "open_records", "read_records", "record_id", "validate", "validate_dict"]
