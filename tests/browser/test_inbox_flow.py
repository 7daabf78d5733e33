"""Browser test: the engagement inbox end to end, in Debian's Chromium against a real uvicorn server, with a
loopback fake of X's API (``rounds.connectors.fakes.FakeServer``) behind the real X reply sender.

1. A responder has the inbox open. A complaint replying to our X account is ingested (real ingest, real
   enrichment and screening) and ``sync`` makes a case: the list updates live (Server-Sent Events), prioritized
   with its reason and a response timer.
2. From the keyboard: ``j`` selects it, ``a`` assigns it to me, ``r`` opens the composer.
3. A reply naming the visit ("last Tuesday on 4 West") is blocked, with the reason shown and Send disabled
   (a responder sees no override).
4. The take-it-offline template is drafted, screened ok and sent through the fake X: exactly one request, with
   our text, answering the complaint. The case resolves (``e``) and the first-response time appears in the
   metrics.
5. A failed send: X answers 500, the reply is marked "outcome unknown", never resent blindly; reconciling (X
   has no such reply) marks it "not sent", and sending again posts it once.

Skipped with the reason when /usr/bin/chromium is missing (``apt-get install -y chromium``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from rounds.connectors.clock import SystemClock
from rounds.connectors.fakes import FakeServer, Reply, Seen
from rounds.connectors.replies import reply_sender_for
from rounds.db import Database
from rounds.db.inbox import InboxReply
from rounds.db.migrate import upgrade
from rounds.domain.replies import ReplySender
from rounds.domain.roles import Role
from rounds.services import accounts, auth, inbox_sync, listening_ingest, users
from rounds.services.accounts import AccountInput
from rounds.services.context import Actor, Origin
from rounds.services.inbox_replies import SenderTarget
from rounds.settings import Settings, load_settings
from rounds.web.app import create_app

PASSWORD = "correct horse battery staple"

OUR_ID = "4242"
VISIT_REPLY = "So sorry about your visit last Tuesday on 4 West, we hope you are feeling better."


@dataclass
class World:
    base: str
    db: Database
    settings: Settings
    admin: Actor
    fake: FakeServer
    tmp: Path
    posted: list[dict[str, Any]]

    def ingest(self, *lines: dict[str, Any]) -> None:
        path = self.tmp / f"batch-{time.monotonic_ns()}.jsonl"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        listening_ingest.import_file(self.db, self.admin, path, origin=Origin.system())

    def sync(self) -> list[int]:
        return inbox_sync.do_sync_cases(self.db, self.admin, origin=Origin.system()).case_ids

    def tweets(self) -> list[Seen]:
        return [seen for seen in self.fake.requests if seen.method == "POST" and seen.path == "/2/tweets"]


def _complaint(remote_id: str, author: str, hours_ago: float) -> list[dict[str, Any]]:
    at = datetime.now(UTC) - timedelta(hours=hours_ago)
    ours = {
        "platform": "x",
        "id": f"{remote_id}0",
        "text": "Our new urgent care clinic on Main Street opens Monday at 8am.",
        "author": "RiverbendHealth",
        "created_at": (at - timedelta(hours=1)).isoformat(),
    }
    complaint = {
        "platform": "x",
        "id": remote_id,
        "text": "@RiverbendHealth I waited five hours in your emergency room and the staff were rude. "
        "Terrible service, worst experience ever.",
        "author": author,
        "parent_id": f"{remote_id}0",
        "created_at": at.isoformat(),
    }
    return [ours, complaint]


@pytest.fixture
def world(tmp_path: Path, serve: Callable[[Any], str]) -> Iterator[World]:
    settings = load_settings(data_dir=tmp_path, environment="test")
    db = Database(settings)
    upgrade(db)
    origin = Origin.system()
    admin = auth.do_first_run_setup(
        db,
        settings,
        organization_name="Riverbend Health",
        username="admin",
        display_name="Avery Admin",
        email="admin@example.org",
        password=PASSWORD,
        origin=origin,
    )
    users.do_create_user(
        db,
        settings,
        admin,
        username="ravi",
        display_name="Ravi Responder",
        email="ravi@example.org",
        password=PASSWORD,
        role=Role.RESPONDER,
        department_id=None,
        origin=origin,
    )
    accounts.do_create_account(
        db,
        admin,
        AccountInput(
            platform="x", handle="@RiverbendHealth", display_name="Riverbend", requires_approval=False
        ),
        origin=origin,
    )

    posted: list[dict[str, Any]] = []

    def create_tweet(seen: Seen) -> Reply:
        body = json.loads(seen.body or b"{}")
        posted.append(body)
        return Reply(201, {"data": {"id": f"19{len(posted):04d}", "text": body.get("text", "")}})

    fake = FakeServer().start()
    fake.handle("POST", "/2/tweets", create_tweet)
    http = httpx.Client(timeout=5.0)

    def factory(target: SenderTarget) -> ReplySender | None:
        # The real X sender, credentials and options as a connector source holds them, pointed at the fake.
        if target.platform != "x":
            return None
        return reply_sender_for(
            "x",
            credentials={"access_token": "loopback-test-token"},
            http_client=http,
            clock=SystemClock(),
            options={"base_url": fake.url, "user_id": OUR_ID},
        )

    app = create_app(settings, db)
    app.state.inbox_sender_factory = factory
    app.state.inbox_events_poll_seconds = 0.25
    base = serve(app)
    yield World(base=base, db=db, settings=settings, admin=admin, fake=fake, tmp=tmp_path, posted=posted)
    fake.stop()
    http.close()
    db.dispose()


def _login(page: Any, base: str, username: str, target: str) -> None:
    page.goto(f"{base}{target}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _reply_statuses(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.execute(sa.select(InboxReply.status).order_by(InboxReply.id)).scalars())


def test_complaint_to_safe_reply_to_metrics(world: World, browser: Any) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()
    page.set_default_timeout(20_000)
    _login(page, world.base, "ravi", "/inbox")
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(page.locator("#case-count")).to_have_text("0 cases.")
    expect(page.locator("#live")).to_have_attribute("data-live", "on")

    # A complaint arrives; sync makes a case; the open page shows it without a reload.
    world.ingest(*_complaint("1700000000000000001", "pat_in_pain", hours_ago=2))
    assert len(world.sync()) == 1
    row = page.locator("tr.case-row")
    expect(row).to_have_count(1)
    expect(page.locator("#case-count")).to_have_text("1 case.")
    expect(row).to_contain_text("Complaint")
    expect(row.locator(".reason")).to_contain_text("complaint (+20)")
    # 24 h target, 2 h already waited
    expect(row.locator(".response-clock")).to_contain_text("due in 2")

    # Keyboard: select, assign to me, open the composer.
    page.keyboard.press("j")
    expect(row).to_have_class("case-row current")
    page.keyboard.press("a")
    expect(page.get_by_text("The case is yours.")).to_be_visible()
    expect(page.locator("tr.case-row")).to_contain_text("Ravi Responder")
    expect(page.locator("tr.case-row")).to_contain_text("assigned")
    page.keyboard.press("j")
    page.keyboard.press("r")
    expect(page.get_by_role("heading", name="Write a reply")).to_be_visible()
    expect(page.locator("#priority-reason")).to_contain_text("complaint (+20)")
    expect(page.locator("#case-assignee")).to_contain_text("Ravi Responder")

    # A reply naming the visit is blocked, with the reason, and cannot be sent.
    page.get_by_label("Your words").fill(VISIT_REPLY)
    page.get_by_role("button", name="Draft and screen").click()
    expect(page.get_by_text("Reply drafted and screened")).to_be_visible()
    blocked = page.locator("article.reply").first
    expect(blocked).to_have_attribute("data-status", "blocked")
    expect(blocked.locator(".screening-result")).to_contain_text("Screening: block")
    expect(blocked.locator(".screening-result .reasons")).to_contain_text("patient")
    expect(blocked.locator("button.send-button")).to_be_disabled()
    expect(blocked.locator("form.override-form")).to_have_count(0)  # responders cannot override
    assert world.tweets() == []

    # The safe template goes out through the fake X: exactly one request.
    page.get_by_label("Start from a template").select_option("take_offline")
    page.get_by_role("button", name="Draft and screen").click()
    safe = page.locator("article.reply").first
    expect(safe).to_have_attribute("data-status", "approved")
    expect(safe.locator(".screening-result")).to_contain_text("Screening: ok")
    safe.get_by_role("button", name="Send on x").click()
    expect(page.get_by_text("Reply sent.")).to_be_visible()
    sent = page.locator("article.reply").first
    expect(sent).to_have_attribute("data-status", "sent")
    expect(sent.get_by_role("link", name="see it on x")).to_have_attribute(
        "href", "https://x.com/i/web/status/190001"
    )
    assert len(world.tweets()) == 1
    assert world.posted[0]["reply"] == {"in_reply_to_tweet_id": "1700000000000000001"}
    assert "patient" in world.posted[0]["text"].lower() or "contact" in world.posted[0]["text"].lower()
    assert world.tweets()[0].headers["authorization"] == "Bearer loopback-test-token"
    assert _reply_statuses(world.db) == ["blocked", "sent"]

    # Resolve from the keyboard; the response time is in the metrics.
    page.keyboard.press("e")
    expect(page.locator("#case-status")).to_have_text("resolved")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    page.get_by_role("navigation", name="Inbox").get_by_role("link", name="Metrics").click()
    expect(page.get_by_role("heading", name="Inbox metrics")).to_be_visible()
    expect(page.locator("#m-cases")).to_have_text("1")
    expect(page.locator("#m-first-response")).to_have_text("2.0 h")
    complaint_row = page.locator("#by-category tr").filter(has_text="Complaint")
    expect(complaint_row).to_contain_text("1 / 1")  # within target
    expect(complaint_row).to_contain_text("100%")
    assert len(world.tweets()) == 1  # nothing else was sent


def test_failed_send_stays_unsent_and_marked(world: World, browser: Any) -> None:
    from playwright.sync_api import expect

    world.ingest(*_complaint("1700000000000000002", "angry_alex", hours_ago=1))
    (case_id,) = world.sync()
    world.fake.add("POST", "/2/tweets", Reply(500, {"title": "Internal Error"}))
    world.fake.add("GET", f"/2/users/{OUR_ID}/tweets", Reply(200, {"data": [], "meta": {"result_count": 0}}))

    page = browser.new_page()
    page.set_default_timeout(20_000)
    _login(page, world.base, "ravi", f"/inbox/cases/{case_id}")
    page.get_by_label("Start from a template").select_option("take_offline")
    page.get_by_role("button", name="Draft and screen").click()
    reply = page.locator("article.reply").first
    expect(reply).to_have_attribute("data-status", "approved")

    # X answers 500: the platform may or may not have posted it. Marked unknown, not resent.
    reply.get_by_role("button", name="Send on x").click()
    expect(page.get_by_text("Rounds could not tell whether the platform posted the reply")).to_be_visible()
    reply = page.locator("article.reply").first
    expect(reply).to_have_attribute("data-status", "unknown")
    expect(reply.locator(".send-result")).to_contain_text("server_error")
    expect(reply.get_by_role("button", name="Send on x")).to_have_count(0)
    assert _reply_statuses(world.db) == ["unknown"]
    assert len(world.tweets()) == 1

    # Reconcile: X shows no such reply, so it is marked not sent, safe to send again.
    reply.get_by_role("button", name="Check the platform (reconcile)").click()
    reply = page.locator("article.reply").first
    expect(reply).to_have_attribute("data-status", "failed")
    expect(reply.locator(".send-result")).to_contain_text("Not sent.")
    expect(reply.locator(".send-result")).to_contain_text("safe to send again")
    assert len(world.tweets()) == 1

    # Fixed: send again posts it once.
    world.fake.handle("POST", "/2/tweets", lambda seen: Reply(201, {"data": {"id": "777"}}))
    reply.get_by_role("button", name="Send again").click()
    expect(page.get_by_text("Reply sent.")).to_be_visible()
    assert _reply_statuses(world.db) == ["sent"]
    assert len(world.tweets()) == 2
