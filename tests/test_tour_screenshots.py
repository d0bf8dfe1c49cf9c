"""A browser tour that fails leaves a screenshot of the page where it stopped, in the folder
`scripts/test.sh` gives Odoo (``.local/screenshots`` unless G2P_SCREENSHOTS_DIR says otherwise), so a
red tour in CI can be looked at, not only read."""

from pathlib import Path

from odoo.tests import HttpCase, get_db_name, new_test_user
from odoo.tools import config, mute_logger


class TestTourScreenshots(HttpCase):
    # Outside odoo.addons, Odoo does not tag test classes by itself.
    test_tags = {"post_install", "-at_install"}
    test_module = "g2p_suite"

    def test_a_failing_browser_test_leaves_a_screenshot(self):
        new_test_user(
            self.env, "shot_registrar", groups="g2p_registry.group_g2p_registrar", password="shot_registrar"
        )
        folder = Path(config["screenshots"]) / get_db_name() / "screenshots"
        before = set(folder.glob("*.png")) if folder.exists() else set()
        with mute_logger("odoo.tests.common", "odoo.tests.common.browser"), self.assertRaises(AssertionError):
            self.browser_js("/odoo", "console.error('a deliberate failure')", login="shot_registrar")
        shots = set(folder.glob("*.png")) - before
        self.assertTrue(shots, "a screenshot in %s" % folder)
        self.assertGreater(
            min(shot.stat().st_size for shot in shots), 1000, "a real picture, not an empty file"
        )
