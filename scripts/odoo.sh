#!/usr/bin/env bash
# odoo-bin with the suite's configuration, addons path and database settings.
# Example: scripts/odoo.sh -d g2p_demo -u g2p_registry --stop-after-init
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
find_odoo
[ -x "$VENV/bin/python" ] || die "no virtualenv at $VENV: run make setup first."
run_odoo "$@"
