#!/usr/bin/env bash
# A local PostgreSQL from Debian's packages for the tracker and its tests.
#   scripts/postgres.sh start    install if missing (needs root), start, create role and databases
#   scripts/postgres.sh status   exit 0 when it accepts connections
#   scripts/postgres.sh stop
# Role yuqing/yuqing owns databases yuqing (for the product) and yuqing_test (for the tests).
set -euo pipefail

PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-yuqing}"
PG_PASSWORD="${PG_PASSWORD:-yuqing}"

die() { echo "postgres.sh: $*" >&2; exit 1; }

cluster_version() {
  ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1
}

install() {
  if [ -n "$(cluster_version)" ] && command -v pg_ctlcluster >/dev/null; then
    return 0
  fi
  [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed; run as root to install Debian's postgresql"
  echo "installing PostgreSQL from Debian's packages..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

ready() {
  pg_isready -q -h 127.0.0.1 -p "$PG_PORT"
}

start() {
  install
  local version
  version="$(cluster_version)"
  [ -n "$version" ] || die "no PostgreSQL cluster found under /etc/postgresql"
  if ! ready; then
    pg_ctlcluster "$version" main start
  fi
  for _ in $(seq 1 60); do ready && break; sleep 1; done
  ready || die "PostgreSQL did not accept connections on 127.0.0.1:$PG_PORT within 60 s"
  as_postgres psql -v ON_ERROR_STOP=1 -q -p "$PG_PORT" <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD' CREATEDB;
  END IF;
END \$\$;
-- The tests drop their databases WITH (FORCE); an autovacuum worker may hold one.
GRANT pg_signal_backend TO $PG_USER;
SQL
  for db in yuqing yuqing_test; do
    if ! as_postgres psql -p "$PG_PORT" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
      as_postgres createdb -p "$PG_PORT" -O "$PG_USER" "$db"
    fi
  done
  echo "PostgreSQL ready: postgresql+psycopg://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/yuqing_test"
}

stop() {
  local version
  version="$(cluster_version)"
  [ -n "$version" ] && pg_ctlcluster "$version" main stop || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) ready ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
