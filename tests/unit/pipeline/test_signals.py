import math
import random
from datetime import UTC, datetime, timedelta

from rounds.pipeline.signals.spikes import SpikeDetector, SpikeSettings, poisson_tail_score
from rounds.pipeline.signals.terms import EmergingTermDetector, candidate_terms

START = datetime(2024, 3, 4, tzinfo=UTC)


def seasonal_stream(days: int, seed: int, base_per_hour: float = 12.0) -> list[datetime]:
    """A Poisson stream whose rate follows the hour of day (quiet nights, busy afternoons)."""
    rng = random.Random(seed)
    stamps: list[datetime] = []
    t = 0.0
    end = days * 86400.0
    peak = base_per_hour / 3600.0
    while True:
        t += rng.expovariate(peak)  # thinning: propose at the peak rate, keep with probability rate/peak
        if t >= end:
            return stamps
        hour = (t / 3600.0) % 24
        rate = peak * (0.2 + 0.8 * (1 + math.sin((hour - 9) / 24 * 2 * math.pi)) / 2)
        if rng.random() < rate / peak:
            stamps.append(START + timedelta(seconds=t))


def test_poisson_tail_score() -> None:
    assert poisson_tail_score(0, 3.0) == 0.0
    assert poisson_tail_score(3, 3.0) == 0.0
    assert poisson_tail_score(30, 3.0) > poisson_tail_score(15, 3.0) > 2.0


def test_quiet_seasonal_week_raises_no_alert() -> None:
    detector = SpikeDetector()
    stamps = seasonal_stream(7, seed=1)
    assert len(stamps) > 500
    assert [s for s in stamps if detector.observe(s)] == []


def test_burst_is_detected_within_15_minutes_and_cooldown_holds() -> None:
    stamps = seasonal_stream(4, seed=2)
    onset = START + timedelta(days=3, hours=14)
    burst = [onset + timedelta(seconds=20 * i) for i in range(150)]  # 3 per minute for 50 minutes
    detector = SpikeDetector()
    alerts = [s for s in sorted(stamps + burst) if detector.observe(s)]
    assert len(alerts) == 1
    assert onset <= alerts[0] <= onset + timedelta(minutes=15)


def test_level_shift_is_learned() -> None:
    """After a lasting rise the baseline catches up: no alert storm, at most one alert a cooldown."""
    settings = SpikeSettings()
    detector = SpikeDetector(settings)
    stamps = [START + timedelta(minutes=10 * i) for i in range(6 * 24)]  # 6 per hour for a day
    stamps += [START + timedelta(days=1, seconds=60 * i) for i in range(60 * 24 * 2)]  # then 60 per hour
    alerts = [s for s in stamps if detector.observe(s)]
    assert 1 <= len(alerts) <= 4


def test_candidate_terms_skip_function_words() -> None:
    assert candidate_terms(["the", "outbreak", "#measles", "@user", "<url>", "neg_good", "ok"]) == {
        "outbreak",
        "#measles",
    }


def test_emerging_term() -> None:
    detector = EmergingTermDetector()
    found = []
    t = START
    for i in range(2000):  # a day and a half of background chatter
        t = START + timedelta(minutes=1 * i)
        found += detector.observe(t, {"clinic", f"word{i % 50}"}, f"author{i % 30}")
    assert found == []
    for i in range(12):
        t += timedelta(minutes=2)
        found += detector.observe(t, {"measles", "clinic"}, f"parent{i}")
    assert [f.term for f in found] == ["measles"]
    assert found[0].authors >= 3


def test_monitor_negative_spike_and_emergency() -> None:
    from rounds.domain.enrichment import AlertKind, Enrichment, Intent, Sentiment
    from rounds.domain.posts import Author, Post
    from rounds.pipeline.signals.monitor import SignalMonitor

    monitor = SignalMonitor()
    alerts = []
    calm = Enrichment(sentiment=Sentiment.NEUTRAL)
    angry = Enrichment(sentiment=Sentiment.NEGATIVE, intents=(Intent.COMPLAINT,))
    for i in range(24 * 6):  # a day of calm posts, one every 10 minutes, about 20% negative
        at = START + timedelta(minutes=10 * i)
        post = Post(platform="x", remote_id=f"c{i}", text="Parking update for visitors", created_at=at)
        alerts += monitor.observe(post, angry if i % 5 == 0 else calm)
    assert alerts == []
    burst_start = START + timedelta(days=1, hours=2)
    for i in range(30):  # then 30 negative posts in 15 minutes
        at = burst_start + timedelta(seconds=30 * i)
        post = Post(
            platform="x",
            remote_id=f"n{i}",
            text="Waited hours, awful",
            created_at=at,
            author=Author(handle=f"a{i}"),
        )
        alerts += monitor.observe(post, angry)
    kinds = [a.kind for a in alerts]
    assert AlertKind.NEGATIVE_SPIKE in kinds
    negative = next(a for a in alerts if a.kind is AlertKind.NEGATIVE_SPIKE)
    assert burst_start <= negative.at <= burst_start + timedelta(minutes=15)
    sos = Post(platform="x", remote_id="s", text="...", created_at=burst_start + timedelta(hours=1))
    emergency = monitor.observe(
        sos, Enrichment(intents=(Intent.EMERGENCY_SELF_HARM,), intent_scores={"emergency_self_harm": 0.9})
    )
    assert [a.kind for a in emergency] == [AlertKind.EMERGENCY]
    assert emergency[0].at == sos.created_at
