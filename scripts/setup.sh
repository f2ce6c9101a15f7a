#!/usr/bin/env bash
# Installs what LMServe needs to build and test: Debian packages (C libraries, tools) and the
# Python packages the tests use. Safe to rerun: it installs only what is missing.
set -euo pipefail

apt_packages=(libsqlite3-dev libssl-dev libopenblas-dev zlib1g-dev openssl curl wrk time python3)
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
if ((${#py_missing[@]})); then
  echo "setup: pip installing ${py_missing[*]}" >&2
  python3 -m pip install --quiet --disable-pip-version-check "${py_missing[@]}"
fi
