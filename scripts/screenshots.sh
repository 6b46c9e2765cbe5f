#!/usr/bin/env bash
# Runs the real console under Xvfb through the end-to-end suite and saves a screenshot of each
# screen to docs/screenshots/ (the README shows them).
set -euo pipefail
cd "$(dirname "$0")/.."
IAMPASS_SCREENSHOTS="$PWD/docs/screenshots" exec tests/e2e/run "$@"
