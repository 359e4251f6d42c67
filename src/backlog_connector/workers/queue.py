"""The procrastinate app over the control-plane database, and :class:`RunQueue`.

Queues: ``runs`` (datasets in a PostgreSQL destination: any worker), the warehouse queue
(datasets in the embedded DuckDB file: only the worker started with ``--warehouse`` on the host
that has the file, since DuckDB allows one writing process per file; setting
``workers.warehouse_queue``, default ``warehouse-<host name>``) and ``scheduler`` (the tick and
the sweep, consumed by ``serve``). Every job of one dataset carries the lock and the queueing
lock ``dataset-<id>``: one run per dataset at a time across all workers, one waiting.
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from backlog_connector.backlog.errors import ConfigurationError, RetryLaterError
from backlog_connector.datasets.info import RunInfo

if TYPE_CHECKING:
    import procrastinate

    from backlog_connector.datasets.service import ControlPlane
    from backlog_connector.settings import Settings

log = logging.getLogger("backlog_connector.workers")

RUNS_QUEUE = "runs"
SCHEDULER_QUEUE = "scheduler"
RUN_TASK = "backlog_connector.run_dataset"
TICK_TASK = "backlog_connector.scheduler_tick"
SWEEP_TASK = "backlog_connector.sweep_stalled_runs"


class AlreadyQueuedError(ConfigurationError):
    """The dataset already has a run queued or under way."""


def warehouse_queue(settings: Settings) -> str:
    """The queue of the datasets in the embedded DuckDB warehouse."""
    return settings.workers.warehouse_queue or f"warehouse-{socket.gethostname()}"


def dataset_lock(dataset_id: int) -> str:
    """The procrastinate lock (and queueing lock) of one dataset's jobs."""
    return f"dataset-{dataset_id}"


def conninfo(sqlalchemy_url: str) -> str:
    """The libpq URL of a SQLAlchemy PostgreSQL URL (``postgresql+psycopg://`` and the like)."""
    url = sa.engine.make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def require_postgres(cp: ControlPlane, what: str) -> None:
    """Raise a ``ConfigurationError`` naming the fix unless the control plane is PostgreSQL."""
    if not cp.distributed:
        raise ConfigurationError(
            f"{what} needs the control plane in PostgreSQL: set BACKLOG_CONNECTOR_DATABASE_URL"
            " (or database_url in the settings file) to postgresql+psycopg://user@host/db for"
            " serve, the workers and the CLI alike; with the SQLite default, serve runs"
            " everything itself"
        )


def _require_procrastinate() -> None:
    try:
        import procrastinate  # noqa: F401
    except ImportError:
        raise ConfigurationError(
            "runs on workers need procrastinate, which is not installed: pip install"
            " 'backlog-connector[workers]' (or unset database_url to run everything in serve)"
        ) from None


def ensure_schema(engine: sa.Engine) -> None:
    """Create procrastinate's tables in the control-plane database when they are missing
    (once, under an advisory lock, so processes starting together do not race)."""
    _require_procrastinate()
    from procrastinate.schema import SchemaManager

    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(7412563001)"))
        if conn.scalar(sa.text("SELECT to_regclass('procrastinate_jobs')")) is not None:
            return
        raw: Any = conn.connection.driver_connection
        raw.execute(SchemaManager.get_schema())
        log.info("created the task queue's tables (procrastinate) in the control-plane database")


def build_app(cp: ControlPlane, *, scheduling: bool = False) -> procrastinate.App:
    """A procrastinate app over the control plane's database with the run task; with
    ``scheduling`` also the periodic scheduler tick and stalled-run sweep (``serve``)."""
    import procrastinate

    from backlog_connector.workers import tasks

    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo(cp.settings.control_db_url())),
        periodic_defaults={"max_delay": 30},
    )
    app.task(name=RUN_TASK, queue=RUNS_QUEUE, pass_context=True)(tasks.run_dataset)
    tick = app.task(
        name=TICK_TASK, queue=SCHEDULER_QUEUE, pass_context=True, lock="scheduler-tick",
        queueing_lock="scheduler-tick",
    )(tasks.scheduler_tick)  # fmt: skip
    sweep = app.task(
        name=SWEEP_TASK, queue=SCHEDULER_QUEUE, pass_context=True, queueing_lock="scheduler-sweep"
    )(tasks.sweep_stalled_runs)
    if scheduling:
        app.periodic(cron="* * * * * *", periodic_id="tick")(tick)
        every = cp.settings.workers.sweep_seconds
        app.periodic(cron=f"* * * * * */{every}", periodic_id="sweep")(sweep)
    return app


class RunQueue:
    """Queue runs for the workers and cancel them; a synchronously opened app of its own.

    ``enqueue`` records the run (status ``queued``) and defers its job with the dataset's lock
    and queueing lock on the dataset's queue; the worker that takes the job runs it.
    """

    def __init__(self, cp: ControlPlane) -> None:
        require_postgres(cp, "queuing runs for workers")
        self.cp = cp
        ensure_schema(cp.engine)
        self.app = build_app(cp)
        self.app.open()

    def close(self) -> None:
        """Close the app's connections."""
        self.app.close()

    def queue_of(self, name: str) -> tuple[int, str]:
        """The dataset's id and queue (the warehouse queue for the embedded DuckDB)."""
        dataset_id, in_warehouse = self.cp.dataset_route(name)
        return dataset_id, warehouse_queue(self.cp.settings) if in_warehouse else RUNS_QUEUE

    def enqueue(
        self, name: str, *, trigger: str = "manual", attempt: int = 1, full: bool = False
    ) -> RunInfo:
        """Queue a run of ``name``; ``AlreadyQueuedError`` when it has one queued or running
        (nothing recorded) or when a job of it already waits in the queue (the run recorded
        ``skipped``)."""
        from procrastinate.exceptions import AlreadyEnqueued

        dataset_id, queue = self.queue_of(name)
        if self.cp.active_run(name) is not None:
            raise AlreadyQueuedError(
                f"dataset {name!r} is already queued or running; wait for that run to finish"
                " (see its history) before starting another"
            )
        run = self.cp.queue_run(name, trigger=trigger, attempt=attempt)
        lock = dataset_lock(dataset_id)
        try:
            job_id = self.app.configure_task(
                RUN_TASK, lock=lock, queueing_lock=lock, queue=queue
            ).defer(run_id=run.id, full=full)
        except AlreadyEnqueued:
            self.cp.cancel_queued_run(
                run.id, "another run of the dataset was already waiting in the queue (e.g. a"
                " job handed back after its worker stopped); skipped, not queued",
                status="skipped",
            )  # fmt: skip
            raise AlreadyQueuedError(
                f"dataset {name!r} already has a run waiting in the queue; wait for it"
            ) from None
        except Exception as exc:
            self.cp.cancel_queued_run(run.id, f"could not queue the run: {type(exc).__name__}")
            raise RetryLaterError(
                f"could not queue the run of {name!r} ({type(exc).__name__}); check that the"
                " control-plane database is reachable, then try again"
            ) from None
        self.cp.attach_job(run.id, job_id)
        log.info("queued %s run %d of %s on %s (job %d)", trigger, run.id, name, queue, job_id)
        return self.cp.get_run(run.id)

    def cancel(self, run_id: int) -> bool:
        """Ask the run to stop: a waiting job is cancelled (the run recorded cancelled), a
        running one is aborted by its worker (it records the run cancelled). False when the
        run is not queued or running."""
        from procrastinate import jobs

        run = self.cp.get_run(run_id)
        if run.status not in ("queued", "running") or run.queue_job_id is None:
            return False
        manager = self.app.job_manager
        if not manager.cancel_job_by_id(run.queue_job_id, abort=True):
            return False
        if manager.get_job_status(run.queue_job_id) == jobs.Status.CANCELLED:
            self.cp.cancel_queued_run(run_id, "cancelled before it started")
        return True
