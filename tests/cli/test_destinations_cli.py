"""``destinations add/list/show/verify/remove`` and ``datasets --destination`` against the real
PostgreSQL on 127.0.0.1:5432: the password is never shown nor stored in clear, a destination that
does not work is refused with exit 2 and nothing saved, and a dataset's rows land in its
destination (preview, show, export and delete work on them there).

The machine's server trusts loopback logins (pg_hba ``trust``): a wrong password is tried against
a private server that checks passwords (``pgtools.password_server``)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator
from datasets.pg_destination import PgDatabase, free_port, pg_database, secret_forms
from pgtools import password_server

from .helpers import Cli, as_json


@pytest.fixture
def pg() -> Iterator[PgDatabase]:
    with pg_database() as db:
        yield db


def _saved_url(home: Path, name: str) -> str:
    """The URL the control plane unseals for the destination (what runs connect with)."""
    import sqlalchemy as sa

    from backlog_connector.datasets.models import Destination

    with ControlPlane.open(home) as plane, plane._sessions() as s:
        row = s.scalar(sa.select(Destination).where(Destination.name == name))
        assert row is not None
        return plane._destination_url(row)


def _no_secret_anywhere(home: Path, password: str, *outputs: str) -> None:
    for text in outputs:
        for form in secret_forms(password):
            assert form not in text
    for path in (p for p in home.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for form in secret_forms(password):
            assert form.encode() not in data, path


def test_add_list_show_verify_never_show_the_password(cli: Cli, home: Path, pg: PgDatabase) -> None:
    added = cli("destinations", "add", "pg", "--url", pg.url(), "--json")
    info = as_json(added)
    shown = f"postgresql://{pg.owner}@127.0.0.1:5432/{pg.database}"
    assert (info["name"], info["kind"], info["url"], info["schema"]) == (
        "pg", "postgresql", shown, "public",
    )  # fmt: skip
    outputs = [
        added,
        cli("destinations", "add", "other", "--url", pg.url(), "--schema", "backlog"),
        cli("destinations", "list"),
        cli("destinations", "list", "--json"),
        cli("destinations", "show", "pg"),
        cli("destinations", "show", "pg", "--json"),
        cli("destinations", "verify", "pg"),
        cli("destinations", "verify", "pg", "--json"),
    ]
    for result in outputs:
        assert result.exit_code == 0, result.output
    listed = json.loads(outputs[3].stdout)
    assert [(d["name"], d["kind"]) for d in listed] == [
        ("warehouse", "duckdb"), ("other", "postgresql"), ("pg", "postgresql"),
    ]  # fmt: skip
    assert listed[0]["path"] == str(home / "warehouse.duckdb")
    assert shown in outputs[4].stdout
    assert "public" in outputs[4].stdout
    assert _saved_url(home, "pg") == pg.url()  # sealed with the password, used by runs
    _no_secret_anywhere(home, pg.password, *(r.output for r in outputs))
    assert pg.tables() == set()  # the probe table was dropped again


@pytest.mark.parametrize("how", ["env", "stdin"])
def test_password_from_env_or_stdin(cli: Cli, home: Path, pg: PgDatabase, how: str) -> None:
    url = pg.url(password=None)
    if how == "env":
        added = cli("destinations", "add", "pg", "--url", url,
                    env={"BACKLOG_DESTINATION_PASSWORD": pg.password})  # fmt: skip
    else:
        added = cli("destinations", "add", "pg", "--url", url, "--password-stdin",
                    input=pg.password + "\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert _saved_url(home, "pg") == pg.url()
    _no_secret_anywhere(home, pg.password, added.output)
    twice = cli("destinations", "add", "pg2", "--url", pg.url(), "--password-stdin",
                input="another\n")  # fmt: skip
    assert twice.exit_code == 2
    assert "password once" in twice.stderr


def _refusals(pg: PgDatabase) -> dict[str, tuple[list[str], str]]:
    """Case -> (arguments after NAME, a word the message must contain)."""
    secret = secret_forms(pg.password)[1]  # percent-encoded, as a URL holds it
    return {
        "unknown database": (["--url", pg.url(database=pg.database + "_nope")], "database"),
        "unknown user": (["--url", pg.url(user="nobody_" + pg.database)], "nobody_"),
        "no CREATE in public": (["--url", pg.url(user=pg.reader)], "permission"),
        "no CREATE for a new schema": (
            ["--url", pg.url(user=pg.reader), "--schema", "backlog"],
            "permission",
        ),
        "closed port": (["--url", pg.url(port=free_port())], "127.0.0.1"),
        "not postgresql": (["--url", f"mysql://u:{secret}@127.0.0.1/db"], "mysql"),
        "no database name": (["--url", f"postgresql://u:{secret}@127.0.0.1"], "database"),
        "bad schema name": (["--url", pg.url(), "--schema", "Bad Schema"], "schema"),
    }


@pytest.mark.parametrize(
    "case",
    ["unknown database", "unknown user", "no CREATE in public", "no CREATE for a new schema",
     "closed port", "not postgresql", "no database name", "bad schema name"],
)  # fmt: skip
def test_a_destination_that_does_not_work_is_refused_and_nothing_saved(
    cli: Cli, home: Path, pg: PgDatabase, case: str
) -> None:
    args, word = _refusals(pg)[case]
    refused = cli("destinations", "add", "pg", *args)
    assert refused.exit_code == 2, refused.output
    assert refused.stderr.startswith("Error: ")
    assert word.lower() in refused.stderr.lower()
    assert [d["name"] for d in as_json(cli("destinations", "list", "--json"))] == ["warehouse"]
    assert pg.scalar("select count(*) from pg_namespace where nspname = 'backlog'") == 0
    _no_secret_anywhere(home, pg.password, refused.output)


def test_a_wrong_password_is_refused_with_exit_2_and_nothing_saved(
    cli: Cli, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    right, wrong = "Right-Pa55word", "Wrong-Pa55word"
    with password_server(right) as url:
        monkeypatch.setenv("BACKLOG_DESTINATION_PASSWORD", wrong)
        refused = cli("destinations", "add", "pg", "--url", url)
        assert refused.exit_code == 2, refused.output
        assert "refused the login" in refused.stderr
        assert [d["name"] for d in as_json(cli("destinations", "list", "--json"))] == ["warehouse"]
        _no_secret_anywhere(home, wrong, refused.output)
        monkeypatch.setenv("BACKLOG_DESTINATION_PASSWORD", right)
        added = cli("destinations", "add", "pg", "--url", url)
        assert added.exit_code == 0, added.output
        _no_secret_anywhere(home, right, added.output)


def test_the_name_warehouse_is_reserved_and_unknown_names_are_refused(
    cli: Cli, pg: PgDatabase, account: str
) -> None:
    taken = cli("destinations", "add", "warehouse", "--url", pg.url())
    assert taken.exit_code == 2
    assert "built-in" in taken.stderr
    assert cli("destinations", "remove", "warehouse").exit_code == 2
    assert cli("destinations", "show", "nope").exit_code == 2
    created = cli("datasets", "create", "Users", "--account", account, "--report", "users",
                  "--destination", "nope")  # fmt: skip
    assert created.exit_code == 2
    assert "no destination named 'nope'" in created.stderr
    assert as_json(cli("datasets", "list", "--json")) == []


def test_a_dataset_lands_in_postgresql_and_moves_back(
    cli: Cli, home: Path, pg: PgDatabase, account: str, emulator: Emulator, tmp_path: Path
) -> None:
    assert cli("destinations", "add", "pg", "--url", pg.url()).exit_code == 0
    created = cli("datasets", "create", "Issues", "--account", account, "--report", "issues",
                  "--update-mode", "merge", "--destination", "pg", "--json")  # fmt: skip
    assert as_json(created)["destination"] == "pg"
    listing = cli("datasets", "list")
    assert "destination" in listing.stdout
    assert "pg" in listing.stdout

    in_use = cli("destinations", "remove", "pg")
    assert in_use.exit_code == 2
    assert "Issues" in in_use.stderr

    runs = as_json(cli("datasets", "run", "Issues", "--json"))
    assert runs[0]["status"] == "succeeded", runs[0]["error"]
    rows = pg.scalar("select count(*) from public.issues")
    assert rows == runs[0]["table_rows"] == emulator.config.issues > 0
    assert pg.scalar("select count(distinct _space) from public.issues") == 1
    warehouse = home / "warehouse.duckdb"
    if warehouse.exists():  # nothing went to the DuckDB file
        with duckdb.connect(str(warehouse), read_only=True) as con:
            names = {r[0] for r in con.execute("select table_name from information_schema.tables")}
        assert "issues" not in names

    shown = as_json(cli("datasets", "show", "Issues", "--json"))
    assert shown["destination"] == "pg"
    assert shown["rows"] == rows
    columns = {c["name"]: c["type"] for c in shown["columns"]}
    assert columns["id"].lower() == "bigint"
    assert "_space" in columns
    assert "pg" in cli("datasets", "show", "Issues").stdout
    preview = as_json(cli("datasets", "preview", "Issues", "--limit", "5", "--json"))
    assert len(preview) == 5
    assert all(r["_space"] for r in preview)
    out = tmp_path / "issues.csv"
    exported = cli("datasets", "export", "Issues", "--format", "csv", "--output", str(out))
    assert exported.exit_code == 0
    with out.open(newline="", encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == rows

    # back to the warehouse: the next run is full, lands in DuckDB; the PostgreSQL table stays
    moved = as_json(cli("datasets", "update", "Issues", "--destination", "warehouse", "--json"))
    assert moved["destination"] == "warehouse"
    again = as_json(cli("datasets", "run", "Issues", "--json"))[0]
    assert again["status"] == "succeeded", again["error"]
    assert again["cursor_before"] is None  # a full run: the PostgreSQL cursor was not used
    assert again["table_rows"] == rows
    assert pg.scalar("select count(*) from public.issues") == rows
    assert cli("destinations", "remove", "pg").exit_code == 0
    assert "issues" in pg.tables()


def test_delete_drops_the_table_in_postgresql_and_force_removes_datasets(
    cli: Cli, pg: PgDatabase, account: str
) -> None:
    assert cli("destinations", "add", "pg", "--url", pg.url()).exit_code == 0
    for name in ("Users", "Teams"):
        report = name.lower()
        assert cli("datasets", "create", name, "--account", account, "--report", report,
                   "--destination", "pg").exit_code == 0  # fmt: skip
    assert as_json(cli("datasets", "run", "Users", "Teams", "--json"))[0]["status"] == "succeeded"
    assert {"users", "teams"} <= pg.tables()
    assert cli("datasets", "delete", "Users").exit_code == 0
    assert "users" not in pg.tables()
    assert "teams" in pg.tables()
    shown = as_json(cli("destinations", "show", "pg", "--json"))
    assert shown["datasets"] == ["Teams"]
    assert cli("destinations", "remove", "pg", "--force").exit_code == 0
    assert as_json(cli("datasets", "list", "--json")) == []
    assert "teams" in pg.tables()  # removing a destination keeps its tables


def test_show_names_the_field_of_a_column_postgresql_made_shorter(
    cli: Cli, pg: PgDatabase, account: str
) -> None:
    import pyarrow as pa

    from backlog_connector.reports.base import TableBatch, TableSpec, UpdateMode
    from backlog_connector.sinks.postgres import PostgresSink

    assert cli("destinations", "add", "pg", "--url", pg.url()).exit_code == 0
    assert cli("datasets", "create", "Fields", "--account", account, "--report", "issues",
               "--destination", "pg").exit_code == 0  # fmt: skip
    field = "cf_" + "担当部署" * 6  # 75 bytes: past PostgreSQL's 63
    batch = pa.RecordBatch.from_pydict(
        {"id": pa.array([1], pa.int64()), field: pa.array(["営業"]), "_space": pa.array(["s"])}
    )
    sink = PostgresSink(pg.url(), "public")  # as a run writes the dataset's table
    try:
        run = sink.open_run("fields", [TableSpec("", batch.schema, key=("id",))],
                            UpdateMode.REPLACE, run_id="1", full=True)  # fmt: skip
        run.write(TableBatch("", batch))
        run.commit(None)
        stored = next(iter(sink.column_sources("fields")))
    finally:
        sink.close()
    assert stored != field
    assert len(stored.encode()) <= 63
    columns = as_json(cli("datasets", "show", "Fields", "--json"))["columns"]
    assert {"name": stored, "type": "text", "source": field} in columns
    assert {"name": "id", "type": "bigint"} in columns
    shown = cli("datasets", "show", "Fields").stdout
    assert field in shown
    assert "field (shortened column)" in shown


def test_a_link_local_host_is_refused_before_anything_connects(cli: Cli, home: Path) -> None:
    refused = cli("destinations", "add", "meta", "--url", "postgresql://u@169.254.169.254:5432/db")
    assert refused.exit_code == 2, refused.output
    assert "link-local" in refused.stderr
    assert "network.allow_private_addresses" in refused.stderr
    assert [d["name"] for d in as_json(cli("destinations", "list", "--json"))] == ["warehouse"]
