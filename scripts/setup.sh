#!/usr/bin/env bash
# Create the virtualenv and install the pinned Python dependencies (idempotent: a stamp file
# records what was installed, so a second run only checks).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

find_odoo

QUEUE_JOB_VERSION="19.0.2.4.0.1"
stamp_input="$(cat "$REPO_ROOT/requirements.txt"; echo "queue_job=$QUEUE_JOB_VERSION")"
stamp="$(printf '%s' "$stamp_input" | sha256sum | cut -c1-16)"

if [ ! -x "$VENV/bin/python" ]; then
    command -v "$PYTHON_BIN" >/dev/null || die "$PYTHON_BIN not found: install Python 3.11 (or set PYTHON_BIN)."
    say "creating virtualenv $VENV"
    "$PYTHON_BIN" -m venv "$VENV"
fi
pyver="$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
[ "$pyver" = "3.11" ] || say "warning: the pins in requirements.txt are for Python 3.11; this venv has $pyver"

if [ "$(cat "$VENV/.g2p-stamp" 2>/dev/null)" != "$stamp" ]; then
    say "installing Python dependencies into $VENV"
    "$VENV/bin/pip" install --quiet --upgrade pip wheel 'setuptools<70'
    "$VENV/bin/pip" install --quiet -r "$REPO_ROOT/requirements.txt"
    # OCA addons are published as wheels that depend on the 'odoo' distribution, which is not on
    # PyPI: install them without dependencies (theirs are in requirements.txt).
    "$VENV/bin/pip" install --quiet --no-deps "odoo-addon-queue_job==$QUEUE_JOB_VERSION"
    # Pins whose own requirements conflict with ours ("# no-deps: pkg==x" in requirements.txt).
    sed -n 's/^# no-deps: *//p' "$REPO_ROOT/requirements.txt" | xargs -r "$VENV/bin/pip" install --quiet --no-deps
    echo "$stamp" > "$VENV/.g2p-stamp"
fi
# Make `import odoo` work for pytest-odoo and scripts, pointing at the Odoo found above.
echo "$ODOO_PATH" > "$(site_packages)/odoo-path.pth"

missing=()
command -v wkhtmltopdf >/dev/null || missing+=(wkhtmltopdf)
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing ${missing[*]} (PDF reports, browser tours)"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null \
            || say "warning: could not install ${missing[*]}; PDF reports / browser tours will not work"
    else
        say "warning: ${missing[*]} missing: install them (apt-get install ${missing[*]}) for PDF reports and browser tours"
    fi
fi
mkdir -p "$DATA_DIR"
say "ready: Odoo $ODOO_PATH, venv $VENV"
