"""Ingest end to end on one core with SQLite: parse, dedupe, enrich, screen, store, index (posts/s).

    .venv/bin/python benchmarks/ingest.py [--posts 5000] [--batch-size 1000]

Texts are real tweets (SemEval-2017 task 4A training text in ../shared/data), written as canonical JSONL with 10%
retweets of earlier lines. Each stage is timed separately on the same posts, then the whole import is run
through the real service (file -> raw payloads -> posts, enrichments, findings, FTS index, topic matches).
A third import into a fresh database replays the enrichment and screening results computed above, so its time is
everything else: parse, dedupe, store, index, topics, alerts, the two commits per batch. The machine may be
shared: CPU time (``process_time``) is printed beside wall time, and throughput is given for both.
Prints a table: what, n, wall time, CPU time, throughput (wall, CPU), peak memory.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
    from rounds.domain.enrichment import Enrichment
    from rounds.domain.posts import Post
    from rounds.domain.screening import Screening
    from rounds.services import auth
    from rounds.services.context import Origin
    from rounds.services.listening_dedupe import fingerprint_many
    from rounds.services.listening_ingest import Ingestor, default_enricher, default_screen, import_file
    from rounds.services.listening_topics import do_create_topic
    from rounds.settings import load_settings

    rows: list[tuple[str, int, float, float, str]] = []
    clock: list[float] = [0.0, 0.0]

    def start() -> None:
        clock[:] = [time.perf_counter(), time.process_time()]

    def timed(what: str, n: int, memory: str = "") -> None:
        rows.append((what, n, time.perf_counter() - clock[0], time.process_time() - clock[1], memory))

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "posts.jsonl"
        write_corpus(corpus, args.posts)

        start()
        posts = [o.result for o in iter_file(corpus) if not isinstance(o.result, ParseFailure)]
        timed("parse (file -> Post)", len(posts))

        start()
        for index in range(0, len(posts), args.batch_size):
            fingerprint_many(post.text for post in posts[index : index + args.batch_size])
        timed("dedupe fingerprints (fingerprint_many)", len(posts))

        enricher = default_enricher()
        start()
        enrichments = list(enricher.enrich_many(posts))
        timed("enrich (enrich_many)", len(posts))

        screen = default_screen()
        screen("warm up")
        screen_many = getattr(screen, "screen_many", None)
        start()
        if screen_many is not None:
            screenings: list[Screening] = []
            for index in range(0, len(posts), args.batch_size):
                screenings.extend(screen_many([post.text for post in posts[index : index + args.batch_size]]))
        else:
            screenings = [screen(post.text) for post in posts]
        timed("screen (inbound, screen_many)", len(posts))

        origin = Origin.cli()

        def fresh_database(name: str) -> tuple[Database, Any]:
            settings = load_settings(data_dir=Path(tmp) / name, environment="test")
            db = Database(settings)
            upgrade(db)
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
            for topic, query in [
                ("Game", "game OR match"),
                ("Music", '"new album" OR #music'),
                ("Neg", "hate NOT love"),
            ]:
                do_create_topic(
                    db, admin, name=topic, kind="brand", query=query, backfill=False, origin=origin
                )
            return db, admin

        db, admin = fresh_database("data")
        ingestor = Ingestor(db, admin.organization_id, enricher=enricher, screen=screen)
        start()
        report = import_file(db, admin, corpus, origin=origin, ingestor=ingestor, batch_size=args.batch_size)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        timed(
            f"END TO END import (stored {report.counts.stored}, grouped {report.counts.grouped})",
            report.counts.read,
            f"{peak / 1e6:.0f} MB (process peak RSS)",
        )
        start()
        again = import_file(db, admin, corpus, origin=origin, ingestor=ingestor, batch_size=args.batch_size)
        timed(f"re-import same file (stored {again.counts.stored})", again.counts.read)
        db.dispose()

        by_id = dict(zip((post.remote_id for post in posts), enrichments, strict=True))
        by_text = dict(zip((post.text for post in posts), screenings, strict=True))

        class ReplayEnricher:
            def enrich_many(self, batch: Iterable[Post]) -> Iterator[Enrichment]:
                return (by_id[post.remote_id] for post in batch)

        class ReplayScreen:
            def __call__(self, text: str) -> Screening:
                return by_text[text]

            def screen_many(self, texts: Sequence[str]) -> list[Screening]:
                return [by_text[text] for text in texts]

        db, admin = fresh_database("replay")
        replay = Ingestor(db, admin.organization_id, enricher=ReplayEnricher(), screen=ReplayScreen())
        start()
        overhead = import_file(db, admin, corpus, origin=origin, ingestor=replay, batch_size=args.batch_size)
        timed("import minus enrich+screen (results replayed)", overhead.counts.read)
        db.dispose()

    table = Table(title="Ingest on one core, SQLite (target: end to end >= 2,000 posts/s)")
    columns = (
        "what",
        "n",
        "wall (s)",
        "CPU (s)",
        "posts/s wall",
        "posts/s CPU",
        "ms/post CPU",
        "peak memory",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "what" else "right")
    for what, n, wall, cpu, memory in rows:
        table.add_row(
            what,
            str(n),
            f"{wall:.2f}",
            f"{cpu:.2f}",
            f"{n / wall:,.0f}",
            f"{n / cpu:,.0f}",
            f"{1000 * cpu / n:.3f}",
            memory,
        )
    Console().print(table)


if __name__ == "__main__":
    main()
