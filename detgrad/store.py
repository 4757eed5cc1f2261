"""Old name of the run-file API, kept so ``detgrad.store.records_frame`` and friends still import.

The run-file code lives in :mod:`detgrad.runs` (schema, reader, writer,
merge); import from there in new code.
"""

from detgrad.runs import (  # noqa: F401
    SCHEMA,
    SCHEMA_VERSION,
    STATUSES,
    RunFileWarning,
    RunWriter,
    completed_keys,
    load_run,
    make_header,
    make_record,
    merge_runs,
    records_frame,
    repair_tail,
    utc_now,
)
