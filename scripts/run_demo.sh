#!/usr/bin/env bash
# The main job: start the local 360Learning emulator, point the default connection at it and run
# every example DAG once with `airflow dags test` (no scheduler needed); then one event-driven run of
# 360learning_events_to_warehouse, for which scripts/demo_events.py starts `airflow standalone` (scheduler,
# triggerer, DAG processor, API server) for as long as that run takes; stop the emulator after.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
PORT=${EMULATOR_PORT:-8360}
export AIRFLOW_HOME=${AIRFLOW_HOME:-$PWD/.airflow_home}
export AIRFLOW__CORE__DAGS_FOLDER=$PWD/dags
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW_360LEARNING_EVENTS_POLL_INTERVAL=${AIRFLOW_360LEARNING_EVENTS_POLL_INTERVAL:-2}
export AIRFLOW_CONN_360LEARNING_DEFAULT="{\"conn_type\": \"360learning\", \"login\": \"emulator-client-id\", \"password\": \"emulator-client-secret\", \"host\": \"http://127.0.0.1:$PORT\", \"extra\": {\"region\": \"eu\"}}"
export AIRFLOW_CONN_360LEARNING_SCIM_DEFAULT="{\"conn_type\": \"360learning_scim\", \"host\": \"http://127.0.0.1:$PORT/scim/v2\", \"password\": \"emulator-scim-token\"}"
export AIRFLOW_CONN_EDX_DEFAULT="{\"conn_type\": \"360learning_edx\", \"login\": \"emulator-edx-client-id\", \"password\": \"emulator-edx-client-secret\", \"host\": \"http://127.0.0.1:$PORT\"}"
mkdir -p "$AIRFLOW_HOME"
# The demo's emulator starts from its seed every time, so its warehouse does too: a warehouse left by an earlier
# demo holds objects that earlier emulator created (edX courses, SCIM users), and a full refresh would rightly
# refuse to delete them all (the mass-delete guard).
rm -f "$AIRFLOW_HOME"/360learning_warehouse.duckdb "$AIRFLOW_HOME"/360learning_warehouse.duckdb.*

"$PY" -m airflow_provider_360learning.emulator --port "$PORT" > "$AIRFLOW_HOME/emulator.log" 2>&1 &
EMULATOR_PID=$!
trap 'kill $EMULATOR_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  "$PY" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$PORT/_emulator/stats', timeout=1)" 2>/dev/null && break
  sleep 0.2
done

"$VENV/bin/airflow" db migrate > "$AIRFLOW_HOME/db-migrate.log" 2>&1
for dag_id in $("$PY" scripts/list_dag_ids.py dags | sed -n "s/^DAG_ID //p"); do
  echo "=== running DAG $dag_id"
  "$VENV/bin/airflow" dags test "$dag_id"
done
echo "=== event-driven run of 360learning_events_to_warehouse (airflow standalone, log: \$AIRFLOW_HOME/standalone.log)"
"$PY" scripts/demo_events.py "http://127.0.0.1:$PORT"
"$PY" scripts/show_warehouse.py
