"""Issue batches built in C from the page bytes (``backlog_connector.native``) are exactly the
batches the Python path builds from the same bytes: every table, column type, NULL and reject.
Where C cannot promise that (a value of another JSON type than the column reads, an unknown
field with a value, an integer past 64 bits, invalid JSON), it answers None and the Python path
builds the batch; a run mixing both ways loads the same tables as a run without C."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

import orjson
import pyarrow as pa
import pytest

from backlog_connector import native
from backlog_connector.emulator import Emulator
from backlog_connector.reports import native_batches, rejects
from backlog_connector.reports.base import RunContext, UpdateMode
from backlog_connector.reports.batching import BatchBuffer
from backlog_connector.reports.custom_fields import plan_columns, table_columns
from backlog_connector.reports.issue_columns import ISSUE_CHILDREN, ISSUES_TABLE
from backlog_connector.reports.issues import IssuesReport
from backlog_connector.reports.native_batches import NativeIssues, parse
from backlog_connector.reports.values import dates_in_zone

from .conftest import client_for

Json = dict[str, Any]
Tables = dict[str, pa.Table]


def test_the_native_module_is_built() -> None:
    # CI installs the package with its C extension; a missing build would hide every test below
    assert native.pages is not None


@pytest.fixture(scope="module")
def space(emulator: Emulator) -> tuple[Emulator, list[Json], Any]:
    """The session's emulated space (300 issues, read only), its issues and custom fields."""
    emu = emulator
    with client_for(emu) as client:
        definitions = [
            d
            for p in client.get("/projects")
            for d in client.get(f"/projects/{p['id']}/customFields")
        ]
        issues = [i for page in client.iter_offset("/issues", [("sort", "created")]) for i in page]
    return emu, issues, plan_columns(definitions)


def _python(body: bytes, planned: Any) -> tuple[Tables, list[rejects.Reject]]:
    shape = ISSUES_TABLE.with_columns(table_columns(planned))
    buffer = BatchBuffer(shape, ISSUE_CHILDREN, space="s", limit=10**6)
    with rejects.collecting() as log, dates_in_zone("Asia/Tokyo"):
        batches = [*buffer.add(orjson.loads(body)), *buffer.flush()]
    return _tables(batches), log.kept


def _native(body: bytes, planned: Any) -> tuple[Tables, list[rejects.Reject]] | None:
    shape = ISSUES_TABLE.with_columns(table_columns(planned))
    build = NativeIssues.build(shape, ISSUE_CHILDREN, planned)
    assert build is not None
    page = parse(body)
    if page is None:
        return None
    with rejects.collecting() as log, dates_in_zone("Asia/Tokyo"):
        batches = build.batches([page], "s")
    return None if batches is None else (_tables(batches), log.kept)


def _tables(batches: list[Any]) -> Tables:
    found: dict[str, list[pa.RecordBatch]] = {}
    for batch in batches:
        found.setdefault(batch.suffix, []).append(batch.batch)
    return {suffix: pa.Table.from_batches(b) for suffix, b in found.items()}


def _same(body: bytes, planned: Any) -> None:
    """C builds ``body`` and gives exactly what Python gives."""
    built = _native(body, planned)
    assert built is not None, "C left a page it should build to the Python path"
    tables, kept = built
    expected, expected_rejects = _python(body, planned)
    assert set(tables) == set(expected)
    for suffix, table in expected.items():
        assert tables[suffix].schema == table.schema, suffix
        assert tables[suffix].equals(table), suffix
    assert sorted(kept, key=repr) == sorted(expected_rejects, key=repr)


def test_emulator_pages_are_built_natively_and_equal(space: Any) -> None:
    _emu, issues, planned = space
    body = orjson.dumps(issues)
    _same(body, planned)
    tables, _ = _python(body, planned)
    # the page holds what the comparison is meant to cover
    assert tables[""].num_rows == 300
    assert tables["custom_fields"].num_rows > 300
    assert tables["categories"].num_rows > 0
    assert tables[""].column("milestone_names").null_count < 300
    assert any(c.startswith("cf_") for c in tables[""].column_names)


def _edit(issues: list[Json], change: Callable[[Json], None], at: int = 7) -> list[Json]:
    edited = copy.deepcopy(issues)
    change(edited[at])
    return edited


def _custom(issue: Json, type_id: int) -> Json:
    return next(e for e in issue["customFields"] if e["fieldTypeId"] == type_id)


HANDLED: dict[str, Callable[[Json], None]] = {
    "text with escapes, emoji, NUL and Japanese": lambda i: i.update(
        summary='引用 "x" \\ / \u0000 😀 \t end', description=None
    ),
    "a timestamp and dates that do not parse (rejects)": lambda i: i.update(
        created="2014/07/15 15:00:00", startDate="15.07.2014"
    ),
    "dueDate missing, legacy limitDate": lambda i: (
        i.pop("dueDate", None),
        i.update(limitDate="2014-06-30T15:00:00Z"),
    ),
    "integers in a float column, negative zero": lambda i: i.update(
        estimatedHours=2**53, actualHours=-0.0
    ),
    "unknown fields without a value": lambda i: i.update(watchers=None, links=[], meta={}),
    "null nested objects and lists": lambda i: i.update(
        assignee=None, status=None, category=None, versions=[], stars=None
    ),
    "a numeric custom field that is null": lambda i: _custom(i, 3).update(value=None),
    "an empty text custom field": lambda i: _custom(i, 1).update(value=""),
    "a list custom field with an other value": lambda i: _custom(i, 7).update(
        otherValue="自由記述"
    ),
    "a list custom field with nothing ticked": lambda i: _custom(i, 6).update(value=[]),
    "one empty item name and an other value": lambda i: _custom(i, 7).update(
        value=[{"id": 8, "name": ""}], otherValue="free"
    ),
    "empty item names only": lambda i: _custom(i, 6).update(
        value=[{"id": 8, "name": ""}, {"id": 9, "name": ""}]
    ),
    "a custom field of no planned column": lambda i: i["customFields"].append(
        {"id": 99999, "fieldTypeId": 1, "name": "gone", "value": "x"}
    ),
    "a custom date that does not parse": lambda i: _custom(i, 4).update(value="31/12/2024"),
}


@pytest.mark.parametrize("what", sorted(HANDLED))
def test_odd_values_c_builds_equal_python(space: Any, what: str) -> None:
    _emu, issues, planned = space
    _same(orjson.dumps(_edit(issues, HANDLED[what])), planned)


LEFT_TO_PYTHON: dict[str, Callable[[Json], None]] = {
    "text in a number column": lambda i: i.update(estimatedHours="many"),
    "a float in an integer column": lambda i: i.update(keyId=12.0),
    "text where an object belongs": lambda i: i.update(status="open"),
    "an unknown field with a value": lambda i: i.update(externalFileLinks=[{"id": 1}]),
    "an item that is not an object": lambda i: i.update(category=[None]),
    "an item without a name": lambda i: i.update(category=[{"id": 1, "name": None}]),
    "a number too large for a double to hold": lambda i: i.update(estimatedHours=2**53 + 1),
    "a numeric custom field holding text": lambda i: _custom(i, 3).update(value="abc"),
    "a custom field of an unknown type": lambda i: _custom(i, 1).update(fieldTypeId=42),
    "a custom field id that is text": lambda i: _custom(i, 1).update(id="7"),
}


@pytest.mark.parametrize("what", sorted(LEFT_TO_PYTHON))
def test_values_c_would_not_build_exactly_go_to_python(space: Any, what: str) -> None:
    _emu, issues, planned = space
    assert _native(orjson.dumps(_edit(issues, LEFT_TO_PYTHON[what])), planned) is None


@pytest.mark.parametrize(
    "body",
    [
        b'[{"id": 1}',  # truncated
        b'[{"id": 1},]',  # trailing comma
        b'[{"id": 1e400}]',  # not a finite number
        b'[{"id": 18446744073709551616}]',  # past 64 bits
        b'[{"s": "\\ud800"}]',  # a lone surrogate
        b'[{"s": "\xff"}]',  # not UTF-8
        b'[{"s": "a\nb"}]',  # a raw control character
        b'{"id": 1}',  # an object, not a list
        b"[1, 2]",  # a list of numbers
        b'[{"id": 1}] x',  # something after the list
    ],
)
def test_bodies_c_cannot_parse_are_left_to_orjson(body: bytes) -> None:
    assert parse(body) is None


def test_parsed_rows_are_the_json_objects_of_the_page() -> None:
    body = (
        b' [ {"id": 1, "id": 2, "updated": "2024-01-01T00:00:00Z"},'
        b' {"id": -3, "k": "\\u00e9\\ud83d\\ude00"} ] '
    )
    page = parse(body)
    assert page is not None
    assert len(page) == 2
    assert page.ints("id") == [2, -3]  # the last of two equal keys, as a dict keeps it
    assert page.texts("updated") == ["2024-01-01T00:00:00Z", None]
    assert page.texts("k") == [None, "é😀"]
    assert [orjson.loads(page.row(i)) for i in range(2)] == orjson.loads(body)
    assert page.texts("id") is None  # an integer where text was asked for
    with pytest.raises(IndexError):
        page.row(2)


def test_floats_parse_to_the_same_doubles_as_orjson() -> None:
    texts = ["0.1", "1e-7", "123456789.123456789", "-2.5e300", "4.9e-324", "0.30000000000000004",
             "1.7976931348623157e308", "2.2250738585072011e-308", "1E2", "-0.0"]  # fmt: skip
    body = ("[" + ",".join(f'{{"f": {t}}}' for t in texts) + "]").encode()
    page = parse(body)
    assert page is not None
    plan = native.pages.make_plan(["f"], [], [(0, -1, -1, -1, 1)], [], [], -1, 0, [], [])  # type: ignore[union-attr]
    answer = native.pages.extract([page], plan)  # type: ignore[union-attr]
    assert answer is not None
    doubles = native_batches._array(answer[1][0], pa.float64()).to_pylist()
    assert [repr(d) for d in doubles] == [repr(orjson.loads(t)) for t in texts]


def test_a_run_mixing_both_ways_loads_what_python_alone_loads(
    make_emulator: Callable[..., Emulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = make_emulator(issues=450, projects=2)
    order = [i.id for i in emu.state.order]
    for position in (150, 420):  # pages 2 and 5 go to the Python path
        body = copy.deepcopy(emu.renderer.issue(emu.state.issues[order[position]]))
        body["estimatedHours"] = "many"
        emu.renderer.serve_as(order[position], body)

    built: list[str] = []
    real = NativeIssues.batches

    def counted(self: NativeIssues, pages: Any, space: str) -> Any:
        answer = real(self, pages, space)
        built.append("native" if answer is not None else "python")
        return answer

    monkeypatch.setattr(NativeIssues, "batches", counted)
    with_c = _read(emu)
    monkeypatch.setattr(native_batches, "native", None)  # as where the module is not built
    without_c = _read(emu)

    assert built.count("native") >= 2
    assert built.count("python") == 2
    assert set(with_c) == set(without_c)
    for suffix, table in without_c.items():
        assert with_c[suffix].schema == table.schema, suffix
        assert with_c[suffix].equals(table), suffix  # same rows, same order
    assert with_c[""].num_rows == 450


def _read(emu: Emulator) -> Tables:
    report = IssuesReport(batch_rows=100)
    with client_for(emu) as client:
        ctx = RunContext(client=client, options=report.validate_options({}),
                         space=client.address.fqdn, mode=UpdateMode.MERGE)  # fmt: skip
        with rejects.collecting():
            return _tables(list(report.read(ctx)))


_POOL: list[Any] = [
    *(None, 0, -1, 7, 2**53, 2**53 + 1, 2**63 - 1, -(2**63), 1.5, -0.0, 1e300, True, False),
    *("", " ", "x", "日本", "2024-01-01T00:00:00Z", "2024-02-30", [], {}, [1], ["a"]),
    *([{"id": 1, "name": "a"}], {"id": 2, "name": "b"}, [{"id": 1}], [{"id": 1, "name": None}]),
    [{"id": 3, "name": "c"}, "odd"],
]


def _mutate(issue: Json, rng: random.Random) -> None:
    """One random change of a value's type or shape somewhere in ``issue``."""
    value = copy.deepcopy(rng.choice(_POOL))
    where = rng.randrange(5)
    found = issue.get("customFields")
    entries = [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []
    if where == 0:
        issue[rng.choice(sorted(issue))] = value
    elif where == 1:
        nested = [k for k, v in issue.items() if isinstance(v, dict)]
        if nested:
            inner = issue[rng.choice(nested)]
            if inner:
                inner[rng.choice(sorted(inner))] = value
    elif where == 2 and entries:
        rng.choice(entries)[rng.choice(["value", "fieldTypeId", "id", "otherValue", "name"])] = (
            value
        )
    elif where == 3 and entries:
        twin = copy.deepcopy(rng.choice(entries))  # the same field twice, or in another's column
        twin["id"] = rng.choice([twin["id"], *(e["id"] for e in entries)])
        twin["value"] = value if rng.random() < 0.5 else twin.get("value")
        issue["customFields"].append(twin)
    else:
        issue[rng.choice(["extraField", "watchers"])] = value


def test_random_shapes_built_natively_equal_python(space: Any) -> None:
    _emu, issues, planned = space
    rng = random.Random(16)
    built = left = 0
    for _ in range(300):
        page = copy.deepcopy(rng.sample(issues, 10))
        for _change in range(rng.randrange(1, 4)):
            _mutate(rng.choice(page), rng)
        body = orjson.dumps(page)
        native_way = _native(body, planned)
        if native_way is None:
            left += 1
            continue
        built += 1
        tables, kept = native_way
        expected, expected_rejects = _python(body, planned)
        assert set(tables) == set(expected), body
        for suffix, table in expected.items():
            assert tables[suffix].schema == table.schema, (suffix, body)
            assert tables[suffix].equals(table), (suffix, body)
        assert sorted(kept, key=repr) == sorted(expected_rejects, key=repr), body
    # both outcomes were exercised: the comparison covers pages C builds
    assert built >= 40
    assert left >= 40


def test_a_field_planned_into_two_columns_fills_the_last_as_python_does() -> None:
    # the same field id under two names: both columns are planned, Python's slots keep the last
    planned = plan_columns(
        [{"id": 1, "typeId": 1, "name": "a"}, {"id": 1, "typeId": 1, "name": "b"}]
    )
    assert [c.name for c in planned] == ["cf_a", "cf_b"]
    issues = [{"id": 1, "customFields": [{"id": 1, "fieldTypeId": 1, "name": "a", "value": "x"}]}]
    _same(orjson.dumps(issues), planned)
    tables, _ = _python(orjson.dumps(issues), planned)
    assert tables[""].column("cf_b").to_pylist() == ["x"]


@pytest.mark.parametrize(
    "definition",
    [{"id": 3, "typeId": 2**32 + 3, "name": "n"}, {"id": 2**63, "typeId": 1, "name": "n"}],
)
def test_ids_past_what_c_holds_leave_the_run_to_python(definition: Json) -> None:
    planned = plan_columns([definition])
    shape = ISSUES_TABLE.with_columns(table_columns(planned))
    assert NativeIssues.build(shape, ISSUE_CHILDREN, planned) is None
    issues = [{"id": 1, "customFields": [{"id": 3, "fieldTypeId": 3, "value": 1.5}]}]
    tables, _ = _python(orjson.dumps(issues), planned)  # the Python path builds it
    assert tables[""].num_rows == 1


_SPLICES = [
    *(b'"', b"\\", b"\\u", b"\\ud83d", b"{", b"}", b"[", b"]", b",", b":", b"1e999", b"-"),
    *(b"0.", b"\xe3\x81", b"\xff", b"null", b'"x":1,', b"99999999999999999999"),
]


def test_c_parses_only_what_orjson_parses_and_to_the_same_rows(space: Any) -> None:
    _emu, issues, _planned = space
    rng = random.Random(7)
    parsed = refused = 0
    for _ in range(2000):
        body = bytearray(orjson.dumps(rng.sample(issues, 3)))
        for _change in range(rng.randrange(1, 3)):
            at = rng.randrange(len(body) or 1)
            if rng.random() < 0.5:
                body[at:at] = rng.choice(_SPLICES)
            else:
                del body[at : at + rng.randrange(1, 20)]
        page = parse(bytes(body))
        if page is None:
            refused += 1
            continue
        parsed += 1
        rows = orjson.loads(bytes(body))  # raises if C took a body orjson refuses
        assert [orjson.loads(page.row(i)) for i in range(len(page))] == rows
    assert parsed >= 50
    assert refused >= 500
