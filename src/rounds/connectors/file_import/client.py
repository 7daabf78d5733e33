"""Reading CSV/JSONL files line by line, with byte-offset cursors so a killed import resumes exactly.

Two ways in:

* :func:`iter_file` yields a :class:`LineOutcome` (line number, Post or ParseFailure) per record, for
  ``rounds import`` and ``rounds enrich``;
* :class:`FileImportConnector` hands the raw lines to the ingest service in batches, with the byte offset after the
  last line as its cursor (store the lines, then the cursor: a kill -9 in between re-reads the same lines).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from rounds.connectors.base import BaseConnector, Progress
from rounds.connectors.file_import import parse
from rounds.connectors.platform_http import ConnectorProblem
from rounds.domain.connectors import Health, HealthStatus, ParseFailure
from rounds.domain.posts import Platform, Post

FileFormat = Literal["jsonl", "csv"]


@dataclass(frozen=True)
class Record:
    """One record as read: its first physical line, the byte offset just after it, its raw content."""

    line: int
    end_offset: int
    body: bytes
    """JSONL: the line's bytes. CSV: the row as a JSON object (header -> cell)."""


@dataclass(frozen=True)
class LineOutcome:
    line: int
    result: Post | ParseFailure


def detect_format(path: Path) -> FileFormat:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    raise ConnectorProblem(
        HealthStatus.ERROR, f"cannot tell the format of '{path.name}': use .jsonl or .csv, or name the format"
    )


def read_jsonl(stream: BinaryIO, *, offset: int = 0, line: int = 0) -> Iterator[Record]:
    """Records from ``offset`` on; ``line`` is the number of lines before ``offset``. Blank lines are skipped."""
    stream.seek(offset)
    position = offset
    while True:
        chunk = stream.readline()
        if not chunk:
            return
        position += len(chunk)
        line += 1
        if chunk.strip():
            yield Record(line=line, end_offset=position, body=chunk.rstrip(b"\r\n"))


class _LineFeeder:
    """Feeds decoded lines to ``csv.reader`` while tracking byte offsets and physical line numbers."""

    def __init__(self, stream: BinaryIO, offset: int, line: int) -> None:
        self.stream = stream
        self.position = offset
        self.line = line
        stream.seek(offset)

    def __iter__(self) -> Iterator[str]:
        while True:
            chunk = self.stream.readline()
            if not chunk:
                return
            self.position += len(chunk)
            self.line += 1
            yield chunk.decode("utf-8", errors="replace")


def read_csv_header(stream: BinaryIO, delimiter: str) -> tuple[list[str], int, int]:
    """The header columns, the offset after the header and its line count."""
    feeder = _LineFeeder(stream, 0, 0)
    reader = csv.reader(feeder, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ConnectorProblem(HealthStatus.ERROR, "the CSV file is empty (no header row)") from None
    header = [column.lstrip("\ufeff").strip() for column in header]
    return header, feeder.position, feeder.line


def read_csv(
    stream: BinaryIO, mapping: parse.ColumnMapping, *, offset: int = 0, line: int = 0
) -> Iterator[Record]:
    header, header_end, header_lines = read_csv_header(stream, mapping.delimiter)
    missing = [column for column in mapping.required_columns() if column not in header]
    if missing:
        raise ConnectorProblem(
            HealthStatus.ERROR,
            f"the CSV header has no column {', '.join(repr(c) for c in missing)}; fix the column mapping",
        )
    if offset < header_end:
        offset, line = header_end, header_lines
    feeder = _LineFeeder(stream, offset, line)
    reader = csv.reader(feeder, delimiter=mapping.delimiter)
    while True:
        start_line = feeder.line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            failure = {"__csv_error__": str(error)}
            yield Record(line=start_line, end_offset=feeder.position, body=json.dumps(failure).encode())
            continue
        if not any(cell.strip() for cell in cells):
            continue
        row: dict[str, str | None] = dict(zip(header, cells, strict=False))
        if len(cells) > len(header):
            row["__surplus__"] = ""
        yield Record(line=start_line, end_offset=feeder.position, body=json.dumps(row).encode())


def iter_file(
    path: Path, *, file_format: FileFormat | None = None, mapping: parse.ColumnMapping | None = None
) -> Iterator[LineOutcome]:
    """Every record of a CSV/JSONL file as a Post or a specific failure, in file order."""
    chosen = file_format or detect_format(path)
    with path.open("rb") as stream:
        if chosen == "jsonl":
            for record in read_jsonl(stream):
                yield LineOutcome(record.line, parse.parse_canonical_line(record.body, record.line))
        else:
            column_mapping = mapping or parse.ColumnMapping()
            for record in read_csv(stream, column_mapping):
                yield LineOutcome(
                    record.line, parse.parse_csv_record(json.loads(record.body), column_mapping, record.line)
                )


class FileImportOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: Path
    format: FileFormat | None = None
    mapping: parse.ColumnMapping = Field(default_factory=parse.ColumnMapping)
    batch_size: int = Field(default=1000, ge=1, le=100_000)


class FileImportConnector(BaseConnector):
    """Reads ``batch_size`` records per fetch from a CSV/JSONL file; cursor: ``offset`` and ``line``."""

    name: ClassVar[str] = "file.import"
    platform: ClassVar[str] = Platform.FILE.value
    parsers = parse.PARSERS
    Options = FileImportOptions

    @property
    def instance_name(self) -> str:
        return f"{self.name}:{self.options.path.name}"

    def _fetch(self, progress: Progress) -> Health:
        options: FileImportOptions = self.options
        offset = int(progress.cursor.get("offset") or 0)
        line = int(progress.cursor.get("line") or 0)
        chosen = options.format or detect_format(options.path)
        try:
            stream = options.path.open("rb")
        except OSError as error:
            raise ConnectorProblem(
                HealthStatus.ERROR, f"cannot open '{options.path.name}': {error.strerror}"
            ) from None
        with stream:
            if chosen == "jsonl":
                records = read_jsonl(stream, offset=offset, line=line)
                kind, meta = parse.KIND_JSONL, {}
            else:
                records = read_csv(stream, options.mapping, offset=offset, line=line)
                kind, meta = parse.KIND_CSV, {"mapping": options.mapping.model_dump_json()}
            count = 0
            for record in records:
                progress.add(
                    self.raw(kind, record.body, source=options.path.name, line=str(record.line), **meta)
                )
                progress.cursor = progress.cursor.with_values(
                    offset=str(record.end_offset), line=str(record.line)
                )
                count += 1
                if count >= options.batch_size:
                    return self.ok(f"read {count} records; more remain")
        progress.cursor = progress.cursor.with_values(done="1")
        return self.ok(f"read {count} records; end of file")
