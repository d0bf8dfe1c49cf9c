"""Setup checks: the scripts fail with one clear message when something is missing, and the
suite installs as a whole."""

import ast
import os
import subprocess
from pathlib import Path

from odoo.tests import TransactionCase

REPO = Path(__file__).resolve().parent.parent
ADDONS = sorted(p.parent for p in (REPO / "addons").glob("*/__manifest__.py"))
EXPECTED_ADDONS = {
    "g2p_registry",
    "g2p_account",
    "g2p_program",
    "g2p_payroll",
    "g2p_payment_hub",
    "g2p_payment_hub_phee",
    "g2p_payment_hub_gsma",
    "g2p_payment_hub_fineract",
    "g2p_payment_hub_file",
    "g2p_insurance_accounting",
    "g2p_fhir",
    "g2p_intake",
    "g2p_intake_odk",
    "g2p_intake_file",
    "g2p_intake_program",
    "g2p_intake_odk_program",
    "g2p_sms_gateway",
    "g2p_notice",
    "g2p_notice_insurance",
    "g2p_voucher",
    "g2p_premium_collection",
    "g2p_provider_payment",
    "g2p_registry_verification",
    "g2p_program_verification",
}
# Addons that only extend models (Odoo's, or bridges between two G2P addons): no model of their own,
# so no groups or access rights.
WITHOUT_SECURITY = {
    "g2p_account",
    "g2p_intake_program",
    "g2p_intake_odk_program",
    "g2p_program_verification",
}


def run_script(script, **env):
    full_env = {**os.environ, **env}
    return subprocess.run(
        [str(REPO / "scripts" / script)],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_wrong_odoo_path_says_what_to_set():
    result = run_script("setup.sh", ODOO_PATH="/nonexistent/odoo")
    assert result.returncode != 0
    assert "ODOO_PATH=/nonexistent/odoo has no odoo-bin" in result.stderr
    assert "Set ODOO_PATH" in result.stderr


def test_postgres_not_answering_says_how_to_start_it():
    result = run_script("test.sh", PGHOST="127.0.0.1", PGPORT="1", DB_HOST="", DB_PORT="")
    assert result.returncode != 0
    assert "PostgreSQL does not answer" in result.stderr
    assert "docker compose up -d db" in result.stderr


def test_postgres_superuser_refused():
    result = run_script("test.sh", PGUSER="postgres", DB_USER="")
    assert result.returncode != 0
    assert "refuses to run as the 'postgres' database user" in result.stderr


class TestSuite(TransactionCase):
    # Outside odoo.addons, Odoo does not tag test classes by itself.
    test_tags = {"standard", "at_install"}
    test_module = "g2p_suite"

    def test_every_addon_is_installed(self):
        self.assertEqual({p.name for p in ADDONS}, EXPECTED_ADDONS)
        modules = self.env["ir.module.module"].search([("name", "in", list(EXPECTED_ADDONS))])
        self.assertEqual({m.name: m.state for m in modules}, dict.fromkeys(EXPECTED_ADDONS, "installed"))

    @staticmethod
    def _declares_models(addon):
        """Whether the addon adds models of its own (then it has groups and access rights);
        g2p_account only extends Odoo Accounting's."""
        return any("\n    _name = " in path.read_text() for path in addon.glob("**/*.py"))

    def test_manifests_are_complete(self):
        for addon in ADDONS:
            manifest = ast.literal_eval((addon / "__manifest__.py").read_text())
            with self.subTest(addon=addon.name):
                self.assertTrue(manifest["version"].startswith("19.0."))
                self.assertTrue(manifest.get("author"))
                self.assertEqual(manifest.get("license"), "LGPL-3")
                if addon.name in WITHOUT_SECURITY:
                    self.assertFalse(self._declares_models(addon), "a new model needs access rights")
                else:
                    # Access rights as a CSV or in the addon's security XML (groups, rules, access).
                    self.assertTrue(
                        {"security/g2p_security.xml", "security/ir.model.access.csv"} & set(manifest["data"]),
                        "the addon loads its access rights",
                    )
                self.assertTrue((addon / "README.rst").exists(), "each addon documents itself")
                self.assertTrue(list((addon / "tests").glob("test_*.py")), "each addon tests itself")
