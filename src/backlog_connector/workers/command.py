"""``backlog-connector worker``: executes queued runs (control plane in PostgreSQL)."""

from __future__ import annotations

import logging
import os
import socket
import sys

import click

from backlog_connector.backlog.errors import ConfigurationError


@click.command()
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Runs this process executes at once (each in a thread).")  # fmt: skip
@click.option("--queue", "queues", multiple=True, metavar="Q",
              help="Queue to consume (repeatable). Default: 'runs', the datasets in PostgreSQL"
                   " destinations.")  # fmt: skip
@click.option("--warehouse", is_flag=True,
              help="Also consume this host's warehouse queue: the datasets in the embedded"
                   " DuckDB file of this data home. One such worker per file.")  # fmt: skip
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]))  # fmt: skip
def worker(concurrency: int, queues: tuple[str, ...], warehouse: bool, log_level: str) -> None:
    """Execute queued runs: any number of workers, on any machine that reaches the control
    plane's PostgreSQL. SIGTERM or Ctrl-C stops taking jobs and lets running ones finish (up to
    10 s; then they are cancelled). A worker killed outright is noticed by its missing
    heartbeat: its run is failed with that reason and tried again on another worker."""
    from backlog_connector.datasets.service import ControlPlane
    from backlog_connector.workers.queue import (
        RUNS_QUEUE,
        build_app,
        ensure_schema,
        require_postgres,
        warehouse_queue,
    )

    logging.basicConfig(
        level=log_level.upper(), stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )  # fmt: skip
    for noisy in ("httpx", "httpcore"):  # they log URLs, which may carry an apiKey
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        cp = ControlPlane.open()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    from backlog_connector.datasets.log_file import attach_log_file

    attach_log_file(cp.home, logging.getLogger().getEffectiveLevel())
    try:
        try:
            require_postgres(cp, "backlog-connector worker")
        except ConfigurationError as exc:
            raise click.ClickException(str(exc)) from None
        try:
            ensure_schema(cp.engine)
        except ConfigurationError as exc:
            raise click.ClickException(str(exc)) from None
        app = build_app(cp)
        consumed = list(queues) or [RUNS_QUEUE]
        if warehouse:
            consumed.append(warehouse_queue(cp.settings))
        name = f"{socket.gethostname()}:{os.getpid()}"
        click.echo(f"worker {name} consuming {', '.join(consumed)} (concurrency {concurrency})")
        sys.stdout.flush()
        settings = cp.settings.workers
        app.run_worker(
            queues=consumed, concurrency=concurrency, name=name,
            additional_context={"plane": cp}, shutdown_graceful_timeout=10.0,
            delete_jobs="successful",  # the run's record is in the runs table
            update_heartbeat_interval=settings.heartbeat_seconds,
            stalled_worker_timeout=settings.stalled_seconds, fetch_job_polling_interval=2.0,
        )  # fmt: skip
    finally:
        cp.close()
