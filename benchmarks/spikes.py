"""Spike detection on replayed CrisisLexT26 timelines: detection delay per event and false alerts per week.

Replays each event's tweet timestamp series (``*-tweetids_entire_period.csv``, rows marked Y) through
:class:`rounds.pipeline.signals.spikes.SpikeDetector`, exactly as ``rounds signals replay`` does for volume.

Ground truth (hindsight, documented in docs/enrichment.md): 5-minute buckets; an *onset* is a bucket whose
trailing 15-minute count is at least ``GT_MIN_COUNT`` (10) and at least ``GT_RATIO`` (5) times the pre-event
level, i.e. the mean 15-minute count over the 24 hours before that window (taken as at least 0.5); onsets
count only from 12 hours before the event's ``start_day`` in its description. The *episode* that an onset
opens lasts until the trailing 6-hour rate falls back below twice the pre-event level (at most 72 hours); a
new onset can only start after it. An onset is *detected* when an alert falls in [onset - 15 min,
onset + 15 min] (the hindsight onset asks for 5x the pre-event level, the detector fires from 3.5x, so it may
see the same rise a few minutes earlier); an alert outside every episode and its 15-minute lead is a *false
alert*.

    .venv/bin/python benchmarks/spikes.py [--data ../shared/data] [--split dev|train|all]
"""

from __future__ import annotations

import argparse
import bisect
import csv
import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rounds.pipeline.signals.spikes import SpikeDetector, SpikeSettings

GT_MIN_COUNT = 10
GT_RATIO = 5.0
BUCKET = 300.0
LEAD = 900.0
DEADLINE = 900.0


def load_series(folder: Path) -> list[datetime]:
    files = list(folder.glob("*-tweetids_entire_period.csv"))
    if not files:
        return []
    stamps = []
    with files[0].open(encoding="utf-8") as handle:
        reader = csv.reader(handle, skipinitialspace=True)
        if next(reader, None) is None:
            return []
        for row in reader:
            if len(row) >= 3 and row[2].strip() == "Y":
                stamps.append(datetime.strptime(row[0].strip(), "%a %b %d %H:%M:%S %z %Y"))
    return sorted(stamps)


def event_start(folder: Path, first: datetime) -> datetime:
    """12 hours before the described start day, or the series' first tweet if earlier (a few descriptions
    carry a wrong date, e.g. Brazil nightclub fire says October for a January event)."""
    description = json.loads(next(folder.glob("*-event_description.json")).read_text(encoding="utf-8"))
    day = datetime.strptime(description["time"]["start_day"], "%Y-%m-%d").replace(tzinfo=UTC)
    return min(day - timedelta(hours=12), first)


def ground_truth(stamps: list[datetime], start: datetime) -> list[tuple[float, float]]:
    """(onset, episode end) pairs in epoch seconds."""
    times = [s.timestamp() for s in stamps]
    if not times:
        return []
    first = int(times[0] // BUCKET)
    last = int(times[-1] // BUCKET)

    def count(lo: float, hi: float) -> int:
        return bisect.bisect_right(times, hi) - bisect.bisect_right(times, lo)

    episodes: list[tuple[float, float]] = []
    b = first
    while b <= last:
        end = (b + 1) * BUCKET
        window = count(end - 900, end)
        history_start = max(times[0] - 1, end - 900 - 86400)
        span = end - 900 - history_start
        pre = max(0.5, count(history_start, end - 900) / (span / 900)) if span >= 900 else 0.5
        if end >= start.timestamp() and window >= GT_MIN_COUNT and window >= GT_RATIO * pre:
            onset_bucket_start = b * BUCKET
            # The onset moment: the first tweet in that bucket's 15-minute window that reaches the count.
            lo = bisect.bisect_right(times, end - 900)
            onset = times[min(len(times) - 1, lo + GT_MIN_COUNT - 1)]
            onset = max(min(onset, end), onset_bucket_start - 600)
            stop = end
            while stop < onset + 72 * 3600 and stop < times[-1]:
                stop += BUCKET
                if stop - onset >= 6 * 3600 and count(stop - 6 * 3600, stop) / 24 < 2 * pre:
                    break
            episodes.append((onset, stop))
            b = int(stop // BUCKET) + 1
            continue
        b += 1
    return episodes


def evaluate(
    stamps: list[datetime], episodes: list[tuple[float, float]], settings: SpikeSettings
) -> tuple[list[float | None], int, float, int]:
    detector = SpikeDetector(settings)
    alerts = [spike.at.timestamp() for s in stamps if (spike := detector.observe(s)) is not None]
    delays: list[float | None] = []
    for onset, _ in episodes:
        hits = [a - onset for a in alerts if onset - LEAD <= a <= onset + DEADLINE]
        delays.append(max(0.0, hits[0]) if hits else None)
    false = sum(1 for a in alerts if not any(onset - LEAD <= a <= stop for onset, stop in episodes))
    weeks = max(1e-9, (stamps[-1] - stamps[0]).total_seconds() / (7 * 86400))
    return delays, false, weeks, len(alerts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
    parser.add_argument("--split", default="dev", choices=["dev", "train", "all"])
    parser.add_argument("--min-count", type=int)
    parser.add_argument("--min-ratio", type=float)
    parser.add_argument("--min-score", type=float)
    args = parser.parse_args()
    settings = SpikeSettings()
    for name in ("min_count", "min_ratio", "min_score"):
        if getattr(args, name) is not None:
            settings = replace(settings, **{name: getattr(args, name)})

    root = args.data / "crisis/crisislex_t26"
    with (root / "splits.csv").open(encoding="utf-8") as handle:
        events = [r["event"] for r in csv.DictReader(handle) if args.split in ("all", r["split"])]
    print(f"settings: {settings}")
    print(
        f"{'event':34} {'tweets':>7} {'weeks':>5} {'onsets':>6} {'detected':>8} {'delays (min)':<28} {'alerts':>6} {'false':>5} {'false/wk':>8}"
    )
    total_onsets = total_detected = total_false = total_posts = 0
    total_weeks = 0.0
    worst_rate = 0.0
    started = time.perf_counter()
    for event in events:
        stamps = load_series(root / event)
        if not stamps:
            print(f"{event:34} {'(no timestamp series)':>7}")
            continue
        episodes = ground_truth(stamps, event_start(root / event, stamps[0]))
        delays, false, weeks, n_alerts = evaluate(stamps, episodes, settings)
        detected = sum(1 for d in delays if d is not None)
        shown = ", ".join("miss" if d is None else f"{d / 60:.1f}" for d in delays) or "-"
        rate = false / weeks
        worst_rate = max(worst_rate, rate)
        print(
            f"{event:34} {len(stamps):>7} {weeks:>5.1f} {len(episodes):>6} {detected:>8} {shown:<28} {n_alerts:>6} {false:>5} {rate:>8.2f}"
        )
        total_onsets += len(episodes)
        total_detected += detected
        total_false += false
        total_weeks += weeks
        total_posts += len(stamps)
    elapsed = time.perf_counter() - started
    print(
        f"\n{args.split}: onsets detected within 15 min {total_detected}/{total_onsets}; "
        f"false alerts {total_false} over {total_weeks:.1f} weeks = {total_false / max(total_weeks, 1e-9):.2f}/week "
        f"(worst event {worst_rate:.2f}/week); {total_posts} timestamps replayed in {elapsed:.2f}s"
    )


if __name__ == "__main__":
    main()
