"""``fullcycle token create|list|revoke``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from fullcycle.cli._common import (
    JsonOption,
    ProjectOption,
    console,
    open_project,
    print_json,
    when,
)
from fullcycle.cli._common import actor as cli_actor

token_app = typer.Typer(
    help="API tokens with roles: read < predict < write < admin.", no_args_is_help=True
)


@token_app.command("create")
def create(
    role: str = typer.Option(..., help="read, predict, write or admin."),
    name: str = typer.Option(None, help="A name to recognise it by (default: ROLE-N)."),
    expires: str = typer.Option(None, help="Lifetime such as 30d, 12h or 90m (default: none)."),
    project: Path = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Create a token; it is printed once and only its hash is kept."""
    from fullcycle import auth

    ttl = auth.parse_duration(expires) if expires else None
    label, token = open_project(project).tokens.create(
        role, name=name, expires_in_s=ttl, actor=cli_actor()
    )
    if as_json:
        print_json({"name": label, "role": role, "token": token, "expires_in_s": ttl})
        return
    console().print(f"token {label} ({role}); shown once, keep it now:")
    typer.echo(token)


@token_app.command("list")
def listing(project: Path = ProjectOption, as_json: bool = JsonOption) -> None:
    """Tokens by name and role (never the tokens themselves)."""
    rows = open_project(project).tokens.list()
    if as_json:
        print_json([{k: v for k, v in t.__dict__.items() if k != "hash"} for t in rows])
        return
    table = Table("name", "role", "created", "expires", "revoked")
    for t in rows:
        table.add_row(t.name, t.role, when(t.created_at), when(t.expires_at), when(t.revoked_at))
    console().print(table)


@token_app.command("revoke")
def revoke(
    name: str = typer.Argument(..., help="The token's name."),
    project: Path = ProjectOption,
    as_json: bool = JsonOption,
) -> None:
    """Revoke a token at once."""
    record = open_project(project).tokens.revoke(name)
    if as_json:
        print_json({"name": record.name, "revoked_at": record.revoked_at})
        return
    console().print(f"revoked token {record.name}")


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
