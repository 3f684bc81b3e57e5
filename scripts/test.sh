#!/usr/bin/env bash
# Runs every test twice: on the embedded SQLite, then on PostgreSQL. The multi-node tests (three
# node processes on RabbitMQ and PostgreSQL) run in the first pass only. PostgreSQL and RabbitMQ are
# started here if they are down.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not reachable at 127.0.0.1:5432" >&2; exit 1; }

if ! (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
  echo "starting RabbitMQ"
  rabbitmq-server -detached || true
  for _ in $(seq 1 60); do (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null && break; sleep 1; done
fi

echo "== tests on SQLite, and the multi-node tests"
env -u TEST_DATABASE_URL cargo test --workspace --locked
echo "== tests on PostgreSQL ($PG_URL)"
TEST_DATABASE_URL="$PG_URL" cargo test --workspace --locked -- --skip cluster::
