"""The failure webhook: a JSON POST when a dataset's run has failed for good."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import httpx

log = logging.getLogger("backlog_connector.scheduler")

TIMEOUT_SECONDS = 10.0


def failure_payload(
    *, dataset: str, error: str | None, run_id: int | None, attempt: int, trigger: str,
    error_action: str | None, public_url: str | None,
) -> dict[str, Any]:  # fmt: skip
    """The JSON body: the dataset, the (redacted) error, and a link to the run."""
    path = f"/api/runs/{run_id}" if run_id is not None else None
    link = f"{public_url.rstrip('/')}{path}" if public_url and path else path
    return {
        "event": "dataset.failed",
        "dataset": dataset,
        "error": error,
        "error_action": error_action,
        "retried": trigger == "retry",
        "attempt": attempt,
        "run_id": run_id,
        "run": link,
    }


def send_failure(
    url: str, payload: dict[str, Any], *, transport: httpx.BaseTransport | None = None
) -> bool:
    """POST ``payload`` to ``url``; True on a 2xx answer. Never raises.

    Logs only the scheme and host: webhook URLs often carry a token in their path.
    """
    parts = urlsplit(url)
    where = f"{parts.scheme}://{parts.hostname}"
    try:
        with httpx.Client(timeout=TIMEOUT_SECONDS, transport=transport) as client:
            response = client.post(url, json=payload)
    except httpx.HTTPError as exc:
        log.warning("webhook to %s for %s failed: %s", where, payload.get("dataset"),
                    type(exc).__name__)  # fmt: skip
        return False
    if response.is_success:
        log.info("webhook to %s for %s sent", where, payload.get("dataset"))
        return True
    log.warning("webhook to %s for %s answered HTTP %s", where, payload.get("dataset"),
                response.status_code)  # fmt: skip
    return False
