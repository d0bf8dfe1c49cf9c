#!/usr/bin/env bash
# Shared settings for the setup, demo and test scripts. Source it; it defines functions and
# variables only. Everything can be overridden from the environment:
#   ODOO_PATH   Odoo 19 source tree (odoo-bin inside); default /opt/odoo/19.0
#   VENV        virtualenv to create/use; default .venv in the repository
#   PGHOST PGPORT PGUSER PGPASSWORD (or DB_HOST DB_PORT DB_USER DB_PASSWORD)  PostgreSQL
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$REPO_ROOT/.venv}"
PYTHON_BIN="${PYTHON_BIN:-python3}"
ODOO_BRANCH="19.0"
ODOO_GIT_URL="${ODOO_GIT_URL:-https://github.com/odoo/odoo.git}"
DATA_DIR="${G2P_DATA_DIR:-$REPO_ROOT/.local/data}"
ODOO_CONF="$REPO_ROOT/odoo.conf"

DB_HOST="${DB_HOST:-${PGHOST:-}}"
DB_PORT="${DB_PORT:-${PGPORT:-5432}}"
DB_USER="${DB_USER:-${PGUSER:-$(id -un)}}"
DB_PASSWORD="${DB_PASSWORD:-${PGPASSWORD:-}}"

say() { printf '\033[1m[g2p]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[g2p] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Find Odoo 19: $ODOO_PATH, then /opt/odoo/19.0, then a shallow clone of the official branch.
find_odoo() {
    local candidate
    if [ -n "${ODOO_PATH:-}" ]; then
        # An explicit setting is never silently replaced by another Odoo.
        [ -x "$ODOO_PATH/odoo-bin" ] || die "ODOO_PATH=$ODOO_PATH has no odoo-bin. Set ODOO_PATH to an Odoo 19 \
source tree (git clone -b $ODOO_BRANCH --depth 1 $ODOO_GIT_URL)."
        check_odoo_version "$ODOO_PATH"
        export ODOO_PATH
        return 0
    fi
    for candidate in /opt/odoo/19.0 "$REPO_ROOT/.local/odoo"; do
        if [ -x "$candidate/odoo-bin" ]; then
            check_odoo_version "$candidate"
            ODOO_PATH="$candidate"
            export ODOO_PATH
            return 0
        fi
    done
    say "Odoo 19 not found in \$ODOO_PATH or /opt/odoo/19.0: cloning the official $ODOO_BRANCH branch"
    if ! git clone --quiet --depth 1 --branch "$ODOO_BRANCH" "$ODOO_GIT_URL" "$REPO_ROOT/.local/odoo"; then
        rm -rf "$REPO_ROOT/.local/odoo"
        die "could not find or clone Odoo 19. Set ODOO_PATH to an Odoo 19 source tree \
(for example: git clone -b $ODOO_BRANCH --depth 1 $ODOO_GIT_URL /opt/odoo/19.0)."
    fi
    ODOO_PATH="$REPO_ROOT/.local/odoo"
    export ODOO_PATH
}

check_odoo_version() {
    grep -qE "^version_info = \(19, 0" "$1/odoo/release.py" \
        || die "$1 holds an Odoo that is not 19.0; set ODOO_PATH to an Odoo 19 source tree."
}

site_packages() { "$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }

addons_path() {
    echo "$REPO_ROOT/addons,$(site_packages)/odoo/addons,$ODOO_PATH/addons,$ODOO_PATH/odoo/addons"
}

# Command-line options for odoo-bin and pytest-odoo that carry the database connection.
db_args() {
    local args=()
    [ -n "$DB_HOST" ] && args+=("--db_host=$DB_HOST")
    args+=("--db_port=$DB_PORT" "--db_user=$DB_USER")
    [ -n "$DB_PASSWORD" ] && args+=("--db_password=$DB_PASSWORD")
    printf '%s\n' "${args[@]}"
}

# db_exists NAME: whether PostgreSQL has that database (with the suite's connection settings).
db_exists() {
    "$VENV/bin/python" - "$1" "$DB_HOST" "$DB_PORT" "$DB_USER" "$DB_PASSWORD" <<'PY'
import sys, psycopg2
db, host, port, user, password = sys.argv[1:6]
kw = {"dbname": db, "port": port, "user": user}
if host: kw["host"] = host
if password: kw["password"] = password
try:
    psycopg2.connect(**kw).close()
except psycopg2.OperationalError:
    sys.exit(1)
PY
}

check_postgres() {
    [ "$DB_USER" = "postgres" ] && die "Odoo refuses to run as the 'postgres' database user. \
Set PGUSER (or DB_USER) to another role with CREATEDB, e.g. createuser -s $(id -un)."
    local err
    if ! err=$(PGCONNECT_TIMEOUT=5 "$VENV/bin/python" - "$DB_HOST" "$DB_PORT" "$DB_USER" "$DB_PASSWORD" 2>&1 <<'PY'
import sys, psycopg2
host, port, user, password = sys.argv[1:5]
kw = {"dbname": "postgres", "port": port, "user": user}
if host:
    kw["host"] = host
if password:
    kw["password"] = password
psycopg2.connect(**kw).close()
PY
    ); then
        die "PostgreSQL does not answer (host='${DB_HOST:-local socket}' port=$DB_PORT user=$DB_USER):
$(echo "$err" | tail -n 2)
Start a server (Debian: pg_ctlcluster 15 main start; or: docker compose up -d db with PGHOST=localhost
PGUSER=odoo PGPASSWORD=odoo), or set PGHOST/PGPORT/PGUSER/PGPASSWORD."
    fi
}

# odoo-bin with the suite's configuration; extra arguments are passed through.
run_odoo() {
    local args command=()
    mapfile -t args < <(db_args)
    # A subcommand (shell, server, …) must come before the options.
    if [ $# -gt 0 ] && [[ "$1" != -* ]]; then command=("$1"); shift; fi
    "$VENV/bin/python" "$ODOO_PATH/odoo-bin" "${command[@]}" -c "$ODOO_CONF" --addons-path="$(addons_path)" \
        --data-dir="$DATA_DIR" "${args[@]}" "$@"
}

all_addons() {
    local names=()
    for manifest in "$REPO_ROOT"/addons/*/__manifest__.py; do
        names+=("$(basename "$(dirname "$manifest")")")
    done
    (IFS=,; echo "${names[*]}")
}
