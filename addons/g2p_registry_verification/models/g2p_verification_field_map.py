from odoo import api, fields, models

from ..const import COMPARISONS, DEFAULT_COMPARISON, REGISTRANT_FIELDS
from ..tools.soap_client import as_date
from .g2p_verification_service import fold


class G2pVerificationFieldMap(models.Model):
    """One field of the registry's answer compared with one field of the registrant."""

    _name = "g2p.verification.field.map"
    _description = "Civil Registry Answer Field"
    _order = "sequence, id"

    service_id = fields.Many2one("g2p.verification.service", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    answer_path = fields.Char(
        string="Answer Field", required=True, help="Dotted path in the answer, e.g. person.familyName."
    )
    registrant_field = fields.Selection(REGISTRANT_FIELDS, required=True)
    comparison = fields.Selection(
        COMPARISONS,
        required=True,
        compute="_compute_comparison",
        store=True,
        readonly=False,
        precompute=True,
    )

    @api.depends("registrant_field")
    def _compute_comparison(self):
        for line in self:
            line.comparison = DEFAULT_COMPARISON.get(line.registrant_field, "text")

    @api.depends("registrant_field")
    def _compute_display_name(self):
        labels = dict(self._fields["registrant_field"]._description_selection(self.env))
        for line in self:
            line.display_name = labels.get(line.registrant_field, line.answer_path)

    def _same(self, ours, theirs):
        """Whether the registrant's value ``ours`` and the registry's ``theirs`` agree."""
        self.ensure_one()
        if self.comparison == "date":
            return as_date(ours) == as_date(theirs)
        if self.comparison == "initial":
            return fold(ours)[:1] == fold(theirs)[:1]
        return fold(ours) == fold(theirs)
