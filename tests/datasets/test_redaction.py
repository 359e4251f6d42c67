"""Error text of runs: every secret masked, including ``apiKey=`` in URLs, tokens refreshed
during the run, and errors raised before the run started."""

from __future__ import annotations

from backlog_connector.backlog.credentials import OAuthToken
from backlog_connector.datasets.runner import redact
from backlog_connector.datasets.runs import _failed_before_start


def test_redact_masks_query_secrets_and_refreshed_tokens() -> None:
    token = OAuthToken("access-old", "refresh-old", 0.0, "cid", "client-secret")
    saved = ("access-old", "refresh-old", "client-secret")  # what the plan decrypted
    token.apply_token_response({"access_token": "access-new", "expires_in": 60})
    text = redact(
        "GET https://x.backlog.com/api/v2/space?apiKey=abcdefgh&x=1 failed; token access-new",
        saved,
        token,
    )
    assert "abcdefgh" not in text
    assert "access-new" not in text
    assert "apiKey=***" in text


def test_errors_before_the_run_starts_are_redacted() -> None:
    outcome = _failed_before_start(RuntimeError("boom with the-api-key-123"), ("the-api-key-123",))
    assert outcome.error is not None
    assert "the-api-key-123" not in outcome.error
    assert outcome.status == "failed"
