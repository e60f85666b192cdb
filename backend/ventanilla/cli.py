"""The `ventanilla` command: serve, worker, db upgrade, apikey, demo."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from ventanilla.config import get_settings

app = typer.Typer(no_args_is_help=True, help="Ventanilla, the customer self-service portal.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
apikey_app = typer.Typer(no_args_is_help=True, help="API keys for the shop's systems.")
app.add_typer(db_app, name="db")
app.add_typer(apikey_app, name="apikey")
outbox_app = typer.Typer(no_args_is_help=True, help="Emails and webhooks waiting to be sent.")
app.add_typer(outbox_app, name="outbox")
policy_app = typer.Typer(no_args_is_help=True, help="The shop policy file (docs/returns.md).")
app.add_typer(policy_app, name="policy")


@policy_app.command("check")
def policy_check(
    path: Path = typer.Argument(..., help="The policy file (.json or .toml)."),
) -> None:
    """Validate a policy file, the law layer included; exit 1 with the problems."""
    from ventanilla.returns import explain

    problems = explain.check(path)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{path}: valid")


@policy_app.command("explain")
def policy_explain(
    order: str = typer.Argument(..., help="The order number."),
    reason: str | None = typer.Option(None, help="A return reason code, e.g. wrong_size."),
) -> None:
    """Print the withdrawal and return decision for each line of ORDER now, and why."""
    from ventanilla.core.errors import AppError
    from ventanilla.db import session_scope
    from ventanilla.returns import explain

    with session_scope(write=False) as session:
        try:
            lines = explain.explain(session, number=order, reason=reason)
        except AppError as exc:
            typer.echo(exc.message, err=True)
            raise typer.Exit(1) from exc
    for line in lines:
        typer.echo(line)


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes."),
) -> None:
    """Serve the portal and the API (in demo mode the outbox worker runs inside)."""
    import uvicorn

    _logging()
    get_settings()  # refuse placeholder secrets in production before binding
    uvicorn.run(
        "ventanilla.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


@app.command()
def worker(
    once: bool = typer.Option(False, "--once", help="Drain what is due, then exit."),
) -> None:
    """Run the periodic jobs: refunds, clean-ups, and sending queued emails and webhooks."""
    from ventanilla import worker as runner

    _logging()
    if once:
        result = runner.run_pass()
        typer.echo(f"processed {result.done.get('outbox.send', 0)} message(s)")
    else:
        runner.run_forever()


@app.command()
def demo() -> None:
    """Load the demo toy shop (once) and print ready "my order" links and an API key."""
    from ventanilla import demo as demo_loader

    settings = get_settings()
    result = demo_loader.load()
    if result.loaded:
        typer.echo(f"Loaded the demo toy shop: {result.orders} orders.")
    else:
        typer.echo("The demo toy shop is already loaded; here are fresh links.")
    typer.echo(
        f'\nOpen the portal at {settings.base_url}/  ("find my order": {settings.base_url}/find)'
    )
    typer.echo('Ready "my order" links (each works 5 times, for 15 days):')
    for description, number, url in result.links:
        typer.echo(f"  - {description} [{number}]:\n    {url}")
    typer.echo(
        f"\nStore API: {settings.base_url}/docs  with  Authorization: Bearer {result.api_key}"
    )
    typer.echo(f"Mail the portal sends is written to {settings.var_dir / 'mail'}/\n")


@outbox_app.command("retry-dead")
def outbox_retry_dead(
    kind: str = typer.Option("all", help="email, webhook or all"),
) -> None:
    """Queue again every message that ran out of attempts (after an SMTP or shop outage)."""
    from ventanilla.core.actors import Actor
    from ventanilla.db import session_scope
    from ventanilla.outbox import service

    if kind not in ("email", "webhook", "all"):
        typer.echo("error: --kind is email, webhook or all", err=True)
        raise typer.Exit(2)
    with session_scope() as session:
        count = service.requeue_dead(
            session, actor=Actor("agent", "cli"), kind=None if kind == "all" else kind
        )
    typer.echo(f"queued {count} message(s) again")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from ventanilla import migrations

    migrations.upgrade(get_settings().database_url, revision)
    typer.echo(f"database at {revision}")


@apikey_app.command("create")
def apikey_create(
    name: str,
    scope: list[str] = typer.Option(None, "--scope", help="Limit the key (repeatable)."),
) -> None:
    """Create an API key and print it once; only its hash is stored."""
    from ventanilla.apikeys import service
    from ventanilla.db import session_scope

    try:
        with session_scope() as session:
            created = service.create_key(session, name=name, scopes=scope)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(created.key)
    typer.echo(
        f"key {created.record.prefix}… for {name!r} with scopes: {', '.join(created.record.scopes)}"
        "\nstore it now: it is not shown again",
        err=True,
    )


@apikey_app.command("list")
def apikey_list() -> None:
    """List keys (prefix, name, scopes, last use)."""
    from ventanilla.apikeys import service
    from ventanilla.db import session_scope

    with session_scope(write=False) as session:
        for key in service.list_keys(session):
            state = "revoked" if key.revoked_at else "active"
            typer.echo(f"{key.prefix}…  {key.name}  {state}  {','.join(key.scopes)}")


@apikey_app.command("revoke")
def apikey_revoke(prefix: str) -> None:
    """Revoke the keys whose prefix starts with PREFIX."""
    from ventanilla.apikeys import service
    from ventanilla.db import session_scope

    if len(prefix) < 6:
        typer.echo("error: give at least 6 characters of the prefix", err=True)
        raise typer.Exit(2)
    with session_scope() as session:
        count = service.revoke_key(session, prefix=prefix)
    typer.echo(f"revoked {count} key(s)")


if __name__ == "__main__":
    app()
