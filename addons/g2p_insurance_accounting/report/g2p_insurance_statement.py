from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..models.g2p_insurance_policy import CLAIMS_GROUP, FINANCE_GROUP

#: Accounts of the scheme's own side of an entry (its income, expense and bank), left out of a
#: party's statement: what the family sees is what it owes and is owed.
SCHEME_SIDE_TYPES = ("income", "income_other", "expense", "expense_direct_cost", "asset_cash")


class ReportG2pInsuranceStatement(models.AbstractModel):
    """Statement of account of a family, a member or a payer: every movement on what they owe or
    are owed (premiums due and paid, claims held on the family account, excess collected,
    refunds), the balance, the claims with what the cover paid, and the last activity.

    Read as the scheme's staff: insurance finance and claims officers print it for any registrant
    or payer they can read; the figures come from the posted journal entries."""

    _name = "report.g2p_insurance_accounting.report_statement"
    _description = "Insurance Statement of Account"

    @api.model
    def _get_report_values(self, docids, data=None):
        user = self.env.user
        if not (user.has_group(FINANCE_GROUP) or user.has_group(CLAIMS_GROUP)):
            raise AccessError(
                _("Only insurance finance staff and claims officers print statements of account.")
            )
        partners = self.env["res.partner"].browse(docids)
        partners.check_access("read")
        return {
            "doc_ids": docids,
            "doc_model": "res.partner",
            "docs": partners,
            "statements": {partner.id: self._statement(partner) for partner in partners},
            "today": fields.Date.context_today(self),
        }

    @api.model
    def _statement(self, partner):
        """The statement of one partner as a dict of plain values (also used by tests)."""
        Claim = self.env["g2p.insurance.claim"].sudo()
        covers = (
            self.env["g2p.insurance.policy"]
            .sudo()
            .search(
                [
                    "|",
                    "|",
                    ("holder_id", "=", partner.id),
                    ("payer_id", "=", partner.id),
                    ("member_ids", "in", partner.ids),
                ],
                order="date_start, id",
            )
        )
        claims = Claim.search(
            ["|", ("holder_id", "=", partner.id), ("member_id", "=", partner.id)],
            order="date_received, id",
        )
        # The party's own lines, plus for a member the family-account lines of their own claims
        # (those carry the holder); never the provider's side of a claim.
        own_claims = claims.filtered(lambda claim: claim.member_id == partner)
        lines = (
            self.env["account.move.line"]
            .sudo()
            .search(
                [
                    ("parent_state", "=", "posted"),
                    ("account_id.account_type", "not in", SCHEME_SIDE_TYPES),
                    "|",
                    ("move_id.g2p_policy_id", "!=", False),
                    ("move_id.g2p_claim_id", "!=", False),
                    "|",
                    ("partner_id", "=", partner.id),
                    ("move_id.g2p_claim_id", "in", own_claims.ids),
                ],
                order="date, move_id, id",
            )
        )
        lines = lines.filtered(
            lambda line: line.partner_id == partner or line.partner_id == line.move_id.g2p_claim_id.holder_id
        )
        currency = covers[:1].currency_id or self.env.company.currency_id
        balance = 0.0
        movements = []
        for line in lines:
            balance = currency.round(balance + line.balance)
            movements.append(
                {
                    "date": line.date,
                    "entry": line.move_id.name,
                    "reference": (line.move_id.g2p_claim_id or line.move_id.g2p_policy_id).name,
                    "description": line.move_id.ref or line.name or "",
                    "account": line.account_id.display_name,
                    "debit": line.debit,
                    "credit": line.credit,
                    "balance": balance,
                }
            )
        decided = claims.filtered(lambda claim: claim.state in ("approved", "paid", "rejected"))
        pending = claims - decided
        excess_due = sum(
            claim.excess_amount for claim in decided if claim.excess_amount and not claim.excess_collected
        )
        paid_by_partner = covers.filtered(lambda cover: cover.premium_partner_id == partner)
        dates = [line.date for line in lines] + [c.date_received for c in claims if c.date_received]
        return {
            "partner": partner,
            "currency": currency,
            "covers": covers,
            "claims": claims,
            "movements": movements,
            "balance": balance,
            "premium_due": currency.round(sum(paid_by_partner.mapped("premium_residual"))),
            "excess_due": currency.round(excess_due),
            "pending_count": len(pending),
            "pending_amount": currency.round(sum(pending.mapped("claimed_amount"))),
            "covered_amount": currency.round(sum(decided.mapped("approved_amount"))),
            "last_activity": max(dates) if dates else False,
        }
