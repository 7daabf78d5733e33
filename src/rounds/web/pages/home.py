"""Home dashboard and the user's own profile (change password)."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from rounds.domain.accounts import AccountFlag, AccountStatus
from rounds.domain.errors import AuthenticationFailed, ValidationFailed
from rounds.domain.roles import Permission
from rounds.services import accounts, auth, users
from rounds.services.accounts import AccountFilter
from rounds.services.context import Actor
from rounds.web.context import ActorDep, DbDep, OriginDep, SettingsDep
from rounds.web.rendering import render
from rounds.web.security import set_session_cookie

router = APIRouter()


@router.get("/")
def dashboard(request: Request, db: DbDep, settings: SettingsDep, actor: ActorDep) -> Response:
    context: dict[str, object] = {"title": "Home"}
    if actor.can(Permission.VIEW_ACCOUNTS):
        rows = accounts.list_accounts(
            db, actor, AccountFilter(), dormant_after_days=settings.dormant_after_days
        )
        by_status = Counter(row.status for row in rows)
        context.update(
            {
                "account_total": len(rows),
                "by_status": [(status, by_status.get(status, 0)) for status in AccountStatus],
                "no_owner": sum(1 for row in rows if AccountFlag.NO_OWNER in row.flags),
                "inactive": sum(1 for row in rows if AccountFlag.INACTIVE in row.flags),
                "flagged": [row for row in rows if set(row.flags) - {AccountFlag.NO_BACKUP}][:20],
                "dormant_after_days": settings.dormant_after_days,
            }
        )
    return render(request, "home.html", context, section="home")


def _profile(request: Request, actor: Actor, error: Exception | None = None) -> Response:
    db = request.app.state.db
    return render(
        request,
        "profile.html",
        {
            "title": "My profile",
            "me": users.access_user(db, actor, actor.user_id) if actor.user_id is not None else None,
            "error": error,
            "password_min_length": request.app.state.settings.password_min_length,
        },
        status_code=getattr(error, "status", 200),
        section="profile",
    )


@router.get("/profile")
def profile(request: Request, actor: ActorDep) -> Response:
    return _profile(request, actor)


@router.post("/profile/password")
def change_password(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    actor: ActorDep,
    origin: OriginDep,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    new_password_confirm: Annotated[str, Form()] = "",
) -> Response:
    try:
        if new_password != new_password_confirm:
            raise ValidationFailed(
                "The two new passwords do not match.",
                details=[{"field": "new_password_confirm", "message": "does not match"}],
            )
        auth.do_change_own_password(
            db, settings, actor, current_password=current_password, new_password=new_password, origin=origin
        )
        # Changing the password ends every session, this one included: open a fresh one.
        _actor, session_token = auth.login(
            db, settings, username=actor.username, password=new_password, origin=origin
        )
    except (ValidationFailed, AuthenticationFailed) as error:
        return _profile(request, actor, error)
    response = RedirectResponse("/profile?done=password_changed", status_code=303)
    set_session_cookie(response, request, session_token.token, session_token.expires_at)
    return response
