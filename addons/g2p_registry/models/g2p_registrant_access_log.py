from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.sql import pg_array

ACCESS_CHANNELS = [("list_export", "List Export")]


class G2pRegistrantAccessLog(models.Model):
    """Who read a registrant's data out of the registry: a list export from the back office, an
    API read or a bulk export (other addons add their channels). Rows are only ever added, one
    ``INSERT … SELECT`` per export whatever its size (see :meth:`_g2p_log_access`); nobody edits
    or deletes them through the ORM."""

    _name = "g2p.registrant.access.log"
    _description = "Registrant Data Access"
    _order = "access_date desc, id desc"

    partner_id = fields.Many2one(
        "res.partner", string="Registrant", required=True, readonly=True, index=True, ondelete="cascade"
    )
    user_id = fields.Many2one("res.users", string="Accessed By", required=True, readonly=True, index=True)
    access_date = fields.Datetime(string="Accessed On", required=True, readonly=True)
    channel = fields.Selection(ACCESS_CHANNELS, required=True, readonly=True)
    reference = fields.Char(
        readonly=True,
        help="What was exported: the export's id, the API request, the fields of a list export.",
    )

    @api.model
    def _g2p_log_access(self, partner_ids, channel, reference=None):
        """Log that the current user accessed ``partner_ids`` (registrants among them; other
        contacts are left out) through ``channel``: one INSERT for the whole set. Returns the
        number of rows logged."""
        partner_ids = list({pid for pid in partner_ids if pid})
        if not partner_ids:
            return 0
        self.env["res.partner"].flush_model(["is_registrant"])
        self.env.cr.execute(
            SQL(
                """INSERT INTO g2p_registrant_access_log
                       (partner_id, user_id, access_date, channel, reference,
                        create_uid, create_date, write_uid, write_date)
                   SELECT p.id, %(uid)s, %(now)s, %(channel)s, %(reference)s,
                          %(uid)s, %(now)s, %(uid)s, %(now)s
                     FROM res_partner p
                    WHERE p.id = ANY(%(ids)s::int[]) AND p.is_registrant IS TRUE""",
                uid=self.env.uid,
                now=self.env.cr.now(),
                channel=channel,
                reference=(reference or "")[:500] or None,
                ids=pg_array(partner_ids),
            )
        )
        self.invalidate_model()
        return self.env.cr.rowcount
