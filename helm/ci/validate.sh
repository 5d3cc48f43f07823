#!/usr/bin/env bash
# Offline validation of the Helm chart (no cluster, no helm binary).
# Run from anywhere: bash helm/ci/validate.sh
#   - creates/reuses the venv target/helm-venv with the pinned tools of
#     helm/ci/requirements.txt (the only network access: pip, first run only);
#   - runs helm/ci/check_chart.py: Helm v4 lint, render with default and
#     production values, Kubernetes 1.33 JSON-schema validation (strict),
#     structural checks, refused-values guards, and, when NDS_BIN points at a
#     built `nds`, a check that every subcommand/service/job the chart uses is
#     listed in its --help.
# Rendered manifests are left in target/helm-render/ for inspection.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

VENV="target/helm-venv"
REQS="helm/ci/requirements.txt"
STAMP="$VENV/.requirements.sha256"
KUBE_VERSION="${KUBE_VERSION:-1.33}"

want="$(sha256sum "$REQS" | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/python" ]] || [[ "$(cat "$STAMP" 2>/dev/null || true)" != "$want" ]]; then
  echo "helm validate: installing pinned tools into $VENV"
  mkdir -p target
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$REQS"
  echo "$want" > "$STAMP"
fi

# The Helm engine needs no network, cluster or kubeconfig; keep it away from
# the user's Helm config and caches.
export HELM_CONFIG_HOME="$ROOT/target/helm-home/config"
export HELM_CACHE_HOME="$ROOT/target/helm-home/cache"
export HELM_DATA_HOME="$ROOT/target/helm-home/data"

exec "$VENV/bin/python" helm/ci/check_chart.py \
  --chart helm/nds \
  --production-values helm/values-production.yaml \
  --kube-version "$KUBE_VERSION" \
  --out target/helm-render
