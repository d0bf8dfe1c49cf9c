"""Production settings (deploy/odoo.production.conf, docker-compose.production.yml): no master
password shipped, no database listing, Odoo behind the TLS proxy with workers and limits, and the
production compose file takes its secrets from the environment. Each checker is also run on bad
settings, so these tests fail when the checks stop finding problems."""

import configparser
import os
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PRODUCTION_CONF = REPO / "deploy" / "odoo.production.conf"
PRODUCTION_COMPOSE = REPO / "docker-compose.production.yml"
DEMO_CONF = REPO / "odoo.conf"

# Master passwords seen in shipped configurations and tutorials.
KNOWN_DEFAULTS = {"admin", "odoo", "password", "changeme", "change_me", "secret", "master", "123456"}
REQUIRED_LIMITS = (
    "limit_memory_soft",
    "limit_memory_hard",
    "limit_time_cpu",
    "limit_time_real",
    "limit_request",
)
TRUE = {"1", "yes", "true", "on"}
# A compose value that only comes from a required variable: ${NAME:?message} (or ${NAME?message}).
REQUIRED_VARIABLE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*:?\?[^}]*\}$")


def read_conf(text):
    # As Odoo reads it (RawConfigParser: no interpolation, whole-line comments only).
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    return parser


def conf_problems(text):
    """What is wrong for production in an odoo.conf text, as a list of sentences."""
    parser = read_conf(text)
    if not parser.has_section("options"):
        return ["no [options] section"]
    options = dict(parser.items("options"))
    problems = []
    if "admin_passwd" not in options:
        problems.append("admin_passwd is missing: Odoo then accepts 'admin'")
    elif options["admin_passwd"].strip().lower() in KNOWN_DEFAULTS:
        problems.append("admin_passwd is a known default")
    elif options["admin_passwd"].strip():
        problems.append("admin_passwd has a value: the file must ship none (ODOO_ADMIN_PASSWD)")
    # Odoo's default is to list the databases.
    if options.get("list_db", "True").strip().lower() in TRUE:
        problems.append("list_db is not False")
    if not options.get("db_name", "").strip() and not options.get("dbfilter", "").strip():
        problems.append("neither db_name nor dbfilter: every database on the server is reachable")
    if options.get("proxy_mode", "False").strip().lower() not in TRUE:
        problems.append("proxy_mode is not True")
    workers = options.get("workers", "0").strip()
    if not workers.isdigit() or int(workers) < 2:
        problems.append("workers is below 2")
    for name in REQUIRED_LIMITS:
        value = options.get(name, "").strip()
        if not value.isdigit() or int(value) <= 0:
            problems.append("%s is missing" % name)
    if "queue_job" not in [m.strip() for m in options.get("server_wide_modules", "").split(",")]:
        problems.append("queue_job is not a server-wide module")
    if channel_names(parser) != channel_names(read_conf(DEMO_CONF.read_text())):
        problems.append("[queue_job] channels differ from odoo.conf's")
    return problems


def channel_names(parser):
    if not parser.has_option("queue_job", "channels"):
        return set()
    return {item.strip().partition(":")[0] for item in parser.get("queue_job", "channels").split(",")}


def compose_problems(text):
    """What is wrong in a production compose text: literal secrets, the demo settings."""
    problems = []
    if re.search(r"\./odoo\.conf\s*:", text):
        problems.append("mounts the demo odoo.conf")
    if not re.search(r"\./deploy/odoo\.production\.conf\s*:\s*/etc/odoo/odoo\.conf", text):
        problems.append("does not mount deploy/odoo.production.conf as /etc/odoo/odoo.conf")
    # Environment entries in both compose forms: KEY: value and - KEY=value.
    entries = re.findall(r"^\s*-?\s*([A-Z][A-Z0-9_]*)\s*[:=][ \t]*(.*?)\s*$", text, re.MULTILINE)
    env = {}
    for key, value in entries:
        env.setdefault(key, []).append(value.strip("'\""))
    if "ODOO_ADMIN_PASSWD" not in env:
        problems.append("no ODOO_ADMIN_PASSWD: Odoo would use the file's (or 'admin')")
    for key, values in sorted(env.items()):
        if "PASSW" in key or "SECRET" in key:
            for value in values:
                if not REQUIRED_VARIABLE.match(value):
                    problems.append("%s is not a required variable (${NAME:?…}): %s" % (key, value))
    if any(value not in ("0", "") for value in env.get("G2P_DEMO", ["1"])):
        problems.append("G2P_DEMO is not 0: the demo data would be installed")
    return problems


def test_production_settings_ship_no_password_nor_listing():
    assert conf_problems(PRODUCTION_CONF.read_text()) == []


def test_production_compose_takes_its_secrets_from_the_environment():
    assert compose_problems(PRODUCTION_COMPOSE.read_text()) == []


def test_the_demo_settings_would_fail():
    # The demo configuration is the counter-example: the checker must refuse it.
    problems = conf_problems(DEMO_CONF.read_text())
    assert "admin_passwd is a known default" in problems
    assert "list_db is not False" in problems
    assert "proxy_mode is not True" in problems
    assert "workers is below 2" in problems
    assert "limit_memory_soft is missing" in problems
    demo_compose = compose_problems((REPO / "docker-compose.yml").read_text())
    assert "mounts the demo odoo.conf" in demo_compose
    assert "no ODOO_ADMIN_PASSWD: Odoo would use the file's (or 'admin')" in demo_compose


def test_bad_settings_are_reported():
    missing = conf_problems("[options]\nworkers = 1\n")
    assert "admin_passwd is missing: Odoo then accepts 'admin'" in missing
    # Odoo lists the databases when list_db is absent.
    assert "list_db is not False" in missing
    assert "neither db_name nor dbfilter: every database on the server is reachable" in missing
    assert "workers is below 2" in missing
    assert {"%s is missing" % name for name in REQUIRED_LIMITS} <= set(missing)
    assert "[queue_job] channels differ from odoo.conf's" in missing
    good = PRODUCTION_CONF.read_text()
    set_password = good.replace("\nadmin_passwd =\n", "\nadmin_passwd = Kq7-very-long\n")
    assert set_password != good
    assert conf_problems(set_password) == [
        "admin_passwd has a value: the file must ship none (ODOO_ADMIN_PASSWD)"
    ]
    listing = good.replace("\nlist_db = False\n", "\nlist_db = True\n")
    assert listing != good
    assert conf_problems(listing) == ["list_db is not False"]

    compose = PRODUCTION_COMPOSE.read_text()
    literal = compose.replace("${G2P_ADMIN_PASSWD:?set G2P_ADMIN_PASSWD}", "admin")
    assert literal != compose
    assert compose_problems(literal) == ["ODOO_ADMIN_PASSWD is not a required variable (${NAME:?…}): admin"]
    with_default = compose.replace("${G2P_ADMIN_PASSWD:?set G2P_ADMIN_PASSWD}", "${G2P_ADMIN_PASSWD:-admin}")
    assert compose_problems(with_default) == [
        "ODOO_ADMIN_PASSWD is not a required variable (${NAME:?…}): ${G2P_ADMIN_PASSWD:-admin}"
    ]
    demo_conf = compose.replace("./deploy/odoo.production.conf:", "./odoo.conf:")
    assert set(compose_problems(demo_conf)) == {
        "mounts the demo odoo.conf",
        "does not mount deploy/odoo.production.conf as /etc/odoo/odoo.conf",
    }


def test_docker_entrypoint_refuses_the_default_master_password_in_production():
    env = {**os.environ, "G2P_DEMO": "0", "ODOO_ADMIN_PASSWD": "admin", "HOME": "/nonexistent"}
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "docker-odoo.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert "ODOO_ADMIN_PASSWD is the default 'admin'" in result.stderr
