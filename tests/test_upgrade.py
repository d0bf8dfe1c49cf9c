"""Upgrade in place: a database made by the previous main (every addon, demo data, connectors of the
four types with their secrets, batches and attempts) is updated with ``-u all`` by this tree, where
the connector types are addons of their own. Its connectors, batches, attempts, payroll lines and
journal entries are intact afterwards, and the connector addons are installed.

Slow (two Odoo runs on a scratch database of its own, dropped at the end). Plain pytest: it drives
``scripts/odoo.sh`` and reads the database with SQL. ``G2P_UPGRADE_FROM`` names another base commit.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import uuid
from pathlib import Path

import pytest

from odoo import sql_db
from odoo.tools import SQL

REPO = Path(__file__).resolve().parent.parent
ODOO_SH = REPO / "scripts" / "odoo.sh"
BASE_COMMIT = os.environ.get("G2P_UPGRADE_FROM", "1c3f503")
CONNECTOR_ADDONS = [
    "g2p_payment_hub_phee",
    "g2p_payment_hub_gsma",
    "g2p_payment_hub_fineract",
    "g2p_payment_hub_file",
]

# Run inside `odoo shell` on the old database: connectors of each type (secrets set), one per PSP
# enabled so the demo payroll's unpaid lines can be batched, the others disabled.
SETUP = """
Connector = env["g2p.payment.connector"]
lines = env["g2p.payroll.line"].search([("state", "=", "approved")], order="id")
assert lines, "the demo payroll has no approved line left to batch"
psps = lines.psp_id
assert psps, "the approved demo lines have no PSP"
values = {
    "phee": dict(
        phee_bulk_url="http://127.0.0.1:9/bulk", phee_ops_url="http://127.0.0.1:9/ops", phee_tenant="gorilla",
        payment_mode="mojaloop", payer_identifier_type="msisdn", payer_identifier="27710101999",
        phee_username="ops-user", phee_password="ops-pass", phee_jws=True,
        phee_jws_private_key="-----BEGIN PRIVATE KEY-----\\nnot a key\\n",
    ),
    "file": dict(
        file_format="bank_csv", file_debtor_name="Ministry", file_debtor_iban="DE89370400440532013000",
        file_debtor_bic="COBADEFFXXX",
    ),
    "gsma": dict(
        gsma_url="http://127.0.0.1:9/mm", gsma_auth_mode="oauth", gsma_api_key="gsma-key",
        gsma_consumer_key="gsma-ck", gsma_consumer_secret="gsma-cs", payer_identifier_type="accountid",
        payer_identifier="2000",
    ),
    "fineract": dict(
        fineract_url="http://127.0.0.1:9/fineract", fineract_tenant="default", fineract_username="mifos",
        fineract_password="password", fineract_payment_type_id=1,
    ),
}
enabled = ["phee", "file", "gsma"]
for index, psp in enumerate(psps):
    code = enabled[index % len(enabled)]
    Connector.create({"name": "Upgrade %s %s" % (code, psp.name), "code": code, "psp_id": psp.id,
                      "state": "test", **values[code]})
for code in values:
    Connector.create({"name": "Upgrade spare %s" % code, "code": code, "psp_id": psps[0].id,
                      "state": "disabled", "sequence": 99, **values[code]})
payroll = lines.payroll_id[:1]
batches = payroll._create_payment_batches(lines.filtered(lambda l: l.payroll_id == payroll))
assert batches.attempt_ids, "no attempt created"
first = batches.sorted("id")[0]
first._set_sending()
first._set_sent("EXT-UPGRADE-1")
env.cr.commit()
print("UPGRADE_SETUP_DONE %s batches %s attempts" % (len(batches), len(batches.attempt_ids)))
"""

SNAPSHOTS = {
    "connectors": """SELECT id, name::text, code, state, psp_id, phee_bulk_url, phee_ops_url, phee_tenant,
                            phee_username, phee_password, phee_jws, phee_jws_private_key, gsma_url,
                            gsma_auth_mode, gsma_api_key, gsma_consumer_key, gsma_consumer_secret,
                            fineract_url, fineract_tenant, fineract_username, fineract_password,
                            fineract_payment_type_id, file_format, file_debtor_iban, file_debtor_bic
                       FROM g2p_payment_connector ORDER BY id""",
    "batches": """SELECT id, name, state, connector_id, payroll_id, correlation_id, external_id,
                         callback_token, payload, total_count, total_amount, gsma_server_correlation_id
                    FROM g2p_payment_batch ORDER BY id""",
    "attempts": """SELECT id, batch_id, payroll_line_id, request_id, state, amount,
                          payee_identifier_type, payee_identifier
                     FROM g2p_payment_attempt ORDER BY id""",
    "payroll_lines": "SELECT id, state, amount, settlement_move_line_id FROM g2p_payroll_line ORDER BY id",
    # Every journal entry, as finance sees it: number, state, date, amounts and accounts.
    "moves": """SELECT m.id, m.name, m.state, m.date, m.partner_id,
                       array_agg(l.balance ORDER BY l.id), array_agg(l.account_id ORDER BY l.id),
                       array_agg(l.reconciled ORDER BY l.id)
                  FROM account_move m JOIN account_move_line l ON l.move_id = m.id
                 GROUP BY m.id ORDER BY m.id""",
}
#: The G2P event of each entry: kept when it was set; insurance entries, which had none before
#: g2p_account, get theirs from the migration.
EVENTS = """SELECT id, g2p_event, g2p_policy_id IS NOT NULL OR g2p_claim_id IS NOT NULL
              FROM account_move ORDER BY id"""


def _odoo(*args, stdin=None, addons_path=None):
    command = [str(ODOO_SH), *args, "--no-http", "--log-level=warn"]
    if addons_path:
        command.append("--addons-path=%s" % addons_path)
    env = dict(os.environ, VENV=os.environ.get("VENV") or sys.prefix)
    result = subprocess.run(command, input=stdin, capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, "odoo %s failed:\n%s" % (" ".join(args), result.stderr[-4000:])
    return result


def _query(db, query):
    with sql_db.db_connect(db).cursor() as cr:
        cr.execute(SQL(query))
        return cr.fetchall()


def _old_addons_path(old):
    odoo_path = Path(os.environ.get("ODOO_PATH") or "/opt/odoo/19.0")
    site = sysconfig.get_paths(vars={"base": sys.prefix, "platbase": sys.prefix})["purelib"]
    return ",".join(
        [
            str(old / "addons"),
            "%s/odoo/addons" % site,
            str(odoo_path / "addons"),
            str(odoo_path / "odoo" / "addons"),
        ]
    )


@pytest.fixture
def scratch_db():
    name = "g2p_upgrade_%s" % uuid.uuid4().hex[:8]
    yield name
    sql_db.close_db(name)
    with sql_db.db_connect("postgres").cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute(SQL("DROP DATABASE IF EXISTS %s WITH (FORCE)", SQL.identifier(name)))
    shutil.rmtree(REPO / ".local" / "data" / "filestore" / name, ignore_errors=True)


def test_upgrade_from_previous_main_keeps_payment_data(scratch_db):
    with tempfile.TemporaryDirectory(prefix="g2p_upgrade_") as tmp:
        old = Path(tmp)
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", BASE_COMMIT, "addons"], capture_output=True, check=True
        ).stdout
        archive_path = old / "addons.tar"
        archive_path.write_bytes(archive)
        with tarfile.open(archive_path) as tar:
            tar.extractall(old, filter="data")
        old_addons = sorted(p.parent.name for p in (old / "addons").glob("*/__manifest__.py"))
        assert "g2p_payment_hub" in old_addons and not set(CONNECTOR_ADDONS) & set(old_addons)
        path = _old_addons_path(old)
        _odoo(
            "-d", scratch_db, "-i", ",".join(old_addons), "--with-demo", "--stop-after-init", addons_path=path
        )
        done = _odoo("shell", "-d", scratch_db, stdin=SETUP, addons_path=path)
        assert "UPGRADE_SETUP_DONE" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]

    before = {name: _query(scratch_db, query) for name, query in SNAPSHOTS.items()}
    events_before = _query(scratch_db, EVENTS)
    assert any(event for _id, event, _insurance in events_before), "payroll entries carry their event"
    codes = {row[2] for row in before["connectors"]}
    assert codes == {"phee", "gsma", "fineract", "file"}
    assert before["batches"] and before["attempts"] and before["moves"]
    assert any(row[2] == "sent" and row[6] == "EXT-UPGRADE-1" for row in before["batches"])
    assert all(row[9] for row in before["connectors"] if row[2] == "phee"), "PH-EE secrets are set"

    sql_db.close_db(scratch_db)
    _odoo("-d", scratch_db, "-u", "all", "--stop-after-init")

    after = {name: _query(scratch_db, query) for name, query in SNAPSHOTS.items()}
    for name in SNAPSHOTS:
        assert after[name] == before[name], "%s changed by the upgrade" % name
    events_after = {move_id: event for move_id, event, _insurance in _query(scratch_db, EVENTS)}
    for move_id, event, insurance in events_before:
        if event:
            assert events_after[move_id] == event, "entry %s lost its event %s" % (move_id, event)
        elif insurance:
            assert (events_after[move_id] or "").startswith("ins_"), (
                "insurance entry %s has no event" % move_id
            )
    states = dict(
        _query(
            scratch_db, "SELECT name, state FROM ir_module_module WHERE left(name, 15) = 'g2p_payment_hub'"
        )
    )
    assert states == {"g2p_payment_hub": "installed", **dict.fromkeys(CONNECTOR_ADDONS, "installed")}
    # The moved fields belong to their new addon, the type values too; the split view is gone.
    owners = dict(
        _query(
            scratch_db,
            """SELECT name, module FROM ir_model_data
                WHERE name IN ('field_g2p_payment_connector__phee_password',
                               'field_g2p_payment_connector__gsma_consumer_secret',
                               'field_g2p_payment_batch__gsma_server_correlation_id',
                               'field_g2p_payment_connector__fineract_password',
                               'field_g2p_payment_connector__file_debtor_iban',
                               'selection__g2p_payment_connector__code__phee',
                               'selection__g2p_payment_connector__code__file',
                               'view_g2p_payment_connector_form_psp',
                               'view_g2p_payment_connector_form_gsma')""",
        )
    )
    assert owners == {
        "field_g2p_payment_connector__phee_password": "g2p_payment_hub_phee",
        "field_g2p_payment_connector__gsma_consumer_secret": "g2p_payment_hub_gsma",
        "field_g2p_payment_batch__gsma_server_correlation_id": "g2p_payment_hub_gsma",
        "field_g2p_payment_connector__fineract_password": "g2p_payment_hub_fineract",
        "field_g2p_payment_connector__file_debtor_iban": "g2p_payment_hub_file",
        "selection__g2p_payment_connector__code__phee": "g2p_payment_hub_phee",
        "selection__g2p_payment_connector__code__file": "g2p_payment_hub_file",
        "view_g2p_payment_connector_form_gsma": "g2p_payment_hub_gsma",
    }
