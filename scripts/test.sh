#!/usr/bin/env bash
# Sets up everything the tests need (venv, Debian's chromium for the browser tests), then runs
# ruff, mypy and the test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Browser tests: Debian's chromium, and CJK fonts so Japanese data renders (not as empty boxes).
if ! command -v chromium >/dev/null 2>&1 || [ ! -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/mypy
# two workers: the machine has 2 cores, and the suite is built for it (no shared state)
.venv/bin/pytest -p no:cacheprovider -n 2 "$@"
