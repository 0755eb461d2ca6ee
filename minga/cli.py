"""The `minga` command: thin wrappers over services, with progress bars for long work."""

from __future__ import annotations

import os

import typer

app = typer.Typer(help="Minga: the operating system of a collective.", no_args_is_help=True)


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minga.settings")
    import django

    django.setup()


# --- API tokens -----------------------------------------------------------------------------------

token_app = typer.Typer(help="API tokens: create (shown once), list, revoke.", no_args_is_help=True)
app.add_typer(token_app, name="token")


def _user_by_email(email: str) -> object:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(email__iexact=email.strip()).order_by("id").first()
    if user is None:
        typer.echo(f"No login with the email {email}.", err=True)
        raise typer.Exit(1)
    return user


@token_app.command("create")
def token_create(
    user: str = typer.Option(..., "--user", help="Email of the login the token acts as."),
    name: str = typer.Option("cli", "--name", help="A label to tell tokens apart."),
) -> None:
    """Create a token and print it once (only its hash is kept)."""
    _django()
    from minga.core.errors import DomainError
    from minga.core.services import api_token_create

    try:
        token, raw = api_token_create(actor=None, user=_user_by_email(user), name=name)
    except DomainError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    typer.echo(raw)
    typer.echo(f"Token {token.prefix}… ({token.name}) created; it will not be shown again.", err=True)


@token_app.command("list")
def token_list(user: str = typer.Option(..., "--user", help="Email of the login.")) -> None:
    """List a login's tokens: prefix, name, created, last used, revoked."""
    _django()
    from minga.core.services import api_token_list

    for token in api_token_list(actor=None, user=_user_by_email(user)):
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
        typer.echo(f"{token.prefix}\t{token.name}\tcreated {token.created_at:%Y-%m-%d}\tused {used}\t{state}")


@token_app.command("revoke")
def token_revoke(
    prefix: str = typer.Argument(..., help="The token's prefix, as `minga token list` shows."),
) -> None:
    """Revoke a token by its prefix; requests carrying it are refused from now on."""
    _django()
    from minga.core.errors import NotFound
    from minga.core.services import api_token_find, api_token_revoke

    try:
        token = api_token_find(actor=None, prefix=prefix)
    except NotFound as error:
        typer.echo(f"No single token with the prefix {prefix}.", err=True)
        raise typer.Exit(1) from error
    api_token_revoke(actor=None, token=token)
    typer.echo(f"Token {token.prefix}… ({token.name}) revoked.")


# --- network metrics ------------------------------------------------------------------------------

network_app = typer.Typer(help="Network metrics: compute and store a snapshot.", no_args_is_help=True)
app.add_typer(network_app, name="network")


@network_app.command("refresh")
def network_refresh(
    collective: str = typer.Option(..., "--collective", help="Slug of the collective."),
    within: str = typer.Option("", "--within", help="Code of a group: only its subtree."),
    queue: bool = typer.Option(False, "--queue", help="Queue it for the task worker instead of now."),
) -> None:
    """Compute the network metrics now (no worker needed) and print the headline figures."""
    _django()
    from minga.architecture.models import Group
    from minga.architecture.network import network_snapshot_create
    from minga.architecture.tasks import compute_network_metrics
    from minga.core.models import Collective

    target = Collective.objects.filter(slug=collective).first()
    scope = Group.objects.filter(collective=target, code=within).first() if target and within else None
    if target is None or (within and scope is None):
        missing = f"group {within!r} in {collective!r}" if target else f"collective {collective!r}"
        typer.echo(f"There is no {missing}.", err=True)
        raise typer.Exit(1)
    if queue:
        compute_network_metrics.enqueue(target.pk, scope.pk if scope else None)
        typer.echo("Queued; `manage.py db_worker` will compute it.")
        return
    snapshot = network_snapshot_create(collective=target, scope_group=scope)
    m = snapshot.metrics
    typer.echo(
        f"{m['groups']} groups, {m['links']} links, density {m['density']:.6f}, "
        f"{m['components']['count']} components (largest {m['components']['largest_share']:.0%}), "
        f"{m['communities']['count']} communities, {m['bridging']['articulation_points']} articulation "
        f"points, {m['reach']['people']} people; {snapshot.seconds:.2f} s."
    )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
