from odoo import fields, models


class G2pProgramMembership(models.Model):
    _inherit = "g2p.program.membership"

    # Where a proposal came from, as fields rather than a note on each membership: free to write
    # in the one create of a batch (a note each would cost more than the proposals themselves).
    intake_record_id = fields.Many2one(
        "g2p.intake.record",
        string="Proposing Record",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        # Staging records are the registrars' (program managers read intake_origin).
        groups="g2p_registry.group_g2p_registrar",
        help="The registry intake staging record that proposed this registrant for enrolment.",
    )
    intake_origin = fields.Char(
        string="Proposed By",
        readonly=True,
        copy=False,
        help="The registry intake source and record that proposed this registrant for enrolment.",
    )
