#!/usr/bin/env bash
# Start a team MLflow tracking server, e.g. to try `kedro run --env server`
# before the team has a real one (see docs/team-server.md).
#
#   MLFLOW_BACKEND_STORE_URI=postgresql+psycopg://mlflow:PASSWORD@127.0.0.1:5432/mlflow \
#       bash scripts/tracking_server.sh [--auth]
#
# Runs, parameters, metrics and registered models go to the PostgreSQL
# database. Artifacts (models, plots) go to a folder of the server's machine,
# or to object storage (s3://...), and clients upload and download them
# through the server (proxied artifacts): they need no storage credentials of
# their own. The database URL and the storage keys stay in this process's
# environment, never on a command line (where `ps` shows them to every user),
# and the files the server writes are readable by its user only.
# It needs `pip install "mlflow[auth]" "psycopg[binary]"` (and boto3 for s3://)
# in the Python environment that provides `mlflow` (the project's virtualenv
# will do). docker-compose.yml runs this same script in a container.
#
# Settings, read from the environment:
#   MLFLOW_BACKEND_STORE_URI       required, a postgresql:// URI; its password
#                                  is never printed
#   MLFLOW_HOST, MLFLOW_PORT       where to listen (127.0.0.1, 5000): this
#                                  machine only. 0.0.0.0 for the team, with
#                                  MLFLOW_SERVER_ALLOWED_HOSTS=<host name> when
#                                  they connect by name
#   MLFLOW_WORKERS                 server processes (2)
#   MLFLOW_SERVER_HOME             the server's own files: artifacts/ and, with
#                                  --auth, basic_auth.ini and basic_auth.db
#                                  (${XDG_DATA_HOME:-~/.local/share}/mlflow-server)
#   MLFLOW_ARTIFACTS_DESTINATION   where artifacts go ($MLFLOW_SERVER_HOME/artifacts);
#                                  also s3://bucket/prefix (S3 or any S3-compatible
#                                  store: MinIO, Ceph, ...), gs://, ... (with that
#                                  client library)
#   MLFLOW_S3_ENDPOINT_URL         an S3-compatible store's URL, e.g.
#                                  http://127.0.0.1:9000 (unset for AWS S3)
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION
#                                  the store's keys (or any other way boto3
#                                  finds them): the server's only
# With --auth (or MLFLOW_SERVER_AUTH=true), MLflow's built-in basic
# authentication: every request needs a user name and password.
#   MLFLOW_AUTH_ADMIN_PASSWORD     required on the first start (12 characters or
#                                  more): creates the user `admin`, who then
#                                  creates everyone else's login
#   MLFLOW_AUTH_DATABASE_URI       where users are kept
#                                  (sqlite:///$MLFLOW_SERVER_HOME/basic_auth.db);
#                                  a PostgreSQL database works too, but not the
#                                  one of MLFLOW_BACKEND_STORE_URI
#   MLFLOW_AUTH_DEFAULT_PERMISSION what every user may do in experiments created
#                                  by others (EDIT: log runs to them)
#   MLFLOW_AUTH_CONFIG_PATH        your own basic_auth.ini instead of the above
#   MLFLOW_FLASK_SERVER_SECRET_KEY CSRF key of the login pages (random per start)
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

auth=${MLFLOW_SERVER_AUTH:-false}
for arg in "$@"; do
    case "$arg" in
    --auth) auth=true ;;
    -h | --help) usage; exit 0 ;;
    *) echo "tracking_server.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
    esac
done
case "$auth" in
true | false) ;;
*) echo "tracking_server.sh: MLFLOW_SERVER_AUTH must be true or false, not '$auth'" >&2; exit 2 ;;
esac

backend_store_uri=${MLFLOW_BACKEND_STORE_URI:-}
case "$backend_store_uri" in
postgresql://* | postgresql+*://*) ;;
*)
    echo "tracking_server.sh: set MLFLOW_BACKEND_STORE_URI to a PostgreSQL database," \
        "e.g. postgresql+psycopg://mlflow:PASSWORD@127.0.0.1:5432/mlflow" >&2
    exit 2
    ;;
esac
if ! command -v mlflow >/dev/null; then
    echo "tracking_server.sh: no 'mlflow' command: pip install mlflow \"psycopg[binary]\"" >&2
    exit 2
fi

# What the server writes (the users' database, artifacts, logs) is its user's
# only; basic_auth.ini below may hold a database password.
umask 077

host=${MLFLOW_HOST:-127.0.0.1}
port=${MLFLOW_PORT:-5000}
server_home=${MLFLOW_SERVER_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mlflow-server}
artifacts=${MLFLOW_ARTIFACTS_DESTINATION:-$server_home/artifacts}
mkdir -p "$server_home"
case "$artifacts" in
s3://*)
    # The Python of `mlflow` (its virtualenv's), when it can be found.
    mlflow_python=$(dirname "$(readlink -f "$(command -v mlflow)")")/python
    if [ -x "$mlflow_python" ] && ! "$mlflow_python" -c "import boto3" 2>/dev/null; then
        echo "tracking_server.sh: MLFLOW_ARTIFACTS_DESTINATION is s3://...: pip install boto3" \
            "beside mlflow" >&2
        exit 2
    fi
    ;;
*://*) ;;
*) mkdir -p "$artifacts" && artifacts=$(cd "$artifacts" && pwd) ;;
esac

# MLflow's job runner serves GenAI features (LLM judges, prompt optimization)
# that this project does not use; off, the server starts faster and runs ~8
# fewer processes. Export MLFLOW_SERVER_ENABLE_JOB_EXECUTION=true to keep it.
export MLFLOW_SERVER_ENABLE_JOB_EXECUTION=${MLFLOW_SERVER_ENABLE_JOB_EXECUTION:-false}

app=()
if [ "$auth" = true ]; then
    if [ -z "${MLFLOW_AUTH_CONFIG_PATH:-}" ]; then
        # No secret goes in this file: MLflow reads the admin password from
        # MLFLOW_AUTH_ADMIN_PASSWORD. The database URI may hold one: 0600.
        # MLflow checks the password (a deliberately slow hash) on every
        # request; the cache keeps a run's hundreds of requests fast. A
        # changed password or a deleted user may then go on working for up
        # to that many seconds on the server processes that did not handle
        # the change.
        export MLFLOW_AUTH_CONFIG_PATH=$server_home/basic_auth.ini
        (
            umask 077
            cat >"$MLFLOW_AUTH_CONFIG_PATH" <<EOF
[mlflow]
default_permission = ${MLFLOW_AUTH_DEFAULT_PERMISSION:-EDIT}
database_uri = ${MLFLOW_AUTH_DATABASE_URI:-sqlite:///$server_home/basic_auth.db}
admin_username = admin
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
auth_cache_ttl_seconds = 60
EOF
        )
    fi
    if [ -z "${MLFLOW_FLASK_SERVER_SECRET_KEY:-}" ]; then
        MLFLOW_FLASK_SERVER_SECRET_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
        export MLFLOW_FLASK_SERVER_SECRET_KEY
    fi
    # Made by an earlier version of this script, readable by all: the hashes.
    if [ -f "$server_home/basic_auth.db" ]; then chmod 600 "$server_home/basic_auth.db"; fi
    app=(--app-name basic-auth)
fi

# Passwords in URIs are masked in what this script prints.
mask() { sed -E 's#://([^:/@]*):[^@/]*@#://\1:***@#'; }
echo "MLflow tracking server on http://$host:$port" \
    "(store: $(mask <<<"$backend_store_uri"), artifacts: $(mask <<<"$artifacts")," \
    "auth: $auth)"

# `mlflow server` reads both from its environment (MLflow's own variables for
# --backend-store-uri and --artifacts-destination): not on its command line.
export MLFLOW_BACKEND_STORE_URI=$backend_store_uri
export MLFLOW_ARTIFACTS_DESTINATION=$artifacts
exec mlflow server \
    --host "$host" \
    --port "$port" \
    --workers "${MLFLOW_WORKERS:-2}" \
    ${app[@]+"${app[@]}"}
