"""Screening over HTTP: POST /api/screen (single, batch, errors, CSRF), the /screen page (highlights, verdict,
rewrite, offline template, no JavaScript needed) and the screening settings (page and API, audited)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from httpx import Response

from rounds.db.models import AuditEvent
from rounds.domain.roles import Role
from rounds.domain.screening import Policy

from .conftest import Env

PHI_POST = "pt Zebulon Quackenbush in bed 12 keeps pulling his IV lol"
REVIEW_BRIBE = "Get a $10 gift card for a 5-star review!"
REPLY = "We're sorry about your stay on 4 West last Tuesday"
PARENT = "My dad was on 4 West last Tuesday and nobody answered the call light"


def api_post(env: Env, role: Role, path: str, body: object) -> Response:
    client = env.client(role)
    response: Response = client.post(path, json=body, headers={"X-CSRF-Token": client.csrf})
    return response


# --- API -----------------------------------------------------------------------------------------------------


def test_api_screens_one_text(env: Env) -> None:
    response = api_post(env, Role.CONTENT_AUTHOR, "/api/screen", {"text": PHI_POST, "kind": "post"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verdict"] == "block"
    assert body["kind"] == "post"
    assert body["reasons"]
    assert body["patient_linked"] is True
    assert "Quackenbush" not in body["rewrite"]
    finding = next(f for f in body["findings"] if f["type"] == "NAME")
    assert PHI_POST[finding["start"] : finding["end"]].endswith("Quackenbush")
    assert set(finding) >= {"start", "end", "type", "component", "rule", "score", "explanation"}


def test_api_reply_with_thread_context(env: Env) -> None:
    body = {
        "text": REPLY,
        "kind": "reply",
        "context": {"text": PARENT, "author": "@dad", "is_organization": False},
    }
    result = api_post(env, Role.RESPONDER, "/api/screen", body).json()
    assert result["verdict"] == "block"
    assert result["relationship_confirmation"] is True
    assert result["offline_template"]
    as_string = api_post(env, Role.RESPONDER, "/api/screen", {**body, "context": PARENT}).json()
    assert as_string["verdict"] == "block"


def test_api_batch_keeps_order_and_ids(env: Env) -> None:
    items = [
        {"id": "a", "text": "Flu shots today in the lobby, 9 to 5."},
        {"id": "b", "text": REVIEW_BRIBE},
        {"id": "c", "text": REPLY, "kind": "reply", "context": PARENT},
    ]
    response = api_post(env, Role.SOCIAL_MEDIA_MANAGER, "/api/screen", {"items": items})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["id"], r["verdict"]) for r in results] == [("a", "ok"), ("b", "block"), ("c", "block")]


def test_api_bad_input_is_a_clear_422(env: Env) -> None:
    cases = {
        "empty": ({"text": ""}, "text"),
        "whitespace": ({"text": "   "}, "text"),
        "too long": ({"text": "a" * 1_000_001}, "text"),
        "unknown kind": ({"text": "hello", "kind": "tweet"}, "kind"),
        "missing text": ({"kind": "post"}, "text"),
        "too many": ({"items": [{"text": "hi"}] * 501}, "items"),
        "bad item": ({"items": [{"text": "hi"}, {"text": " "}]}, "items.1.text"),
        "empty batch": ({"items": []}, "items"),
    }
    for name, (body, field) in cases.items():
        response = api_post(env, Role.CONTENT_AUTHOR, "/api/screen", body)
        assert response.status_code == 422, (name, response.text[:300])
        error = response.json()["error"]
        assert error["code"] == "validation_failed", name
        assert error["message"], name
        fields = [detail["field"] or "" for detail in error.get("details", [])]
        assert any(f.endswith(field) for f in fields), (name, fields)
        assert "a" * 100 not in response.text  # the text is never echoed


def test_api_needs_csrf_and_a_session(env: Env) -> None:
    client = env.client(Role.CONTENT_AUTHOR)
    missing = client.post("/api/screen", json={"text": PHI_POST})
    assert missing.status_code == 403
    assert missing.json()["error"]["code"] == "csrf_failed"
    wrong = client.post("/api/screen", json={"text": PHI_POST}, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    anonymous = env.anonymous().post("/api/screen", json={"text": PHI_POST})
    assert anonymous.status_code == 401


def test_api_executive_viewer_may_not_screen(env: Env) -> None:
    response = api_post(env, Role.EXECUTIVE_VIEWER, "/api/screen", {"text": "hello"})
    assert response.status_code == 403


def test_openapi_describes_the_screen_endpoint(env: Env) -> None:
    schema = env.client(Role.ADMIN).get("/openapi.json").json()
    operation = schema["paths"]["/api/screen"]["post"]
    assert "screening" in operation["tags"]
    components = schema["components"]["schemas"]
    assert {"ScreenItem", "ScreenBatch", "ScreeningOut", "FindingOut"} <= set(components)
    assert "/api/screening/settings" in schema["paths"]


def test_screening_writes_no_audit_event(env: Env) -> None:
    with env.db.session() as session:
        before = session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()
    api_post(env, Role.CONTENT_AUTHOR, "/api/screen", {"text": PHI_POST})
    with env.db.session() as session:
        after = session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one()
    assert after == before


# --- page ----------------------------------------------------------------------------------------------------


def screen_page(env: Env, role: Role, **fields: str) -> str:
    client = env.client(role)
    response = client.post("/screen", data={"csrf_token": client.csrf, **fields})
    assert response.status_code == 200, response.text[:500]
    assert response.headers["cache-control"] == "no-store"
    text: str = response.text
    return text


def test_page_form_and_navigation(env: Env) -> None:
    page = env.client(Role.CLINICIAN_AUTHOR).get("/screen")
    assert page.status_code == 200
    assert 'href="/screen"' in page.text  # the nav entry
    assert 'name="text"' in page.text and 'name="kind"' in page.text
    assert 'value="review_response"' in page.text and 'name="context_is_organization"' in page.text
    assert 'href="/settings/screening"' not in page.text  # only for those who manage the policy
    assert 'href="/screen"' not in env.client(Role.EXECUTIVE_VIEWER).get("/").text
    assert 'href="/settings/screening"' in env.client(Role.PRIVACY_OFFICER).get("/screen").text


def test_page_highlights_findings_and_offers_a_rewrite(env: Env) -> None:
    page = screen_page(env, Role.CONTENT_AUTHOR, text=PHI_POST, kind="post")
    assert "verdict-block" in page and "Blocked" in page
    marks = re.findall(r'<mark class="f-(\w+)" title="([^"]+)" tabindex="0">([^<]*)', page)
    assert any(category == "identifier" and "Quackenbush" in text for category, _title, text in marks)
    assert all(title for _category, title, _text in marks)  # every highlight explains itself
    assert 'class="legend"' in page
    assert 'id="finding-1"' in page and 'href="#finding-1"' in page  # highlight → table row, no JS needed
    rewrite = re.search(r'<pre class="rewrite" id="rewrite-text">([^<]*)</pre>', page)
    assert rewrite and "Quackenbush" not in rewrite.group(1)
    assert 'data-copy="rewrite-text" hidden' in page  # the copy button appears only with JS


def test_page_shows_warn_and_the_offline_template_for_replies(env: Env) -> None:
    warned = screen_page(env, Role.RESPONDER, text="You should stop taking your metformin", kind="reply")
    assert "verdict-warn" in warned and "Warning" in warned
    reply = screen_page(
        env, Role.RESPONDER, text=REPLY, kind="reply", context_text=PARENT, context_author="@dad"
    )
    assert "verdict-block" in reply
    assert 'id="offline-text"' in reply and 'data-copy="offline-text"' in reply
    assert "Confirms a patient relationship" in reply


def test_page_escapes_the_text(env: Env) -> None:
    page = screen_page(env, Role.CONTENT_AUTHOR, text="<script>alert(1)</script> see room 12", kind="post")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_page_bad_input_shows_the_form_again(env: Env) -> None:
    client = env.client(Role.CONTENT_AUTHOR)
    response = client.post("/screen", data={"csrf_token": client.csrf, "text": "  ", "kind": "post"})
    assert response.status_code == 422
    assert "There is no text to screen." in response.text
    response = client.post("/screen", data={"csrf_token": client.csrf, "text": "hi", "kind": "tweet"})
    assert response.status_code == 422
    assert "Unknown kind" in response.text


def test_page_needs_csrf(env: Env) -> None:
    response = env.client(Role.CONTENT_AUTHOR).post("/screen", data={"text": PHI_POST})
    assert response.status_code == 403


# --- settings ------------------------------------------------------------------------------------------------


def last_event(env: Env) -> AuditEvent:
    with env.db.session() as session:
        return session.execute(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).scalar_one()


def test_settings_page_saves_and_audits(env: Env) -> None:
    client = env.client(Role.PRIVACY_OFFICER)
    page = client.get("/settings/screening")
    assert page.status_code == 200
    assert 'name="rule_review_incentives_mode"' in page.text
    form = {"csrf_token": client.csrf, "public_figures": "Gov. Ann Brightwater\n\nDr. Famous Speaker"}
    for name, rule in Policy().rules().items():
        form[f"rule_{name}_mode"] = rule.mode.value
        form[f"rule_{name}_reason"] = rule.reason
    form["rule_review_incentives_mode"] = "off"
    saved = client.post("/settings/screening", data=form)
    assert saved.status_code == 303
    assert saved.headers["location"] == "/settings/screening?done=screening_settings_saved"
    assert "Screening settings saved" in client.get(saved.headers["location"]).text
    event = last_event(env)
    assert event.action == "screening.settings_updated"
    assert event.before and event.after
    assert event.before["policy"]["review_incentives"]["mode"] == "block"
    assert event.after["policy"]["review_incentives"]["mode"] == "off"
    assert event.after["public_figures"] == ["Gov. Ann Brightwater", "Dr. Famous Speaker"]
    # The new policy applies to the next screening.
    result = api_post(env, Role.CONTENT_AUTHOR, "/api/screen", {"text": REVIEW_BRIBE}).json()
    assert result["verdict"] == "ok"


def test_settings_page_shows_errors_and_keeps_input(env: Env) -> None:
    client = env.client(Role.ADMIN)
    response = client.post(
        "/settings/screening",
        data={
            "csrf_token": client.csrf,
            "urls": "https://www.facebook.com/stexample",
            "emails": "press@x.org",
        },
    )
    assert response.status_code == 422
    assert "shared by everyone" in response.text
    assert "press@x.org" in response.text


def test_settings_api_round_trip(env: Env) -> None:
    client = env.client(Role.ADMIN)
    current = client.get("/api/screening/settings").json()
    assert current["policy"]["review_incentives"]["mode"] == "block"
    assert "@stexample_heart" in current["registry_handles"]
    body: dict[str, Any] = {
        "policy": {"medical_advice": {"mode": "block", "reason": "Clinicians never advise online."}},
        "phones": ["(555) 010-0100"],
        "patient_relations_contact": "Patient Relations at (555) 010-0100",
    }
    response = client.put("/api/screening/settings", json=body, headers={"X-CSRF-Token": client.csrf})
    assert response.status_code == 200, response.text
    saved = response.json()
    assert saved["policy"]["medical_advice"] == body["policy"]["medical_advice"]
    assert saved["policy"]["review_incentives"]["mode"] == "block"  # not given: default
    assert saved["effective_patient_relations_contact"] == "Patient Relations at (555) 010-0100"
    assert last_event(env).action == "screening.settings_updated"
    reply = api_post(
        env, Role.RESPONDER, "/api/screen", {"text": "Sorry to hear that.", "kind": "reply"}
    ).json()
    assert "(555) 010-0100" in reply["offline_template"]
    bad = client.put(
        "/api/screening/settings",
        json={"policy": {"medical_advice": {"mode": "maybe", "reason": "x"}}},
        headers={"X-CSRF-Token": client.csrf},
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "validation_failed"
    no_csrf = client.put("/api/screening/settings", json=body)
    assert no_csrf.status_code == 403
