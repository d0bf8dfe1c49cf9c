#!/usr/bin/env bash
# Export a fresh translation template addons/<addon>/i18n/<addon>.pot for every addon with Odoo's own
# exporter (odoo-bin i18n export), in one Odoo run, from a database with every addon installed; then
# bring the existing translations (i18n/*.po) up to date with the new templates (msgmerge: new
# terms are added untranslated, translations of removed terms become obsolete "#~" entries).
# Usage: scripts/i18n_export.sh [addon ...]   (default: every addon in addons/)
#   G2P_I18N_DB         database to export from (default g2p_i18n). Created with every addon when it
#                       does not exist; otherwise the addons are updated first, so that new fields,
#                       selections and menus are in it (terms of XML files are read from the files).
#   G2P_I18N_NO_UPDATE=1  skip that update (the database was just built or updated)
#   G2P_I18N_NO_MERGE=1   do not touch the .po files
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"$REPO_ROOT/scripts/setup.sh"
find_odoo
check_postgres

DB="${G2P_I18N_DB:-g2p_i18n}"
if [ $# -gt 0 ]; then
    modules=("$@")
    for name in "${modules[@]}"; do
        [ -f "$REPO_ROOT/addons/$name/__manifest__.py" ] || die "no addon $name in addons/"
    done
else
    IFS=, read -r -a modules <<< "$(all_addons)"
fi


if ! db_exists "$DB"; then
    say "creating database $DB with every addon"
    run_odoo -d "$DB" -i "$(all_addons)" --stop-after-init --no-http --log-level=warn \
        || die "installing the addons in $DB failed (see above)"
elif [ "${G2P_I18N_NO_UPDATE:-0}" != 1 ]; then
    say "updating the addons in $DB"
    run_odoo -d "$DB" -u "$(all_addons)" --stop-after-init --no-http --log-level=warn \
        || die "updating the addons in $DB failed (see above)"
fi

# `odoo-bin i18n` reads only -c and -d: give it a configuration with the suite's addons path and
# database connection (odoo.conf plus what run_odoo passes on the command line).
conf="$(mktemp --suffix=.conf)"
stamp="$(mktemp)"
old="$(mktemp -d)"
trap 'rm -rf "$conf" "$stamp" "$old"' EXIT
"$VENV/bin/python" - "$ODOO_CONF" "$conf" "$(addons_path)" "$DATA_DIR" "$DB_HOST" "$DB_PORT" "$DB_USER" \
    "$DB_PASSWORD" <<'PY'
import configparser, sys
source, target, addons_path, data_dir, host, port, user, password = sys.argv[1:9]
parser = configparser.ConfigParser(interpolation=None)
parser.read(source)
options = parser["options"]
options.update(addons_path=addons_path, data_dir=data_dir, db_port=port, db_user=user, log_level="warn")
if host:
    options["db_host"] = host
if password:
    options["db_password"] = password
with open(target, "w") as out:
    parser.write(out)
PY

# Keep the previous templates to put them back when only their dates changed (no churn in git).
for name in "${modules[@]}"; do
    pot="$REPO_ROOT/addons/$name/i18n/$name.pot"
    if [ -f "$pot" ]; then cp "$pot" "$old/$name.pot"; fi
done

say "exporting ${#modules[@]} templates from $DB"
sleep 1  # the templates written below are newer than the stamp
"$VENV/bin/python" "$ODOO_PATH/odoo-bin" i18n export -c "$conf" -d "$DB" "${modules[@]}" \
    || die "odoo-bin i18n export failed (see above)"

# Odoo only warns about an addon it could not export (not installed): fail instead.
stale=()
for name in "${modules[@]}"; do
    pot="$REPO_ROOT/addons/$name/i18n/$name.pot"
    [ "$pot" -nt "$stamp" ] || stale+=("$name")
done
[ ${#stale[@]} -eq 0 ] || die "no fresh template for: ${stale[*]} (installed in $DB?)"
dates='^"(POT-Creation-Date|PO-Revision-Date):'
for name in "${modules[@]}"; do
    pot="$REPO_ROOT/addons/$name/i18n/$name.pot"
    if [ -f "$old/$name.pot" ] && cmp -s <(grep -Ev "$dates" "$pot") <(grep -Ev "$dates" "$old/$name.pot"); then
        cp "$old/$name.pot" "$pot"
    else
        say "new terms in addons/$name/i18n/$name.pot"
    fi
done

if [ "${G2P_I18N_NO_MERGE:-0}" != 1 ]; then
    command -v msgmerge >/dev/null || die "msgmerge not found (apt-get install gettext), or set G2P_I18N_NO_MERGE=1"
    for name in "${modules[@]}"; do
        for po in "$REPO_ROOT/addons/$name"/i18n/*.po; do
            [ -e "$po" ] || continue
            # No fuzzy matching: a guessed translation would be loaded by Odoo as if it were right.
            msgmerge --quiet --update --backup=none --no-fuzzy-matching "$po" "$REPO_ROOT/addons/$name/i18n/$name.pot" \
                || die "merging $po failed"
            say "merged ${po#"$REPO_ROOT"/} with the new template"
        done
    done
fi
say "done: addons/*/i18n/*.pot"
