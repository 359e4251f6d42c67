#!/usr/bin/env bash
# Sets up the project, then runs the demo: emulator -> datasets -> DuckDB.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/backlog-connector demo "$@"
