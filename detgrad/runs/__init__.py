"""Run files: the versioned JSON Lines format that joins measuring and publishing.

Owns the schema (``schema``: header, the :class:`Cell` a record is keyed by,
statuses, record fields), the raw samples and their statistics (``samples``),
the reader (``reader``, also into pandas), the append-only writer
(``writer``), shard merging (``merge``) and the pytest-benchmark converter
(``convert_benchmark``).  It imports neither the sweep nor publishing, and
TensorFlow only lazily, for a record's flop count.

    >>> from detgrad.runs import records_frame, merge_runs
    >>> df = records_frame(["runs/quick/run.jsonl"])
"""

from detgrad.runs.merge import merge_runs
from detgrad.runs.reader import RunFileWarning, completed_keys, load_run, load_runs, records_frame
from detgrad.runs.schema import SCHEMA, SCHEMA_VERSION, STATUSES, Cell, make_header, make_record, utc_now
from detgrad.runs.writer import RunWriter, repair_tail

__all__ = [
    "Cell", "RunFileWarning", "RunWriter", "SCHEMA", "SCHEMA_VERSION", "STATUSES", "completed_keys", "load_run",
    "load_runs", "make_header", "make_record", "merge_runs", "records_frame", "repair_tail", "utc_now",
]  # fmt: skip
