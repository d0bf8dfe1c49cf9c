import json

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..exceptions import IntakeError


class G2pIntakeSource(models.Model):
    """Where external records come from. Each source type (ODK Central, files, …) adds its value to
    ``code`` and its own model that ``_inherits`` this one, the way payment providers extend
    ``payment.provider``. Staging records always point here, whatever the type."""

    _name = "g2p.intake.source"
    _description = "Registry Intake Source"
    _order = "name, id"

    name = fields.Char(required=True)
    code = fields.Selection(
        [("manual", "Normalised households (JSON)")],
        string="Source Type",
        required=True,
        default="manual",
        readonly=True,
        help="The kind of source. Records of a 'normalised households' source already carry the "
        "household in the intake's own JSON shape.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    country_id = fields.Many2one(
        "res.country",
        string="Default Country",
        help="Phone numbers without a country prefix are read in this country. Empty: the company's country.",
    )
    record_ids = fields.One2many("g2p.intake.record", "source_id", string="Staging Records")
    record_count = fields.Integer(compute="_compute_record_counts")
    error_count = fields.Integer(compute="_compute_record_counts")
    duplicate_count = fields.Integer(compute="_compute_record_counts")

    def _compute_record_counts(self):
        counts = {
            (source.id, state): count
            for source, state, count in self.env["g2p.intake.record"]._read_group(
                [("source_id", "in", self.ids)], ["source_id", "state"], ["__count"]
            )
        }
        for source in self:
            source.record_count = sum(c for (sid, _state), c in counts.items() if sid == source.id)
            source.error_count = counts.get((source.id, "error"), 0)
            source.duplicate_count = counts.get((source.id, "duplicate"), 0)

    def _intake_country(self):
        self.ensure_one()
        return self.country_id or self.company_id.country_id or self.env.company.country_id

    # ------------------------------------------------------------------ hooks per source type

    def _intake_normalise(self, record):
        """The normalised household of staging ``record`` (see ``g2p.intake.service._apply``).
        Each source type overrides this for its own code and calls ``super()`` otherwise; raise
        ``IntakeError(field, message)`` for a value that cannot be read."""
        self.ensure_one()
        try:
            payload = json.loads(record.payload or "{}")
        except ValueError as e:
            raise IntakeError("payload", _("The payload is not valid JSON: %s", e)) from e
        return payload

    # ------------------------------------------------------------------ actions

    def action_open_records(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("g2p_intake.action_g2p_intake_record")
        state = self.env.context.get("intake_state")
        action["domain"] = [("source_id", "=", self.id)]
        action["context"] = {
            "default_source_id": self.id,
            **({"search_default_" + state: 1} if state else {}),
        }
        action["display_name"] = _("Staging: %s", self.name)
        return action

    @api.ondelete(at_uninstall=False)
    def _unlink_except_with_records(self):
        if self.sudo().record_ids:
            raise UserError(
                _("A source with staging records cannot be deleted; archive it instead (nothing is deleted).")
            )
