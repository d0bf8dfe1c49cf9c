from odoo import _, http
from odoo.http import request

from ..models.g2p_voucher import AGENT_GROUP, VoucherRefused


class G2pVoucherController(http.Controller):
    """The pay-point agent's page: a server-rendered QWeb page in the agent's session, so it works
    in any phone browser without the back-office client; a small script adds the camera scan
    where the browser has BarcodeDetector. Each step is a plain form post (CSRF-protected): type
    or scan the code, check the person, confirm. Confirming twice (a double tap, or Odoo replaying
    the request after a serialization conflict) pays once: the second sees the voucher redeemed."""

    def _render(self, **values):
        return request.render(
            "g2p_voucher.redeem_page",
            {"title": _("Redeem a Voucher"), "agent": request.env.user, **values},
        )

    def _is_agent(self):
        return request.env.user.has_group(AGENT_GROUP)

    def _person(self, voucher):
        """What the agent checks: the voucher's names, number, amount and photo (the registrant
        is read for the photo only, after the voucher passed the agent's record rules)."""
        person = voucher.payroll_line_id.recipient_id or voucher.beneficiary_id
        image = person.image_256
        return {
            "voucher": voucher,
            "photo": "data:image/png;base64,%s" % image.decode() if image else False,
            "amount": voucher._format_amount(),
        }

    @http.route("/g2p/voucher", type="http", auth="user", methods=["GET"])
    def page(self, code=None, **kwargs):
        if not self._is_agent():
            return self._render(error=_("This page is for pay-point agents."), step="denied")
        if code:
            return self.check(code=code)
        return self._render(step="scan")

    @http.route("/g2p/voucher/check", type="http", auth="user", methods=["POST", "GET"])
    def check(self, code=None, **kwargs):
        if not self._is_agent():
            return self._render(error=_("This page is for pay-point agents."), step="denied")
        try:
            voucher = request.env["g2p.voucher"]._find_for_code(code or "")
        except VoucherRefused as refusal:
            return self._render(step="scan", error=str(refusal), code=code)
        return self._render(step="check", code=code, **self._person(voucher))

    @http.route("/g2p/voucher/confirm", type="http", auth="user", methods=["POST"])
    def confirm(self, code=None, **kwargs):
        if not self._is_agent():
            return self._render(error=_("This page is for pay-point agents."), step="denied")
        try:
            # A refusal leaves nothing behind: whatever the redemption wrote is rolled back.
            with request.env.cr.savepoint():
                voucher = request.env["g2p.voucher"]._redeem(code or "")
        except VoucherRefused as refusal:
            return self._render(step="scan", error=str(refusal), code=code)
        return self._render(step="done", **self._person(voucher))
