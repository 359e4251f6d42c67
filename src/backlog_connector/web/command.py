"""``backlog-connector serve``: the web UI, the REST API and the scheduler in one process."""

from __future__ import annotations

import logging
import signal
import socket
import sys
from types import FrameType

import click

from backlog_connector.backlog.errors import ConfigurationError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")  # fmt: skip
@click.option("--public-url", default=None,
              help="How others reach this service (used in webhook run links); default: "
                   "http://HOST:PORT.")  # fmt: skip
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]))  # fmt: skip
def serve(host: str, port: int, public_url: str | None, log_level: str) -> None:
    """Serve the web UI and the REST API (/api, OpenAPI at /docs) and run the schedules.

    This process runs the syncs of its data home: while it runs, CLI commands that would run or
    delete datasets hand the work to it. SIGTERM or Ctrl-C stops it within a few seconds; runs
    cut short are recorded as cancelled. With the control plane in PostgreSQL (database_url)
    the runs go to 'worker' processes instead, and any number of serve replicas may run: one
    scheduler tick happens for all of them.
    """
    import uvicorn

    from backlog_connector.datasets.service import ControlPlane
    from backlog_connector.web.app import create_app
    from backlog_connector.web.handoff import announce, withdraw

    logging.basicConfig(
        level=log_level.upper(), stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )  # fmt: skip
    # httpx logs every request URL at INFO, and an account with api_key_in_query puts its key
    # in the URL: keep those loggers quiet (the client logs redacted URLs itself).
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # with workers, the tick is a job every second: keep the task queue's own log to warnings
    logging.getLogger("procrastinate").setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port or --host"
        ) from None
    bound = sock.getsockname()[1]
    url = f"http://{host if ':' not in host else f'[{host}]'}:{bound}"
    try:
        control_plane = ControlPlane.open()
    except ConfigurationError as exc:
        sock.close()
        raise click.ClickException(str(exc)) from None
    from backlog_connector.datasets.log_file import attach_log_file, share_log_file

    attach_log_file(control_plane.home, logging.getLogger().getEffectiveLevel())
    service = None
    try:
        try:
            app = create_app(control_plane, public_url=public_url or url, bind_host=host)
        except ConfigurationError as exc:  # e.g. the task queue cannot be used
            raise click.ClickException(str(exc)) from None
        # CLI commands of this data home that would write hand their work to this process
        service = announce(control_plane.home, url)
        app.state.local_token = service.token
        secrets = app.state.new_secrets
        if secrets.api_token:
            click.echo(f"API token (shown once; store it now): {secrets.api_token}")
        if secrets.admin_password:
            click.echo(f"Admin password for the web UI (shown once): {secrets.admin_password}")
        click.echo(f"Serving on {url}  (web UI {url}/, API {url}/api, docs {url}/docs)")
        sys.stdout.flush()
        # proxy headers are judged by the app (setting web.trusted_proxies), not by uvicorn,
        # which would believe any process on loopback
        config = uvicorn.Config(
            app, log_level=log_level, timeout_graceful_shutdown=3, access_log=False,
            proxy_headers=False,
        )  # fmt: skip
        share_log_file("uvicorn")  # its errors (tracebacks) in the log file too
        # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to the
        # handler it found: make that a clean exit, so the control plane is closed below.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _exit_cleanly)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        if service is not None:
            withdraw(control_plane.home, service)
        sock.close()
        control_plane.close()


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)
