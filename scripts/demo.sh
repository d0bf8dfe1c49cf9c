#!/usr/bin/env bash
# Create (or update) the demo database with every addon and demo data, then serve it.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$REPO_ROOT/scripts/setup.sh"
find_odoo
check_postgres

DB="${G2P_DEMO_DB:-g2p_demo}"
PORT="${G2P_HTTP_PORT:-8069}"
if "$VENV/bin/python" - "$DB" "$DB_HOST" "$DB_PORT" "$DB_USER" "$DB_PASSWORD" <<'PY'
import sys, psycopg2
db, host, port, user, password = sys.argv[1:6]
kw = {"dbname": db, "port": port, "user": user}
if host: kw["host"] = host
if password: kw["password"] = password
try:
    conn = psycopg2.connect(**kw)
except psycopg2.OperationalError:
    sys.exit(1)
cur = conn.cursor()
cur.execute("SELECT 1 FROM information_schema.tables WHERE table_name = 'ir_module_module'")
sys.exit(0 if cur.fetchone() else 1)
PY
then
    say "updating the G2P addons in database $DB"
    run_odoo -d "$DB" -u "$(all_addons)" --stop-after-init
else
    say "creating database $DB with every G2P addon and demo data (a few minutes)"
    # The demo ministry is in Kenya: l10n_ke brings the Kenyan chart of accounts, which the G2P
    # demo data loads on it (in KES) before the first G2P entry. A demo-only need, so it is
    # installed here rather than made a dependency of an addon.
    run_odoo -d "$DB" -i "$(all_addons),l10n_ke" --with-demo --stop-after-init
    # Odoo sets the admin password to 'admin' in new databases; say so rather than assume it.
fi
say "G2P back office: http://localhost:$PORT  (database $DB, login admin / password admin; one demo login per role, password = login: registrar validator manager manager2 approver finance claims insurance g2padmin agent, see README.md)"
run_odoo -d "$DB" --db-filter="^$DB\$" --http-port="$PORT" --http-interface="${G2P_HTTP_INTERFACE:-127.0.0.1}"
