"""First-run setup, login with throttling, server-side sessions, logout, own password change."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rounds.db import Database
from rounds.db.models import LoginAttempt, Membership, Organization, User, WebSession, utcnow
from rounds.domain.audit import AuditAction
from rounds.domain.errors import (
    AuthenticationFailed,
    SessionExpired,
    SetupAlreadyDone,
    Throttled,
    ValidationFailed,
)
from rounds.domain.roles import Role
from rounds.services import audit
from rounds.services.context import Actor, Origin
from rounds.services.passwords import check_password_rule, hash_password, needs_rehash, verify_password
from rounds.settings import Settings

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")


@dataclass(frozen=True)
class SessionToken:
    token: str
    csrf_token: str
    expires_at: datetime


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_username(username: str) -> str:
    key = username.strip().lower()
    if not USERNAME_RE.match(key):
        raise ValidationFailed(
            "Usernames are 2-80 characters: lower-case letters, digits, dot, dash or underscore.",
            details=[{"field": "username", "message": "invalid username"}],
        )
    return key


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:80] or "organization"


def setup_needed(db: Database) -> bool:
    with db.session() as session:
        return session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 0


def actor_for(session: Session, user: User) -> Actor:
    membership = session.execute(sa.select(Membership).where(Membership.user_id == user.id)).scalars().first()
    if membership is None:
        raise AuthenticationFailed("This user belongs to no organization.", hint="Ask an administrator.")
    departments = (
        frozenset({membership.department_id}) if membership.department_id is not None else frozenset()
    )
    return Actor(
        user_id=user.id,
        organization_id=membership.organization_id,
        username=user.username,
        display_name=user.display_name,
        role=Role(membership.role),
        department_ids=departments,
    )


def do_first_run_setup(
    db: Database,
    settings: Settings,
    *,
    organization_name: str,
    username: str,
    display_name: str,
    email: str,
    password: str,
    origin: Origin,
) -> Actor:
    """Create the organization and its first administrator. Refused once any user exists."""
    organization_name = organization_name.strip()
    if not organization_name:
        raise ValidationFailed("The organization needs a name.", details=[{"field": "organization_name"}])
    key = normalize_username(username)
    check_password_rule(password, min_length=settings.password_min_length, username=key)
    with db.session() as session:
        if session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one():
            raise SetupAlreadyDone("Rounds is already set up.", hint="Log in instead.")
        organization = Organization(name=organization_name, slug=slugify(organization_name))
        session.add(organization)
        session.flush()
        user = User(
            username=key,
            display_name=display_name.strip() or key,
            email=email.strip(),
            password_hash=hash_password(password),
        )
        session.add(user)
        session.flush()
        session.add(Membership(user_id=user.id, organization_id=organization.id, role=Role.ADMIN.value))
        session.flush()
        actor = actor_for(session, user)
        audit.record(
            session,
            actor=actor,
            action=AuditAction.ORGANIZATION_CREATED,
            object_type="organization",
            object_id=organization.id,
            after={"name": organization.name, "slug": organization.slug},
            origin=origin,
        )
        audit.record(
            session,
            actor=actor,
            action=AuditAction.USER_CREATED,
            object_type="user",
            object_id=user.id,
            after={"username": user.username, "role": Role.ADMIN.value, "first_run_setup": True},
            origin=origin,
        )
        return actor


def _recent_failures(session: Session, settings: Settings, username_key: str, ip: str) -> tuple[int, int]:
    since = utcnow() - timedelta(seconds=settings.login_window_seconds)
    last_success = session.execute(
        sa.select(sa.func.max(LoginAttempt.at)).where(
            LoginAttempt.username_key == username_key, LoginAttempt.succeeded.is_(True)
        )
    ).scalar_one_or_none()
    user_since = max(since, last_success) if last_success else since
    by_user = session.execute(
        sa.select(sa.func.count()).where(
            LoginAttempt.username_key == username_key,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at >= user_since,
        )
    ).scalar_one()
    by_ip = 0
    if ip:
        by_ip = session.execute(
            sa.select(sa.func.count()).where(
                LoginAttempt.ip == ip, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since
            )
        ).scalar_one()
    return by_user, by_ip


def login(
    db: Database, settings: Settings, *, username: str, password: str, origin: Origin
) -> tuple[Actor, SessionToken]:
    """Check the password (throttled per username and per address) and open a session."""
    username_key = username.strip().lower()[:80]
    with db.session() as session:
        by_user, by_ip = _recent_failures(session, settings, username_key, origin.ip)
        # Per address the limit is wider: several people may share a hospital's outbound address.
        if by_user >= settings.login_max_failures or by_ip >= settings.login_max_failures * 4:
            session.add(LoginAttempt(username_key=username_key, ip=origin.ip[:64], succeeded=False))
            audit.record(
                session,
                actor=None,
                action=AuditAction.LOGIN_THROTTLED,
                object_type="user",
                object_id=username_key,
                origin=origin,
                actor_label=username_key or "anonymous",
            )
            throttled = Throttled(
                "Too many failed logins. Login is paused for this user.",
                hint=f"Wait {settings.login_window_seconds // 60} minutes or ask an administrator to reset the password.",
            )
        else:
            throttled = None
    if throttled is not None:
        raise throttled

    failed: AuthenticationFailed | None = None
    with db.session() as session:
        user = session.execute(sa.select(User).where(User.username == username_key)).scalar_one_or_none()
        valid = verify_password(user.password_hash if user else None, password)
        if user is None or not valid or not user.is_active:
            session.add(LoginAttempt(username_key=username_key, ip=origin.ip[:64], succeeded=False))
            audit.record(
                session,
                actor=None,
                action=AuditAction.LOGIN_FAILED,
                object_type="user",
                object_id=user.id if user else "",
                origin=origin,
                organization_id=None,
                actor_label=username_key or "anonymous",
            )
            failed = AuthenticationFailed(
                "Wrong username or password.", hint="Check both and try again; usernames are lower-case."
            )
        else:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            session.add(LoginAttempt(username_key=username_key, ip=origin.ip[:64], succeeded=True))
            actor = actor_for(session, user)
            token = secrets.token_urlsafe(32)
            now = utcnow()
            web_session = WebSession(
                token_hash=_token_hash(token),
                csrf_token=secrets.token_urlsafe(32),
                user_id=user.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(seconds=settings.session_max_age_seconds),
                ip=origin.ip[:64],
            )
            session.add(web_session)
            audit.record(
                session,
                actor=actor,
                action=AuditAction.LOGIN_SUCCEEDED,
                object_type="user",
                object_id=user.id,
                origin=origin,
            )
            return actor, SessionToken(token, web_session.csrf_token, web_session.expires_at)
    assert failed is not None
    raise failed


def load_session(db: Database, settings: Settings, token: str) -> tuple[Actor, str]:
    """The actor and CSRF token for a session cookie; raises SessionExpired when it is unknown or stale."""
    if not token:
        raise SessionExpired("Please log in.", hint="Your session is missing or has ended.")
    now = utcnow()
    with db.session() as session:
        web_session = session.execute(
            sa.select(WebSession).where(WebSession.token_hash == _token_hash(token))
        ).scalar_one_or_none()
        if web_session is None:
            raise SessionExpired("Your session has ended. Please log in again.")
        idle_limit = web_session.last_seen_at + timedelta(seconds=settings.session_idle_seconds)
        if web_session.expires_at <= now or idle_limit <= now:
            session.delete(web_session)
            expired = SessionExpired("Your session has expired. Please log in again.")
        else:
            user = session.get(User, web_session.user_id)
            if user is None or not user.is_active:
                session.delete(web_session)
                expired = SessionExpired("This account is no longer active.", hint="Ask an administrator.")
            else:
                if (now - web_session.last_seen_at).total_seconds() > 60:
                    web_session.last_seen_at = now
                return actor_for(session, user), web_session.csrf_token
    raise expired


def logout(db: Database, token: str, origin: Origin) -> None:
    with db.session() as session:
        web_session = session.execute(
            sa.select(WebSession).where(WebSession.token_hash == _token_hash(token))
        ).scalar_one_or_none()
        if web_session is None:
            return
        user = session.get(User, web_session.user_id)
        session.delete(web_session)
        if user is not None:
            audit.record(
                session,
                actor=actor_for(session, user),
                action=AuditAction.LOGOUT,
                object_type="user",
                object_id=user.id,
                origin=origin,
            )


def do_change_own_password(
    db: Database,
    settings: Settings,
    actor: Actor,
    *,
    current_password: str,
    new_password: str,
    origin: Origin,
) -> None:
    check_password_rule(new_password, min_length=settings.password_min_length, username=actor.username)
    with db.session() as session:
        user = session.get(User, actor.user_id)
        if user is None or not verify_password(user.password_hash, current_password):
            raise AuthenticationFailed("The current password is wrong.")
        user.password_hash = hash_password(new_password)
        user.password_changed_at = utcnow()
        user.must_change_password = False
        user.updated_at = utcnow()
        # End the user's other sessions.
        session.execute(sa.delete(WebSession).where(WebSession.user_id == user.id))
        audit.record(
            session,
            actor=actor,
            action=AuditAction.USER_PASSWORD_CHANGED,
            object_type="user",
            object_id=user.id,
            origin=origin,
        )
