from . import models
from . import report
from . import wizards


def _post_init_hook(env):
    """Create the insurance accounts for the companies that already have a chart of accounts;
    the others get them on first use."""
    for company in env["res.company"].search([("chart_template", "!=", False)]):
        company._g2p_insurance_accounts()
