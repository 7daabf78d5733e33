"""The demo organization: a fictional health system with people in every role and a realistic registry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from rounds.db import Database
from rounds.db.models import utcnow
from rounds.domain.accounts import AccountPlatform, AccountStatus
from rounds.domain.roles import Role
from rounds.services import accounts, auth, demo_inbox, demo_listening, departments, users
from rounds.services.context import Origin
from rounds.settings import Settings

DEMO_ORGANIZATION = "Riverbend Health (demo)"
DEMO_PASSWORD = "riverbend-demo-pass"  # noqa: S105 - printed to the person who starts the demo; demo data only

DEMO_DEPARTMENTS = {
    "Communications": "Central social media and marketing team",
    "Emergency Medicine": "Emergency department and urgent care",
    "Cardiology": "Heart and vascular institute",
    "Pediatrics": "Riverbend Children's",
    "Patient Relations": "Patient experience and complaints",
    "Privacy & Compliance": "HIPAA privacy office",
}

# username, display name, role, department
DEMO_USERS: list[tuple[str, str, Role, str | None]] = [
    ("admin", "Avery Admin", Role.ADMIN, None),
    ("maria", "Maria Manager", Role.SOCIAL_MEDIA_MANAGER, "Communications"),
    ("ravi", "Ravi Responder", Role.RESPONDER, "Patient Relations"),
    ("carla", "Carla Content", Role.CONTENT_AUTHOR, "Communications"),
    ("drchen", "Dr. Sam Chen", Role.CLINICIAN_AUTHOR, "Cardiology"),
    ("priya", "Priya Privacy", Role.PRIVACY_OFFICER, "Privacy & Compliance"),
    ("ellis", "Ellis Executive", Role.EXECUTIVE_VIEWER, None),
    ("dana", "Dana Lead", Role.DEPARTMENT_LEAD, "Pediatrics"),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    password: str


def demo_logins() -> list[DemoLogin]:
    return [DemoLogin(username, role, DEMO_PASSWORD) for username, _name, role, _department in DEMO_USERS]


def create_demo(db: Database, settings: Settings) -> bool:
    """Create the demo organization if the database is empty. Returns False when it already existed."""
    if not auth.setup_needed(db):
        return False
    origin = Origin(ip="local", user_agent="rounds demo", channel="system")
    admin_username, admin_name, _, _ = DEMO_USERS[0]
    admin = auth.do_first_run_setup(
        db,
        settings,
        organization_name=DEMO_ORGANIZATION,
        username=admin_username,
        display_name=admin_name,
        email="admin@riverbend.example",
        password=DEMO_PASSWORD,
        origin=origin,
    )
    department_ids = {
        name: departments.do_create_department(
            db, admin, name=name, description=description, origin=origin
        ).id
        for name, description in DEMO_DEPARTMENTS.items()
    }
    user_ids = {admin_username: admin.user_id}
    for username, name, role, department in DEMO_USERS[1:]:
        view = users.do_create_user(
            db,
            settings,
            admin,
            username=username,
            display_name=name,
            email=f"{username}@riverbend.example",
            password=DEMO_PASSWORD,
            role=role,
            department_id=department_ids[department] if department else None,
            origin=origin,
        )
        user_ids[username] = view.id
    now = utcnow()
    registry = [
        (
            AccountPlatform.X,
            "@RiverbendHealth",
            "Communications",
            "maria",
            "carla",
            "Brand news and service updates",
            "Patients, community",
            AccountStatus.ACTIVE,
            1,
            True,
        ),
        (
            AccountPlatform.FACEBOOK,
            "RiverbendHealth",
            "Communications",
            "maria",
            "carla",
            "Community page and events",
            "Patients, families",
            AccountStatus.ACTIVE,
            0,
            True,
        ),
        (
            AccountPlatform.INSTAGRAM,
            "@riverbendhealth",
            "Communications",
            "carla",
            "maria",
            "Stories and culture",
            "Community, recruits",
            AccountStatus.ACTIVE,
            2,
            True,
        ),
        (
            AccountPlatform.BLUESKY,
            "riverbendhealth.bsky.social",
            "Communications",
            "maria",
            None,
            "Brand presence on Bluesky",
            "Community",
            AccountStatus.ACTIVE,
            5,
            True,
        ),
        (
            AccountPlatform.YOUTUBE,
            "@RiverbendHealthTV",
            "Communications",
            "carla",
            "maria",
            "Patient education videos",
            "Patients",
            AccountStatus.ACTIVE,
            12,
            True,
        ),
        (
            AccountPlatform.LINKEDIN,
            "riverbend-health",
            "Communications",
            "maria",
            "carla",
            "Recruiting and thought leadership",
            "Professionals",
            AccountStatus.ACTIVE,
            3,
            True,
        ),
        (
            AccountPlatform.GOOGLE_BUSINESS_PROFILE,
            "Riverbend Medical Center",
            "Patient Relations",
            "ravi",
            "maria",
            "Reviews and listing",
            "Patients",
            AccountStatus.ACTIVE,
            1,
            True,
        ),
        (
            AccountPlatform.YELP,
            "riverbend-medical-center",
            "Patient Relations",
            "ravi",
            None,
            "Reviews",
            "Patients",
            AccountStatus.ACTIVE,
            20,
            True,
        ),
        (
            AccountPlatform.X,
            "@RiverbendHeart",
            "Cardiology",
            "drchen",
            None,
            "Heart health education",
            "Patients, referring physicians",
            AccountStatus.ACTIVE,
            9,
            True,
        ),
        (
            AccountPlatform.INSTAGRAM,
            "@riverbendkids",
            "Pediatrics",
            "dana",
            None,
            "Children's hospital stories",
            "Families",
            AccountStatus.ACTIVE,
            4,
            True,
        ),
        (
            AccountPlatform.FACEBOOK,
            "Riverbend ER Wait Times",
            "Emergency Medicine",
            None,
            None,
            "Old wait-time page, no longer posted to",
            "Community",
            AccountStatus.DORMANT,
            400,
            True,
        ),
        (
            AccountPlatform.TIKTOK,
            "@riverbend_nurses_unofficial",
            None,
            None,
            None,
            "Found during an audit: staff-run, not sanctioned",
            "Unknown",
            AccountStatus.UNOFFICIAL_FOUND,
            6,
            True,
        ),
        (
            AccountPlatform.BLOG,
            "Riverbend Health Blog",
            "Communications",
            "carla",
            "maria",
            "Long-form articles",
            "Patients",
            AccountStatus.ACTIVE,
            7,
            False,
        ),
    ]
    for (
        platform,
        handle,
        department,
        owner,
        backup,
        purpose,
        audience,
        status,
        days_ago,
        approval,
    ) in registry:
        accounts.do_create_account(
            db,
            admin,
            accounts.AccountInput(
                platform=platform,
                handle=handle,
                url="",
                display_name=handle.lstrip("@"),
                department_id=department_ids[department] if department else None,
                owner_user_id=user_ids[owner] if owner else None,
                backup_user_id=user_ids[backup] if backup else None,
                purpose=purpose,
                audience=audience,
                status=status,
                last_activity_at=now - timedelta(days=days_ago),
                requires_approval=approval,
            ),
            origin=origin,
            dormant_after_days=settings.dormant_after_days,
        )
    demo_listening.create_demo_listening(db, settings, admin, origin)
    demo_inbox.create_demo_inbox(db, settings, admin, origin)
    return True
