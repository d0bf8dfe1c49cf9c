#!/usr/bin/env bash
# Entrypoint of the odoo service in docker-compose.yml: adds the suite's Python dependencies to
# the official image (user site, kept in the odoo-data volume), creates the demo database with
# every G2P addon on first start, then hands over to the image's own entrypoint.
set -euo pipefail
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
if [ ! -f "$HOME/.g2p-db-$G2P_DB" ]; then
    # l10n_ke: the demo ministry's Kenyan chart of accounts (as scripts/demo.sh).
    /entrypoint.sh odoo --addons-path="$addons_path" -d "$G2P_DB" -i "$all_addons,l10n_ke" --with-demo --stop-after-init
    touch "$HOME/.g2p-db-$G2P_DB"
fi
exec /entrypoint.sh odoo --addons-path="$addons_path" -d "$G2P_DB" --db-filter="^$G2P_DB\$" \
    --http-interface=0.0.0.0 "$@"
