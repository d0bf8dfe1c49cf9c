"""Privacy view and erasure of a registrant, with the accesses it lists made for real: a list
export, FHIR reads and a FHIR bulk export over HTTP."""

import base64

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import FhirHttpCase
from odoo.addons.queue_job.tests.common import trap_jobs

ASYNC = {"Prefer": "respond-async"}


@tagged("post_install", "-at_install")
class TestPrivacy(FhirHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.g2p_admin = new_test_user(
            cls.env, "privacy_admin", groups="g2p_registry.group_g2p_admin,base.group_allow_export"
        )
        cls.registrar = cls.users["registrar"]
        psp = cls.env["res.partner"].create(
            {
                "name": "Privacy Wallet Co",
                "is_company": True,
                "is_psp": True,
                "psp_mechanism_ids": [
                    (6, 0, cls.env["g2p.payment.mechanism"].search([("code", "=", "mobile_wallet")]).ids)
                ],
            }
        )
        cls.person = cls.make_individual(
            "Zawadi",
            "Kiprotich",
            nid="73519024",
            birthdate="1991-07-14",
            gender="female",
            email="zawadi.k@example.org",
            street="Plot 12 Oloo Road",
            phone_number_ids=[(0, 0, {"phone_number": "+254711223344"})],
            payment_account_ids=[
                (0, 0, {"account_type": "mobile_wallet", "provider_id": psp.id, "msisdn": "+254711223344"})
            ],
        )
        cls.env["ir.attachment"].create(
            {
                "name": "id-card.png",
                "raw": base64.b64decode(
                    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
                ),
                "res_model": "res.partner",
                "res_id": cls.person.id,
            }
        )
        cls.person.message_post(body="Visited Zawadi Kiprotich at Plot 12 Oloo Road")

    def _request(self, user, reason="The registrant withdrew consent (letter of 2 May)."):
        return (
            self.env["g2p.erasure.request"]
            .with_user(user)
            .create({"partner_id": self.person.id, "reason": reason})
        )

    def _logs(self, channel):
        return self.env["g2p.registrant.access.log"].search(
            [("partner_id", "=", self.person.id), ("channel", "=", channel)]
        )

    def test_privacy_view_lists_sources_and_export_accesses(self):
        # A list export from the back office (the web client's export calls export_data).
        self.env["res.partner"].with_user(self.g2p_admin).search([("id", "=", self.person.id)]).export_data(
            ["name", "birthdate"]
        )
        # FHIR reads and a bulk export by the API user.
        status, body = self.fhir_get("/Patient/%s" % self.person.id)
        self.assertEqual(status, 200, body)
        status, body = self.fhir_get("/Patient", params={"family": "Kiprotich"})
        self.assertEqual(status, 200, body)
        self.assertEqual([e["resource"]["id"] for e in body["entry"]], [str(self.person.id)])
        with trap_jobs() as trap:
            response = self.fhir_request("GET", "/$export", headers=ASYNC, params={"_type": "Patient"})
            self.assertEqual(response.status_code, 202, response.text)
            for job in trap.enqueued_jobs:
                job.recordset = job.recordset.with_env(job.env(cr=self.env.cr))
            trap.perform_enqueued_jobs()
        export = self.env["g2p.fhir.export"].search([("user_id", "=", self.registrar.id)], limit=1)
        self.assertEqual(export.state, "done")

        list_log = self._logs("list_export")
        self.assertEqual(list_log.user_id, self.g2p_admin)
        self.assertEqual(list_log.reference, "name, birthdate")
        self.assertEqual(self._logs("fhir_read").user_id, self.registrar)
        self.assertEqual(self._logs("fhir_search").user_id, self.registrar)
        export_log = self._logs("fhir_export")
        self.assertEqual(export_log.reference, "$export %s" % export.name)
        self.assertEqual(export_log.user_id, self.registrar)
        # Only registrants are logged: every row of the export's log is one of them.
        everyone = self.env["g2p.registrant.access.log"].search([("reference", "=", export_log.reference)])
        self.assertEqual(set(everyone.partner_id.mapped("is_registrant")), {True})

        # The privacy view, as the G2P administrator sees it.
        action = self.person.with_user(self.g2p_admin).action_open_privacy()
        self.assertEqual(action["res_id"], self.person.id)
        partner = self.person.with_user(self.g2p_admin)
        self.assertEqual(len(partner.access_log_ids), 4)
        self.assertEqual(partner.privacy_attachment_ids.mapped("name"), ["id-card.png"])
        self.assertIn("Record created", partner.privacy_sources_html)
        self.assertIn(self.person.registrant_number, partner.privacy_sources_html)
        # A registrar sees the stored data and sources, not who exported it.
        with self.assertRaises(AccessError):
            self.person.with_user(self.registrar).read(["access_log_ids"])

    def test_erase_never_paid(self):
        status, _body = self.fhir_get("/Patient/%s" % self.person.id)
        self.assertEqual(status, 200)
        request = self._request(self.registrar)
        self.assertEqual(request.state, "draft")
        with self.assertRaisesRegex(AccessError, "Only a G2P administrator executes"):
            request.with_user(self.registrar).action_execute()
        self.assertEqual(request.state, "draft")
        self.assertTrue(self.person.active)

        request.with_user(self.g2p_admin).action_execute()
        self.assertEqual(request.state, "done")
        self.assertEqual(request.decided_by_id, self.g2p_admin)
        self.assertEqual(request.requested_by_id, self.registrar)
        self.assertIn("1 IDs", request.erased_summary)
        person = self.person.with_context(active_test=False)
        person.invalidate_recordset()
        self.assertEqual(person.name, "Erased registrant #%s" % person.id)
        self.assertFalse(person.active)
        self.assertEqual(person.registrant_state, "disabled")
        for fname in ("given_name", "family_name", "birthdate", "gender", "email", "street", "image_1920"):
            self.assertFalse(person[fname], fname)
        self.assertFalse(person.reg_id_ids or person.phone_number_ids or person.payment_account_ids)
        self.assertFalse(
            self.env["ir.attachment"].search([("res_model", "=", "res.partner"), ("res_id", "=", person.id)])
        )
        # No message or tracking value keeps an old value; the erasure note names the request.
        messages = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", person.id)]
        )
        text = " ".join(messages.mapped("body")) + " ".join(
            messages.tracking_value_ids.mapped(lambda t: "%s %s" % (t.old_value_char, t.new_value_char))
        )
        for old in ("Zawadi", "Kiprotich", "Oloo", "73519024", "711223344", "1991-07-14"):
            self.assertNotIn(old, text)
        self.assertIn(request.name, text)
        # Searching by the old name or ID finds nothing, even among archived contacts.
        Partner = self.env["res.partner"].with_context(active_test=False)
        self.assertFalse(Partner.search([("name", "ilike", "Kiprotich")]))
        self.assertFalse(Partner.search([("reg_id_ids.value", "=", "73519024")]))
        self.assertFalse(self.env["g2p.registrant.id"].search([("value", "=", "73519024")]))
        # The FHIR API no longer returns it, nor finds it by its old values.
        status, body = self.fhir_get("/Patient/%s" % person.id)
        self.assertEqual(status, 404, body)
        for params in ({"family": "Kiprotich"}, {"identifier": "%s|73519024" % self.id_system}):
            status, body = self.fhir_get("/Patient", params=params)
            self.assertEqual(status, 200, body)
            self.assertFalse(body.get("entry"), params)
        # The audit record stays: who asked, who executed, why.
        self.assertEqual(request.registrant_number, person.registrant_number)
        self.assertIn("withdrew consent", request.reason)
        # Executed once: a repeat is a no-op, not a second erasure.
        request.with_user(self.g2p_admin).action_execute()
        self.assertEqual(request.state, "done")

    def test_refuse_with_posted_entries_and_one_request_at_a_time(self):
        request = self._request(self.g2p_admin)
        with self.assertRaises(IntegrityError), self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
            self._request(self.registrar)
        # Money on the registrant's account in the ledger: an accounting record, kept by law.
        journal = self.env["account.journal"].search(
            [("type", "=", "general"), ("company_id", "=", self.company.id)], limit=1
        )
        accounts = self.env["account.account"].search([("company_ids", "in", self.company.id)], limit=2)
        move = self.env["account.move"].create(
            {
                "journal_id": journal.id,
                "line_ids": [
                    (0, 0, {"account_id": accounts[0].id, "debit": 10, "partner_id": self.person.id}),
                    (0, 0, {"account_id": accounts[1].id, "credit": 10}),
                ],
            }
        )
        move.action_post()
        request.with_user(self.g2p_admin).action_execute()
        self.assertEqual(request.state, "refused")
        self.assertIn("1 posted journal items (%s)" % move.name, request.refusal_reason)
        self.assertIn("must be kept by law", request.refusal_reason)
        self.assertEqual(self.person.name, "Zawadi Kiprotich")
        self.assertTrue(self.person.reg_id_ids)
        with self.assertRaises(AccessError):
            request.with_user(self.registrar).write({"state": "done"})
