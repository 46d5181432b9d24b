#!/usr/bin/env bash
# Idempotent setup: Debian packages, a virtual environment in .venv with the CPU build of
# torch and lgn2hw (editable, with test extras). A second run only checks and returns.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PKGS=(iverilog yosys nextpnr-ice40 fpga-icestorm make g++ perl python3-venv ccache)
missing=()
for p in "${APT_PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
stamp=.venv/.lgn2hw-setup
# setup.py and the simulator core's C source too: pip builds the core (lgn2hw/_simcore.c) at install
want=$(cat pyproject.toml setup.py lgn2hw/_simcore.c scripts/setup.sh | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[setup] creating .venv and installing Python packages"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  # Exactly this version: pip takes the local CPU wheel (a range would pull a multi-GB CUDA build).
  .venv/bin/pip install -q --disable-pip-version-check torch==2.13.0
  .venv/bin/pip install -q --disable-pip-version-check -e '.[dev,gowin]'
  echo "$want" > "$stamp"
fi
echo "[setup] ready: $(.venv/bin/lgn2hw --version 2>/dev/null || echo 'lgn2hw not importable yet')"
