import logging

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..const import BULK_CHUNK, VERIFICATION_STATES
from ..tools.soap_client import VerificationCallError
from odoo.addons.g2p_registry.tools.notify import notification

_logger = logging.getLogger(__name__)


class G2pRegistrantId(models.Model):
    _inherit = "g2p.registrant.id"

    verification_state = fields.Selection(
        VERIFICATION_STATES,
        string="Civil Registry",
        default="unverified",
        required=True,
        copy=False,
        index=True,
    )
    verification_date = fields.Datetime(string="Verified On", readonly=True, copy=False)
    verification_service_id = fields.Many2one(
        "g2p.verification.service", string="Verified By", readonly=True, copy=False, ondelete="set null"
    )
    verification_note = fields.Text(string="Verification Result", readonly=True, copy=False)

    def write(self, vals):
        # A new number or type is a new identity to verify.
        if {"value", "id_type_id"} & set(vals) and "verification_state" not in vals:
            changed = self.filtered(
                lambda r: ("value" in vals and r.value != self._normalize_value(vals["value"]))
                or ("id_type_id" in vals and r.id_type_id.id != vals["id_type_id"])
            )
            result = super().write(vals)
            changed.write(
                {"verification_state": "unverified", "verification_date": False, "verification_note": False}
            )
            return result
        return super().write(vals)

    def action_verify(self):
        """Verify these IDs now against their type's civil registry service; tells how it went."""
        counts = self._verify()
        if len(self) == 1 and counts.get("error"):
            raise UserError(self.verification_note)
        labels = dict(VERIFICATION_STATES)
        message = ", ".join("%s: %s" % (labels[state], count) for state, count in counts.items() if count)
        kind = "warning" if set(counts) - {"verified"} else "success"
        return notification(_("Civil registry verification"), message, kind)

    def _services(self):
        """{ID: the service that verifies it (may be empty)}, one search per ID type and company."""
        Service = self.env["g2p.verification.service"]
        by_key = {}
        services = {}
        for reg_id in self:
            key = (reg_id.id_type_id, reg_id.company_id or self.env.company)
            if key not in by_key:
                by_key[key] = Service._for_id_type(*key)
            services[reg_id] = by_key[key]
        return services

    def _verify(self):
        """Ask the registry about each ID and record the outcome; returns {state: count}. One call
        per ID (the services verify one number per request); an ID whose type has no service
        is refused before anything is asked."""
        self.check_access("write")
        services = self._services()
        for reg_id, service in services.items():
            if not service:
                raise UserError(
                    _(
                        "No civil registry service verifies %(type)s (ID %(number)s).",
                        type=reg_id.id_type_id.name,
                        number=reg_id.value,
                    )
                )
        counts = {}
        for reg_id, service in services.items():
            try:
                state, note = service._judge(reg_id, service._ask(reg_id))
            except VerificationCallError as error:
                state, note = "error", str(error)
                # The error's kind and message only: never the envelope (credentials, personal data).
                _logger.warning(
                    "Civil registry verification of ID %s failed: %s (%s)", reg_id.id, error.kind, note
                )
            reg_id.sudo().write(
                {
                    "verification_state": state,
                    "verification_date": fields.Datetime.now(),
                    "verification_service_id": service.id,
                    "verification_note": note,
                }
            )
            reg_id.partner_id.message_post(
                body=_(
                    "%(type)s %(number)s checked with %(service)s: %(state)s. %(note)s",
                    type=reg_id.id_type_id.name,
                    number=reg_id.value,
                    service=service.name,
                    state=dict(VERIFICATION_STATES)[state],
                    note=note,
                ),
                subtype_xmlid="mail.mt_note",
            )
            counts[state] = counts.get(state, 0) + 1
        return counts

    def _enqueue_verification(self):
        """Verify these IDs in background jobs of ``BULK_CHUNK`` each (channel
        root.g2p.verification); returns the number of jobs."""
        ids = self.ids
        jobs = 0
        for start in range(0, len(ids), BULK_CHUNK):
            chunk = self.browse(ids[start : start + BULK_CHUNK])
            chunk.with_delay(description=_("Verify %s IDs with the civil registry", len(chunk)))._verify_job()
            jobs += 1
        return jobs

    def _verify_job(self):
        """Job: verify the IDs still there (deleted ones are skipped); an ID whose type lost its
        service is recorded as an error instead of failing the whole chunk."""
        existing = self.exists()
        services = existing._services()
        verifiable = existing.filtered(lambda r: services[r])
        (existing - verifiable).sudo().write(
            {
                "verification_state": "error",
                "verification_note": _("No civil registry service verifies this ID type."),
            }
        )
        counts = verifiable._verify() if verifiable else {}
        return ", ".join("%s %s" % (count, state) for state, count in counts.items()) or "nothing to verify"
