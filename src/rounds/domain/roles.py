"""Roles and what each may do.

Permissions are checked in services (``access_*`` / ``check_*``), never in handlers. A department lead manages
the accounts and authors of their own department: distributed governance with a central manager.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SOCIAL_MEDIA_MANAGER = "social_media_manager"
    RESPONDER = "responder"
    CONTENT_AUTHOR = "content_author"
    CLINICIAN_AUTHOR = "clinician_author"
    PRIVACY_OFFICER = "privacy_officer"
    EXECUTIVE_VIEWER = "executive_viewer"
    DEPARTMENT_LEAD = "department_lead"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "Administrator",
    Role.SOCIAL_MEDIA_MANAGER: "Social media manager",
    Role.RESPONDER: "Responder",
    Role.CONTENT_AUTHOR: "Content author",
    Role.CLINICIAN_AUTHOR: "Clinician author",
    Role.PRIVACY_OFFICER: "Privacy officer",
    Role.EXECUTIVE_VIEWER: "Executive viewer",
    Role.DEPARTMENT_LEAD: "Department lead",
}


class Permission(StrEnum):
    VIEW_DASHBOARD = "view_dashboard"
    SCREEN_TEXT = "screen_text"
    VIEW_USERS = "view_users"
    MANAGE_USERS = "manage_users"  # create users, set roles, reset passwords (admin)
    MANAGE_DEPARTMENT_USERS = "manage_department_users"  # department lead: authors of their own department
    VIEW_DEPARTMENTS = "view_departments"
    MANAGE_DEPARTMENTS = "manage_departments"
    VIEW_ACCOUNTS = "view_accounts"
    MANAGE_ACCOUNTS = "manage_accounts"  # any department
    MANAGE_DEPARTMENT_ACCOUNTS = "manage_department_accounts"  # own department only
    IMPORT_EXPORT_ACCOUNTS = "import_export_accounts"
    VIEW_AUDIT = "view_audit"
    EXPORT_AUDIT = "export_audit"
    MANAGE_SCREENING_POLICY = "manage_screening_policy"  # policy rule modes, public figures, org contacts
    VIEW_LISTENING = "view_listening"  # search, topics, posts, alerts
    MANAGE_TOPICS = "manage_topics"
    IMPORT_POSTS = "import_posts"
    MANAGE_CONNECTORS = "manage_connectors"  # connector sources and their credentials
    MANAGE_ALERT_RULES = "manage_alert_rules"
    VIEW_INBOX = "view_inbox"  # cases, their posts, notes and replies
    RESPOND = "respond"  # draft and send replies, notes, status and tags, take a case
    ASSIGN_CASES = "assign_cases"  # assign anyone's cases, queues, bulk actions, merge
    APPROVE_REPLIES = "approve_replies"  # the second person on accounts that require approval
    OVERRIDE_SCREENING = "override_screening"  # send a blocked reply, with a reason (privacy officer)
    REPORT_PRIVACY_INCIDENTS = "report_privacy_incidents"  # record incidents, hide self-disclosing comments
    EXPORT_CASES = "export_cases"  # hand-off exports (legal/risk, patient relations)
    VIEW_INBOX_METRICS = "view_inbox_metrics"  # response times and target compliance, CSV export
    MANAGE_INBOX_RULES = "manage_inbox_rules"  # queues, routing rules, response targets, on-call contact


_ALL = frozenset(Permission)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: _ALL,
    Role.SOCIAL_MEDIA_MANAGER: frozenset(
        {
            Permission.VIEW_LISTENING,
            Permission.MANAGE_TOPICS,
            Permission.IMPORT_POSTS,
            Permission.MANAGE_CONNECTORS,
            Permission.MANAGE_ALERT_RULES,
            Permission.VIEW_INBOX,
            Permission.RESPOND,
            Permission.ASSIGN_CASES,
            Permission.APPROVE_REPLIES,
            Permission.REPORT_PRIVACY_INCIDENTS,
            Permission.EXPORT_CASES,
            Permission.VIEW_INBOX_METRICS,
            Permission.MANAGE_INBOX_RULES,
            Permission.VIEW_DASHBOARD,
            Permission.SCREEN_TEXT,
            Permission.VIEW_USERS,
            Permission.VIEW_DEPARTMENTS,
            Permission.VIEW_ACCOUNTS,
            Permission.MANAGE_ACCOUNTS,
            Permission.IMPORT_EXPORT_ACCOUNTS,
        }
    ),
    Role.RESPONDER: frozenset(
        {
            Permission.VIEW_LISTENING,
            Permission.VIEW_INBOX,
            Permission.RESPOND,
            Permission.REPORT_PRIVACY_INCIDENTS,
            Permission.VIEW_INBOX_METRICS,
            Permission.VIEW_DASHBOARD,
            Permission.SCREEN_TEXT,
            Permission.VIEW_DEPARTMENTS,
            Permission.VIEW_ACCOUNTS,
        }
    ),
    Role.CONTENT_AUTHOR: frozenset(
        {
            Permission.VIEW_LISTENING,
            Permission.VIEW_DASHBOARD,
            Permission.SCREEN_TEXT,
            Permission.VIEW_DEPARTMENTS,
            Permission.VIEW_ACCOUNTS,
        }
    ),
    Role.CLINICIAN_AUTHOR: frozenset(
        {
            Permission.VIEW_LISTENING,
            Permission.VIEW_DASHBOARD,
            Permission.SCREEN_TEXT,
            Permission.VIEW_DEPARTMENTS,
            Permission.VIEW_ACCOUNTS,
        }
    ),
    Role.PRIVACY_OFFICER: frozenset(
        {
            Permission.VIEW_LISTENING,
            Permission.VIEW_DASHBOARD,
            Permission.SCREEN_TEXT,
            Permission.VIEW_USERS,
            Permission.VIEW_DEPARTMENTS,
            Permission.VIEW_ACCOUNTS,
            Permission.VIEW_AUDIT,
            Permission.EXPORT_AUDIT,
            Permission.MANAGE_SCREENING_POLICY,
            Permission.VIEW_INBOX,
            Permission.APPROVE_REPLIES,
            Permission.OVERRIDE_SCREENING,
            Permission.REPORT_PRIVACY_INCIDENTS,
            Permission.EXPORT_CASES,
            Permission.VIEW_INBOX_METRICS,
        }
    ),
    Role.EXECUTIVE_VIEWER: frozenset(
        {
            Permission.VIEW_LISTENING,
            Permission.VIEW_INBOX_METRICS,
            Permission.VIEW_DASHBOARD,
            Permission.VIEW_DEPARTMENTS,
            Permission.VIEW_ACCOUNTS,
        }
    ),
    Role.DEPARTMENT_LEAD: frozenset(
        {
            Permission.VIEW_LISTENING,
            Permission.MANAGE_TOPICS,
            Permission.MANAGE_ALERT_RULES,
            Permission.VIEW_INBOX,
            Permission.RESPOND,
            Permission.ASSIGN_CASES,
            Permission.APPROVE_REPLIES,
            Permission.REPORT_PRIVACY_INCIDENTS,
            Permission.VIEW_INBOX_METRICS,
            Permission.VIEW_DASHBOARD,
            Permission.SCREEN_TEXT,
            Permission.VIEW_USERS,
            Permission.MANAGE_DEPARTMENT_USERS,
            Permission.VIEW_DEPARTMENTS,
            Permission.VIEW_ACCOUNTS,
            Permission.MANAGE_DEPARTMENT_ACCOUNTS,
        }
    ),
}

# Roles a department lead may give to people in their own department.
DEPARTMENT_LEAD_ASSIGNABLE: frozenset[Role] = frozenset(
    {Role.CONTENT_AUTHOR, Role.CLINICIAN_AUTHOR, Role.RESPONDER}
)


def parse_role(value: str) -> Role:
    """Parse a role name; raises ValidationFailed naming the valid roles."""
    from rounds.domain.errors import ValidationFailed

    try:
        return Role(value.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        valid = ", ".join(role.value for role in Role)
        raise ValidationFailed(f"Unknown role {value!r}.", hint=f"Valid roles: {valid}.") from None
