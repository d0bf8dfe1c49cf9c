from odoo import api, fields, models
from odoo.exceptions import ValidationError


class G2pIntakeSource(models.Model):
    _inherit = "g2p.intake.source"
    _check_company_auto = True

    program_id = fields.Many2one(
        "g2p.program",
        string="Propose Enrolment In",
        check_company=True,
        index="btree_not_null",
        ondelete="set null",
        domain=[("state", "=", "active")],
        help="Optional. The households (or, for a program of individuals, the people) this source "
        "imports are proposed to this program as draft members; a program manager enrols them. "
        "Registrants already members of the program, in any status, are left alone.",
    )

    @api.constrains("program_id", "company_id")
    def _check_program(self):
        # sudo to read the program even when it is of a company the user cannot see: then too the
        # answer must be this message, not an access error.
        for source in self.sudo().filtered("program_id"):
            program = source.program_id
            if program.company_id != source.company_id:
                raise ValidationError(
                    self.env._(
                        "%(intake_source)s cannot propose enrolment in %(program)s: the program belongs to "
                        "%(program_company)s, the source to %(company)s.",
                        intake_source=source.name,
                        program=program.name,
                        program_company=program.company_id.name,
                        company=source.company_id.name,
                    )
                )
            if program.state != "active":
                raise ValidationError(
                    self.env._(
                        "%(intake_source)s cannot propose enrolment in %(program)s: the program is "
                        "%(state)s. Choose an active program, or leave the field empty.",
                        intake_source=source.name,
                        program=program.name,
                        state=dict(program._fields["state"]._description_selection(self.env))[program.state],
                    )
                )
