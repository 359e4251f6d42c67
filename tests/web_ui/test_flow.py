"""The whole journey through the pages against the emulator over loopback, in-process:
account (wrong key, then right), wizard with the project picker, run with progress, preview,
history and chart, list search, edit, remove refused while in use, delete."""

from __future__ import annotations

import html
import re
import time
from urllib.parse import quote

from web_ui_helpers import Browser, field_error, wizard

from backlog_connector.datasets.service import ControlPlane
from backlog_connector.emulator import Emulator

NAME = "Backlog Issues"
URL = "/datasets/" + quote(NAME)


def test_journey(browser: Browser, plane: ControlPlane, emulator: Emulator) -> None:
    key = emulator.api_keys["admin"]
    page = browser.get("/datasets/new").text

    # 1 Credentials: a wrong key shows next to the key field and saves nothing
    new = {"account": "__new__", "new_name": "emu", "base_url": emulator.base_url,
           "action": "next"}  # fmt: skip
    page = wizard(browser, 1, {**new, "api_key": "wrong-key"}, page)
    assert "Authentication failure" in field_error(page, "api_key")
    assert "Step 1 of 5" in page
    assert plane.list_accounts() == []
    # the right key: verified, saved, and the step moves on to the report menu
    page = wizard(browser, 1, {**new, "api_key": key}, page)
    assert "Step 2 of 5" in page, field_error(page, "api_key")
    assert [a.name for a in plane.list_accounts()] == ["emu"]
    assert key not in page

    # 2 Data selection: choosing a report shows its options, with the space's projects
    page = wizard(browser, 2, {"report": "issues", "action": "refresh"}, page)
    projects = re.findall(r'name="opt.projects" value="([A-Z]+)"', page)
    truth = [p["key"] for p in plane.list_projects("emu")]
    assert projects == truth
    assert projects
    assert "parent_child" in page  # the issue filters are there too
    chosen = projects[0]
    page = wizard(browser, 2, {"report": "issues", "opt.projects": chosen, "action": "next"}, page)
    assert "Step 3 of 5" in page

    # 3 Scheduling: a bad time shows next to the field, a good one moves on
    sched = {"schedule_mode": "basic", "kind": "daily", "timezone": "Asia/Tokyo",
             "action": "next"}  # fmt: skip
    page = wizard(browser, 3, {**sched, "at_time": "9am"}, page)
    assert "HH:MM" in field_error(page, "at_time")
    page = wizard(browser, 3, {**sched, "at_time": "06:30"}, page)
    assert "Step 4 of 5" in page

    # 4 Update method: only the report's modes are offered, merge first for issues
    offered = re.findall(r'name="update_mode" value="(\w+)"', page)
    assert offered == ["merge", "replace", "append"]
    page = wizard(browser, 4, {"update_mode": "merge", "retries": "2",
                               "retry_interval": "1m", "action": "next"}, page)  # fmt: skip
    assert "Step 5 of 5" in page
    assert "daily 06:30" in page  # the summary

    # 5 Name and describe: creates the dataset and goes to its page
    target = wizard(browser, 5, {"name": NAME, "description": "課題の一覧 (issues)",
                                 "action": "create"}, page)  # fmt: skip
    assert target == URL
    ds = plane.get_dataset(NAME)
    assert (ds.report, ds.options, ds.schedule, ds.timezone) == (
        "issues",
        {"projects": chosen},
        "daily 06:30",
        "Asia/Tokyo",
    )
    assert (ds.update_mode, ds.retries, ds.retry_interval) == ("merge", 2, "1m")

    # run it now; the page follows the run through the JSON endpoint until it ends
    started = browser.post(URL + "/run", {})
    assert started.status_code == 303
    run_id = int(started.headers["location"].split("run=")[1])
    deadline = time.monotonic() + 60
    while True:
        status = browser.client.get(f"{URL}/runs/{run_id}.json").json()
        if status["status"] not in ("queued", "running") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status["status"] == "succeeded", status
    rows = plane.history(NAME)[0].table_rows
    assert rows
    assert rows > 0

    page = browser.get(URL).text
    assert "課題の一覧 (issues)" in page
    assert page.count(f"{chosen}-") >= min(rows, 20)  # preview rows carry the issue keys
    assert "<svg" in page
    assert "<title>Run " in page
    assert re.search(
        rf'<td data-label="Run" class="num lead">{run_id}</td>\s*'
        r'<td data-label="Status"><span class="badge succeeded">',
        page,
    )
    assert "issue_key" in page
    assert "BIGINT" in page

    # the list shows it with its rows; search and filters narrow it
    listing = browser.get("/datasets").text
    assert f'href="{URL}"' in listing
    assert f"{rows:,}" in listing
    assert NAME in browser.get("/datasets?q=backlog").text
    assert "No dataset matches" in browser.get("/datasets?q=nothing-like-it").text
    assert "No dataset matches" in browser.get("/datasets?report=users").text
    assert f'href="{URL}"' in browser.get("/datasets?status=succeeded&account=emu").text

    # edit the schedule: an invalid cron is refused next to its field, a valid one saved
    edit = browser.get(URL + "/edit").text
    assert 'value="06:30"' in edit
    form = {"description": "課題", "schedule_mode": "advanced", "timezone": "UTC",
            "update_mode": "merge", "retries": "2", "retry_interval": "1m", "enabled": "1",
            "opt.projects": chosen}  # fmt: skip
    bad = browser.post(URL + "/edit", {**form, "cron": "0 9 * *"})
    assert bad.status_code == 400
    assert "five fields" in field_error(bad.text, "cron")
    assert plane.get_dataset(NAME).schedule == "daily 06:30"
    saved = browser.post(URL + "/edit", {**form, "cron": "0 9 * * 1-5"})
    assert saved.status_code == 303
    assert plane.get_dataset(NAME).schedule == "cron 0 9 * * 1-5"
    assert plane.get_dataset(NAME).timezone == "UTC"

    # accounts: the budget per category, the datasets using it, never the key
    accounts = browser.get("/accounts").text
    assert "search" in accounts
    assert NAME in accounts
    assert key not in accounts
    assert key not in browser.get("/accounts/emu/edit").text
    edit = browser.get("/accounts/emu/edit").text
    assert f'value="{emulator.base_url}"' in edit  # not a cloud host: edited by base URL
    wrong = browser.post("/accounts/emu/edit", {"base_url": emulator.base_url, "api_key": "bad"})
    assert wrong.status_code == 400
    assert "Authentication failure" in field_error(wrong.text, "api_key")
    kept = browser.post("/accounts/emu/edit", {"base_url": emulator.base_url, "api_key": ""})
    assert kept.status_code == 303  # an empty key keeps the saved one, verified again
    verified = browser.post("/accounts/emu/verify", {})
    assert verified.status_code == 303
    assert "works" in browser.get("/accounts").text
    refused = browser.post("/accounts/emu/remove", {})
    assert refused.status_code == 409
    assert NAME in html.unescape(refused.text)
    assert "used by" in html.unescape(refused.text)
    assert [a.name for a in plane.list_accounts()] == ["emu"]

    # delete, after the confirmation page
    assert "Delete dataset" in browser.get(URL + "/delete").text
    gone = browser.post(URL + "/delete", {"drop_table": "1"})
    assert gone.status_code == 303
    assert plane.list_datasets() == []
    assert "No datasets yet" in browser.get("/datasets").text
    # now the account can go
    assert browser.post("/accounts/emu/remove", {}).status_code == 303
    assert plane.list_accounts() == []
