from odoo import _, fields, models

from .res_company import PSP_CLEARING_PREFIX


class ResPartner(models.Model):
    _inherit = "res.partner"

    g2p_clearing_account_id = fields.Many2one(
        "account.account",
        string="PSP Clearing Account",
        company_dependent=True,
        help="Reconcilable account between the program and this PSP: debited when funds are "
        "transferred to the PSP, credited when it confirms payments. Created on first use.",
    )

    def _g2p_psp_clearing_account(self, company):
        """This PSP's clearing account in ``company``, created on first use."""
        self.ensure_one()
        psp = self.sudo().with_company(company)
        if not psp.g2p_clearing_account_id:
            account = company._g2p_find_or_create_account(
                company._g2p_next_account_code(PSP_CLEARING_PREFIX),
                "asset_current",
                True,
                _("PSP clearing – %s", psp.name),
            )
            psp.g2p_clearing_account_id = account
        return psp.g2p_clearing_account_id
