#!/usr/bin/env bash
# A fresh test database with every addon installed, then the whole suite with pytest-odoo.
# Usage: scripts/test.sh [pytest arguments]   (default: addons tests)
#   G2P_TEST_DB   test database name (default g2p_test)
#   G2P_KEEP_DB=1 reuse the existing test database and only update the addons (faster loops)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$REPO_ROOT/scripts/setup.sh"
find_odoo
check_postgres

DB="${G2P_TEST_DB:-g2p_test}"

if [ "${G2P_KEEP_DB:-0}" = 1 ] && db_exists "$DB"; then
    # An update that fails must say why, not quietly rebuild the database.
    run_odoo -d "$DB" -u "$(all_addons)" --stop-after-init --log-level=warn || die "updating the addons in $DB failed (see above)"
    say "updated the addons in $DB"
else
    say "creating test database $DB with every addon"
    "$VENV/bin/python" - "$DB" "$DB_HOST" "$DB_PORT" "$DB_USER" "$DB_PASSWORD" <<'PY'
import sys, psycopg2
db, host, port, user, password = sys.argv[1:6]
kw = {"dbname": "postgres", "port": port, "user": user}
if host: kw["host"] = host
if password: kw["password"] = password
conn = psycopg2.connect(**kw)
conn.autocommit = True
conn.cursor().execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % db.replace('"', ''))
PY
    rm -rf "$DATA_DIR/filestore/$DB"
    run_odoo -d "$DB" -i "$(all_addons)" --stop-after-init --log-level=warn
fi

# A browser tour that fails leaves a screenshot of the page here (Odoo's HttpCase).
SCREENSHOTS_DIR="${G2P_SCREENSHOTS_DIR:-$REPO_ROOT/.local/screenshots}"
mkdir -p "$SCREENSHOTS_DIR"

mapfile -t dbargs < <(db_args)
extra=()
for arg in "${dbargs[@]}"; do extra+=("--odoo-extra=${arg#--}"); done
cd "$REPO_ROOT"
[ $# -gt 0 ] || set -- addons tests
exec "$VENV/bin/python" -m pytest --odoo-database="$DB" --odoo-config="$ODOO_CONF" \
    --odoo-addons-path="$(addons_path)" --odoo-http --odoo-log-level=warn \
    "--odoo-extra=data-dir=$DATA_DIR" "--odoo-extra=screenshots=$SCREENSHOTS_DIR" "${extra[@]}" "$@"
