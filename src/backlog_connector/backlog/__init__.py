"""The one place that talks to Backlog: addresses, credentials, pacing, retries, paging."""
