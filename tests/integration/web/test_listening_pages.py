"""Listening pages and API: search filters, topic validation, the dashboard's SVG chart, escaping, write-only
credentials, the quarantine and one scheduler tick."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from rounds.connectors.clock import FakeClock
from rounds.db.listening import ConnectorSource
from rounds.db.models import utcnow
from rounds.domain.roles import Role
from rounds.jobs.scheduler import ListeningScheduler

from .conftest import Env
from .listening_seed import FINDING_WORDS, SECRET_TOKEN, ListeningIds, seed_listening


@pytest.fixture
def ids(env: Env) -> ListeningIds:
    return seed_listening(env.db, env.settings)


def post_ids(html: str) -> list[int]:
    return [int(value) for value in re.findall(r'href="/listening/posts/(\d+)"', html)]


def test_search_shows_each_duplicate_group_once(env: Env, ids: ListeningIds) -> None:
    client = env.client(Role.RESPONDER)
    page = client.get("/listening/search", params={"q": "four hours"})
    assert page.status_code == 200
    assert post_ids(page.text) == [ids.complaint_post_id]
    every = client.get("/listening/search", params={"q": "four hours", "duplicates": "on"})
    assert sorted(post_ids(every.text)) == sorted([ids.complaint_post_id, ids.copy_post_id])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"platform": "reddit"}, ["competitor_post_id"]),
        ({"sentiment": "positive"}, ["html_post_id"]),
        ({"intent": "complaint"}, ["complaint_post_id"]),
        ({"topic_id": "competitor"}, ["competitor_post_id"]),
        ({"author_kind": "bot"}, []),
        ({"q": "Riverbend", "sentiment": "negative"}, ["complaint_post_id"]),
    ],
)
def test_search_filters(env: Env, ids: ListeningIds, params: dict[str, str], expected: list[str]) -> None:
    if params.get("topic_id") == "competitor":
        params = {**params, "topic_id": str(ids.competitor_topic_id)}
    page = env.client(Role.EXECUTIVE_VIEWER).get("/listening/search", params=params)
    assert page.status_code == 200
    assert sorted(post_ids(page.text)) == sorted(getattr(ids, name) for name in expected)


def test_search_date_range_and_bad_date(env: Env, ids: ListeningIds) -> None:
    client = env.client(Role.RESPONDER)
    today = utcnow().date()
    recent = client.get("/listening/search", params={"since": str(today - timedelta(days=1))})
    assert ids.competitor_post_id not in post_ids(recent.text)  # 50 hours old
    bad = client.get("/listening/search", params={"since": "yesterday"})
    assert bad.status_code == 422
    assert "must be a date" in bad.text


def test_search_api_mirrors_the_page(env: Env, ids: ListeningIds) -> None:
    body = env.client(Role.RESPONDER).get("/api/listening/search", params={"q": "four hours"}).json()
    assert body["total"] == 1
    assert body["posts"][0]["id"] == ids.complaint_post_id


def test_post_view_escapes_html_and_explains(env: Env, ids: ListeningIds) -> None:
    client = env.client(Role.CONTENT_AUTHOR)
    page = client.get(f"/listening/posts/{ids.html_post_id}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(" in page.text
    assert "<b>great</b>" not in page.text
    assert f">{FINDING_WORDS}<" in page.text  # highlighted span
    assert "phi.names.v2" in page.text
    assert "Open on the platform" in page.text
    enriched = client.get(f"/listening/posts/{ids.complaint_post_id}")
    assert "enrich.sentiment.v1" in enriched.text
    assert "negative cues outweigh positive ones" in enriched.text
    assert "1 other copy" in enriched.text


def test_topic_create_with_invalid_query_shows_the_position(env: Env, ids: ListeningIds) -> None:
    client = env.client(Role.SOCIAL_MEDIA_MANAGER)
    response = client.post(
        "/listening/topics/new",
        data={"name": "Broken", "kind": "brand", "query": "(flu OR measles", "csrf_token": client.csrf},
    )
    assert response.status_code == 422
    assert "unclosed parenthesis at position 1" in response.text
    assert '<mark class="query-pos">(</mark>' in response.text
    assert "(flu OR measles</textarea>" in response.text  # the query is kept for correction


def test_topic_create_backfills_and_redirects(env: Env, ids: ListeningIds) -> None:
    client = env.client(Role.DEPARTMENT_LEAD)
    response = client.post(
        "/listening/topics/new",
        data={"name": "ER waits", "kind": "service_line", "query": "ER AND wait*", "csrf_token": client.csrf},
    )
    assert response.status_code == 303
    dashboard = client.get(response.headers["location"])
    assert "Topic created" in dashboard.text
    assert "2 matching posts" in dashboard.text


def test_topic_dashboard_has_svg_charts_and_share_of_voice(env: Env, ids: ListeningIds) -> None:
    page = env.client(Role.EXECUTIVE_VIEWER).get(f"/listening/topics/{ids.brand_topic_id}?days=7")
    assert page.status_code == 200
    assert '<svg class="chart-svg" id="volume-chart"' in page.text
    assert 'class="s-negative"' in page.text and 'class="s-positive"' in page.text
    assert "Seed competitor" in page.text  # share of voice lists the competitor
    assert "75.0%" in page.text  # 3 brand posts against 1 competitor post
    assert "Rule &#39;Seed rule&#39;" in page.text  # recent alerts
    hourly = env.client(Role.RESPONDER).get(f"/listening/topics/{ids.brand_topic_id}?days=1&bucket=hour")
    assert hourly.status_code == 200
    api = (
        env.client(Role.RESPONDER).get(f"/api/listening/topics/{ids.brand_topic_id}/dashboard?days=7").json()
    )
    assert api["total"] == 3
    assert api["sentiment_totals"] == {"negative": 2, "neutral": 0, "positive": 1}


def test_credentials_are_never_echoed(env: Env, ids: ListeningIds) -> None:
    client = env.client(Role.ADMIN)
    listing = client.get("/listening/sources")
    assert "bearer_token: set" in listing.text
    assert "Authorization expired" in listing.text
    edit = client.get(f"/listening/sources/{ids.source_id}/edit")
    assert SECRET_TOKEN not in edit.text
    assert 'type="password"' in edit.text
    assert SECRET_TOKEN not in client.get("/api/listening/sources").text
    # A failed save re-renders the form without what was typed into the password field.
    failed = client.post(
        "/listening/sources/new",
        data={
            "name": "Broken",
            "connector": "x.recent_search",
            "options": "{not json",
            "interval_seconds": "300",
            "cred__x.recent_search__bearer_token": "typed-secret-4471",
            "csrf_token": client.csrf,
        },
    )
    assert failed.status_code == 422
    assert "typed-secret-4471" not in failed.text
    # Editing without typing a credential keeps the stored one.
    saved = client.post(
        f"/listening/sources/{ids.source_id}/edit",
        data={
            "name": "Seed source",
            "connector": "file.import",
            "options": '{"path": "elsewhere.jsonl"}',
            "interval_seconds": "600",
            "enabled": "on",
            "csrf_token": client.csrf,
        },
    )
    assert saved.status_code == 303
    [source] = [s for s in client.get("/api/listening/sources").json() if s["id"] == ids.source_id]
    assert source["credential_keys"] == ["bearer_token"]
    assert source["interval_seconds"] == 600


def test_rule_webhook_urls_are_masked(env: Env, ids: ListeningIds) -> None:
    client = env.client(Role.SOCIAL_MEDIA_MANAGER)
    edit = client.get(f"/listening/rules/{ids.rule_id}/edit")
    assert edit.status_code == 200
    assert "SECRET" not in edit.text
    created = client.post(
        "/listening/rules/new",
        data={
            "name": "Night complaints",
            "topic_id": str(ids.brand_topic_id),
            "intents": ["complaint", "question"],
            "threshold": "2",
            "window_minutes": "30",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
            "timezone": "America/Chicago",
            "emails": "comms@example.org",
            "webhook_teams": "https://teams.example/webhook/abc",
            "is_active_shown": "1",
            "is_active": "on",
            "csrf_token": client.csrf,
        },
    )
    assert created.status_code == 303, created.text[:500]
    rules = client.get("/api/listening/rules").json()
    [rule] = [r for r in rules if r["name"] == "Night complaints"]
    assert rule["intents"] == ["complaint", "question"]
    assert {c["type"] for c in rule["channels"]} == {"in_app", "email", "webhook"}
    assert "abc" not in str(rule["channels"])


def test_alert_acknowledge(env: Env, ids: ListeningIds) -> None:
    client = env.client(Role.RESPONDER)
    assert "Acknowledge" in client.get(f"/listening/alerts/{ids.alert_id}").text
    done = client.post(f"/listening/alerts/{ids.alert_id}/acknowledge", data={"csrf_token": client.csrf})
    assert done.status_code == 303
    assert client.get(f"/api/listening/alerts/{ids.alert_id}").json()["acknowledged_at"] is not None


def test_quarantine_shows_reason_and_line(env: Env, ids: ListeningIds) -> None:
    page = env.client(Role.PRIVACY_OFFICER).get("/listening/quarantine")
    assert page.status_code == 200
    assert "invalid created_at" in page.text
    assert '<td class="num">7</td>' in page.text
    api = env.client(Role.PRIVACY_OFFICER).get("/api/listening/quarantine").json()
    assert api["total"] == 1 and api["items"][0]["line"] == 7


def test_quarantine_retry_and_resolve_buttons(env: Env, ids: ListeningIds) -> None:
    viewer = env.client(Role.PRIVACY_OFFICER)  # may look, may not change
    assert "Retry</button>" not in viewer.get("/listening/quarantine").text
    client = env.client(Role.SOCIAL_MEDIA_MANAGER)
    page = client.get("/listening/quarantine").text
    assert f'action="/listening/quarantine/{ids.quarantine_id}/retry"' in page
    assert f'action="/listening/quarantine/{ids.quarantine_id}/resolve"' in page
    retried = client.post(
        f"/listening/quarantine/{ids.quarantine_id}/retry", data={"csrf_token": client.csrf}
    )
    assert retried.status_code == 303 and "quarantine_still_failing" in retried.headers["location"]
    after = client.get(retried.headers["location"]).text
    assert "still fails" in after and "Retried 1×" in after
    empty = client.post(
        f"/listening/quarantine/{ids.quarantine_id}/resolve", data={"note": " ", "csrf_token": client.csrf}
    )
    assert empty.status_code == 422 and "error-box" in empty.text
    done = client.post(
        f"/listening/quarantine/{ids.quarantine_id}/resolve",
        data={"note": "Bad date from the export tool", "csrf_token": client.csrf},
    )
    assert done.status_code == 303
    assert "Item resolved." in client.get(done.headers["location"]).text
    assert client.get("/api/listening/quarantine").json()["total"] == 0
    again = client.post(
        f"/api/listening/quarantine/{ids.quarantine_id}/resolve",
        json={"note": "twice"},
        headers={"X-CSRF-Token": client.csrf},
    )
    assert again.status_code == 409


def test_rule_kind_from_the_form(env: Env, ids: ListeningIds) -> None:
    client = env.client(Role.SOCIAL_MEDIA_MANAGER)
    assert 'value="negative_spike"' in client.get("/listening/rules/new").text
    created = client.post(
        "/listening/rules/new",
        data={
            "name": "Negative spikes",
            "kind": "negative_spike",
            "topic_id": str(ids.brand_topic_id),
            "timezone": "UTC",
            "csrf_token": client.csrf,
        },
    )
    assert created.status_code == 303, created.text[:500]
    [rule] = [r for r in client.get("/api/listening/rules").json() if r["name"] == "Negative spikes"]
    assert rule["kind"] == "negative_spike"
    assert "Negative spike" in client.get("/listening/alerts").text


def test_nav_shows_listening(env: Env) -> None:
    assert 'href="/listening/search"' in env.client(Role.EXECUTIVE_VIEWER).get("/listening/topics").text


def test_scheduler_tick_runs_due_sources_and_survives_a_failure(
    env: Env, ids: ListeningIds, tmp_path: Path
) -> None:
    export = tmp_path / "export.jsonl"
    export.write_text(
        '{"platform": "x", "id": "tick-1", "text": "Flu clinic at Riverbend Health was quick", '
        '"author": "pat", "created_at": "2024-05-01T12:00:00Z"}\n'
        "{truncated\n",
        encoding="utf-8",
    )
    admin = env.actor(Role.ADMIN)
    with env.db.session() as session:
        good = ConnectorSource(
            organization_id=admin.organization_id,
            name="Good export",
            name_key="good export",
            connector="file.import",
            options={"path": str(export)},
            cursor="{}",
            interval_seconds=300,
        )
        broken = ConnectorSource(
            organization_id=admin.organization_id,
            name="Unknown connector",
            name_key="unknown connector",
            connector="no.such.connector",
            options={},
            cursor="{}",
            interval_seconds=300,
        )
        session.add_all([good, broken])
        session.flush()
        good_id, broken_id = good.id, broken.id
    clock = FakeClock(utcnow())
    with httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(500))) as http:
        scheduler = ListeningScheduler(env.db, env.settings, http=http, clock=clock)
        results = scheduler.tick()
        by_id = {result.source_id: result for result in results}
        assert by_id[good_id].stored == 1
        assert by_id[good_id].quarantined == 1
        assert by_id[broken_id].status == "error"
        assert by_id[ids.source_id].status == "error"  # its file does not exist; the others still ran
        # Nothing is due again until the interval has passed.
        clock.advance(10)
        assert scheduler.tick() == []
        clock.advance(300)
        assert {result.source_id for result in scheduler.tick()} == {good_id, broken_id, ids.source_id}
    with env.db.session() as session:
        health = session.execute(
            sa.select(ConnectorSource.health_status).where(ConnectorSource.id == broken_id)
        ).scalar_one()
    assert health == "error"
