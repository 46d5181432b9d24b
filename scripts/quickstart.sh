#!/usr/bin/env bash
# The README's two commands: `quickstart.sh example` and `quickstart.sh test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
case "${1:-}" in
  example)
    lgn2hw inspect examples/digits.pt
    lgn2hw compile examples/digits.pt --target ice40 --out build/digits
    ;;
  test)
    shift
    # pytest exits 5 when it collected no test: that is a failure for us, too.
    python -m pytest "$@"
    ;;
  *)
    echo "usage: scripts/quickstart.sh example|test [pytest args]" >&2
    exit 2
    ;;
esac
