"""The inbox pages and API in-process: list, filters, bulk, case page, the composer and every reply step,
live-update stream, metrics and settings. Each test has its own database (seeded by ``inbox_seed``)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from rounds.domain.roles import Role

from .conftest import Client, Env
from .inbox_seed import BLOCKED_TEXT, COMPLAINT_TEXT, SAFE_TEXT, FakeSender, InboxIds, seed_inbox, seeded_copy


@pytest.fixture
def ids(env: Env) -> InboxIds:
    seeded_copy(env.world.template_dir, env.settings.data_dir, env.db)
    return seed_inbox(env.db, env.settings)


def with_sender(client: Client, sender: FakeSender) -> Client:
    client.app.state.inbox_sender_factory = sender.factory  # type: ignore[attr-defined]
    return client


def post(client: Client, path: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(path, data={"csrf_token": client.csrf, **(data or {})})


def test_inbox_lists_cases_by_priority_with_reason_and_timer(env: Env, ids: InboxIds) -> None:
    page = env.client(Role.RESPONDER).get("/inbox")
    assert page.status_code == 200
    html = page.text
    assert f'data-case="{ids.case_id}"' in html and f'data-case="{ids.other_case_id}"' in html
    assert html.index(f'data-case="{ids.case_id}"') < html.index(f'data-case="{ids.other_case_id}"')
    assert "Why: complaint (+20)" in html
    assert re.search(r'class="timer response-clock timer-due"[^>]*>due in 2[12] h', html)
    assert re.search(r'class="timer resolution-clock timer-due"[^>]*>due in 2 d 2[12] h', html)  # 72 h
    assert "self-disclosed health details" in html
    assert 'href="/inbox"' in html and 'aria-current="page"' in html  # the nav entry
    assert 'id="bulk-form"' not in html  # responders take cases, they do not bulk-assign
    assert 'data-events="/inbox/events"' in html


def test_filters_and_fragment(env: Env, ids: InboxIds) -> None:
    client = env.client(Role.SOCIAL_MEDIA_MANAGER)
    only = client.get("/inbox?category=question").text
    assert f'data-case="{ids.other_case_id}"' in only and f'data-case="{ids.case_id}"' not in only
    queued = client.get(f"/inbox?queue={ids.queue_id}").text
    assert f'data-case="{ids.case_id}"' in queued and f'data-case="{ids.other_case_id}"' not in queued
    assert client.get("/inbox?category=nonsense").status_code == 422
    fragment = client.get("/inbox/list?status=open")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and f'data-case="{ids.case_id}"' in fragment.text


def test_bulk_assign_status_and_tags(env: Env, ids: InboxIds) -> None:
    client = env.client(Role.SOCIAL_MEDIA_MANAGER)
    cases = {"case_ids": [str(ids.case_id), str(ids.other_case_id)]}
    response = client.post(
        "/inbox/bulk", data={"csrf_token": client.csrf, "action": "assign", "assignee": "me", **cases}
    )
    assert response.status_code == 303 and "done=bulk_done" in response.headers["location"]
    response = client.post(
        "/inbox/bulk", data={"csrf_token": client.csrf, "action": "add_tags", "tags": "vip, billing", **cases}
    )
    assert response.status_code == 303
    html = client.get("/inbox?assignee=me").text
    assert html.count('class="badge tag">vip<') == 2
    response = client.post(
        "/inbox/bulk", data={"csrf_token": client.csrf, "action": "status", "status": "resolved", **cases}
    )
    assert response.status_code == 303
    assert "0 cases" in client.get("/inbox?status=open").text
    refused = client.post(
        "/inbox/bulk", data={"csrf_token": client.csrf, "action": "assign", "assignee": "me"}
    )
    assert refused.status_code == 422


def test_take_and_resolve_from_the_list(env: Env, ids: InboxIds) -> None:
    client = env.client(Role.RESPONDER)
    taken = post(client, f"/inbox/cases/{ids.other_case_id}/assign", {"assignee": "me", "next": "/inbox"})
    assert taken.status_code == 303 and taken.headers["location"].startswith("/inbox?done=taken")
    page = client.get(f"/inbox/cases/{ids.other_case_id}").text
    assert "Responder Person" in page
    resolved = post(
        client, f"/inbox/cases/{ids.other_case_id}/status", {"status": "resolved", "next": "/inbox"}
    )
    assert resolved.status_code == 303
    assert 'id="case-status">resolved<' in client.get(f"/inbox/cases/{ids.other_case_id}").text


def test_case_page_shows_thread_context_explanations_phi_banner_and_replies(env: Env, ids: InboxIds) -> None:
    html = env.client(Role.PRIVACY_OFFICER).get(f"/inbox/cases/{ids.case_id}").text
    assert "In reply to" in html and "Our new urgent care clinic opens Monday." in html
    assert "rude to me" in html  # the post (escaped, highlighted)
    assert '<mark class="f-identifier" title="A health condition described by its author"' in html
    assert "describes a bad experience with a service" in html  # enrichment explanation
    assert "shared their own health details in public" in html
    assert "Hide the comment" in html and "Record a privacy incident" in html
    assert 'id="response-timer"' in html and "target: first response by" in html
    assert 'id="resolution-timer"' in html and "target: resolved by" in html
    # the blocked reply: reason shown, send disabled, the override form for the privacy officer
    blocked = html[html.index(f'id="reply-{ids.blocked_reply_id}"') :]
    blocked = blocked[: blocked.index("</article>")]
    assert "Screening: block" in blocked and "confirms or implies" in blocked
    assert 'disabled class="send-button"' in blocked
    assert "Override and allow sending" in blocked
    # the privacy officer may not respond: no composer
    assert 'id="composer"' not in html
    responder = env.client(Role.RESPONDER).get(f"/inbox/cases/{ids.case_id}").text
    assert 'id="composer"' in responder and "Override and allow sending" not in responder
    assert "ask a privacy officer to override" in responder


def test_composer_templates_and_screening_before_send(env: Env, ids: InboxIds) -> None:
    client = env.client(Role.RESPONDER)
    response = post(client, f"/inbox/cases/{ids.case_id}/replies", {"template": "take_offline"})
    assert response.status_code == 303 and "done=reply_drafted" in response.headers["location"]
    html = client.get(response.headers["location"]).text
    assert "template: Take offline" in html and "Screening: ok" in html
    missing_source = post(client, f"/inbox/cases/{ids.case_id}/replies", {"template": "misinformation"})
    assert missing_source.status_code == 422 and "needs a source link" in missing_source.text
    crisis = post(client, f"/inbox/cases/{ids.case_id}/replies", {"template": "crisis"})
    assert "988" in client.get(crisis.headers["location"]).text
    blocked = post(client, f"/inbox/cases/{ids.case_id}/replies", {"text": BLOCKED_TEXT})
    assert blocked.status_code == 303
    assert "Blocked by screening" in client.get(blocked.headers["location"]).text


def test_warn_needs_acknowledgement_then_approval_then_send(env: Env, ids: InboxIds) -> None:
    sender = FakeSender()
    admin = with_sender(env.client(Role.ADMIN), sender)
    base = f"/inbox/cases/{ids.case_id}/replies/{ids.warn_reply_id}"
    html = admin.get(f"/inbox/cases/{ids.case_id}").text
    assert "I read the warnings" in html
    unticked = post(admin, f"{base}/acknowledge")
    assert unticked.status_code == 422 and "Tick the box" in unticked.text
    assert post(admin, f"{base}/acknowledge", {"confirm": "on"}).status_code == 303
    # the admin wrote it: a second person approves
    own = post(admin, f"{base}/approve")
    assert own.status_code == 409 and "cannot approve it" in own.text
    manager = with_sender(env.client(Role.SOCIAL_MEDIA_MANAGER), sender)
    assert post(manager, f"{base}/approve").status_code == 303
    sent = post(admin, f"{base}/send")
    assert sent.status_code == 303 and "done=sent" in sent.headers["location"]
    assert len(sender.calls) == 1
    page = admin.get(f"/inbox/cases/{ids.case_id}").text
    assert "see it on instagram" in page and "https://instagram.example/r1" in page


def test_privacy_officer_overrides_a_block_with_a_reason(env: Env, ids: InboxIds) -> None:
    officer = env.client(Role.PRIVACY_OFFICER)
    base = f"/inbox/cases/{ids.case_id}/replies/{ids.blocked_reply_id}"
    short = post(officer, f"{base}/override", {"reason": "ok"})
    assert short.status_code == 422 and "needs a reason" in short.text
    done = post(
        officer, f"{base}/override", {"reason": "The author publicly named the unit; approved by privacy."}
    )
    assert done.status_code == 303
    responder = env.client(Role.RESPONDER)
    assert post(responder, f"{base}/override", {"reason": "I think this is fine to send"}).status_code == 403


def test_failed_send_is_marked_unsent_and_can_be_retried(env: Env, ids: InboxIds) -> None:
    sender = FakeSender()
    sender.mode = "fail"
    client = with_sender(env.client(Role.RESPONDER), sender)
    base = f"/inbox/cases/{ids.case_id}/replies/{ids.approved_reply_id}"
    failed = post(client, f"{base}/send")
    assert failed.status_code == 303 and "done=send_failed" in failed.headers["location"]
    html = client.get(failed.headers["location"]).text
    assert "The reply was NOT sent" in html
    card = html[html.index(f'id="reply-{ids.approved_reply_id}"') :]
    assert 'data-status="failed"' in card[:200] and "Not sent." in card and "rejected" in card
    assert "Send again" in card
    sender.mode = "ok"
    assert "done=sent" in post(client, f"{base}/send").headers["location"]
    assert len(sender.posted) == 1


def test_unknown_outcome_is_reconciled_not_resent(env: Env, ids: InboxIds) -> None:
    sender = FakeSender()
    client = with_sender(env.client(Role.RESPONDER), sender)
    html = client.get(f"/inbox/cases/{ids.case_id}").text
    assert "Outcome unknown" in html and "Check the platform (reconcile)" in html
    response = post(client, f"/inbox/cases/{ids.case_id}/replies/{ids.unknown_reply_id}/reconcile")
    assert response.status_code == 303
    assert sender.calls == []  # reconcile asks; it never posts


def test_platform_without_sender_offers_copy_and_mark_sent(env: Env, ids: InboxIds) -> None:
    client = env.client(Role.RESPONDER)  # no connector source: Rounds cannot post on instagram here
    html = client.get(f"/inbox/cases/{ids.case_id}").text
    assert "copy the reply, post it there, then mark it sent" in html
    base = f"/inbox/cases/{ids.case_id}/replies/{ids.approved_reply_id}"
    refused = post(client, f"{base}/send")
    assert refused.status_code == 409 and "mark it sent by hand" in refused.text
    done = post(client, f"{base}/mark-sent", {"remote_url": "https://instagram.example/p/1"})
    assert done.status_code == 303
    assert "(posted by hand)" in client.get(f"/inbox/cases/{ids.case_id}").text


def test_notes_mentions_tags_queue_hide_incident_and_export(env: Env, ids: InboxIds) -> None:
    sender = FakeSender()
    manager = with_sender(env.client(Role.SOCIAL_MEDIA_MANAGER), sender)
    assert (
        post(manager, f"/inbox/cases/{ids.case_id}/notes", {"body": "@responder can you call?"}).status_code
        == 303
    )
    assert "mentioned you" in env.client(Role.RESPONDER).get("/inbox").text
    assert post(manager, f"/inbox/cases/{ids.case_id}/tags", {"tags": "urgent, er"}).status_code == 303
    assert post(manager, f"/inbox/cases/{ids.case_id}/queue", {"queue_id": ""}).status_code == 303
    assert post(manager, f"/inbox/cases/{ids.case_id}/hide", {"post_id": str(ids.post_id)}).status_code == 303
    assert sender.hidden == ["ig-complaint"]
    incident = post(
        manager,
        f"/inbox/cases/{ids.case_id}/incidents",
        {"description": "Shared own health details", "actions": "comment_hidden"},
    )
    assert incident.status_code == 303
    pdf = manager.get(f"/inbox/cases/{ids.case_id}/export?audience=legal_risk&fmt=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = manager.get(f"/inbox/cases/{ids.case_id}/export?audience=patient_relations&fmt=text")
    assert text.status_code == 200 and "pat_patient" not in text.text
    history = manager.get(f"/inbox/cases/{ids.case_id}").text
    assert "inbox.case.exported" in history or "exported" in history


def test_events_stream_says_hello_and_ends(env: Env, ids: InboxIds) -> None:
    client = env.client(Role.RESPONDER)
    client.app.state.inbox_events_poll_seconds = 0.05  # type: ignore[attr-defined]
    with client.stream("GET", "/inbox/events?max_seconds=0") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = "".join(response.iter_text())
    assert "event: hello" in body and "event: bye" in body
    assert env.client(Role.CONTENT_AUTHOR).get("/inbox/events?max_seconds=0").status_code == 403


def test_events_stream_reports_a_new_case(env: Env, ids: InboxIds) -> None:
    from rounds.web.pages.inbox_support import inbox_signature

    actor = env.actor(Role.RESPONDER)
    before = inbox_signature(env.db, actor)
    client = env.client(Role.SOCIAL_MEDIA_MANAGER)
    post(client, f"/inbox/cases/{ids.other_case_id}/status", {"status": "resolved"})
    assert inbox_signature(env.db, actor) != before


def test_metrics_page_and_csv(env: Env, ids: InboxIds) -> None:
    client = env.client(Role.EXECUTIVE_VIEWER)
    html = client.get("/inbox/metrics").text
    assert 'id="m-cases">2<' in html and "Volume by intent" in html
    csv = client.get("/inbox/metrics.csv")
    assert csv.status_code == 200 and csv.text.startswith("section,team,category,")
    assert client.get("/inbox").status_code == 403


def test_settings_pages(env: Env, ids: InboxIds) -> None:
    client = env.client(Role.ADMIN)
    html = client.get("/inbox/settings").text
    assert "Response-time targets" in html and "Patient relations" in html
    assert post(client, "/inbox/settings/targets", {"minutes_complaint": "120"}).status_code == 303
    assert (
        'name="minutes_complaint" type="number" min="1" max="43200" value="120"'
        in client.get("/inbox/settings").text
    )
    saved = post(client, "/inbox/settings/targets", {"resolution_minutes_complaint": "2880"})
    assert saved.status_code == 303
    assert 'name="resolution_minutes_complaint" type="number" min="1" max="129600" value="2880"' in (
        client.get("/inbox/settings").text
    )
    assert client.get("/api/inbox/resolution-targets").json()["complaint"] == 2880
    bad = post(client, "/inbox/settings/targets", {"minutes_complaint": "0"})
    assert bad.status_code == 422
    saved = post(
        client,
        "/inbox/settings/on-call",
        {
            "on_call_email": "oncall@example.org",
            "on_call_webhook_url": "https://hooks.example/abc",
            "breach_in_app": "on",
        },
    )
    assert saved.status_code == 303
    page = client.get("/inbox/settings").text
    assert "hooks.example" in page and "https://hooks.example/abc" not in page
    # saved again with the webhook field left blank: the stored URL is kept; "remove" clears it
    again = post(client, "/inbox/settings/on-call", {"on_call_email": "oncall@example.org"})
    assert again.status_code == 303
    settings = client.get("/api/inbox/settings").json()
    assert settings["on_call_webhook_host"] == "hooks.example"
    post(client, "/inbox/settings/on-call", {"on_call_email": "", "remove_on_call_webhook": "on"})
    assert client.get("/api/inbox/settings").json()["on_call_webhook_host"] == ""
    assert post(client, "/inbox/settings/queues", {"name": "Billing", "members": ["1"]}).status_code == 303
    rule = post(
        client,
        "/inbox/settings/rules",
        {"name": "Complaints", "applies_to_account_posts": "on", "is_active": "on"},
    )
    assert rule.status_code == 303
    rules = client.get("/api/inbox/routing-rules").json()
    complaints = next(r for r in rules if r["name"] == "Complaints")
    assert f'action="/inbox/settings/rules/{complaints["id"]}/delete"' in client.get("/inbox/settings").text
    assert post(client, f"/inbox/settings/rules/{complaints['id']}/delete").status_code == 303
    assert all(r["name"] != "Complaints" for r in client.get("/api/inbox/routing-rules").json())
    assert post(client, f"/inbox/settings/queues/{ids.queue_id}/delete").status_code == 303
    assert client.get(f"/api/inbox/cases/{ids.case_id}").json()["case"]["queue_id"] is None
    assert post(client, f"/inbox/settings/queues/{ids.queue_id}/delete").status_code == 404
    assert env.client(Role.RESPONDER).get("/inbox/settings").status_code == 403


def test_api_cases_and_reply_flow(env: Env, ids: InboxIds) -> None:
    sender = FakeSender()
    client = with_sender(env.client(Role.RESPONDER), sender)
    headers = {"X-CSRF-Token": client.csrf}
    listing = client.get("/api/inbox/cases?status=open").json()
    assert listing["total"] == 2 and listing["items"][0]["id"] == ids.case_id
    detail = client.get(f"/api/inbox/cases/{ids.case_id}").json()
    assert detail["posts"][-1]["text"] == COMPLAINT_TEXT
    reply = client.post(f"/api/inbox/cases/{ids.case_id}/replies", json={"text": SAFE_TEXT}, headers=headers)
    assert reply.status_code == 201 and reply.json()["status"] == "needs_approval"
    blocked = client.post(
        f"/api/inbox/cases/{ids.case_id}/replies", json={"text": BLOCKED_TEXT}, headers=headers
    )
    assert blocked.json()["status"] == "blocked" and blocked.json()["screening_reasons"]
    not_ready = client.post(f"/api/inbox/replies/{blocked.json()['id']}/send", headers=headers)
    assert not_ready.status_code == 409 and not_ready.json()["error"]["code"] == "conflict"
    assert sender.calls == []
    sent = client.post(f"/api/inbox/replies/{ids.approved_reply_id}/send", headers=headers)
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    case = client.get(f"/api/inbox/cases/{ids.case_id}").json()["case"]
    assert case["first_response_at"] is not None and case["status"] == "waiting"
    metrics = client.get("/api/inbox/metrics").json()
    assert metrics["overall"]["responded"] == 1


def test_scheduler_tick_syncs_the_inbox_and_alerts_breaches(env: Env, ids: InboxIds) -> None:
    from datetime import timedelta

    import httpx

    from rounds.db.models import utcnow
    from rounds.jobs.scheduler import ListeningScheduler

    http = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(503)))
    scheduler = ListeningScheduler(env.db, env.settings, http=http)
    scheduler.tick(utcnow() + timedelta(days=3))  # every open case is past its 24 h target by then
    client = env.client(Role.RESPONDER)
    case = client.get(f"/api/inbox/cases/{ids.case_id}").json()["case"]
    assert case["breached_at"] is not None
    first = case["breached_at"]
    scheduler.tick(utcnow() + timedelta(days=4))  # idempotent: alerted once
    assert client.get(f"/api/inbox/cases/{ids.case_id}").json()["case"]["breached_at"] == first
    http.close()


def test_department_lead_sees_own_department_cases_only(env: Env, ids: InboxIds) -> None:
    """The seeded cases came in on the Cardiology account: the Cardiology lead sees them; once a case is in an
    Oncology queue it is gone for the lead (404, like a missing case) and still there for the central team."""
    from rounds.services import inbox_config, inbox_work
    from rounds.services.context import Origin

    from .inbox_seed import _actor

    lead, responder = env.client(Role.DEPARTMENT_LEAD), env.client(Role.RESPONDER)
    assert lead.get(f"/inbox/cases/{ids.case_id}").status_code == 200
    admin = _actor(env.db, "admin")
    oncology = inbox_config.do_save_queue(
        env.db, admin, inbox_config.QueueInput(name="Cancer care", department_id=env.world.oncology_id),
        origin=Origin(),
    )  # fmt: skip
    inbox_work.do_set_queue(env.db, admin, ids.case_id, oncology.id, origin=Origin())
    assert lead.get(f"/inbox/cases/{ids.case_id}").status_code == 404
    assert lead.get(f"/api/inbox/cases/{ids.case_id}").json()["error"]["code"] == "not_found"
    assert f'data-case="{ids.case_id}"' not in lead.get("/inbox").text
    assert f'data-case="{ids.other_case_id}"' in lead.get("/inbox").text
    assert responder.get(f"/inbox/cases/{ids.case_id}").status_code == 200
