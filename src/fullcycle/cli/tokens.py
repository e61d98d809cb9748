"""``fullcycle token create|list|revoke``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from fullcycle.cli._common import ProjectOption, console, open_project, when

token_app = typer.Typer(
    help="API tokens with roles: read < predict < write < admin.", no_args_is_help=True
)


@token_app.command("create")
def create(
    role: str = typer.Option(..., help="read, predict, write or admin."),
    name: str = typer.Option(None, help="A name to recognise it by (default: ROLE-N)."),
    expires: str = typer.Option(None, help="Lifetime such as 30d, 12h or 90m (default: none)."),
    project: Path = ProjectOption,
) -> None:
    """Create a token; it is printed once and only its hash is kept."""
    from fullcycle import auth

    proj = open_project(project)
    label = name or f"{role}-{len(proj.tokens()) + 1}"
    ttl = auth.parse_duration(expires) if expires else None
    token = auth.create_token(proj.db, name=label, role=role, expires_in_s=ttl)
    proj.record("token.create", subject=label, message=f"token {label} with role {role}")
    console().print(f"token {label} ({role}); shown once, keep it now:")
    typer.echo(token)


@token_app.command("list")
def listing(project: Path = ProjectOption) -> None:
    """Tokens by name and role (never the tokens themselves)."""
    table = Table("name", "role", "created", "expires", "revoked")
    for t in open_project(project).tokens():
        table.add_row(t.name, t.role, when(t.created_at), when(t.expires_at), when(t.revoked_at))
    console().print(table)


@token_app.command("revoke")
def revoke(
    name: str = typer.Argument(..., help="The token's name."), project: Path = ProjectOption
) -> None:
    """Revoke a token at once."""
    proj = open_project(project)
    record = proj.revoke_token(name)
    console().print(f"revoked token {record.name}")


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
