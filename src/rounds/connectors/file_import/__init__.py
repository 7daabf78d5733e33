"""File import: CSV/JSONL exports in the canonical schema or through a column mapping."""

from rounds.connectors.file_import.client import FileImportConnector, LineOutcome, iter_file
from rounds.connectors.file_import.parse import ColumnMapping, parse_canonical_line, parse_csv_row

__all__ = [
    "ColumnMapping",
    "FileImportConnector",
    "LineOutcome",
    "iter_file",
    "parse_canonical_line",
    "parse_csv_row",
]
