"""Records leaving the dashboard safely: a bounded preview, and downloads streamed batch by batch.

A record table may hold millions of rows (every lead of a big period): the page shows the first
PREVIEW_ROWS and states the total, and a download writes every row from the query's Arrow batches
straight into a temporary file (CSV or Parquet), so the rows are never held as a frame and a file at
once. CSV cells that a spreadsheet would run as a formula are neutralised as OWASP recommends
(https://owasp.org/www-community/attacks/CSV_Injection): a text cell beginning with `=`, `+`, `-`,
`@`, a tab or a carriage return gets a leading `'`. Numbers are numbers, not text, and are left alone;
the Parquet download keeps the values exactly (no spreadsheet runs a Parquet cell).

No Streamlit and no SQL here: dashboard.api supplies the batches, app_pages/_ui.py the buttons.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

# what a record table shows on screen; the download holds every row
PREVIEW_ROWS = 10_000
# the rows DuckDB hands over per Arrow batch while a download is written
BATCH_ROWS = 64 * 1024
# a cell a spreadsheet reads as a formula (or a DDE command) when it begins with one of these
FORMULA_START = "^[=+\\-@\t\r]"
# the characters that start inline markup in Markdown or Streamlit (emphasis, code, links and images,
# HTML, strikethrough, LaTeX, tables, :color[...] and :icon: directives); escaped with a backslash
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>~$|:])")


def _is_text(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        t = t.value_type
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def neutralise_formulas(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch with every text cell that begins like a formula prefixed by `'` (OWASP)."""
    columns = []
    for column, field in zip(batch.columns, batch.schema):
        if _is_text(field.type):
            text = column.cast(pa.string()) if pa.types.is_dictionary(field.type) else column
            risky = pc.fill_null(pc.match_substring_regex(text, FORMULA_START), False)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", text, ""), text)
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def preview(batches: Iterable[pa.RecordBatch], limit: int = PREVIEW_ROWS) -> tuple[pa.Table, int, pa.Schema | None]:
    """The first `limit` rows and the total row count, reading the rest without keeping it."""
    kept: list[pa.RecordBatch] = []
    held = total = 0
    schema = None
    for batch in batches:
        schema = batch.schema
        total += batch.num_rows
        if held < limit:
            part = batch.slice(0, limit - held)
            kept.append(part)
            held += part.num_rows
    if schema is None:
        return pa.table({}), 0, None
    return pa.Table.from_batches(kept, schema=schema), total, schema


def write_csv(batches: Iterator[pa.RecordBatch], sink: IO[bytes], schema: pa.Schema) -> int:
    """Every batch as CSV (a header, then the rows), formulas neutralised; the number of rows."""
    rows = 0
    with pcsv.CSVWriter(sink, schema, write_options=pcsv.WriteOptions(include_header=True)) as writer:
        for batch in batches:
            writer.write_batch(neutralise_formulas(batch))
            rows += batch.num_rows
    return rows


def write_parquet(batches: Iterator[pa.RecordBatch], sink: IO[bytes], schema: pa.Schema) -> int:
    """Every batch as one Parquet file (zstd), values kept exactly; the number of rows."""
    rows = 0
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


WRITERS = {"csv": (write_csv, "text/csv"), "parquet": (write_parquet, "application/vnd.apache.parquet")}


def spool(reader: pa.RecordBatchReader, fmt: str) -> IO[bytes]:
    """The reader's rows written as `fmt` into an anonymous temporary file, rewound for reading."""
    writer, _ = WRITERS[fmt]
    file = tempfile.TemporaryFile()
    try:
        writer(iter(reader), file, reader.schema)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return file


def as_text(value: object) -> str:
    """A data value (an owner id, a campaign name, a filter value) for Markdown that shows it as
    typed: every character Markdown or Streamlit would read as markup is escaped, so `[x](url)` or
    `![](url)` from the data stays text."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))
    # a line that begins like a heading, a list or a quote: its first character escaped
    return re.sub(r"^([#+\-=>])", r"\\\1", text)
