import logging

from odoo import api, models

_logger = logging.getLogger(__name__)


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    @api.model
    def _g2p_demo_kenyan_chart(self):
        """Load the Kenyan chart (``l10n_ke``, installed by ``scripts/demo.sh``) on the demo's main
        company, in KES, before the first G2P entry. Accounting's own demo booked a few invoices on
        the generic chart first; loading a chart with its demo replaces those (Odoo's way to start
        a localisation with demo data), so the company currency can become KES. Without
        ``l10n_ke``, or once G2P entries exist, the company keeps its chart. Runs once: called by
        the demo data of each addon that posts entries."""
        env = self.sudo().env
        company = env.ref("base.main_company")
        if company.chart_template == "ke":
            return False
        Chart = env[self._name]
        if "ke" not in Chart._get_chart_template_mapping(get_all=True):
            _logger.warning(
                "G2P demo: l10n_ke is not installed, the demo company keeps its chart of accounts"
            )
            return False
        if env["account.move"].search_count(
            [("company_id", "=", company.id), ("g2p_event", "!=", False)], limit=1
        ):
            _logger.warning(
                "G2P demo: %s already has G2P entries, its chart of accounts is kept", company.name
            )
            return False
        Chart.try_loading("ke", company, install_demo=True)
        return True
