"""Sessions, CSRF, errors and the registry through the pages and the API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from rounds.db import Database
from rounds.db.models import WebSession, utcnow
from rounds.domain.roles import Role
from rounds.services import departments

from .conftest import PASSWORD, Env, username_for


@pytest.fixture
def env(any_env: Env) -> Env:
    """Every flow here runs on SQLite and on PostgreSQL."""
    return any_env


def login_csrf(client) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


# --- setup and login ---------------------------------------------------------------------------------------


def test_first_run_setup_redirects_everything_then_creates_the_admin(empty_env: Env) -> None:
    client = empty_env.anonymous()
    for path in ("/", "/accounts", "/login"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/setup"
    api = client.get("/api/accounts")
    assert api.status_code == 409 and api.json()["error"]["code"] == "setup_required"
    form = client.get("/setup")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    fields = {
        "organization_name": "Riverside Health",
        "username": "root-admin",
        "display_name": "Rita Root",
        "email": "rita@example.org",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }
    mismatch = client.post(
        "/setup", data=fields | {"password_confirm": "something else entirely", "csrf_token": token}
    )
    assert mismatch.status_code == 422 and "do not match" in mismatch.text
    done = client.post("/setup", data=fields | {"csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == "/?done=setup"
    home = client.get(done.headers["location"])
    assert home.status_code == 200 and "Rita Root" in home.text and "Setup complete" in home.text
    assert client.get("/setup").headers["location"] == "/login"


def test_login_with_wrong_password_shows_a_clear_error(env: Env) -> None:
    client = env.anonymous()
    token = login_csrf(client)
    response = client.post(
        "/login", data={"username": "admin", "password": "not the password", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    assert "rounds_session" not in response.cookies


def test_login_then_logout_through_the_pages(env: Env) -> None:
    client = env.anonymous()
    token = login_csrf(client)
    response = client.post(
        "/login",
        data={
            "username": username_for(Role.RESPONDER),
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/accounts",
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/accounts"
    cookie = response.headers["set-cookie"]
    assert (
        "rounds_session=" in cookie
        and "HttpOnly" in cookie
        and "SameSite=lax" in cookie.replace("Lax", "lax")
    )
    page = client.get("/accounts")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    out = client.post("/logout", data={"csrf_token": csrf})
    assert out.status_code == 303
    assert client.get("/accounts").headers["location"].startswith("/login")


def test_login_refuses_an_offsite_next(env: Env) -> None:
    client = env.anonymous()
    token = login_csrf(client)
    response = client.post(
        "/login",
        data={
            "username": "admin",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "https://evil.example/",
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_login_form_without_its_csrf_cookie_is_refused(env: Env) -> None:
    response = env.anonymous().post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert "security token" in response.text


def test_repeated_wrong_passwords_are_throttled(env: Env) -> None:
    client = env.anonymous()
    token = login_csrf(client)
    statuses = [
        client.post(
            "/login", data={"username": "admin", "password": "wrong guess", "csrf_token": token}
        ).status_code
        for _ in range(env.settings.login_max_failures + 1)
    ]
    assert statuses[-1] == 429
    api = client.post("/api/session", json={"username": "admin", "password": PASSWORD})
    assert api.status_code == 429 and api.json()["error"]["code"] == "throttled"


def test_not_logged_in_redirects_pages_and_401s_the_api(env: Env) -> None:
    client = env.anonymous()
    page = client.get("/accounts?platform=x")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Faccounts%3Fplatform%3Dx"
    api = client.get("/api/accounts")
    assert api.status_code == 401 and api.json()["error"]["code"] == "authentication_failed"


def test_expired_session_redirects_to_login_with_a_message(env: Env) -> None:
    client = env.client(Role.ADMIN)
    with env.db.session() as session:
        session.execute(sa.update(WebSession).values(expires_at=utcnow() - timedelta(minutes=1)))
    page = client.get("/accounts")
    assert page.status_code == 303
    assert "reason=expired" in page.headers["location"]
    login = env.anonymous().get(page.headers["location"])
    assert "Your session has expired" in login.text
    api = env.client(Role.RESPONDER).get("/api/accounts")
    assert api.status_code == 401 and api.json()["error"]["code"] == "session_expired"


def test_api_login_sets_the_cookie_and_returns_a_csrf_token(env: Env) -> None:
    client = env.anonymous()
    response = client.post("/api/session", json={"username": "admin", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["role"] == "admin" and body["csrf_token"]
    me = client.get("/api/session")
    assert me.status_code == 200 and me.json()["user"]["username"] == "admin"
    out = client.delete("/api/session", headers={"X-CSRF-Token": body["csrf_token"]})
    assert out.status_code == 204
    assert client.get("/api/session").status_code == 401


def test_api_login_refuses_a_form_post(env: Env) -> None:
    """Only JSON logs in through the API, so a cross-site HTML form cannot."""
    response = env.anonymous().post("/api/session", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_failed"


# --- CSRF ----------------------------------------------------------------------------------------------------


def test_unsafe_requests_without_csrf_token_are_refused(env: Env) -> None:
    client = env.client(Role.ADMIN)
    page = client.post("/departments", data={"name": "Radiology"})
    assert page.status_code == 403 and "CSRF" in page.text
    api = client.post("/api/departments", json={"name": "Radiology"})
    assert api.status_code == 403 and api.json()["error"]["code"] == "csrf_failed"
    wrong = client.post("/api/departments", json={"name": "Radiology"}, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    names = [department.name for department in departments.list_departments(env.db, env.actor(Role.ADMIN))]
    assert "Radiology" not in names


def test_form_field_csrf_token_from_the_page_is_accepted(env: Env) -> None:
    client = env.client(Role.ADMIN)
    token = client.form_csrf("/departments")
    response = client.post("/departments", data={"name": "Radiology", "csrf_token": token})
    assert response.status_code == 303
    assert "Radiology" in client.get(response.headers["location"]).text


# --- registry through pages ---------------------------------------------------------------------------------


def account_form(env: Env, **overrides: str) -> dict[str, str]:
    return {
        "platform": "linkedin",
        "handle": "St Example Careers",
        "url": "https://www.linkedin.com/company/st-example",
        "department_id": str(env.world.oncology_id),
        "owner_user_id": str(env.world.user_ids[Role.SOCIAL_MEDIA_MANAGER]),
        "status": "active",
        "last_activity_at": "2020-01-15",
        "requires_approval": "on",
        **overrides,
    }


def test_create_edit_retire_and_history_through_pages(env: Env) -> None:
    client = env.client(Role.SOCIAL_MEDIA_MANAGER)
    token = client.form_csrf("/accounts/new")
    created = client.post("/accounts/new", data=account_form(env) | {"csrf_token": token})
    assert created.status_code == 303
    location = created.headers["location"].split("?")[0]
    detail = client.get(location)
    assert "St Example Careers" in detail.text and "Inactive" in detail.text  # last activity in 2020
    edited = client.post(
        location + "/edit", data=account_form(env, display_name="Careers") | {"csrf_token": token}
    )
    assert edited.status_code == 303
    retired = client.post(location + "/retire", data={"reason": "Replaced", "csrf_token": token})
    assert retired.status_code == 303
    history = client.get(location).text
    for action in ("account.created", "account.updated", "account.retired"):
        assert action in history
    listing = client.get("/accounts?status=retired").text
    assert "St Example Careers" in listing


def test_duplicate_handle_is_a_clear_form_error(env: Env) -> None:
    client = env.client(Role.ADMIN)
    token = client.form_csrf("/accounts/new")
    response = client.post(
        "/accounts/new",
        data=account_form(env, platform="instagram", handle="@StExample_Heart") | {"csrf_token": token},
    )
    assert response.status_code == 409
    assert "already in the registry" in response.text
    assert 'value="@StExample_Heart"' in response.text  # the form keeps what was typed
    api = client.post(
        "/api/accounts",
        json={"platform": "instagram", "handle": "stexample_heart"},
        headers={"X-CSRF-Token": client.csrf},
    )
    assert api.status_code == 409 and api.json()["error"]["code"] == "conflict"


def test_invalid_account_input_names_the_fields(env: Env) -> None:
    client = env.client(Role.ADMIN)
    token = client.form_csrf("/accounts/new")
    response = client.post(
        "/accounts/new", data=account_form(env, platform="myspace", url="ftp://x") | {"csrf_token": token}
    )
    assert response.status_code == 422
    assert "platform" in response.text and "url" in response.text
    api = client.post(
        "/api/accounts", json={"platform": "x", "handle": ""}, headers={"X-CSRF-Token": client.csrf}
    )
    assert api.status_code == 422
    error = api.json()["error"]
    assert error["code"] == "validation_failed" and any(d["field"] == "handle" for d in error["details"])


def test_flagged_filter_lists_accounts_without_owner(env: Env) -> None:
    client = env.client(Role.EXECUTIVE_VIEWER)
    flagged = client.get("/accounts?flagged=on").text
    assert "StExampleCancerCare" in flagged  # no owner, no activity
    home = client.get("/").text
    assert "Flagged accounts" in home and "StExampleCancerCare" in home


# --- CSV import / export ------------------------------------------------------------------------------------

BAD_CSV = (
    "platform,handle,department,owner\n"
    "youtube,@StExampleTV,Cardiology,department-lead\n"
    "myspace,@nope,,\n"
    "instagram,@stexample_heart,,\n"
    "x,@StExampleNews,Nowhere,\n"
)


def test_malformed_csv_import_reports_each_line_and_imports_nothing(env: Env) -> None:
    client = env.client(Role.SOCIAL_MEDIA_MANAGER)
    token = client.form_csrf("/accounts/import")
    response = client.post("/accounts/import", data={"csv_text": BAD_CSV, "csrf_token": token})
    assert response.status_code == 422
    assert "Nothing was imported" in response.text
    lines = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', response.text)]
    assert lines == [3, 4, 5]
    assert "@StExampleTV" not in client.get("/accounts").text


def test_csv_import_of_only_the_good_rows_with_the_explicit_flag(env: Env) -> None:
    client = env.client(Role.SOCIAL_MEDIA_MANAGER)
    token = client.form_csrf("/accounts/import")
    response = client.post(
        "/accounts/import",
        data={"csrf_token": token, "allow_partial": "on"},
        files={"file": ("accounts.csv", BAD_CSV.encode(), "text/csv")},
    )
    assert response.status_code == 200
    assert "Imported 1 of 4 rows" in response.text
    assert "@StExampleTV" in client.get("/accounts").text


def test_csv_import_through_the_api(env: Env) -> None:
    client = env.client(Role.ADMIN)
    headers = {"X-CSRF-Token": client.csrf}
    refused = client.post("/api/accounts/import", json={"csv": BAD_CSV}, headers=headers)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "import_failed"
    assert [d["line"] for d in error["details"]] == [3, 4, 5]
    partial = client.post(
        "/api/accounts/import", json={"csv": BAD_CSV, "allow_partial": True}, headers=headers
    )
    assert partial.status_code == 200
    assert partial.json()["created"] == 1 and len(partial.json()["errors"]) == 3
    no_header = client.post("/api/accounts/import", json={"csv": "just,some,words\n"}, headers=headers)
    assert no_header.status_code == 422 and "header" in no_header.json()["error"]["message"]


def test_csv_export_round_trips_the_registry(env: Env) -> None:
    client = env.client(Role.SOCIAL_MEDIA_MANAGER)
    export = client.get("/api/accounts/export")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert "@stexample_heart" in export.text and "StExampleCancerCare" in export.text
    assert client.get("/accounts/export.csv").text.splitlines()[0] == export.text.splitlines()[0]


# --- errors -------------------------------------------------------------------------------------------------


def test_unknown_page_is_a_friendly_404(env: Env) -> None:
    response = env.client(Role.RESPONDER).get("/no/such/page")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "There is no page at this address" in response.text and "Traceback" not in response.text


def test_missing_object_is_404_on_page_and_api(env: Env) -> None:
    client = env.client(Role.ADMIN)
    assert client.get("/accounts/999999").status_code == 404
    api = client.get("/api/accounts/999999")
    assert api.status_code == 404 and api.json() == {
        "error": {"code": "not_found", "message": "Account 999999 was not found."}
    }


def test_api_errors_are_json(env: Env) -> None:
    client = env.client(Role.ADMIN)
    assert client.get("/api/nothing-here").json()["error"]["code"] == "not_found"
    wrong_method = client.delete("/api/accounts", headers={"X-CSRF-Token": client.csrf})
    assert wrong_method.status_code == 405 and "error" in wrong_method.json()
    bad_query = client.get("/api/accounts?platform=myspace")
    assert bad_query.status_code == 422 and bad_query.json()["error"]["details"][0]["field"] == "platform"


def test_unexpected_errors_show_no_traceback(env: Env) -> None:
    client = env.anonymous(raise_server_exceptions=False)

    def broken() -> None:
        raise RuntimeError("secret internals")

    client.app.add_api_route("/api/broken", broken)
    client.app.add_api_route("/broken", broken)
    api = client.get("/api/broken")
    assert api.status_code == 500
    assert "secret internals" not in api.text and "reference" in api.json()["error"]["hint"]
    page = client.get("/broken")
    assert (
        page.status_code == 500
        and "Something went wrong" in page.text
        and "secret internals" not in page.text
    )


def test_healthz_and_openapi(env: Env) -> None:
    client = env.anonymous()
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
    schema = client.get("/openapi.json").json()
    for path in ("/api/accounts", "/api/accounts/import", "/api/users", "/api/audit/events", "/api/session"):
        assert path in schema["paths"]
    assert "AccountInput" in schema["components"]["schemas"]
    reference = client.get("/docs")
    assert reference.status_code == 200
    assert "/api/accounts/import" in reference.text and "ImportRequest" in reference.text
    assert "cdn" not in reference.text.lower()


def test_healthz_reports_503_when_the_database_is_gone(env: Env) -> None:
    client = env.anonymous()
    broken = Database(
        env.settings.model_copy(update={"database_url": "sqlite+pysqlite:////nonexistent/dir/x.db"})
    )
    client.app.state.db = broken
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["database"] != "ok"


# --- users, profile and audit ------------------------------------------------------------------------------


def test_admin_resets_a_password_and_the_user_logs_in_with_it(env: Env) -> None:
    admin = env.client(Role.ADMIN)
    token = admin.form_csrf(f"/users/{env.world.cardiology_author_id}")
    response = admin.post(
        f"/users/{env.world.cardiology_author_id}/password",
        data={"new_password": "freshly reset passphrase", "csrf_token": token},
    )
    assert response.status_code == 303
    login = env.anonymous().post(
        "/api/session", json={"username": "cardio-author", "password": "freshly reset passphrase"}
    )
    assert login.status_code == 200


def test_unknown_role_is_a_clear_error(env: Env) -> None:
    admin = env.client(Role.ADMIN)
    response = admin.post(
        "/api/users",
        json={"username": "someone", "display_name": "S", "password": PASSWORD, "role": "overlord"},
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert response.status_code == 422
    assert "Unknown role" in response.json()["error"]["message"]


def test_change_own_password_keeps_the_user_logged_in(env: Env) -> None:
    client = env.client(Role.CONTENT_AUTHOR)
    token = client.form_csrf("/profile")
    wrong = client.post(
        "/profile/password",
        data={
            "current_password": "not it",
            "new_password": "a brand new passphrase",
            "new_password_confirm": "a brand new passphrase",
            "csrf_token": token,
        },
    )
    assert wrong.status_code == 401 and "current password is wrong" in wrong.text
    done = client.post(
        "/profile/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
            "new_password_confirm": "a brand new passphrase",
            "csrf_token": token,
        },
    )
    assert done.status_code == 303
    assert client.get("/profile").status_code == 200


def test_audit_log_filters_exports_and_verifies(env: Env) -> None:
    client = env.client(Role.ADMIN)
    page = client.get("/audit?action=account.created")
    assert page.status_code == 200
    cells = re.findall(r"<td><code>([a-z_.]+)</code></td>", page.text)
    assert cells and set(cells) == {"account.created"}
    events = client.get("/api/audit/events?action=department.created").json()
    assert events["total"] == 2 and {e["action"] for e in events["events"]} == {"department.created"}
    jsonl = client.get("/api/audit/export?format=jsonl")
    assert jsonl.status_code == 200 and all(line.startswith("{") for line in jsonl.text.splitlines())
    assert client.get("/api/audit/verify").json()["ok"] is True
    assert "The chain is intact" in client.get("/audit/verify").text
    with env.db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE audit_events SET actor_label = 'mallory' WHERE id = 3"))
    broken = client.get("/api/audit/verify").json()
    assert broken["ok"] is False and broken["first_bad_id"] == 3
    assert "broken at row 3" in client.get("/audit/verify").text
