"""Ingest end to end on one core with SQLite: parse, dedupe, enrich, screen, store, index (posts/s).

    .venv/bin/python benchmarks/ingest.py [--posts 5000] [--batch-size 1000]

Texts are real tweets (SemEval-2017 task 4A training text in ../shared/data), written as canonical JSONL with 10%
retweets of earlier lines. Each stage is timed separately on the same posts, then the whole import is run
through the real service (file -> raw payloads -> posts, enrichments, findings, FTS index, topic matches).
Prints a table: what, n, time, throughput, peak memory.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "semeval2017_4a" / "train_text.txt"


def write_corpus(path: Path, count: int) -> None:
    texts = [t.strip() for t in DATA.read_text(encoding="utf-8").splitlines() if t.strip()]
    rng = random.Random(7)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as handle:
        for index in range(count):
            text = texts[index % len(texts)]
            if index > 10 and rng.random() < 0.10:
                text = "RT @someone: " + texts[rng.randrange(0, min(index, len(texts)))]
            body = {
                "platform": "x",
                "id": str(1_000_000 + index),
                "text": text,
                "author": f"user{index % 700}",
                "created_at": (start + timedelta(seconds=index)).isoformat(),
            }
            handle.write(json.dumps(body) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()

    from rounds.connectors.file_import.client import iter_file
    from rounds.db import Database
    from rounds.db.migrate import upgrade
    from rounds.domain.connectors import ParseFailure
    from rounds.services import auth
    from rounds.services.context import Origin
    from rounds.services.listening_dedupe import fingerprint
    from rounds.services.listening_ingest import Ingestor, default_enricher, default_screen, import_file
    from rounds.services.listening_topics import do_create_topic
    from rounds.settings import load_settings

    rows: list[tuple[str, int, float, str]] = []

    def timed(what: str, n: int, seconds: float, memory: str = "") -> None:
        rows.append((what, n, seconds, memory))

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "posts.jsonl"
        write_corpus(corpus, args.posts)

        started = time.perf_counter()
        posts = [o.result for o in iter_file(corpus) if not isinstance(o.result, ParseFailure)]
        timed("parse (file -> Post)", len(posts), time.perf_counter() - started)

        started = time.perf_counter()
        for post in posts:
            fingerprint(post.text)
        timed("dedupe fingerprints", len(posts), time.perf_counter() - started)

        enricher = default_enricher()
        started = time.perf_counter()
        list(enricher.enrich_many(posts))
        timed("enrich (enrich_many)", len(posts), time.perf_counter() - started)

        screen = default_screen()
        screen("warm up")
        started = time.perf_counter()
        for post in posts:
            screen(post.text)
        timed("screen (inbound)", len(posts), time.perf_counter() - started)

        settings = load_settings(data_dir=Path(tmp) / "data", environment="test")
        db = Database(settings)
        upgrade(db)
        origin = Origin.cli()
        admin = auth.do_first_run_setup(
            db,
            settings,
            organization_name="Bench",
            username="admin",
            display_name="Admin",
            email="",
            password="a-long-benchmark-password",
            origin=origin,
        )
        for name, query in [
            ("Game", "game OR match"),
            ("Music", '"new album" OR #music'),
            ("Neg", "hate NOT love"),
        ]:
            do_create_topic(db, admin, name=name, kind="brand", query=query, backfill=False, origin=origin)
        ingestor = Ingestor(db, admin.organization_id, enricher=enricher, screen=screen)
        started = time.perf_counter()
        report = import_file(db, admin, corpus, origin=origin, ingestor=ingestor, batch_size=args.batch_size)
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        timed(
            f"END TO END import (stored {report.counts.stored}, grouped {report.counts.grouped})",
            report.counts.read,
            elapsed,
            f"{peak / 1e6:.0f} MB (process peak RSS)",
        )
        started = time.perf_counter()
        again = import_file(db, admin, corpus, origin=origin, ingestor=ingestor, batch_size=args.batch_size)
        timed(
            f"re-import same file (stored {again.counts.stored})",
            again.counts.read,
            time.perf_counter() - started,
        )
        db.dispose()

    table = Table(title="Ingest on one core, SQLite (target: end to end >= 2,000 posts/s)")
    for column in ("what", "n", "time (s)", "posts/s", "peak memory"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for what, n, seconds, memory in rows:
        table.add_row(what, str(n), f"{seconds:.2f}", f"{n / seconds:,.0f}", memory)
    Console().print(table)


if __name__ == "__main__":
    main()
