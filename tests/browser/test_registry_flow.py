"""Browser test: a real uvicorn server and Debian's Chromium driven by Playwright.

Logs in through the login form, adds an account-registry entry through the form, and finds it in the list.
Skipped with the reason when /usr/bin/chromium is missing (``apt-get install -y chromium``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rounds.db import Database
from rounds.db.migrate import upgrade
from rounds.services import auth, departments
from rounds.services.context import Origin
from rounds.settings import load_settings
from rounds.web.app import create_app

PASSWORD = "correct horse battery staple"


@pytest.fixture
def server(tmp_path: Path, serve: Callable[[Any], str]) -> Iterator[str]:
    settings = load_settings(data_dir=tmp_path, environment="test")
    db = Database(settings)
    upgrade(db)
    origin = Origin.system()
    admin = auth.do_first_run_setup(
        db,
        settings,
        organization_name="St. Example Health",
        username="admin",
        display_name="Ada Admin",
        email="admin@example.org",
        password=PASSWORD,
        origin=origin,
    )
    departments.do_create_department(db, admin, name="Cardiology", origin=origin)
    base = serve(create_app(settings, db))
    yield base
    db.dispose()


def test_login_and_create_a_registry_entry(server: str, browser: Any) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{server}/accounts")
    expect(page).to_have_url(f"{server}/login?next=%2Faccounts")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Account registry")).to_be_visible()

    page.get_by_role("link", name="Add account").click()
    page.get_by_label("Platform").select_option("bluesky")
    page.get_by_label("Handle").fill("@heart.stexample.org")
    page.get_by_label("URL").fill("https://bsky.app/profile/heart.stexample.org")
    page.get_by_label("Owning department").select_option(label="Cardiology")
    page.get_by_label("Owner", exact=True).select_option(label="Ada Admin (admin)")
    page.get_by_label("Purpose").fill("Heart health education")
    page.get_by_role("button", name="Add account").click()

    expect(page.get_by_text("Account added to the registry.")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
    row = page.get_by_role("row").filter(has_text="@heart.stexample.org")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Bluesky")
    expect(row).to_contain_text("Cardiology")
    expect(row).to_contain_text("Ada Admin")
