#!/usr/bin/env bash
# Entrypoint of the odoo service in docker-compose.yml (the demo) and docker-compose.production.yml:
# adds the suite's Python dependencies to the official image (user site, kept in the odoo-data
# volume), creates the database G2P_DB with every G2P addon on first start, then hands over to the
# image's own entrypoint.
#   G2P_DEMO=1 (default)  demo data and the demo ministry's chart of accounts
#   G2P_DEMO=0            production: no demo data; refuses the default master password
set -euo pipefail
demo="${G2P_DEMO:-1}"
if [ "$demo" = 0 ] && [ "${ODOO_ADMIN_PASSWD:-}" = admin ]; then
    echo "docker-odoo.sh: ODOO_ADMIN_PASSWD is the default 'admin': set a secret (README, Production settings)" >&2
    exit 1
fi
QUEUE_JOB_VERSION="19.0.2.4.0.1"
if [ ! -f "$HOME/.g2p-deps" ]; then
    # Only the suite's own packages: the image already carries Odoo's requirements.
    grep -E '^(phonenumbers|fhir\.resources|openupgradelib)==' /mnt/g2p/requirements.txt > /tmp/g2p-req.txt
    pip install --user --break-system-packages --quiet -r /tmp/g2p-req.txt
    pip install --user --break-system-packages --quiet --no-deps "odoo-addon-queue_job==$QUEUE_JOB_VERSION"
    touch "$HOME/.g2p-deps"
fi
user_addons="$(python3 -c 'import site; print(site.getusersitepackages())')/odoo/addons"
addons_path="/mnt/extra-addons,$user_addons,/usr/lib/python3/dist-packages/odoo/addons"
all_addons="$(cd /mnt/extra-addons && ls -d */ | tr -d / | paste -sd, -)"
if [ "$demo" = 0 ]; then
    # The country's chart of accounts is installed afterwards (Invoicing settings).
    install=(-i "$all_addons")
    # db_name alone confines requests to G2P_DB (no database list at each request).
    serve=()
else
    # l10n_ke: the demo ministry's Kenyan chart of accounts (as scripts/demo.sh).
    install=(-i "$all_addons,l10n_ke" --with-demo)
    serve=(--db-filter="^$G2P_DB\$")
fi
if [ ! -f "$HOME/.g2p-db-$G2P_DB" ]; then
    /entrypoint.sh odoo --addons-path="$addons_path" -d "$G2P_DB" "${install[@]}" --stop-after-init
    touch "$HOME/.g2p-db-$G2P_DB"
fi
exec /entrypoint.sh odoo --addons-path="$addons_path" -d "$G2P_DB" "${serve[@]}" \
    --http-interface=0.0.0.0 "$@"
