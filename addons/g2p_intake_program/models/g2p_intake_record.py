import logging

from odoo import models

_logger = logging.getLogger(__name__)


class G2pIntakeRecord(models.Model):
    _inherit = "g2p.intake.record"

    def _intake_after_import(self):
        super()._intake_after_import()
        self._intake_propose_enrolment()

    def _intake_propose_enrolment(self):
        """Propose to the program of their source what the records of ``self`` (just applied, a
        batch at a time) brought to the registry: the household for a program of households, the
        individuals for a program of individuals. Proposals are ``draft`` memberships a program
        manager enrols (or not); registrants already members of the program in any status are left
        alone, so re-processing or re-importing proposes nothing twice. One search and one create
        per program, whatever the number of records. Returns the memberships created."""
        # sudo, on purpose and only for this: the registrar (or the job of a run) who applies the
        # records has no right on program memberships and must not get one. What is created is
        # fixed here, not chosen by that user: the program is the one a G2P administrator set on
        # the source (checked below to be active and of the source's company), the state is
        # always draft (a proposal; enrolling stays the program manager's decision), and the
        # registrants are those the records just became. The user stays the author of the
        # memberships (create_uid) and of the note on the program.
        records = self.sudo().filtered("source_id.program_id")
        Membership = self.env["g2p.program.membership"].sudo()
        proposals = {}  # program: {registrant: the record proposing it}
        for record in records:
            program = record.source_id.program_id
            if program.state != "active" or program.company_id != record.company_id:
                # The constraint on the source refuses these; a program ended since is skipped.
                continue
            registrants = record.household_id if program.target_type == "group" else record.individual_ids
            for registrant in registrants:
                if (
                    registrant.registrant_state == "disabled"
                    or registrant.duplicate_of_id
                    or (registrant.company_id and registrant.company_id != program.company_id)
                ):
                    continue
                proposals.setdefault(program, {}).setdefault(registrant, record)
        skipped = records.source_id.program_id.filtered(lambda p: p not in proposals)
        if skipped:
            _logger.info("Intake: no enrolment proposals for inactive or foreign programs %s", skipped.ids)
        created = Membership
        for program, candidates in proposals.items():
            members = Membership.search_fetch(
                [("program_id", "=", program.id), ("partner_id", "in", [p.id for p in candidates])],
                ["partner_id"],
            )
            known = set(members.partner_id.ids)
            new = [(p, r) for p, r in candidates.items() if p.id not in known]
            if not new:
                continue
            # No "created" message, follower or tracking per membership; where each proposal came
            # from is in its fields, and one note on the program says what the batch proposed.
            proposed = Membership.with_context(tracking_disable=True).create(
                [
                    {
                        "program_id": program.id,
                        "partner_id": p.id,
                        "state": "draft",
                        "intake_record_id": r.id,
                        "intake_origin": "%s / %s" % (r.source_id.name, r.display_label),
                    }
                    for p, r in new
                ]
            )
            program._message_log(
                body=self.env._(
                    "Registry intake: %(count)s registrants proposed for enrolment by %(sources)s "
                    "(draft members: filter Proposed (Draft) in Program Members).",
                    count=len(proposed),
                    sources=", ".join(sorted({r.source_id.name for _p, r in new})),
                )
            )
            _logger.info(
                "Intake: %s registrants proposed for enrolment in program %s", len(proposed), program.id
            )
            created |= proposed
        return created.with_env(self.env)
