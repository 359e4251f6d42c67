"""The REST API under ``/api``: everything the CLI does, over HTTP, through the control plane.

Every route but ``/api/health`` needs a bearer token or a signed-in session (``web.auth``).
Errors answer JSON ``{"detail": message, "error": type, "action": ...}``: 404 for an unknown
name, 409 for a conflict (name taken, account or destination in use, already running), 422 for
invalid input,
400 for another configuration problem (e.g. Backlog refused the key), 503 when Backlog could
not be reached. No response holds a secret: keys and destination URLs are write-only (a
destination is shown with its URL's password removed), and validation errors never echo what
was sent.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.datasets.errors import UnknownNameError
from backlog_connector.datasets.service import ControlPlane
from backlog_connector.scheduler.loop import AlreadyRunningError, Scheduler
from backlog_connector.web.api_bodies import (
    AccountCreate,
    AccountUpdate,
    DatasetCreate,
    DatasetUpdate,
    DestinationCreate,
    RunRequest,
    option_strings,
)
from backlog_connector.web.api_errors import (
    ERROR_RESPONSES,
    ApiRoute,
    ErrorBody,
    NotRunningError,
    error_response,
    validation_response,
)
from backlog_connector.web.auth import require_user
from backlog_connector.web.downloads import export_response
from backlog_connector.web.handoff import handoff_proof

__all__ = ["ApiRoute", "ErrorBody", "error_response", "public", "router",
           "validation_response"]  # fmt: skip

#: ids are 64-bit signed integers in the database
MAX_ID = 2**63 - 1
RunId = Annotated[int, Path(ge=1, le=MAX_ID, description="the run's id")]

# --- dependencies --------------------------------------------------------------------------


def control_plane(request: Request) -> ControlPlane:
    """The app's control plane."""
    cp: ControlPlane = request.app.state.control_plane
    return cp


def scheduler(request: Request) -> Scheduler:
    """The app's scheduler."""
    sched: Scheduler = request.app.state.scheduler
    return sched


CP = Annotated[ControlPlane, Depends(control_plane)]
Sched = Annotated[Scheduler, Depends(scheduler)]

public = APIRouter(prefix="/api", route_class=ApiRoute, tags=["service"],
                   responses={400: ERROR_RESPONSES[400]})  # fmt: skip
router = APIRouter(
    prefix="/api",
    route_class=ApiRoute,
    dependencies=[Depends(require_user)],
    responses=ERROR_RESPONSES,
)


@public.get("/health", summary="Liveness (no authentication)")
def health(request: Request, challenge: str | None = None) -> dict[str, Any]:
    """``ok`` while the process answers; says whether the scheduler thread runs. With a
    ``challenge``, ``proof`` shows this is the serve whose token the data home holds (the CLI
    checks it before it sends the token: ``web.handoff``)."""
    sched: Scheduler | None = getattr(request.app.state, "scheduler", None)
    answer: dict[str, Any] = {"status": "ok", "scheduler": bool(sched and sched.running)}
    local = getattr(request.app.state, "local_token", None)
    if challenge and local and len(challenge) <= 128:  # the CLI sends 32 hex digits
        answer["proof"] = handoff_proof(str(local), challenge)
    return answer


# --- accounts ------------------------------------------------------------------------------


@router.get("/accounts", tags=["accounts"], summary="List accounts")
def list_accounts(cp: CP) -> list[dict[str, Any]]:
    """Saved accounts (never their keys)."""
    return [a.to_dict() for a in cp.list_accounts()]


@router.post("/accounts", tags=["accounts"], status_code=201, summary="Add an account")
def add_account(body: AccountCreate, cp: CP) -> dict[str, Any]:
    """Verify the key against the space, then save the account (key encrypted)."""
    info = cp.add_account(body.name, fqdn=body.fqdn, base_url=body.base_url,
                          api_key=body.api_key.get_secret_value(),
                          api_key_in_query=body.api_key_in_query)  # fmt: skip
    return info.to_dict()


@router.get("/accounts/{name}", tags=["accounts"], summary="Show an account")
def get_account(name: str, cp: CP) -> dict[str, Any]:
    """One account."""
    return cp.get_account(name).to_dict()


@router.patch("/accounts/{name}", tags=["accounts"], summary="Change an account")
def update_account(name: str, body: AccountUpdate, cp: CP) -> dict[str, Any]:
    """Change the key and/or the address (verified first)."""
    key = body.api_key.get_secret_value() if body.api_key is not None else None
    info = cp.update_account(name, api_key=key, fqdn=body.fqdn, base_url=body.base_url,
                             api_key_in_query=body.api_key_in_query)  # fmt: skip
    return info.to_dict()


@router.delete("/accounts/{name}", tags=["accounts"], status_code=204, summary="Remove")
def remove_account(name: str, cp: CP, sched: Sched, force: bool = False) -> Response:
    """Forget an account; 409 while datasets use it unless ``force`` (deletes them too)."""
    cp.remove_account(name, force=force)
    sched.wake()
    return Response(status_code=204)


@router.post("/accounts/{name}/verify", tags=["accounts"], summary="Verify an account")
def verify_account(name: str, cp: CP) -> dict[str, Any]:
    """Check the saved key against the space again."""
    return cp.verify_account(name).to_dict()


@router.get("/accounts/{name}/rate-limit", tags=["accounts"], summary="Rate budget")
def rate_budget(name: str, cp: CP) -> dict[str, Any]:
    """The last known rate-limit budget of the account's Backlog user, per category."""
    return cp.rate_budget(name)


@router.get("/accounts/{name}/projects", tags=["accounts"], summary="Projects")
def list_projects(name: str, cp: CP) -> list[dict[str, Any]]:
    """The projects the account's user can see."""
    return cp.list_projects(name)


@router.get("/accounts/{name}/values/{option}", tags=["accounts"], summary="Option values")
def option_values(
    name: str,
    option: str,
    cp: CP,
    projects: Annotated[
        str | None,
        Query(
            max_length=2000,
            description=(
                "project keys or ids, comma-separated; default: every project the account sees"
            ),
        ),
    ] = None,
) -> list[dict[str, Any]]:
    """What a report option may name in the account's space, for pickers: ``option`` is
    projects, statuses, issue_types, categories, milestones or assignees. Each value is
    ``{value, label, ids, projects, detail}``; ``value`` is what the option takes."""
    return cp.option_values(name, option, projects)


# --- destinations --------------------------------------------------------------------------


@router.get("/destinations", tags=["destinations"], summary="List destinations")
def list_destinations(cp: CP) -> list[dict[str, Any]]:
    """The built-in ``warehouse`` (DuckDB) and the saved destinations (never a password)."""
    return [d.to_dict() for d in cp.list_destinations()]


@router.post("/destinations", tags=["destinations"], status_code=201, summary="Add a destination")
def add_destination(body: DestinationCreate, cp: CP) -> dict[str, Any]:
    """Check the database (connect, try creating the schema and a probe table, rolled back),
    then save the destination (URL encrypted). 400 and nothing saved if refused."""
    password = body.password.get_secret_value() if body.password is not None else None
    info = cp.add_destination(body.name, body.url.get_secret_value(), schema=body.schema_,
                              password=password)  # fmt: skip
    return info.to_dict()


@router.get("/destinations/{name}", tags=["destinations"], summary="Show a destination")
def get_destination(name: str, cp: CP) -> dict[str, Any]:
    """One destination and the datasets landing there."""
    return cp.get_destination(name).to_dict()


@router.delete("/destinations/{name}", tags=["destinations"], status_code=204, summary="Remove")
def remove_destination(name: str, cp: CP, sched: Sched, force: bool = False) -> Response:
    """Forget a destination (its tables stay); 409 while datasets use it unless ``force``
    (which deletes them too)."""
    cp.remove_destination(name, force=force)
    sched.wake()
    return Response(status_code=204)


@router.post("/destinations/{name}/verify", tags=["destinations"], summary="Verify")
def verify_destination(name: str, cp: CP) -> dict[str, Any]:
    """Check the saved destination again (connect, create and drop a probe table)."""
    return cp.verify_destination(name).to_dict()


# --- reports -------------------------------------------------------------------------------


@router.get("/reports", tags=["reports"], summary="The report catalog")
def list_reports(cp: CP) -> list[dict[str, Any]]:
    """Every report: options, key, update modes."""
    return [r.to_dict() for r in cp.list_reports()]


@router.get("/reports/{name}", tags=["reports"], summary="One report")
def get_report(name: str, cp: CP) -> dict[str, Any]:
    """One report of the catalog."""
    for report in cp.list_reports():
        if report.name == name:
            return report.to_dict()
    names = ", ".join(r.name for r in cp.list_reports())
    raise UnknownNameError(f"no report named {name!r}; the reports are: {names}")


# --- datasets ------------------------------------------------------------------------------


def _with_schedule(info: dict[str, Any], sched: Scheduler) -> dict[str, Any]:
    status_ = next((s for s in sched.status() if s.dataset == info["name"]), None)
    info["scheduler"] = status_.to_dict() if status_ else None
    return info


@router.get("/datasets", tags=["datasets"], summary="List datasets")
def list_datasets(cp: CP, sched: Sched) -> list[dict[str, Any]]:
    """Every dataset with its last run, row count and next due time."""
    by_name = {s.dataset: s.to_dict() for s in sched.status()}
    return [{**d.to_dict(), "scheduler": by_name.get(d.name)} for d in cp.list_datasets()]


@router.post("/datasets", tags=["datasets"], status_code=201, summary="Create a dataset")
def create_dataset(body: DatasetCreate, cp: CP, sched: Sched) -> dict[str, Any]:
    """A named dataset; its schedule starts at once."""
    info = cp.create_dataset(
        body.name, account=body.account, report=body.report, options=option_strings(body.options),
        update_mode=body.update_mode, schedule=body.schedule, timezone=body.timezone,
        retries=body.retries, retry_interval=body.retry_interval, description=body.description,
        table=body.table, webhook_url=body.webhook_url, enabled=body.enabled,
        destination=body.destination, publish=body.publish, check_options=body.check_options,
    )  # fmt: skip
    sched.wake()
    return info.to_dict()


@router.get("/datasets/{name}", tags=["datasets"], summary="Show a dataset")
def get_dataset(name: str, cp: CP, sched: Sched) -> dict[str, Any]:
    """One dataset, its last run and its next due time."""
    return _with_schedule(cp.get_dataset(name).to_dict(), sched)


@router.patch("/datasets/{name}", tags=["datasets"], summary="Change a dataset")
def update_dataset(name: str, body: DatasetUpdate, cp: CP, sched: Sched) -> dict[str, Any]:
    """Change the fields sent; the others stay."""
    changes = body.model_dump(exclude_unset=True)
    check = changes.pop("check_options", True)
    if "options" in changes and changes["options"] is not None:
        from backlog_connector.datasets.option_merge import merge_options

        sent = changes["options"]
        given = option_strings({k: v for k, v in sent.items() if v is not None})
        cleared = [k for k, v in sent.items() if v is None]
        changes["options"] = merge_options(cp.get_dataset(name).options, given, cleared)
    if not changes:
        raise InvalidOptionError("nothing to change: send at least one field")
    info = cp.update_dataset(name, check_options=check, **changes)
    sched.wake()
    return info.to_dict()


@router.delete("/datasets/{name}", tags=["datasets"], status_code=204, summary="Delete")
def delete_dataset(name: str, cp: CP, sched: Sched, drop_table: bool = True) -> Response:
    """Forget a dataset and its runs; ``drop_table`` (default) drops its tables too."""
    if sched.active_job(name) is not None:
        raise AlreadyRunningError(f"dataset {name!r} is running; wait for the run to end")
    cp.delete_dataset(name, drop_table=drop_table)
    sched.wake()
    return Response(status_code=204)


@router.get("/datasets/{name}/preview", tags=["data"], summary="Preview rows")
def preview(name: str, cp: CP, limit: Annotated[int, Query(ge=0, le=1000)] = 20) -> dict[str, Any]:
    """The first rows of the main table: column names and rows as objects."""
    table = cp.preview(name, limit)
    return {"columns": list(table.column_names), "rows": jsonable_encoder(table.to_pylist())}


@router.get("/datasets/{name}/schema", tags=["data"], summary="Table columns")
def schema(name: str, cp: CP) -> list[dict[str, str]]:
    """The main table's columns and their types; ``source`` is the report's field name of a
    column whose name the destination had to shorten."""
    columns = cp.schema(name)
    sources = cp.column_sources(name) if columns else {}
    return [
        {"name": column, "type": kind, **({"source": sources[column]} if column in sources else {})}
        for column, kind in columns
    ]


@router.get(
    "/datasets/{name}/export",
    tags=["data"],
    summary="Download the table",
    response_class=FileResponse,
    responses={
        200: {
            "description": "the file",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.apache.parquet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    },
)
def export(
    name: str, cp: CP, format: Annotated[str, Query(pattern="^(csv|parquet)$")] = "csv"
) -> FileResponse:
    """The main table as a CSV or Parquet file."""
    return export_response(cp, name, format)


# --- runs ----------------------------------------------------------------------------------


def _run_view(run: dict[str, Any], sched: Scheduler) -> dict[str, Any]:
    job = sched.job_for_run(run["id"])
    run["progress"] = job.to_dict()["progress"] if job is not None else run.get("progress")
    run["links"] = {"self": f"/api/runs/{run['id']}"}
    return run


@router.get("/datasets/{name}/runs", tags=["runs"], summary="Run history")
def history(
    name: str, cp: CP, sched: Sched, limit: Annotated[int, Query(ge=1, le=1000)] = 50
) -> list[dict[str, Any]]:
    """The dataset's runs, newest first."""
    return [_run_view(r.to_dict(), sched) for r in cp.history(name, limit)]


@router.post("/datasets/{name}/runs", tags=["runs"], status_code=202, summary="Run now")
def run_now(
    name: str, cp: CP, sched: Sched, response: Response, body: RunRequest | None = None
) -> dict[str, Any]:
    """Queue a run and answer at once (202) with the queued run; poll its ``links.self``.

    409 when the dataset already has a run queued or under way.
    """
    job = sched.run_now(name, full=body.full if body else False)
    assert job.run_id is not None
    response.headers["Location"] = f"/api/runs/{job.run_id}"
    return _run_view(cp.get_run(job.run_id).to_dict(), sched)


@router.get("/runs/{run_id}", tags=["runs"], summary="One run (poll for progress)")
def get_run(run_id: RunId, cp: CP, sched: Sched) -> dict[str, Any]:
    """A run's status and figures; while it runs, ``progress`` has rows and pages so far."""
    return _run_view(cp.get_run(run_id).to_dict(), sched)


@router.post("/runs/{run_id}/cancel", tags=["runs"], status_code=202, summary="Cancel a run")
def cancel_run(run_id: RunId, cp: CP, sched: Sched) -> dict[str, Any]:
    """Ask a queued or running run to stop; it ends as ``cancelled``, the table unchanged."""
    run = cp.get_run(run_id)
    if run.status not in ("queued", "running") or not sched.cancel(run_id):
        raise NotRunningError(f"run {run_id} is {run.status}, not running: nothing to cancel")
    return _run_view(run.to_dict(), sched)


@router.get("/scheduler", tags=["runs"], summary="Next due times")
def scheduler_status(sched: Sched) -> list[dict[str, Any]]:
    """Each dataset's next and last due time, running run and pending retry."""
    return [s.to_dict() for s in sched.status()]
