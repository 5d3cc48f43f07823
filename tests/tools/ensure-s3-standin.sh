#!/usr/bin/env bash
# Installs moto's S3 server (a local stand-in speaking S3's real wire protocol) into
# target/s3-venv for svc-catalog/tests/media_s3.rs, which starts it on a free port.
# Idempotent: reinstalls only when the pinned requirements change.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV="target/s3-venv"
REQS="tests/tools/s3-standin-requirements.txt"
STAMP="$VENV/.requirements.sha256"
want="$(sha256sum "$REQS" | cut -d' ' -f1)"
if [[ -x "$VENV/bin/moto_server" ]] && [[ "$(cat "$STAMP" 2>/dev/null || true)" == "$want" ]]; then
  exit 0
fi
echo "ensure-s3-standin: installing moto's S3 server into $VENV"
mkdir -p target
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$REQS"
echo "$want" > "$STAMP"
