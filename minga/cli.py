"""The `minga` command: thin wrappers over services, with progress bars for long work.

Django is set up inside each command (not at import), so `minga --help` is instant and `minga bench`
can give each benchmark its own settings.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgressBar

    from minga.demo.generate import DemoLogin

app = typer.Typer(help="Minga: the operating system of a collective.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minga.settings")
    import django

    django.setup()


def _migrate_if_needed() -> None:
    """Apply pending migrations quietly, so a fresh checkout's first command just works."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        with console.status(f"Applying {len(pending)} database migrations…"):
            call_command("migrate", interactive=False, verbosity=0)


class _ProgressBars:
    """Adapts the services' `Progress` protocol (step, advance) to rich progress bars, one per step."""

    def __init__(self, bars: RichProgressBar) -> None:
        self.bars = bars
        self.task: Any = None

    def step(self, label: str, total: int | None = None) -> None:
        self._close()
        self.task = self.bars.add_task(label, total=total)

    def advance(self, amount: int = 1) -> None:
        if self.task is not None:
            self.bars.advance(self.task, amount)

    def _close(self) -> None:
        if self.task is None:
            return
        done = self.bars.tasks[[t.id for t in self.bars.tasks].index(self.task)]
        final = done.total if done.total is not None else 1
        self.bars.update(self.task, total=max(final, done.completed), completed=max(final, done.completed))

    def close(self) -> None:
        self._close()
        self.task = None


def _progress_bars() -> RichProgressBar:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<26}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _logins_table(logins: list[DemoLogin], password: str) -> Table:
    table = Table(title=f"Demo logins (password for each: {password})", title_justify="left")
    table.add_column("email", style="bold", no_wrap=True)
    table.add_column("role")
    table.add_column("reaches")
    for login in logins:
        table.add_row(login.email, login.role, login.reach)
    return table


# --- demo -----------------------------------------------------------------------------------------


class DemoSize(StrEnum):
    tiny = "tiny"
    small = "small"
    medium = "medium"
    large = "large"


@app.command()
def demo(
    size: Annotated[
        DemoSize,
        typer.Option(
            "--size",
            help="small ≈ 300 groups / 5,000 people; medium ≈ 5,000 / 100,000; large = 50,000 / 2,000,000 "
            "(tiny is for tests).",
        ),
    ] = DemoSize.small,
    seed: int = typer.Option(42, "--seed", help="Same seed, same collective (codes, names, places, links)."),
    if_absent: bool = typer.Option(
        False, "--if-absent", help="Do nothing if the demo exists; print its logins."
    ),
    reset: bool = typer.Option(False, "--reset", help="Delete the existing demo collective first."),
    people: bool = typer.Option(True, "--people/--no-people", help="Generate people, or only the groups."),
    metrics: bool = typer.Option(True, "--metrics/--no-metrics", help="Compute network metrics afterwards."),
) -> None:
    """Generate the demo collective "demo", with one login per role.

    A 5-level tree of groups in real places, links, group sets, people and memberships; the logins are
    printed at the end."""
    _django()
    _migrate_if_needed()
    from minga.core.errors import DomainError
    from minga.demo.generate import DEMO_PASSWORD, generate_demo

    bars = _progress_bars()
    adapter = _ProgressBars(bars)
    try:
        with bars:
            result = generate_demo(
                size=size.value,
                seed=seed,
                reset=reset,
                if_absent=if_absent,
                with_people=people,
                with_metrics=metrics,
                progress=adapter,
            )
            adapter.close()
    except DomainError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    if result.created:
        console.print(
            f"Demo collective generated in {result.seconds:.1f} s: {result.groups:,} groups, "
            f"{result.links:,} links, {result.sets} group sets, {result.people:,} people, "
            f"{result.memberships:,} memberships (size {result.size}, seed {result.seed})."
        )
        if result.extras:
            made = ", ".join(f"{count:,} {name.replace('_', ' ')}" for name, count in result.extras.items())
            console.print(f"And in the other apps: {made}.")
        if result.metrics:
            console.print(f"Network metrics: {result.metrics}.")
        steps = ", ".join(f"{label.lower()} {seconds:.1f} s" for label, seconds in result.steps.items())
        console.print(f"[dim]Steps: {steps}.[/dim]")
    else:
        console.print("The demo collective already exists; nothing to do.")
    console.print(_logins_table(result.logins, DEMO_PASSWORD))


# --- serve ----------------------------------------------------------------------------------------


def _default_workers() -> int:
    return max(2, min(3, (os.cpu_count() or 1) + 1))


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 for every one)."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    workers: int = typer.Option(_default_workers(), "--workers", help="Web worker processes."),
    threads: int = typer.Option(4, "--threads", help="Threads per web worker."),
    task_worker: bool = typer.Option(
        True, "--task-worker/--no-task-worker", help="Also run the background task worker."
    ),
) -> None:
    """Serve Minga with gunicorn (production-grade) and a background task worker beside it.

    Collects static files first (whitenoise serves them), prints the URL and, when the demo exists,
    its logins. Ctrl-C stops both.
    """
    _django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    with console.status("Collecting static files…"):
        call_command("collectstatic", interactive=False, verbosity=0)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    console.print(f"Minga on [bold]{url}[/bold] ({workers} workers, {threads} threads each); Ctrl-C stops.")
    _print_demo_logins_if_any()
    connections.close_all()  # the web workers fork from here: they open their own connections

    worker = None
    if task_worker:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
        worker = subprocess.Popen(
            [sys.executable, "-m", "django", "db_worker", "--no-reload", "--queue-name", "*"], env=env
        )
        console.print(f"Background task worker started (pid {worker.pid}).")
    try:
        _gunicorn_application()(
            {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "accesslog": "-",
                "errorlog": "-",
                "timeout": 60,
                "graceful_timeout": 20,
                "max_requests": 5000,
                "max_requests_jitter": 500,
                "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
                "proc_name": "minga",
            }
        ).run()
    finally:
        if worker is not None:
            _stop(worker)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ask the task worker to finish its current task and stop; kill it if it takes too long."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _print_demo_logins_if_any() -> None:
    from django.db import DatabaseError

    from minga.demo.generate import DEMO_PASSWORD, demo_collective, demo_logins

    try:
        if demo_collective() is None:
            return
        logins = demo_logins()
    except DatabaseError:
        console.print("[yellow]The database is not migrated yet: run `manage.py migrate`.[/yellow]")
        return
    console.print(_logins_table(logins, DEMO_PASSWORD))


def _gunicorn_application() -> type:
    from gunicorn.app.base import BaseApplication

    class MingaServer(BaseApplication):
        def __init__(self, options: dict[str, Any]) -> None:
            self.options = options
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from minga.wsgi import application

            return application

    return MingaServer


# --- createadmin ----------------------------------------------------------------------------------


@app.command()
def createadmin(
    email: str = typer.Option(..., "--email", help="The operator's email (it is the login)."),
    password: str | None = typer.Option(
        None, "--password", help="The password; asked for (hidden, twice) when left out."
    ),
) -> None:
    """Create a platform operator: a superuser who can create collectives and reach all of them."""
    _django()
    _migrate_if_needed()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from minga.core.audit import audit_record

    email = email.strip().lower()
    User = get_user_model()
    try:
        validate_email(email)
    except ValidationError as error:
        errors.print(f"[red]{email!r} is not an email address.[/red]")
        raise typer.Exit(1) from error
    if User.objects.filter(email__iexact=email).exists():
        errors.print(f"[red]A login with the email {email} already exists.[/red]")
        raise typer.Exit(1)
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    candidate = User(username=email, email=email)
    try:
        validate_password(password, candidate)
    except ValidationError as error:
        for message in error.messages:
            errors.print(f"[red]{message}[/red]")
        raise typer.Exit(1) from error
    user = User.objects.create_superuser(username=email, email=email, password=password)
    audit_record(actor=None, action="operator.create", target=user, target_repr=email)
    console.print(f"Platform operator {email} created.")


# --- import and export ----------------------------------------------------------------------------

REPORT_PROBLEMS = 20  # problems printed; the rejected-rows file has them all


def _bulk_target(kind: str, collective: str, as_email: str) -> tuple[Any, Any, Any]:
    """The record type, the collective and the actor of an import or export (exit 2 when unknown)."""
    from minga.core.bulk import get_record_type, record_types
    from minga.core.models import Collective

    try:
        record_type = get_record_type(kind)
    except KeyError:
        known = ", ".join(rt.name for rt in record_types())
        errors.print(f"[red]Nothing called {kind!r} to import or export. Known: {known}.[/red]")
        raise typer.Exit(2) from None
    target = Collective.objects.filter(slug=collective).first()
    if target is None:
        errors.print(f"[red]There is no collective {collective!r}.[/red]")
        raise typer.Exit(2)
    return record_type, target, _bulk_actor(target, as_email)


def _bulk_actor(collective: Any, as_email: str) -> Any:
    """The login named by --as, else the collective's first backbone admin (the longest-standing one)."""
    if as_email:
        return _user_by_email(as_email)
    from minga.core.choices import Role
    from minga.people.models import Membership

    membership = (
        Membership.objects.active()
        .filter(group__collective=collective, role=Role.ADMIN, person__user__isnull=False)
        .select_related("person__user")
        .order_by("id")
        .first()
    )
    if membership is None:
        errors.print(f"[red]{collective.slug} has no backbone admin with a login: name one with --as.[/red]")
        raise typer.Exit(2)
    return membership.person.user


def _import_bars() -> RichProgressBar:
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]:>12,} rows"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


@app.command("import")
def import_file(
    kind: Annotated[str, typer.Argument(help="What the file holds: people, groups, memberships, links…")],
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A CSV, XLSX or JSON lines file.")
    ],
    collective: str = typer.Option("demo", "--collective", help="Slug of the collective to import into."),
    as_email: str = typer.Option(
        "", "--as", help="Email of the login the import acts as (default: the first backbone admin)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check everything and report; save nothing."),
    valid_rows_only: bool = typer.Option(
        False,
        "--valid-rows-only",
        help="Import the valid rows and report the rest (default: all or nothing).",
    ),
    mapping: str = typer.Option(
        "", "--mapping", help='Columns as JSON, file header → column: \'{"Name": "full_name"}\'.'
    ),
    encoding: str = typer.Option("", "--encoding", help="Text encoding of a CSV (default: detected)."),
    delimiter: str = typer.Option("", "--delimiter", help="Delimiter of a CSV (default: detected)."),
) -> None:
    """Import a file, as the web page and the API do: same checks, same scoping, same report.

    Rows are matched by their natural key and upserted, so importing a file twice changes nothing the
    second time. Rejected rows are written next to the file as NAME.rejected.csv, with an `errors`
    column: fix them there and import that file. Exits with 1 when nothing was imported."""
    import json

    _django()
    _migrate_if_needed()
    from minga.core.bulk.formats import BulkFileError, open_table
    from minga.core.bulk.rejected import RejectedRowsWriter
    from minga.core.bulk.runner import run_import

    record_type, target, actor = _bulk_target(kind, collective, as_email)
    columns: dict[str, str] | None = None
    if mapping:
        try:
            columns = json.loads(mapping)
        except ValueError:
            columns = None
        if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
            errors.print('[red]--mapping is a JSON object, e.g. \'{"Name": "full_name"}\'.[/red]')
            raise typer.Exit(2)
    try:
        table = open_table(file, encoding=encoding or None, delimiter=delimiter or None)
    except BulkFileError as error:
        errors.print(f"[red]Nothing was imported: {error.problem.message}[/red]")
        raise typer.Exit(1) from error
    rejected_path = file.with_name(f"{file.stem}.rejected.csv")
    rejected_path.unlink(missing_ok=True)  # an earlier run's: it would describe another file
    with rejected_path.open("w", encoding="utf-8", newline="") as handle:
        rejected = RejectedRowsWriter(table.headers, handle)
        bars = _import_bars()
        with bars:
            task = bars.add_task("Checking" if dry_run else "Importing", total=1.0, rows=0)

            def progress(rows: int, fraction: float | None) -> None:
                bars.update(task, completed=fraction if fraction is not None else 0.0, rows=rows)

            report = run_import(
                record_type=record_type,
                actor=actor,
                collective=target,
                table=table,
                mapping=columns,
                mode="valid" if valid_rows_only else "all",
                dry_run=dry_run,
                progress=progress,
                on_rejected=rejected.write,
            )
            bars.update(task, completed=1.0, rows=report.rows)
    if not rejected.count:
        rejected_path.unlink()
    _print_report(report, rejected_path if rejected.count else None)
    imported = report.created + report.updated + report.unchanged
    if report.file_problems or not imported or (report.rejected and not valid_rows_only):
        raise typer.Exit(1)


def _print_report(report: Any, rejected_path: Path | None) -> None:
    style = "green" if report.ok else ("yellow" if report.committed else "red")
    console.print(f"[bold {style}]{report.summary()}[/bold {style}]")
    counts = Table(show_header=False, box=None, padding=(0, 2))
    for label in ("rows", "created", "updated", "unchanged", "rejected"):
        counts.add_row(label, f"{getattr(report, label):,}")
    counts.add_row("seconds", f"{report.seconds:.1f}")
    console.print(counts)
    if report.problems:
        problems = Table(title="Rejected rows", title_justify="left")
        problems.add_column("row", justify="right")
        problems.add_column("column")
        problems.add_column("problem")
        for problem in report.problems[:REPORT_PROBLEMS]:
            problems.add_row(str(problem.get("row", "")), problem.get("column") or "", problem["message"])
        console.print(problems)
        if len(report.problems) > REPORT_PROBLEMS:
            console.print(f"… and more: {report.rejected:,} rejected rows in all.")
    if rejected_path is not None:
        console.print(f"Rejected rows, with the reasons, written to [bold]{rejected_path}[/bold].")
    for warning in report.warnings:
        console.print(f"[yellow]{warning}[/yellow]")


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


@app.command("export")
def export_records(
    kind: str = typer.Argument(..., help="What to export: people, groups, memberships, links…"),
    collective: str = typer.Option("demo", "--collective", help="Slug of the collective."),
    as_email: str = typer.Option(
        "", "--as", help="Email of the login whose view is exported (default: the first backbone admin)."
    ),
    format: Annotated[
        ExportFormat, typer.Option("--format", help="csv, json (JSON lines) or xlsx.")
    ] = ExportFormat.csv,
    output: str = typer.Option("-", "--output", "-o", help="The file to write; - is standard output."),
    filters: Annotated[
        list[str] | None,
        typer.Option("--filter", help="A filter of the list, key=value (repeatable): --filter group=ke."),
    ] = None,
) -> None:
    """Export the records a login may see, with the list's filters; the file imports again unchanged."""
    _django()
    import contextlib
    import shutil
    import tempfile

    from minga.core.bulk.export import Export
    from minga.core.bulk.formats import BulkFileError

    params: dict[str, str] = {}
    for item in filters or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            errors.print(f"[red]--filter takes key=value, not {item!r}.[/red]")
            raise typer.Exit(2)
        params[key.strip()] = value.strip()
    record_type, target, actor = _bulk_target(kind, collective, as_email)
    export = Export(record_type, actor=actor, collective=target, filters=params)
    to_stdout = output == "-"
    try:
        if format == ExportFormat.xlsx:
            # A workbook is a zip, written to a file it can seek in: a temporary one for standard output.
            with tempfile.TemporaryFile() if to_stdout else Path(output).open("wb") as handle:
                export.xlsx(handle)
                if to_stdout:
                    handle.seek(0)
                    shutil.copyfileobj(handle, sys.stdout.buffer)
        else:
            sink: IO[bytes]
            with contextlib.ExitStack() as stack:
                sink = sys.stdout.buffer if to_stdout else stack.enter_context(Path(output).open("wb"))
                for chunk in export.csv() if format == ExportFormat.csv else export.jsonl():
                    sink.write(chunk)
        sys.stdout.flush()
    except BulkFileError as error:
        if not to_stdout:
            Path(output).unlink(missing_ok=True)
        errors.print(f"[red]{error.problem.message}[/red]")
        raise typer.Exit(1) from error
    where = "standard output" if to_stdout else output
    errors.print(f"Exported {export.rows:,} {record_type.label.lower()} rows to {where}.")


# --- benchmarks -----------------------------------------------------------------------------------


def _bench_package() -> Any:
    """The `bench` package beside `minga/` (it is not installed; the repository is)."""
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    import bench

    return bench


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(
    ctx: typer.Context,
    name: str = typer.Argument("", help="A benchmark (see --list), or `all`.", show_default=False),
    database: str = typer.Option(
        "", "--database", help="sqlite or postgres, for benchmarks that offer both (default: theirs)."
    ),
    list_only: bool = typer.Option(False, "--list", help="List the benchmarks and exit."),
) -> None:
    """Run a benchmark from bench/ (one JSON line per figure). Extra options go to the benchmark."""
    package = _bench_package()
    registry: dict[str, str] = package.available()
    if list_only or not name:
        for bench_name, summary in registry.items():
            console.print(f"[bold]{bench_name}[/bold]  {summary}")
        return
    if database not in ("", "sqlite", "postgres"):
        errors.print("[red]--database is sqlite or postgres.[/red]")
        raise typer.Exit(2)
    argv = [*(["--database", database] if database else []), *ctx.args]
    if name != "all":
        if name not in registry:
            errors.print(f"[red]No benchmark {name!r}. Known: {', '.join(registry) or 'none'}.[/red]")
            raise typer.Exit(2)
        raise typer.Exit(package.run(name, argv))
    # Each benchmark in its own process: they configure Django (and their databases) differently.
    worst = 0
    for bench_name in registry:
        errors.print(f"[bold]── {bench_name}[/bold]")
        code = subprocess.call([sys.executable, "-m", "minga.cli", "bench", bench_name, *argv])
        worst = max(worst, code)
    raise typer.Exit(worst)


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


# --- learning: ask --------------------------------------------------------------------------------


@app.command("ask")
def ask_command(
    question: str = typer.Argument(..., help="The question, in quotes."),
    collective: str = typer.Option(..., "--collective", help="Slug of the collective."),
    as_email: str = typer.Option(
        "", "--as", help="Answer from what this login may see (default: the public material only)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the answer and citations as JSON."),
) -> None:
    """Ask what a collective's material says; the answer cites the passages it comes from."""
    _django()
    import json

    from minga.core.models import Collective
    from minga.learning.ask import ask

    user = _user_by_email(as_email) if as_email else None
    target = Collective.objects.visible_to(user).filter(slug=collective).first()
    if target is None:
        errors.print(f"[red]There is no collective {collective!r} you can see.[/red]")
        raise typer.Exit(2)
    if not question.strip():
        errors.print("[red]Ask a question.[/red]")
        raise typer.Exit(2)
    answer = ask(user=user, collective=target, question=question)
    if as_json:
        payload = {
            "question": answer.question,
            "answer": answer.text,
            "found": answer.found,
            "mode": answer.mode,
            "citations": [c.as_dict() for c in answer.citations],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    typer.echo(answer.text)
    if answer.note:
        typer.echo(answer.note, err=True)
    for c in answer.citations:
        heading = f" — {c.heading}" if c.heading else ""
        typer.echo(f"  [{c.number}] {c.title}{heading} ({c.kind}): {c.url}")
    if not answer.found:
        raise typer.Exit(1)


search_app = typer.Typer(help="The search index of groups and activities.", no_args_is_help=True)
app.add_typer(search_app, name="search")


@search_app.command("refresh")
def search_refresh(
    collective: str = typer.Option(..., "--collective", help="Slug of the collective."),
    full: bool = typer.Option(False, "--full", help="Re-index everything, not only what changed."),
) -> None:
    """Bring the search index of a collective's groups and activities up to date now (searches do it
    by themselves, but after a large import the first search would wait for it)."""
    _django()
    from minga.core.models import Collective
    from minga.learning.indexing import search_index_refresh

    target = Collective.objects.filter(slug=collective).first()
    if target is None:
        errors.print(f"[red]There is no collective {collective!r}.[/red]")
        raise typer.Exit(2)
    with console.status("Indexing…"):
        indexed = search_index_refresh(target, full=full)
    typer.echo(f"{indexed:,} groups and activities indexed.")


# --- measurement: rollups --------------------------------------------------------------------------

measurement_app = typer.Typer(help="Shared measurement: rollups of indicators.", no_args_is_help=True)
app.add_typer(measurement_app, name="measurement")


@measurement_app.command("rollup")
def measurement_rollup(
    indicator: str = typer.Argument(..., help="Code of the indicator."),
    collective: str = typer.Option(..., "--collective", help="Slug of the collective."),
    within: str = typer.Option("", "--within", help="Code of a group: only its subtree."),
    period: str = typer.Option("", "--period", help="A range 202501:202512, a list, a code; blank: last 12"),
    by: str = typer.Option("child", "--by", help="period, child, group, option, or '' for the total."),
    as_email: str = typer.Option("", "--as", help="Add up what this login may see (default: the public)."),
) -> None:
    """Roll an indicator up over the collective or a subtree, as the dashboard and the API do."""
    _django()
    from django.utils import timezone

    from minga.architecture.models import Group
    from minga.core.models import Collective
    from minga.measurement import periods, selectors
    from minga.measurement.models import Indicator

    user = _user_by_email(as_email) if as_email else None
    target = Collective.objects.visible_to(user).filter(slug=collective).first()
    found = Indicator.objects.visible_to(user).filter(collective=target, code=indicator).first()
    group = Group.objects.visible_to(user).filter(collective=target, code=within).first() if within else None
    if target is None or found is None or (within and group is None) or by not in selectors.BY_CHOICES:
        errors.print("[red]Unknown collective, indicator, group or --by (for what you may see).[/red]")
        raise typer.Exit(2)
    try:
        period_list = selectors.periods_from(target, found.frequency, period, today=timezone.localdate())
    except periods.PeriodError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    area = selectors.Area(target, group=group)
    result = selectors.rollup(viewer=user, indicator=found, area=area, period_list=period_list, by=by)
    table = Table(title=f"{found.name} ({found.get_aggregation_display()}), {area.label}")
    table.add_column(by or "total")
    table.add_column("value", justify="right")
    for _, label, value in result.cells:
        table.add_row(label, "-" if value is None else f"{value:,.6g}")
    table.add_row("[b]all[/b]", "-" if result.total is None else f"[b]{result.total:,.6g}[/b]")
    console.print(table)


@measurement_app.command("reaggregate")
def measurement_reaggregate(
    collective: str = typer.Option("", "--collective", help="Slug of the collective; blank: every one."),
) -> None:
    """Rebuild the pre-aggregated rollups from the stored values and mark them current: after a raw
    load of values, or after groups moved (rollups read the values until then)."""
    _django()
    from minga.core.models import Collective
    from minga.measurement.aggregates import reaggregate

    targets = list(Collective.objects.filter(slug=collective) if collective else Collective.objects.all())
    if collective and not targets:
        errors.print(f"[red]There is no collective {collective!r}.[/red]")
        raise typer.Exit(2)
    for target in targets:
        rebuilt = reaggregate(collective=target)
        typer.echo(f"{target.slug}: {rebuilt.rows:,} aggregate rows in {rebuilt.seconds:.2f} s.")


# --- pathways: funnel -----------------------------------------------------------------------------

pathways_app = typer.Typer(help="Collective pathways: the funnel of groups per stage.", no_args_is_help=True)
app.add_typer(pathways_app, name="pathways")


@pathways_app.command("funnel")
def pathways_funnel(
    collective: str = typer.Option(..., "--collective", help="Slug of the collective."),
    pathway: str = typer.Option("", "--pathway", help="Name or id of the pathway (default: the only one)."),
    within: str = typer.Option("", "--within", help="Code of a group: only its subtree."),
    as_email: str = typer.Option("", "--as", help="Count what this login may see (default: the public)."),
) -> None:
    """Groups per stage of a pathway (now, reached, waiting for verification, median days), as the
    funnel page and the API count them."""
    _django()
    from minga.architecture.models import Group
    from minga.core.models import Collective
    from minga.pathways.models import Pathway
    from minga.pathways.selectors import GroupFilter, pathway_funnel

    user = _user_by_email(as_email) if as_email else None
    target = Collective.objects.visible_to(user).filter(slug=collective).first()
    pathways = Pathway.objects.visible_to(user).filter(collective=target)
    if pathway:
        pathways = pathways.filter(pk=int(pathway)) if pathway.isdigit() else pathways.filter(name=pathway)
    found = list(pathways[:2])
    group = Group.objects.visible_to(user).filter(collective=target, code=within).first() if within else None
    if target is None or len(found) != 1 or (within and group is None):
        errors.print("[red]Unknown collective, pathway (name one if there are several) or group.[/red]")
        raise typer.Exit(2)
    funnel = pathway_funnel(user, found[0], GroupFilter(within=group))
    table = Table(title=f"{found[0].name}: {funnel.filters.label} ({funnel.groups} groups)")
    for column in ("stage", "now", "reached", "pending", "median days"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for i, row in enumerate(funnel.rows, start=1):
        days = "-" if row.median_days is None else f"{row.median_days:.0f}"
        table.add_row(f"{i}. {row.stage.name}", str(row.now), str(row.reached), str(row.pending), days)
    table.add_row("not started", str(funnel.not_started), "", "", "")
    console.print(table)


# --- DHIS2: dataValueSets in and out ------------------------------------------------------------

dhis2_app = typer.Typer(help="DHIS2 dataValueSets JSON: import and export.", no_args_is_help=True)
app.add_typer(dhis2_app, name="dhis2")


def _dhis2_target(collective: str, as_email: str) -> tuple[Any, Any]:
    from minga.core.models import Collective

    target = Collective.objects.filter(slug=collective).first()
    if target is None:
        errors.print(f"[red]There is no collective {collective!r}.[/red]")
        raise typer.Exit(2)
    return target, _bulk_actor(target, as_email)


@dhis2_app.command("import")
def dhis2_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A dataValueSets JSON file.")],
    collective: str = typer.Option(..., "--collective", help="Slug of the collective."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check only: write nothing."),
    strategy: str = typer.Option(
        "CREATE_AND_UPDATE", "--strategy", help="CREATE_AND_UPDATE, CREATE or UPDATE."
    ),
    id_scheme: str = typer.Option("UID", "--id-scheme", help="UID or CODE: how the file names things."),
    as_email: str = typer.Option(
        "", "--as", help="Import as this login (default: the first backbone admin)."
    ),
) -> None:
    """Import a DHIS2 dataValueSets JSON through the collective's code mapping; prints DHIS2's import
    summary (imported, updated, ignored, deleted) and the conflicts. Exit 1 when there are conflicts."""
    _django()
    from minga.core.errors import DomainError, NotFound
    from minga.measurement import dhis2_exchange as dx

    target, actor = _dhis2_target(collective, as_email)
    try:
        payload = dx.parse_payload(file.read_bytes())
        summary = dx.dhis2_import(
            actor=actor,
            collective=target,
            payload=payload,
            dry_run=dry_run,
            strategy=strategy,
            schemes=dx.Schemes.parse(id_scheme),
        ).as_dict()
    except DomainError as error:
        for problem in error.problems:
            errors.print(f"[red]{problem.message}[/red]")
        raise typer.Exit(2) from None
    except NotFound:
        errors.print(f"[red]{actor} does not report for {collective}.[/red]")
        raise typer.Exit(2) from None
    count = summary["importCount"]
    verb = "would be" if dry_run else "were"
    console.print(
        f"[b]{summary['status']}[/b]: {count['imported']} imported, {count['updated']} updated, "
        f"{count['ignored']} ignored, {count['deleted']} deleted ({verb} written)."
    )
    if summary["conflicts"]:
        table = Table(title="Conflicts")
        for column in ("object", "property", "problem", "values"):
            table.add_column(column)
        for c in summary["conflicts"]:
            table.add_row(c["object"], c["property"], c["value"], str(len(c["indexes"])))
        console.print(table)
        raise typer.Exit(1)


@dhis2_app.command("export")
def dhis2_export(
    collective: str = typer.Option(..., "--collective", help="Slug of the collective."),
    period: str = typer.Option("", "--period", help="Periods, comma-separated (DHIS2 or ISO codes)."),
    data_set: str = typer.Option("", "--data-set", help="A data set (mapped) or indicator set code."),
    indicator: str = typer.Option(
        "", "--indicator", help="Data elements or indicator codes, comma-separated."
    ),
    org_unit: str = typer.Option("", "--org-unit", help="An org unit (mapped) or group code."),
    children: bool = typer.Option(False, "--children", help="With --org-unit: its whole subtree."),
    id_scheme: str = typer.Option("UID", "--id-scheme", help="UID or CODE."),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (default: standard output).")
    ] = None,
    as_email: str = typer.Option("", "--as", help="Export what this login reports for (default: an admin)."),
) -> None:
    """Export the values a login reports for as DHIS2 dataValueSets JSON (unmapped values are left out
    and counted on standard error)."""
    _django()
    import json

    from minga.core.errors import DomainError, NotFound
    from minga.measurement import dhis2_exchange as dx

    target, actor = _dhis2_target(collective, as_email)
    try:
        schemes = dx.Schemes.parse(id_scheme)
        table = dx.MappingTable.load(target)
        unit = dx.find_group(actor, target, org_unit, table, schemes.org_unit) if org_unit else None
        elements = [e.strip() for e in indicator.split(",") if e.strip()]
        export = dx.dhis2_export(
            viewer=actor,
            collective=target,
            indicator_ids=dx.find_indicators(
                target, table, schemes.data_element, elements=elements, data_set=data_set
            ),
            period_codes=[p.strip() for p in period.split(",") if p.strip()],
            org_unit=unit,
            children=children,
            schemes=schemes,
            data_set=data_set,
        )
    except DomainError as error:
        for problem in error.problems:
            errors.print(f"[red]{problem.message}[/red]")
        raise typer.Exit(2) from None
    except NotFound as error:
        errors.print(f"[red]Not found (for {actor}): {error or 'collective'}.[/red]")
        raise typer.Exit(2) from None
    text = json.dumps(export.payload, indent=1)
    if output is None:
        sys.stdout.write(text + "\n")
    else:
        output.write_text(text + "\n", encoding="utf-8")
    exported = len(export.payload["dataValues"])
    errors.print(f"{exported} values exported, {export.unmapped} left out (not mapped).")


# --- boundaries ------------------------------------------------------------------------------------

boundaries_app = typer.Typer(help="Group boundaries (GeoJSON) for the dashboard's map.", no_args_is_help=True)
app.add_typer(boundaries_app, name="boundaries")


@boundaries_app.command("import")
def boundaries_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A GeoJSON FeatureCollection.")],
    collective: str = typer.Option(..., "--collective", help="Slug of the collective."),
    match_property: str = typer.Option(
        "code", "--property", help="The feature property holding the group code."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check everything and report; save nothing."),
    as_email: str = typer.Option(
        "", "--as", help="Email of the login it acts as (default: the first backbone admin)."
    ),
) -> None:
    """Set the boundaries of many groups at once: all, or none when any feature is wrong (exit 1)."""
    _django()
    from minga.architecture import boundaries
    from minga.core.errors import DomainError
    from minga.core.models import Collective

    target = Collective.objects.filter(slug=collective).first()
    if target is None:
        errors.print(f"[red]There is no collective {collective!r}.[/red]")
        raise typer.Exit(2)
    actor = _bulk_actor(target, as_email)
    try:
        document = boundaries.parse_geojson(file.read_bytes(), limit=boundaries.MAX_IMPORT_BYTES)
        report = boundaries.boundaries_import(
            actor=actor, collective=target, document=document, match_property=match_property, dry_run=dry_run
        )
    except DomainError as error:
        for problem in error.problems:
            errors.print(f"[red]{problem.message}[/red]")
        raise typer.Exit(1) from None
    for p in report.problems:
        errors.print(f"[red]feature {p.index}{f' ({p.code})' if p.code else ''}: {p.message}[/red]")
    if not report.ok:
        errors.print(f"Nothing saved: {len(report.problems)} of {report.features} features have a problem.")
        raise typer.Exit(1)
    if dry_run:
        console.print(f"{report.features} features checked, all match a group: nothing saved (--dry-run).")
    else:
        console.print(f"{report.saved} boundaries saved.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
