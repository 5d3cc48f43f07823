#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on loopback, installing and starting them with
# this machine's own commands when they don't. Idempotent; quiet when all is well.
set -euo pipefail

say() { printf 'ensure-services: %s\n' "$*"; }

postgres_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_ready() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

apt_install() {
  say "installing $*"
  if [ -z "${NDS_APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    export NDS_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! postgres_ready; then
  command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  say "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do postgres_ready && break; sleep 1; done
  postgres_ready || { say "PostgreSQL did not come up"; exit 1; }
fi

# Tests connect as postgres over TCP without a password (trust on loopback, as this machine is set up).
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  say "cannot connect as postgres@127.0.0.1; check pg_hba.conf trusts loopback"
  exit 1
fi

if ! redis_ready; then
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  say "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis_ready && break; sleep 1; done
  redis_ready || { say "Redis did not come up"; exit 1; }
fi

# Databases left behind by an interrupted test run (each test drops its own when it ends).
# Only in CI: on a developer's machine another test run may be using them right now.
[ "${CI:-}" = "true" ] || exit 0
stale=$(psql -h 127.0.0.1 -U postgres -d postgres -Atc "select datname from pg_database where datname like 'test\_%'" || true)
for database in $stale; do
  psql -h 127.0.0.1 -U postgres -d postgres -qc "drop database if exists \"$database\" with (force)" >/dev/null 2>&1 || true
done
