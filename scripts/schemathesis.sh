#!/usr/bin/env bash
# Fuzzes a node against its own OpenAPI document with schemathesis (from PyPI): fails on any HTTP
# 500, any error body that is not ZStack's (scripts/schemathesis_hooks.py), and any status,
# content type or body the document does not describe. Bounded in time (SCHEMATHESIS_MAX_TIME
# seconds, default 240).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${SCHEMATHESIS_VENV:-target/schemathesis-venv}
# One worker: CPython before 3.11.8 keeps the AST validator's recursion depth in shared state, so
# hypothesis parsing lambda sources in two threads at once fails with "AST constructor recursion
# depth mismatch" (a SystemError inside the tool, not a finding about the node).
VERSION=4.32.5
MAX_TIME=${SCHEMATHESIS_MAX_TIME:-240}

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "schemathesis==$VERSION"
fi

cargo build --locked --bin zstack
BIN=target/debug/zstack

WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" serve --bind 127.0.0.1 --port "$PORT" --db-url "sqlite://$WORK/zstack.db?mode=rwc" \
  >"$WORK/node.log" 2>&1 &
NODE=$!
trap 'kill $NODE 2>/dev/null || true; wait $NODE 2>/dev/null || true; rm -rf "$WORK"' EXIT

BASE="http://127.0.0.1:$PORT/zstack/v1"
for _ in $(seq 1 100); do
  curl -sf "$BASE/openapi.json" >/dev/null && break
  sleep 0.1
done

ADMIN_SHA512=b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86
SESSION=$(curl -sf -X PUT "$BASE/accounts/login" -H 'Content-Type: application/json' \
  -d "{\"logInByAccount\": {\"accountName\": \"admin\", \"password\": \"$ADMIN_SHA512\"}}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["inventory"]["uuid"])')

status=0
PYTHONPATH=scripts SCHEMATHESIS_HOOKS=schemathesis_hooks "$VENV/bin/schemathesis" --no-color run "$BASE/openapi.json" --url "$BASE" \
  -H "Authorization: OAuth $SESSION" \
  --checks no_http_500,zstack_error_body,status_code_conformance,content_type_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing \
  --max-time "$MAX_TIME" \
  --request-timeout 20 \
  --workers 1 \
  --suppress-health-check all \
  --exclude-operation-id APILogOutMsg || status=$?

if ! kill -0 "$NODE" 2>/dev/null; then
  echo "the node died during the run; its log:" >&2
  tail -50 "$WORK/node.log" >&2
  exit 1
fi
exit $status
