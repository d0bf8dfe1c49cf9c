from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.notify import notification

ADMIN_GROUP = "g2p_registry.group_g2p_admin"
ERASURE_STATES = [("draft", "Requested"), ("done", "Erased"), ("refused", "Refused")]


class G2pErasureRequest(models.Model):
    """A request to erase a registrant's personal data (the right to erasure), and its outcome.

    Registry staff request it with a reason; a G2P administrator executes it (maker-checker: a
    registrar cannot). A registrant with payment history is refused, with the payments named:
    financial records are kept by law. Otherwise the personal data is anonymised
    (:meth:`res.partner._g2p_erase`) and the registrant archived. The request itself stays as the
    audit record of the erasure: who asked and why, who executed it and when, what was erased.
    It names the registrant only by the registrant number, never by personal data."""

    _name = "g2p.erasure.request"
    _description = "Registrant Erasure Request"
    _inherit = ["mail.thread", "g2p.state.mixin"]
    _order = "id desc"

    name = fields.Char(string="Reference", readonly=True, copy=False, default=lambda self: _("New"))
    # Not tracked: a tracking value would keep the registrant's name in the chatter.
    partner_id = fields.Many2one(
        "res.partner",
        string="Registrant",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        domain=[("is_registrant", "=", True)],
    )
    registrant_number = fields.Char(
        readonly=True, help="The registry number of the registrant, kept as the reference of the erasure."
    )
    reason = fields.Text(required=True, help="Why the registrant's personal data is to be erased.")
    state = fields.Selection(ERASURE_STATES, default="draft", required=True, readonly=True, tracking=True)
    requested_by_id = fields.Many2one(
        "res.users", string="Requested By", readonly=True, default=lambda self: self.env.user
    )
    request_date = fields.Datetime(string="Requested On", readonly=True, default=fields.Datetime.now)
    decided_by_id = fields.Many2one("res.users", string="Executed By", readonly=True)
    decided_date = fields.Datetime(string="Executed On", readonly=True)
    refusal_reason = fields.Text(readonly=True, help="Why the registrant could not be erased.")
    erased_summary = fields.Text(string="Erased", readonly=True, help="What was removed or anonymised.")
    company_id = fields.Many2one("res.company", readonly=True, default=lambda self: self.env.company)

    _one_open_request = models.UniqueIndex(
        "(partner_id) WHERE state = 'draft'", "This registrant already has an erasure request waiting."
    )

    @api.model_create_multi
    def create(self, vals_list):
        Partner = self.env["res.partner"]
        for vals in vals_list:
            # Whatever the client sends, a request starts requested, by its author.
            for fname in ("state", "decided_by_id", "decided_date", "refusal_reason", "erased_summary"):
                vals.pop(fname, None)
            vals["requested_by_id"] = self.env.uid
            vals["request_date"] = fields.Datetime.now()
            partner = Partner.browse(vals.get("partner_id")).exists()
            if not partner.is_registrant:
                raise UserError(_("Only a registrant's personal data is erased through an erasure request."))
            vals["registrant_number"] = partner.sudo().registrant_number
            if vals.get("name", _("New")) == _("New"):
                vals["name"] = self.env["ir.sequence"].sudo().next_by_code("g2p.erasure.request") or _("New")
        return super().create(vals_list)

    def write(self, vals):
        # State and outcome change through the actions only (they write with sudo).
        if not self.env.su and vals.keys() - {"reason"}:
            raise AccessError(_("An erasure request changes only through its actions."))
        if not self.env.su and any(request.state != "draft" for request in self):
            raise UserError(_("An executed or refused erasure request is kept as it is."))
        return super().write(vals)

    def action_submit(self):
        """The request dialog's button: the request is saved; open it."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_execute(self):
        """Erase the registrants of the waiting requests, or refuse the requests of those with
        payment history (with the reason). G2P administrators only."""
        if not self.env.user.has_group(ADMIN_GROUP):
            raise AccessError(
                _("Only a G2P administrator executes an erasure request; registry staff may request one.")
            )
        requests = self._g2p_transition_todo("done", {"draft"}, why=_("It was already decided."))
        done = refused = self.browse()
        for request in requests.sudo():
            partner = request.partner_id.with_context(active_test=False)
            blockers = partner._g2p_erasure_blockers()
            decided = {"decided_by_id": self.env.uid, "decided_date": fields.Datetime.now()}
            if blockers:
                why = _(
                    "%(number)s has %(what)s, which must be kept by law: the registrant is not erased.",
                    number=request.registrant_number or partner.id,
                    what="; ".join(blockers),
                )
                request._g2p_transition("refused", {"draft"}, {**decided, "refusal_reason": why})
                request.message_post(body=_("Refused: %s", why))
                refused |= request
            else:
                summary = partner._g2p_erase(request)
                request._g2p_transition("done", {"draft"}, {**decided, "erased_summary": summary})
                request.message_post(body=_("Personal data erased: %s", summary))
                done |= request
        if len(self) == 1 and refused:
            return notification(_("Erasure refused"), refused.refusal_reason, kind="warning")
        if len(self) == 1 and done:
            return notification(
                _("Registrant erased"),
                _("The personal data of %s is erased and the registrant archived.", done.registrant_number),
            )
        return notification(
            _("Erasure requests"),
            _("%(done)s erased, %(refused)s refused.", done=len(done), refused=len(refused)),
            kind="warning" if refused else "success",
        )
