"""Foundation commands: serve, demo, setup, db, user, department, account, audit."""

from __future__ import annotations

import getpass
import socket
import sys
import webbrowser
from pathlib import Path

import typer
from rich.table import Table

from rounds.cli.common import (
    DataDirOption,
    JsonOption,
    configure_logging,
    console,
    handle_errors,
    open_database,
    print_json,
    settings_for,
)
from rounds.db import Database
from rounds.db.migrate import current_revision, head_revision, upgrade
from rounds.domain.errors import PortInUse, ValidationFailed
from rounds.services import accounts, audit, auth, demo, departments, organizations, users
from rounds.services.context import Origin
from rounds.settings import Settings

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
user_app = typer.Typer(help="Users and roles.", no_args_is_help=True)
department_app = typer.Typer(help="Departments.", no_args_is_help=True)
account_app = typer.Typer(help="The account registry.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command(name="demo")(demo_command)
    app.command()(setup)
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
    app.add_typer(department_app, name="department")
    app.add_typer(account_app, name="account")
    app.add_typer(audit_app, name="audit")


# --- serving -----------------------------------------------------------------------------------------------


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise PortInUse(
                f"Port {port} on {host} is already in use (another `rounds serve` or another program).",
                hint="Stop the other process or choose another port with --port.",
            ) from None


def _run_server(settings: Settings, db: Database) -> None:
    import uvicorn

    from rounds.web.app import create_app

    _check_port_free(settings.host, settings.port)
    app = create_app(settings, db)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", proxy_headers=False)


@handle_errors
def serve(
    data_dir: Path | None = DataDirOption,
    port: int | None = typer.Option(None, "--port", help="Port to listen on (default 8400)."),
    host: str | None = typer.Option(None, "--host", help="Address to bind (default 127.0.0.1)."),
) -> None:
    """Run the web app (migrations apply on start)."""
    configure_logging()
    settings = settings_for(data_dir, port=port, host=host)
    _check_port_free(settings.host, settings.port)
    db = open_database(settings)
    _run_server(settings, db)


@handle_errors
def demo_command(
    data_dir: Path = typer.Option(
        Path("demo-data"), "--data-dir", help="Where the demo's own database lives."
    ),
    port: int = typer.Option(8400, "--port", help="Port to listen on."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a web browser."),
) -> None:
    """Create the demo organization (if absent) in its own data directory and serve it."""
    configure_logging()
    settings = settings_for(data_dir, port=port, host="127.0.0.1")
    _check_port_free(settings.host, settings.port)
    db = open_database(settings)
    created = demo.create_demo(db, settings)
    url = f"http://127.0.0.1:{settings.port}/"
    console.print(f"[bold]Rounds demo[/] {'created' if created else 'found'} in {data_dir.resolve()}")
    table = Table(title="Demo logins", show_lines=False)
    table.add_column("username")
    table.add_column("role")
    table.add_column("password")
    for login in demo.demo_logins():
        table.add_row(login.username, login.role.label, login.password)
    console.print(table)
    console.print(f"Open [bold]{url}[/] (Ctrl+C stops the server)")
    sys.stdout.flush()
    if not no_browser:
        webbrowser.open(url)
    _run_server(settings, db)


@handle_errors
def setup(
    organization: str = typer.Option(..., "--organization", help="Organization name."),
    username: str = typer.Option(..., "--username"),
    display_name: str = typer.Option("", "--display-name"),
    email: str = typer.Option("", "--email"),
    password: str | None = typer.Option(None, "--password", help="Prompted when omitted (recommended)."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """First-run setup from the command line: create the organization and its administrator."""
    settings = settings_for(data_dir)
    db = open_database(settings)
    secret = password or getpass.getpass("Administrator password: ")
    actor = auth.do_first_run_setup(
        db,
        settings,
        organization_name=organization,
        username=username,
        display_name=display_name,
        email=email,
        password=secret,
        origin=Origin.cli(),
    )
    console.print(f"Created organization {organization!r} and administrator {actor.username!r}.")


# --- db ------------------------------------------------------------------------------------------------------


@db_app.command("upgrade")
@handle_errors
def db_upgrade(data_dir: Path | None = DataDirOption) -> None:
    """Apply all migrations."""
    settings = settings_for(data_dir)
    db = open_database(settings, migrate=False)
    upgrade(db)
    console.print(f"Database at revision {current_revision(db)} (head {head_revision(db)}).")


@db_app.command("current")
@handle_errors
def db_current(data_dir: Path | None = DataDirOption) -> None:
    """Show the database's migration revision."""
    settings = settings_for(data_dir)
    db = open_database(settings, migrate=False)
    console.print(f"current {current_revision(db)}; head {head_revision(db)}")


# --- users ---------------------------------------------------------------------------------------------------


@user_app.command("create")
@handle_errors
def user_create(
    username: str = typer.Argument(...),
    role: str = typer.Option(
        ...,
        "--role",
        help="admin, social_media_manager, responder, content_author, "
        "clinician_author, privacy_officer, executive_viewer, department_lead",
    ),
    display_name: str = typer.Option("", "--display-name"),
    email: str = typer.Option("", "--email"),
    department: str | None = typer.Option(None, "--department", help="Department name."),
    password: str | None = typer.Option(None, "--password", help="Prompted when omitted."),
    data_dir: Path | None = DataDirOption,
    as_json: bool = JsonOption,
) -> None:
    """Create a user with a role."""
    settings = settings_for(data_dir)
    db = open_database(settings)
    actor = organizations.system_actor(db)
    department_id = _department_id(db, department)
    view = users.do_create_user(
        db,
        settings,
        actor,
        username=username,
        display_name=display_name,
        email=email,
        password=password or getpass.getpass("Password: "),
        role=role,
        department_id=department_id,
        origin=Origin.cli(),
    )
    if as_json:
        print_json(view.model_dump(mode="json"))
    else:
        console.print(f"Created user {view.username!r} ({view.role_label}).")


def _department_id(db: Database, name: str | None) -> int | None:
    if not name:
        return None
    actor = organizations.system_actor(db)
    for department in departments.list_departments(db, actor):
        if department.name.lower() == name.strip().lower():
            return department.id
    raise ValidationFailed(f"Unknown department {name!r}.", hint="See `rounds department list`.")


@user_app.command("list")
@handle_errors
def user_list(data_dir: Path | None = DataDirOption, as_json: bool = JsonOption) -> None:
    """List users and roles."""
    settings = settings_for(data_dir)
    db = open_database(settings)
    views = users.list_users(db, organizations.system_actor(db))
    if as_json:
        print_json([view.model_dump(mode="json") for view in views])
        return
    table = Table("id", "username", "name", "role", "department", "active")
    for view in views:
        table.add_row(
            str(view.id),
            view.username,
            view.display_name,
            view.role_label,
            view.department_name or "",
            "yes" if view.is_active else "no",
        )
    console.print(table)


def _user_id(db: Database, username: str) -> int:
    for view in users.list_users(db, organizations.system_actor(db)):
        if view.username == username.strip().lower():
            return view.id
    raise ValidationFailed(f"Unknown user {username!r}.", hint="See `rounds user list`.")


@user_app.command("reset-password")
@handle_errors
def user_reset_password(
    username: str = typer.Argument(...),
    password: str | None = typer.Option(None, "--password", help="Prompted when omitted."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Set a new password (the user must change it after logging in)."""
    settings = settings_for(data_dir)
    db = open_database(settings)
    users.do_reset_password(
        db,
        settings,
        organizations.system_actor(db),
        _user_id(db, username),
        password or getpass.getpass("New password: "),
        origin=Origin.cli(),
    )
    console.print(f"Password reset for {username!r}; their sessions were ended.")


@user_app.command("set-role")
@handle_errors
def user_set_role(
    username: str = typer.Argument(...),
    role: str = typer.Argument(...),
    department: str | None = typer.Option(None, "--department"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Change a user's role (and department)."""
    settings = settings_for(data_dir)
    db = open_database(settings)
    view = users.do_update_user(
        db,
        organizations.system_actor(db),
        _user_id(db, username),
        role=role,
        department_id=_department_id(db, department),
        origin=Origin.cli(),
    )
    console.print(f"{view.username!r} is now {view.role_label}.")


@user_app.command("deactivate")
@handle_errors
def user_deactivate(username: str = typer.Argument(...), data_dir: Path | None = DataDirOption) -> None:
    """Deactivate a user (their sessions end)."""
    settings = settings_for(data_dir)
    db = open_database(settings)
    users.do_update_user(
        db, organizations.system_actor(db), _user_id(db, username), is_active=False, origin=Origin.cli()
    )
    console.print(f"{username!r} deactivated.")


# --- departments ---------------------------------------------------------------------------------------------


@department_app.command("add")
@handle_errors
def department_add(
    name: str = typer.Argument(...),
    description: str = typer.Option("", "--description"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Add a department."""
    settings = settings_for(data_dir)
    db = open_database(settings)
    view = departments.do_create_department(
        db, organizations.system_actor(db), name=name, description=description, origin=Origin.cli()
    )
    console.print(f"Created department {view.name!r} (id {view.id}).")


@department_app.command("list")
@handle_errors
def department_list(data_dir: Path | None = DataDirOption, as_json: bool = JsonOption) -> None:
    """List departments."""
    settings = settings_for(data_dir)
    db = open_database(settings)
    views = departments.list_departments(db, organizations.system_actor(db))
    if as_json:
        print_json([view.model_dump(mode="json") for view in views])
        return
    table = Table("id", "name", "description")
    for view in views:
        table.add_row(str(view.id), view.name, view.description)
    console.print(table)


# --- account registry ----------------------------------------------------------------------------------------


@account_app.command("add")
@handle_errors
def account_add(
    platform: str = typer.Argument(
        ...,
        help="x, facebook, instagram, youtube, linkedin, bluesky, mastodon, reddit, "
        "tiktok, blog, google_business_profile, yelp, foursquare, other",
    ),
    handle: str = typer.Argument(...),
    url: str = typer.Option("", "--url"),
    display_name: str = typer.Option("", "--display-name"),
    department: str | None = typer.Option(None, "--department"),
    owner: str | None = typer.Option(None, "--owner", help="Owner's username."),
    backup: str | None = typer.Option(None, "--backup", help="Backup owner's username."),
    purpose: str = typer.Option("", "--purpose"),
    audience: str = typer.Option("", "--audience"),
    status: str = typer.Option("active", "--status", help="active, dormant, retired, unofficial_found"),
    requires_approval: bool = typer.Option(True, "--requires-approval/--no-approval"),
    data_dir: Path | None = DataDirOption,
    as_json: bool = JsonOption,
) -> None:
    """Add an account to the registry."""
    from pydantic import ValidationError

    settings = settings_for(data_dir)
    db = open_database(settings)
    try:
        data = accounts.AccountInput.model_validate(
            {
                "platform": platform.lower(),
                "handle": handle,
                "url": url,
                "display_name": display_name,
                "department_id": _department_id(db, department),
                "owner_user_id": _user_id(db, owner) if owner else None,
                "backup_user_id": _user_id(db, backup) if backup else None,
                "purpose": purpose,
                "audience": audience,
                "status": status.lower(),
                "requires_approval": requires_approval,
            }
        )
    except ValidationError as error:
        raise ValidationFailed(
            "Invalid account: "
            + "; ".join(f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in error.errors())
        ) from None
    view = accounts.do_create_account(
        db,
        organizations.system_actor(db),
        data,
        origin=Origin.cli(),
        dormant_after_days=settings.dormant_after_days,
    )
    if as_json:
        print_json(view.model_dump(mode="json"))
    else:
        console.print(f"Added {view.platform.value} account {view.handle!r} (id {view.id}).")


@account_app.command("list")
@handle_errors
def account_list(
    platform: str | None = typer.Option(None, "--platform"),
    status: str | None = typer.Option(None, "--status"),
    flagged: bool = typer.Option(
        False, "--flagged", help="Only accounts with no owner, inactive or unofficial."
    ),
    data_dir: Path | None = DataDirOption,
    as_json: bool = JsonOption,
) -> None:
    """List the account registry."""
    settings = settings_for(data_dir)
    db = open_database(settings)
    views = accounts.list_accounts(
        db,
        organizations.system_actor(db),
        accounts.AccountFilter(platform=platform, status=status, flagged_only=flagged),
        dormant_after_days=settings.dormant_after_days,
    )
    if as_json:
        print_json([view.model_dump(mode="json") for view in views])
        return
    table = Table("id", "platform", "handle", "department", "owner", "status", "flags")
    for view in views:
        table.add_row(
            str(view.id),
            view.platform.value,
            view.handle,
            view.department_name or "",
            view.owner_name or "",
            view.status.value,
            ", ".join(flag.value for flag in view.flags),
        )
    console.print(table)


@account_app.command("import")
@handle_errors
def account_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    partial: bool = typer.Option(
        False, "--partial", help="Import the good rows even when some rows are bad."
    ),
    data_dir: Path | None = DataDirOption,
    as_json: bool = JsonOption,
) -> None:
    """Import registry entries from CSV. With any bad row nothing is imported unless --partial."""
    settings = settings_for(data_dir)
    db = open_database(settings)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed(f"{file} is not UTF-8 text.", hint="Save the CSV as UTF-8.") from None
    report = accounts.import_accounts_csv(
        db, organizations.system_actor(db), text, allow_partial=partial, origin=Origin.cli()
    )
    if as_json:
        print_json(report.to_dict())
    else:
        for line, message in report.errors:
            console.print(f"line {line}: {message}", highlight=False)
        if report.imported:
            console.print(f"Imported {report.created} of {report.read} rows.")
        else:
            console.print(f"Nothing imported: {len(report.errors)} bad row(s). Fix them or use --partial.")
    if report.errors and not report.imported:
        raise typer.Exit(1)


@account_app.command("export")
@handle_errors
def account_export(
    out: Path | None = typer.Option(None, "--out", help="File to write (default: standard output)."),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Export the registry as CSV."""
    settings = settings_for(data_dir)
    db = open_database(settings)
    text = accounts.export_accounts_csv(
        db,
        organizations.system_actor(db),
        origin=Origin.cli(),
        dormant_after_days=settings.dormant_after_days,
    )
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"Wrote {out}.")


@account_app.command("retire")
@handle_errors
def account_retire(
    account_id: int = typer.Argument(...),
    reason: str = typer.Option(..., "--reason"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Retire a registry entry (history is kept)."""
    settings = settings_for(data_dir)
    db = open_database(settings)
    view = accounts.do_retire_account(
        db, organizations.system_actor(db), account_id, reason, origin=Origin.cli()
    )
    console.print(f"Retired {view.platform.value} account {view.handle!r}.")


# --- audit ---------------------------------------------------------------------------------------------------


@audit_app.command("verify")
@handle_errors
def audit_verify(data_dir: Path | None = DataDirOption, as_json: bool = JsonOption) -> None:
    """Check the hash chain. Exit 0 when intact, 1 with the first broken row named when not."""
    settings = settings_for(data_dir)
    db = open_database(settings)
    result = audit.verify_chain(db)
    if as_json:
        print_json(result.to_dict())
    elif result.ok:
        console.print(f"Audit chain intact: {result.checked} events verified.")
    else:
        console.print(
            f"[bold red]Audit chain BROKEN[/]: {result.problem} (first bad row: {result.first_bad_id})"
        )
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("export")
@handle_errors
def audit_export(
    fmt: str = typer.Option("jsonl", "--format", help="jsonl or csv"),
    out: Path | None = typer.Option(None, "--out"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Export the audit log."""
    settings = settings_for(data_dir)
    db = open_database(settings)
    text = audit.export_events(db, organizations.system_actor(db), None, fmt=fmt, origin=Origin.cli())
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"Wrote {out}.")
