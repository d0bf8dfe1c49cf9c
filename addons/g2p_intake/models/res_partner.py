from odoo import _, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    intake_record_count = fields.Integer(
        compute="_compute_intake_record_count", groups="g2p_registry.group_g2p_registrar"
    )

    def _intake_record_domain(self):
        return ["|", ("household_id", "in", self.ids), ("individual_ids", "in", self.ids)]

    def _compute_intake_record_count(self):
        Record = self.env["g2p.intake.record"]
        for partner in self:
            partner.intake_record_count = (
                Record.search_count(partner._intake_record_domain())
                if partner.is_registrant and partner.id
                else 0
            )

    def action_open_intake_records(self):
        self.ensure_one()
        records = self.env["g2p.intake.record"].search(self._intake_record_domain())
        action = {
            "type": "ir.actions.act_window",
            "name": _("Intake Records"),
            "res_model": "g2p.intake.record",
            "view_mode": "list,form",
            "domain": [("id", "in", records.ids)],
        }
        if len(records) == 1:
            action.update(view_mode="form", res_id=records.id)
        return action

    # ------------------------------------------------------------------ privacy

    def _g2p_privacy_records(self):
        """The staging records this registrant came from or was matched with."""
        return (
            self.env["g2p.intake.record"]
            .sudo()
            .search(
                [
                    "|",
                    "|",
                    "|",
                    ("household_id", "=", self.id),
                    ("individual_ids", "in", self.ids),
                    ("created_partner_ids", "in", self.ids),
                    ("candidate_ids", "in", self.ids),
                ]
            )
        )

    def _g2p_privacy_sources(self):
        """Each staging record (ODK submission, file row, normalised JSON) the registrant's data
        came from: its source, its id at the source, when it was submitted and by whom."""
        sources = super()._g2p_privacy_sources()
        states = dict(self.env["g2p.intake.record"]._fields["state"]._description_selection(self.env))
        for record in self._g2p_privacy_records():
            created = self in record.created_partner_ids
            sources.append(
                {
                    "kind": _("Intake: %s", record.source_id.display_name),
                    "reference": record.external_id,
                    "date": record.submitted_date or record.received_date,
                    "user": record.submitter or record.create_uid.name,
                    "detail": _(
                        "%(type)s, received %(received)s, %(state)s: %(what)s",
                        type=dict(record.source_id._fields["code"]._description_selection(self.env)).get(
                            record.source_id.code, record.source_id.code
                        ),
                        received=fields.Datetime.to_string(record.received_date),
                        state=states.get(record.state, record.state),
                        what=_("created this registrant") if created else _("updated or matched it"),
                    ),
                }
            )
        return sources

    def _g2p_creation_channel(self):
        if (
            self.env["g2p.intake.record"]
            .sudo()
            .search_count([("created_partner_ids", "in", self.ids)], limit=1)
        ):
            return _("Intake (see the intake records below)")
        return super()._g2p_creation_channel()

    def _g2p_erase_more(self, values, erased):
        """The staging records keep the raw payload the registrant came in: its personal values are
        replaced by [erased] in the payload, its history, the label and the records' messages (the
        other members of a household record keep theirs). The files of a record that concerns this
        registrant alone are deleted."""
        super()._g2p_erase_more(values, erased)
        records = self._g2p_privacy_records().with_context(
            tracking_disable=True, mail_notrack=True, intake_edit=True
        )
        for record in records:
            record.write(
                {
                    fname: self._g2p_scrub(record[fname], values)
                    for fname in ("payload", "payload_history", "label")
                    if record[fname]
                }
            )
            alone = not (record.household_id | record.individual_ids | record.created_partner_ids) - self
            if alone and record.attachment_ids:
                erased[_("intake files")] = erased.get(_("intake files"), 0) + len(record.attachment_ids)
                record.attachment_ids.unlink()
        messages = (
            self.env["mail.message"]
            .sudo()
            .search([("model", "=", "g2p.intake.record"), ("res_id", "in", records.ids)])
        )
        for message in messages:
            body = self._g2p_scrub(message.body, values)
            if body != message.body:
                message.body = body
        erased[_("intake records scrubbed")] = len(records)
