"""The document schema, in one place.

A batch flowing through the stages is a `pyarrow.RecordBatch`. Before extraction it carries the raw
page in `html` (binary) and a null `text`; the `extract` stage fills `text` and drops `html`. WET
records arrive with `text` already set and no `html`.
"""

from __future__ import annotations

import pyarrow as pa

# Final documents: DIR/documents/part-*.parquet (plus per-stage annotation columns appended after these).
DOCUMENT_FIELDS: list[pa.Field] = [
    pa.field("id", pa.string(), nullable=False),
    pa.field("url", pa.string()),
    pa.field("text", pa.string()),
    pa.field("language", pa.string()),
    pa.field("language_score", pa.float32()),
    pa.field("warc_date", pa.string()),
    pa.field("warc_record_id", pa.string()),
    pa.field("source_file", pa.string()),
]
DOCUMENT_SCHEMA = pa.schema(DOCUMENT_FIELDS)

# The page decoded to text (see pipeline.io.charset) as read from a WARC response; dropped by `extract`.
HTML_FIELD = pa.field("html", pa.string())
# The response's `X-Robots-Tag` headers (joined by newlines), for `robots_optout`; null when absent.
X_ROBOTS_TAG_FIELD = pa.field("x_robots_tag", pa.string())
RECORD_SCHEMA = DOCUMENT_SCHEMA.append(HTML_FIELD).append(X_ROBOTS_TAG_FIELD)

# Columns added to every rejected row: DIR/rejected/<stage>/part-*.parquet.
STAGE_FIELD = pa.field("stage", pa.string(), nullable=False)
REASON_FIELD = pa.field("reason", pa.string(), nullable=False)
# The value of the signal that tripped the rule (e.g. the mean word length), when there is one.
VALUE_FIELD = pa.field("value", pa.float64())
REJECTION_FIELDS = [STAGE_FIELD, REASON_FIELD, VALUE_FIELD]


def empty_batch(schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([], schema=schema)
