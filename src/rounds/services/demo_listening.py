"""Listening for the demo organization: five topics, an alert rule, a (disabled) connector source and a few hundred
stored posts of real, permissively licensed text, imported through the real ingest service.

Sources (see docs/demo-data.md for the attribution and licences):

* NHS England patient-experience comments (``nhs_patient_experience/v6framework_230831_train.csv``, MIT) as
  patient feedback (platform ``feedback``);
* SemEval-2013..2016 / TweetEval sentiment tweets (``semeval2017_4a/train_meta.tsv``) that talk about health care
  (platform ``x``);
* CrisisLexT26 2013 Colorado floods tweets (MIT) for a public-health burst (platform ``x``).

The only rewrites: an organization name in a comment becomes the fictional "Riverbend Health" (the trust that
runs the ambulance service) or "Lakeside Medical" (the other trust, our fictional competitor), and @handles in
tweets become ``@user`` (as TweetEval does). Timestamps are re-based onto the last 14 days so the dashboards show
recent activity. Each JSONL line carries a ``source`` field naming its dataset, kept with the stored raw payload.
Never C-SSRS, CADEC, LiveQA or Care Opinion text.
"""

from __future__ import annotations

import csv
import json
import logging
import random
import re
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rounds.db import Database
from rounds.db.models import utcnow
from rounds.domain.enrichment import Intent
from rounds.domain.errors import RoundsError
from rounds.services import listening, listening_alerts, listening_ingest, listening_topics
from rounds.services.context import Actor, Origin
from rounds.settings import Settings

logger = logging.getLogger(__name__)

DATA_DIR_CANDIDATES = (Path("../shared/data"), Path("/work/shared/data"))
SEED = 20240514
FEEDBACK_POSTS = 260
HEALTH_TWEETS = 180
CRISIS_TWEETS = 140

DEMO_TOPICS: list[dict[str, str]] = [
    {
        "name": "Riverbend Health (brand)",
        "kind": "brand",
        "query": '"Riverbend Health" OR @RiverbendHealth OR #RiverbendHealth',
        "description": "Everything said about us.",
    },
    {
        "name": "Dr. Sam Chen",
        "kind": "clinician",
        "query": '"Sam Chen" OR @DrSamChen',
        "description": "Our cardiologist's public mentions (none in the demo data yet).",
    },
    {
        "name": "Lakeside Medical (competitor)",
        "kind": "competitor",
        "query": '"Lakeside Medical" OR @LakesideMedical',
        "description": "The other health system in town.",
    },
    {
        "name": "Emergency and ambulance",
        "kind": "service_line",
        "query": 'ambulance OR paramedic* OR 999 OR 111 OR "A&E" OR ER OR "emergency room"',
        "description": "Emergency medicine and patient transport.",
    },
    {
        "name": "Floods and public health",
        "kind": "public_health",
        "query": "flood* OR evacuat* OR shelter* OR #coflood OR flu OR vaccin* OR measles",
        "description": "Public-health events in the region.",
    },
]

HEALTH_WORDS = re.compile(
    r"\b(hospital|doctor|nurse|clinic|flu|vaccin\w*|surgery|cancer|ER|emergency room|ambulance|measles|"
    r"ebola|dentist|pharmacy|medic\w*)\b",
    re.IGNORECASE,
)
HANDLE = re.compile(r"@\w{1,30}")
BRANDS = {
    "NEAS": ("Riverbend Health", re.compile(r"\b(North East Ambulance Service|NEAS|NHS)\b")),
    "NHFT": (
        "Lakeside Medical",
        re.compile(r"\b(Northamptonshire Healthcare( NHS Foundation Trust)?|NHFT|NHS)\b"),
    ),
}


def find_data_dir(settings: Settings) -> Path | None:
    for candidate in (settings.data_dir / "shared-data", *DATA_DIR_CANDIDATES):
        if (candidate / "nhs_patient_experience").is_dir():
            return candidate
    return None


def _feedback(data: Path, rng: random.Random) -> list[dict[str, Any]]:
    path = data / "nhs_patient_experience" / "v6framework_230831_train.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if len((row.get("FFT answer") or "").strip()) >= 40]
    branded = [
        row for row in rows if any(pattern.search(row["FFT answer"]) for _, pattern in BRANDS.values())
    ]
    others = [row for row in rows if row not in branded]
    chosen = branded + rng.sample(others, max(0, min(len(others), FEEDBACK_POSTS - len(branded))))
    lines = []
    for row in chosen:
        text = row["FFT answer"].strip()
        name, pattern = BRANDS.get(row.get("Trust", ""), BRANDS["NEAS"])
        text = pattern.sub(name, text)
        lines.append(
            {
                "platform": "feedback",
                "id": f"nhs-{row['Comment ID']}".replace(" ", "-"),
                "text": text,
                "author": f"respondent-{row.get('Respondent ID') or row['Comment ID']}".replace(" ", "-"),
                "source": "NHS England patient experience v6 (pxtextmining), MIT",
            }
        )
    return lines


def _health_tweets(data: Path, rng: random.Random) -> list[dict[str, Any]]:
    path = data / "semeval2017_4a" / "train_meta.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t") if HEALTH_WORDS.search(row["text_raw"])]
    chosen = rng.sample(rows, min(len(rows), HEALTH_TWEETS))
    return [
        {
            "platform": "x",
            "id": row["tweet_id"],
            "text": HANDLE.sub("@user", row["text_raw"]),
            "author": f"user-{int(row['tweet_id']) % 100_000}",
            "source": "SemEval-2013..2016 Twitter sentiment (TweetEval), Twitter terms",
        }
        for row in chosen
    ]


def _crisis_tweets(data: Path, rng: random.Random) -> list[dict[str, Any]]:
    path = (
        data / "crisis" / "crisislex_t26" / "2013_Colorado_floods" / "2013_Colorado_floods-tweets_labeled.csv"
    )
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            row
            for row in csv.DictReader(handle, skipinitialspace=True)
            if row.get("Informativeness", "").startswith("Related")
        ]
    chosen = rng.sample(rows, min(len(rows), CRISIS_TWEETS))
    return [
        {
            "platform": "x",
            "id": row["Tweet ID"],
            "text": HANDLE.sub("@user", row["Tweet Text"]),
            "author": f"user-{int(row['Tweet ID']) % 100_000}",
            "url": f"https://twitter.com/i/web/status/{row['Tweet ID']}",
            "source": "CrisisLexT26 2013 Colorado floods, MIT",
        }
        for row in chosen
    ]


def demo_lines(data: Path, now: datetime) -> Iterator[dict[str, Any]]:
    """Canonical JSONL records with timestamps over the last 14 days (the flood tweets as a burst yesterday)."""
    rng = random.Random(SEED)
    spread = _feedback(data, rng) + _health_tweets(data, rng)
    for record in spread:
        seconds = rng.uniform(0, 14 * 86400)
        yield {**record, "created_at": (now - timedelta(seconds=seconds)).isoformat(), "lang": "en"}
    burst_start = now - timedelta(hours=30)
    for record in _crisis_tweets(data, rng):
        at = burst_start + timedelta(seconds=rng.expovariate(1 / 5400))
        yield {**record, "created_at": min(at, now).isoformat(), "lang": "en"}


def create_demo_listening(db: Database, settings: Settings, admin: Actor, origin: Origin) -> int:
    """Topics, a rule, a source and the demo posts. Returns the posts stored (0 when the data is missing)."""
    topic_ids = {}
    for topic in DEMO_TOPICS:
        view = listening_topics.do_create_topic(
            db,
            admin,
            name=topic["name"],
            kind=topic["kind"],
            query=topic["query"],
            description=topic["description"],
            backfill=False,
            origin=origin,
        )
        topic_ids[topic["kind"]] = view.id
    listening_alerts.do_create_rule(
        db,
        admin,
        listening_alerts.RuleInput(
            name="Complaints about Riverbend",
            topic_id=topic_ids["brand"],
            intents=[Intent.COMPLAINT],
            threshold=5,
            window_minutes=24 * 60,
            quiet_start="22:00",
            quiet_end="07:00",
            timezone="America/Chicago",
        ),
        origin=origin,
    )
    listening.do_create_source(
        db,
        settings,
        admin,
        listening.SourceInput(
            name="Riverbend newsroom (RSS)",
            connector="rss.feed",
            options={"url": "https://news.riverbend.example/feed.xml"},
            enabled=False,  # example only: the demo makes no network calls
            interval_seconds=900,
        ),
        origin=origin,
    )
    data = find_data_dir(settings)
    if data is None:
        logger.info("demo listening: shared data not found; topics created without posts")
        return 0
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "riverbend-demo-posts.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for line in demo_lines(data, utcnow()):
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        try:
            report = listening_ingest.import_file(db, admin, path, origin=origin)
        except RoundsError as error:
            logger.warning("demo listening: import failed: %s", error.code)
            return 0
    return report.counts.stored
