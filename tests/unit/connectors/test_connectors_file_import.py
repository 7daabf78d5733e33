from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from rounds.connectors import default_registry
from rounds.connectors.clock import FakeClock
from rounds.connectors.file_import import ColumnMapping, iter_file, parse_canonical_line, parse_csv_row
from rounds.connectors.file_import.client import FileImportConnector
from rounds.domain.connectors import Cursor, HealthStatus, ParseFailure
from rounds.domain.posts import Post

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "connectors"
JSONL = FIXTURES / "file_import" / "posts.jsonl"
CSV = FIXTURES / "file_import" / "export.csv"
CSV_MAPPING = ColumnMapping(
    id="Tweet Id",
    text="Content",
    author="User",
    created_at="Date",
    created_at_format="%Y-%m-%d %H:%M:%S",
    assume_timezone="America/Chicago",
    default_platform="x",
    metrics={"likes": "Likes"},
)


def test_jsonl_lines_give_posts_and_specific_reasons() -> None:
    outcomes = {outcome.line: outcome.result for outcome in iter_file(JSONL)}
    assert sorted(outcomes) == [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12]  # the blank line 3 is skipped
    first = outcomes[1]
    assert isinstance(first, Post)
    assert (first.platform, first.remote_id, first.language, first.metrics) == (
        "x",
        "1001",
        "en",
        {"likes": 3},
    )
    second = outcomes[2]
    assert isinstance(second, Post)
    assert second.remote_id == "1002"  # an integer id is accepted as text
    assert second.text == "Wait times & parking are terrible"  # HTML stripped to plain text
    assert second.created_at == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    reasons = {line: result.reason for line, result in outcomes.items() if isinstance(result, ParseFailure)}
    assert reasons[4].startswith("truncated JSON")
    assert reasons[5] == "missing required field 'id'"
    assert reasons[6] == "field 'text' must be a string, got number"
    assert reasons[7] == "created_at has no time zone (expected Z or an offset such as +00:00)"
    assert reasons[8].startswith("created_at is not a valid ISO 8601 date-time (offset must be")
    assert reasons[9] == "created_at is not a valid ISO 8601 date-time (day is out of range for month)"
    assert reasons[10] == "a line must be a JSON object, got array"
    assert reasons[11] == "metric 'score' must be a non-negative integer, got string"
    reply = outcomes[12]
    assert isinstance(reply, Post)
    assert reply.parent_remote_id == "t3_xyz"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"platform": "x", "id": "1", "text": "t", "created_at": "2024', "truncated JSON"),
        (b'{"platform": "x", "id": "1" "text": "t"}', "invalid JSON"),
        (b"\xff\xfe{}", "not valid UTF-8 at byte 0"),
        (
            b'{"platform": "x", "id": true, "text": "t", "created_at": "2024-01-01T00:00:00Z"}',
            "field 'id' must be",
        ),
        (
            b'{"platform": "x", "id": "", "text": "t", "created_at": "2024-01-01T00:00:00Z"}',
            "missing required field 'id'",
        ),
        (
            b'{"platform": "x", "id": "1", "text": "t", "created_at": 1714564800}',
            "field 'created_at' must be a string",
        ),
        (
            b'{"platform": "x", "id": "1", "text": "t", "created_at": "2024-01-01T00:00:00Z", "lang": 5}',
            "field 'lang'",
        ),
        (
            b'{"platform": "x", "id": "1", "text": "t", "created_at": "2024-01-01T00:00:00Z", "metrics": []}',
            "field 'metrics'",
        ),
        (b"   ", "empty line"),
    ],
)
def test_bad_lines_have_specific_reasons(line: bytes, reason: str) -> None:
    result = parse_canonical_line(line, 7)
    assert isinstance(result, ParseFailure)
    assert result.reason.startswith(reason), result.reason
    assert result.line == 7


def test_large_post_passes_and_oversized_post_is_refused() -> None:
    big = {"platform": "x", "id": "9", "text": "a" * 100_000, "created_at": "2024-01-01T00:00:00Z"}
    post = parse_canonical_line(json.dumps(big))
    assert isinstance(post, Post)
    assert len(post.text) == 100_000
    huge = {**big, "text": "a" * 300_000}
    failure = parse_canonical_line(json.dumps(huge))
    assert isinstance(failure, ParseFailure)
    assert failure.reason == "text is 300000 characters; the limit is 200000"


def test_text_that_only_looks_like_html_is_kept() -> None:
    line = {
        "platform": "x",
        "id": "9",
        "text": "I <3 my nurses & doctors",
        "created_at": "2024-01-01T00:00:00Z",
    }
    post = parse_canonical_line(json.dumps(line))
    assert isinstance(post, Post)
    assert post.text == "I <3 my nurses & doctors"


def test_csv_with_column_mapping() -> None:
    outcomes = list(iter_file(CSV, mapping=CSV_MAPPING))
    assert [outcome.line for outcome in outcomes] == [2, 4, 5, 6, 7]  # record 1 spans lines 2-3
    first = outcomes[0].result
    assert isinstance(first, Post)
    assert first.platform == "x"
    assert first.remote_id == "2001"
    assert first.text.endswith("with a comma, here")
    assert first.metrics == {"likes": 1204}
    assert first.created_at == datetime(2024, 5, 1, 17, 0, tzinfo=UTC)  # 12:00 CDT
    reasons = [o.result.reason for o in outcomes if isinstance(o.result, ParseFailure)]
    assert reasons == [
        "missing required field 'id' (column 'Tweet Id')",
        "column 'Date' does not match the format '%Y-%m-%d %H:%M:%S'",
        "metric 'likes' (column 'Likes') must be a non-negative integer",
    ]


def test_csv_naive_dates_need_a_zone() -> None:
    mapping = CSV_MAPPING.model_copy(update={"assume_timezone": None})
    result = parse_csv_row({"Tweet Id": "1", "Content": "t", "Date": "2024-05-01 12:00:00"}, mapping, 2)
    assert isinstance(result, ParseFailure)
    assert result.reason == "column 'Date' has no time zone; set assume_timezone in the column mapping"


def test_column_mapping_rejects_unknown_zone() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        ColumnMapping(assume_timezone="Mars/Olympus")


def test_connector_batches_resume_from_byte_offset_and_replay_through_registry(tmp_path: Path) -> None:
    clock = FakeClock()
    registry = default_registry()
    with httpx.Client() as unused_http:
        connector = registry.create(
            "file.import", {"path": str(JSONL), "batch_size": 4}, http=unused_http, clock=clock
        )
        seen_lines: list[int] = []
        cursor = Cursor()
        posts: list[Post] = []
        for _ in range(10):
            batch = connector.fetch(cursor)
            assert batch.health.status is HealthStatus.OK
            for raw in batch.raw_payloads:
                seen_lines.append(int(raw.meta["line"]))
                posts.extend(registry.parse(raw).posts)
            cursor = batch.next_cursor
            if cursor.get("done"):
                break
        # a fresh connector (after a restart) with the stored cursor reads nothing twice
        again = FileImportConnector({"path": str(JSONL)}, http=unused_http, clock=clock).fetch(cursor)
    assert seen_lines == [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert [p.remote_id for p in posts] == ["1001", "1002", "t1_abd"]
    assert again.raw_payloads == ()


def test_csv_connector_resumes_mid_file(tmp_path: Path) -> None:
    clock = FakeClock()
    options = {"path": str(CSV), "batch_size": 2, "mapping": CSV_MAPPING.model_dump()}
    registry = default_registry()
    with httpx.Client() as unused_http:
        first = registry.create("file.import", options, http=unused_http, clock=clock).fetch(Cursor())
        stored_cursor = Cursor.from_json(first.next_cursor.to_json())
        second = registry.create("file.import", options, http=unused_http, clock=clock).fetch(stored_cursor)
    ids = [
        post.remote_id
        for batch in (first, second)
        for raw in batch.raw_payloads
        for post in registry.parse(raw).posts
    ]
    assert ids == ["2001", "2002"]
    assert [raw.meta["line"] for raw in second.raw_payloads] == ["5", "6"]


def test_missing_csv_column_is_a_clear_connector_error(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with httpx.Client() as unused_http:
        batch = FileImportConnector({"path": str(path)}, http=unused_http, clock=FakeClock()).fetch(Cursor())
    assert batch.health.status is HealthStatus.ERROR
    assert (
        batch.health.detail
        == "the CSV header has no column 'id', 'text', 'created_at', 'platform'; fix the column mapping"
    )
