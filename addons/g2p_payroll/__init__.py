from . import controllers
from . import models
from . import report


def _post_init_hook(env):
    """Payroll accounts for companies that already have a chart (others get them on first use),
    and accounting defaults for existing programs."""
    for company in env["res.company"].search([("chart_template", "!=", False)]):
        if company.root_id == company:
            company._g2p_payroll_accounts()
    env["g2p.program"].search([])._g2p_default_accounting()
