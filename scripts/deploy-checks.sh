#!/usr/bin/env bash
# Checks deploy/ with the tools its users run, then the fleet live:
#   - Prometheus rules: `promtool check rules` and the unit tests (`promtool test rules`);
#   - the container: hadolint on deploy/container/Dockerfile (no image is built: no engine here);
#   - Kubernetes: the kustomize base rendered and validated (scripts/check_kubernetes.py);
#   - scripts/scale-out.sh: 3 replicas behind HAProxy, promtool on /metrics, the Grafana
#     dashboard's queries on a real Prometheus, a rolling restart and a SIGKILL under load.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "-- promtool check rules / test rules"
promtool check rules deploy/prometheus/lmserve-rules.yml
(cd deploy/prometheus && promtool test rules lmserve-rules.test.yml)

echo "-- hadolint deploy/container/Dockerfile"
hadolint deploy/container/Dockerfile
echo "hadolint: no findings"

echo "-- kubernetes"
python3 scripts/check_kubernetes.py deploy/kubernetes

echo "-- scale-out"
scripts/scale-out.sh
