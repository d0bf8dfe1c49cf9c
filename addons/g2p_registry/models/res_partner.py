import json

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.translate import LazyTranslate

from ..tools.change_request import CHANGE_REQUEST_APPLY, KEY_FIELDS, needs_review, reviewed_partners
from ..tools.notify import notification

_lt = LazyTranslate(__name__)

REGISTRANT_STATES = [("draft", "Draft"), ("active", "Active"), ("disabled", "Disabled")]
GENDERS = [("female", "Female"), ("male", "Male"), ("other", "Other")]
VALIDATOR_GROUP = "g2p_registry.group_g2p_registry_validator"
ADMIN_GROUP = "g2p_registry.group_g2p_admin"
PSP_FIELDS = {"is_psp", "psp_active", "psp_mechanism_ids"}


class ResPartner(models.Model):
    """Registrants are partners flagged ``is_registrant``: individuals, or groups (households)
    when ``is_group`` is set. PSPs are company partners flagged ``is_psp``."""

    _name = "res.partner"
    _inherit = ["res.partner", "g2p.state.mixin"]
    _g2p_state_field = "registrant_state"
    _g2p_state_label = _lt("Registrant")

    is_registrant = fields.Boolean(index=True, copy=False, default=False)
    is_group = fields.Boolean(string="Is a Household", index=True, default=False)
    registrant_number = fields.Char(
        readonly=True,
        copy=False,
        index=True,
        help="Registry number given on creation (IND-… for individuals, HH-… for households). "
        "Used as the external reference of the registrant, never the database id.",
    )
    registrant_state = fields.Selection(
        REGISTRANT_STATES,
        string="Registry Status",
        default="draft",
        required=True,
        tracking=True,
        index=True,
        copy=False,
        help="A new registrant stays in draft until a registry validator approves it. A disabled "
        "registrant cannot be enrolled in programs or paid until re-enabled.",
    )
    # Not tracked: disabling logs the reason in the chatter in words (tracking an empty value
    # reads "None → …").
    disabled_reason = fields.Text(copy=False)
    disabled_date = fields.Datetime(readonly=True, copy=False)
    disabled_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    approved_date = fields.Datetime(readonly=True, copy=False)
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    registration_date = fields.Date(default=fields.Date.context_today, tracking=True)
    area_id = fields.Many2one(
        "g2p.area",
        string="Area",
        index="btree_not_null",
        ondelete="restrict",
        tracking=True,
        help="Administrative area the registrant lives in. Registrars limited to areas see the "
        "registrants of their areas (and the members of their areas' households).",
    )

    # Individuals
    given_name = fields.Char(tracking=True)
    family_name = fields.Char(tracking=True)
    addl_name = fields.Char(string="Additional Name")
    gender = fields.Selection(GENDERS, tracking=True)
    birthdate = fields.Date(string="Date of Birth", tracking=True)
    birthdate_not_exact = fields.Boolean(help="The date of birth is estimated.")
    age = fields.Integer(compute="_compute_age", search="_search_age", help="Age in whole years today.")
    disability = fields.Boolean(string="Has a Disability", tracking=True)

    duplicate_of_id = fields.Many2one(
        "res.partner",
        string="Duplicate Of",
        readonly=True,
        index="btree_not_null",
        tracking=True,
        copy=False,
        help="Set when a reviewer confirms this registrant duplicates an older one. "
        "Programs do not enrol it.",
    )

    # Households
    group_membership_ids = fields.One2many("g2p.group.membership", "group_id", string="Members")
    individual_membership_ids = fields.One2many("g2p.group.membership", "individual_id", string="Households")
    household_size = fields.Integer(
        compute="_compute_household_size",
        store=True,
        help="Number of current members of the household.",
    )
    head_id = fields.Many2one(
        "res.partner", string="Head of Household", compute="_compute_head_id", store=True, index=True
    )

    # Identity, contact and payment
    reg_id_ids = fields.One2many("g2p.registrant.id", "partner_id", string="Identity Documents")
    phone_number_ids = fields.One2many("g2p.phone.number", "partner_id", string="Phone Numbers")
    payment_account_ids = fields.One2many("g2p.payment.account", "partner_id", string="Payment Accounts")
    default_payment_account_id = fields.Many2one(
        "g2p.payment.account", compute="_compute_default_payment_account_id", string="Default Payment Account"
    )

    # Payment service providers
    is_psp = fields.Boolean(string="Is a Payment Service Provider", index=True, tracking=True)
    psp_active = fields.Boolean(
        string="PSP Active",
        default=True,
        tracking=True,
        help="Money only goes out through a registered PSP that is active.",
    )
    psp_mechanism_ids = fields.Many2many("g2p.payment.mechanism", string="Payment Mechanisms")
    pay_point_ids = fields.One2many("g2p.pay.point", "psp_id", string="Pay Points")

    # Changes to key data, proposed and decided (maker-checker)
    change_request_ids = fields.One2many("g2p.change.request", "partner_id", string="Change Requests")
    pending_change_request_count = fields.Integer(
        compute="_compute_pending_change_request_count", string="Changes to Approve"
    )

    _registrant_number_uniq = models.UniqueIndex(
        "(registrant_number) WHERE registrant_number IS NOT NULL",
        "Registrant numbers must be unique.",
    )
    _disabled_has_reason = models.Constraint(
        "CHECK (registrant_state != 'disabled' OR disabled_reason IS NOT NULL)",
        "A disabled registrant must have a reason.",
    )

    # ------------------------------------------------------------------ computes

    @api.depends("birthdate")
    def _compute_age(self):
        today = fields.Date.context_today(self)
        for partner in self:
            partner.age = relativedelta(today, partner.birthdate).years if partner.birthdate else 0

    def _search_age(self, operator, value):
        """Translate an age condition into a birthdate condition, so it runs in SQL."""
        if operator not in ("=", "!=", "<", "<=", ">", ">=") or not isinstance(value, int):
            return NotImplemented
        today = fields.Date.context_today(self)

        def born_before(age):  # latest birthdate for someone at least `age` years old
            return today - relativedelta(years=age)

        # age >= n  <=>  birthdate <= today - n years;  age < n  <=>  birthdate > today - n years
        if operator == ">=":
            return [("birthdate", "<=", born_before(value))]
        if operator == ">":
            return [("birthdate", "<=", born_before(value + 1))]
        if operator == "<":
            return [("birthdate", ">", born_before(value))]
        if operator == "<=":
            return [("birthdate", ">", born_before(value + 1))]
        in_age = ["&", ("birthdate", "<=", born_before(value)), ("birthdate", ">", born_before(value + 1))]
        return in_age if operator == "=" else ["|", ("birthdate", "=", False), "!", *in_age]

    @api.depends("group_membership_ids.is_current")
    def _compute_household_size(self):
        for partner in self:
            partner.household_size = len(partner.group_membership_ids.filtered("is_current"))

    @api.depends(
        "group_membership_ids.role", "group_membership_ids.is_current", "group_membership_ids.individual_id"
    )
    def _compute_head_id(self):
        for partner in self:
            heads = partner.group_membership_ids.filtered(lambda m: m.is_current and m.role == "head")
            partner.head_id = heads[:1].individual_id

    @api.depends("payment_account_ids.is_default", "payment_account_ids.active")
    def _compute_default_payment_account_id(self):
        for partner in self:
            accounts = partner.payment_account_ids
            partner.default_payment_account_id = accounts.filtered("is_default")[:1] or accounts[:1]

    def _compute_pending_change_request_count(self):
        counts = dict(
            self.env["g2p.change.request"]._read_group(
                [("partner_id", "in", self.ids), ("state", "=", "pending")], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.pending_change_request_count = counts.get(partner._origin, 0)

    # ------------------------------------------------------------------ CRUD

    @api.model
    def default_get(self, fields):
        """A person typed in a household's member field ("Create and edit…") arrives as
        ``default_name``: split it into given, additional and family names for the form."""
        defaults = super().default_get(fields)
        name = (defaults.get("name") or "").split()
        if (
            defaults.get("is_registrant")
            and not defaults.get("is_group")
            and len(name) > 1
            and not (defaults.get("given_name") or defaults.get("family_name"))
            and {"given_name", "family_name"} <= set(fields)
        ):
            defaults["given_name"], defaults["family_name"] = name[0], name[-1]
            if len(name) > 2 and "addl_name" in fields:
                defaults["addl_name"] = " ".join(name[1:-1])
        if defaults.get("is_registrant") and "area_id" in fields and not defaults.get("area_id"):
            defaults["area_id"] = self._default_registrant_area().id
        return defaults

    @api.model
    def _default_registrant_area(self):
        """An area-limited user's registrants are in their (first) area unless said otherwise:
        a registrant without area would vanish from its author's screens."""
        return self.env.user._g2p_limiting_areas()[:1]

    @api.model_create_multi
    def create(self, vals_list):
        default_area = self._default_registrant_area()
        for vals in vals_list:
            self._check_protected_fields(vals, creating=True)
            if default_area and vals.get("is_registrant") and not vals.get("area_id"):
                vals["area_id"] = default_area.id
            if vals.get("is_registrant"):
                if not vals.get("is_group") and not vals.get("name"):
                    vals["name"] = self._individual_display_name(vals)
                if not vals.get("name"):
                    raise ValidationError(_("A household needs a name."))
        # Numbered before the INSERT, a batch per kind: no sequence lookup nor UPDATE per registrant.
        for is_group in (False, True):
            unnumbered = [
                vals
                for vals in vals_list
                if vals.get("is_registrant")
                and not vals.get("registrant_number")
                and bool(vals.get("is_group")) == is_group
            ]
            numbers = self._next_registrant_numbers(is_group, len(unnumbered))
            for vals, number in zip(unnumbered, numbers, strict=True):
                vals["registrant_number"] = number
        if not self.env.su:
            # Before the INSERT: the record rules would refuse it anyway, with a vaguer message.
            for vals in vals_list:
                if vals.get("is_registrant"):
                    self._check_user_area(vals.get("area_id"))
        # The IDs, phones, accounts and memberships given with a new registrant are part of its
        # creation, not changes to an approved registrant (an import may create it active).
        partners = super(ResPartner, self.with_context(**{CHANGE_REQUEST_APPLY: True})).create(vals_list)
        return partners.with_env(self.env)

    def write(self, vals):
        if needs_review(self.env) and vals.keys() & set(KEY_FIELDS):
            reviewed = self._g2p_reviewed_for(vals)
            if reviewed:
                return self._g2p_write_proposing(vals, reviewed)
        self._check_protected_fields(vals)
        if not self.env.su and "area_id" in vals and any(self.mapped("is_registrant")):
            self._check_user_area(vals["area_id"])
        res = super().write(vals)
        if {"given_name", "family_name", "addl_name"} & vals.keys() and "name" not in vals:
            for partner in self.filtered(lambda p: p.is_registrant and not p.is_group):
                name = partner._individual_display_name(
                    {f: partner[f] for f in ("given_name", "family_name", "addl_name")}
                )
                if name and name != partner.name:
                    super(ResPartner, partner).write({"name": name})
        if vals.get("is_registrant"):
            self.filtered(lambda p: not p.registrant_number)._assign_registrant_number()
        return res

    # ------------------------------------------------------------------ change requests

    def _g2p_reviewed_for(self, vals):
        """The registrants of ``self`` whose key data in ``vals`` must be proposed: approved ones,
        and any of them joining, changing or leaving an approved household (or person)."""
        reviewed = reviewed_partners(self)
        for fname, other in (
            ("group_membership_ids", "individual_id"),
            ("individual_membership_ids", "group_id"),
        ):
            if (
                fname in vals
                and reviewed != self
                and reviewed_partners(self._g2p_membership_counterparts(vals[fname], other))
            ):
                return self.filtered("is_registrant")
        return reviewed

    def _g2p_membership_counterparts(self, commands, other):
        """The households (``other`` = group_id) or people of the membership ``commands``."""
        Membership = self.env["g2p.group.membership"].sudo()
        ids = set()
        for command in commands or []:
            if not isinstance(command, list | tuple) or not command:
                continue
            if command[0] in (0, 1) and command[2].get(other):
                ids.add(command[2][other])
            if command[0] in (1, 2, 3, 4):
                ids.update(Membership.browse(command[1]).exists()[other].ids)
        return self.env["res.partner"].browse(ids)

    def _g2p_write_proposing(self, vals, reviewed):
        """Write ``vals`` except the key data of ``reviewed``, which is proposed as one change
        request per registrant; the user is told which."""
        key_vals = {fname: vals[fname] for fname in KEY_FIELDS if fname in vals}
        if self - reviewed:
            (self - reviewed).write(vals)
        other_vals = {fname: value for fname, value in vals.items() if fname not in key_vals}
        if other_vals:
            reviewed.write(other_vals)
        # The same change saved (or imported) again while it awaits approval is not proposed twice.
        pending = self.env["g2p.change.request"].search(
            [("partner_id", "in", reviewed.ids), ("state", "=", "pending")]
        )
        to_propose = []
        for partner in reviewed:
            changes = partner._g2p_key_changes(key_vals)
            if changes and not pending.filtered(
                lambda r, p=partner, c=changes: r.partner_id == p and r.changes == c
            ):
                to_propose.append({"partner_id": partner.id, "changes": changes})
        requests = self.env["g2p.change.request"].create(to_propose)
        if requests:
            self.env.user._bus_send(
                "simple_notification",
                {
                    "type": "warning",
                    "title": _("Change proposed for approval"),
                    "message": _(
                        "%(who)s is approved, so the change to its key data is proposed as %(names)s: "
                        "a registry validator applies it when approving it. The other changes are saved.",
                        who=", ".join(requests[:5].partner_id.mapped("display_name")),
                        names=", ".join(requests[:5].mapped("name")),
                    ),
                },
            )
        return True

    def _g2p_requests_proposed_now(self):
        """The change requests this transaction proposed for these registrants (a save, an
        intake record, a FHIR update tells its caller which)."""
        return self.env["g2p.change.request"].search(
            [
                ("partner_id", "in", self.ids),
                ("state", "=", "pending"),
                ("create_date", "=", self.env.cr.now()),
            ]
        )

    def _g2p_key_changes(self, vals):
        """The key data of ``vals`` that would change this registrant, JSON-ready (dates in ISO
        form): unchanged values are left out, and so is an individual's name (made of the names)."""
        self.ensure_one()
        changes = {}
        for fname in KEY_FIELDS:
            if fname not in vals or (fname == "name" and not self.is_group):
                continue
            field, value = self._fields[fname], vals[fname]
            if field.type == "one2many":
                if value:
                    changes[fname] = value
            elif field.convert_to_cache(value, self) != field.convert_to_cache(self[fname], self):
                changes[fname] = value
        return json.loads(json.dumps(changes, default=str))

    def action_open_change_requests(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("g2p_registry.action_g2p_change_request")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"search_default_filter_pending": 1}
        return action

    @api.onchange("given_name", "addl_name", "family_name")
    def _onchange_individual_names(self):
        # The form shows the full name as it will be saved, even when a name was typed in a
        # "Create and edit" of a household member before the names were filled in.
        for partner in self.filtered(lambda p: p.is_registrant and not p.is_group):
            name = partner._individual_display_name(
                {f: partner[f] for f in ("given_name", "family_name", "addl_name")}
            )
            if name:
                partner.name = name

    def get_formview_id(self, access_uid=None):
        """Registrants and PSPs open in the registry's own forms wherever they are linked from
        (a household's members, program memberships, payroll lines), not in the contact form."""
        if len(self) == 1:
            if self.is_registrant:
                xmlid = "view_household_form" if self.is_group else "view_individual_form"
                return self.env.ref("g2p_registry." + xmlid).id
            if self.is_psp:
                return self.env.ref("g2p_registry.view_psp_form").id
        return super().get_formview_id(access_uid=access_uid)

    @api.model
    def _individual_display_name(self, vals):
        parts = [vals.get("given_name"), vals.get("addl_name"), vals.get("family_name")]
        return " ".join(p.strip() for p in parts if p and p.strip())

    def _assign_registrant_number(self):
        for is_group in (False, True):
            partners = self.filtered(lambda p, g=is_group: bool(p.is_group) == g)
            for partner, number in zip(
                partners, self._next_registrant_numbers(is_group, len(partners)), strict=True
            ):
                partner.registrant_number = number

    @api.model
    def _next_registrant_numbers(self, is_group, count):
        """``count`` registrant numbers of households (``is_group``) or individuals. A standard
        sequence without date ranges gives them in one query (a national import numbers tens of
        thousands at once); any other draws them one by one, as ``next_by_code`` would."""
        if not count:
            return []
        code = "g2p.registrant.group" if is_group else "g2p.registrant.individual"
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [("code", "=", code), ("company_id", "in", [self.env.company.id, False])], order="company_id"
            )[:1]
        )
        if not sequence:
            return [False] * count
        if sequence.implementation != "standard" or sequence.use_date_range:
            return [sequence._next() for _i in range(count)]
        self.env.cr.execute(
            SQL(
                "SELECT nextval(%s) AS n FROM generate_series(1, %s) ORDER BY n",
                "ir_sequence_%03d" % sequence.id,
                count,
            )
        )
        numbers = [number for (number,) in self.env.cr.fetchall()]
        prefix, suffix = sequence._get_prefix_suffix()  # reads the sequence: after the fetch
        pattern = "%%0%sd" % sequence.padding
        return [prefix + pattern % number + suffix for number in numbers]

    @api.model
    def _check_user_area(self, area_id):
        """An area-limited user keeps registrants in their areas (whatever the path: form,
        import, RPC)."""
        if self.env.user._g2p_limiting_areas():
            self.env.user._g2p_check_areas(self.env["g2p.area"].sudo().browse(area_id or []))

    def _check_protected_fields(self, vals, creating=False):
        """Whatever the path (button, import, RPC write): only registry validators change the
        registry status, and only G2P administrators register payment service providers."""
        if self.env.su:
            return
        if "registrant_state" in vals and not (
            vals["registrant_state"] == "draft" and all(p.registrant_state == "draft" for p in self)
        ):
            self._check_validator()
        touches_psp = vals.get("is_psp") if creating else PSP_FIELDS & vals.keys()
        if touches_psp and not self.env.user.has_group(ADMIN_GROUP):
            raise AccessError(_("Only G2P administrators can register or change payment service providers."))

    # ------------------------------------------------------------------ lifecycle

    def action_approve(self):
        """draft → active. Returns a notification saying what was approved and, for households,
        which members are still to approve."""
        self._check_validator()
        self._ensure_registrants()
        self._g2p_transition(
            "active",
            {"draft"},
            {"approved_date": fields.Datetime.now(), "approved_by_id": self.env.user.id},
            why=_("Only draft registrants can be approved."),
        )
        return self._approval_notification()

    def _approval_notification(self):
        if len(self) == 1:
            message = _("%s is approved: it can now be enrolled in programs.", self.display_name)
        else:
            message = _("%s registrants are approved.", len(self))
        waiting = (
            self.filtered("is_group")
            .group_membership_ids.filtered("is_current")
            .individual_id.filtered(lambda p: p.registrant_state == "draft")
        )
        if waiting:
            message = " ".join(
                [
                    message,
                    _(
                        "Members still to approve (Members tab): %s.",
                        ", ".join(waiting[:10].mapped("display_name")) + (" …" if len(waiting) > 10 else ""),
                    ),
                ]
            )
        return notification(_("Approved"), message)

    def _disable(self, reason):
        """draft/active → disabled, with the reason kept (the wizard asks for it)."""
        self._check_validator()
        if not reason or not reason.strip():
            raise UserError(_("Give a reason to disable a registrant."))
        self._ensure_registrants()
        return self._g2p_transition(
            "disabled",
            {"draft", "active"},
            {
                "disabled_reason": reason.strip(),
                "disabled_date": fields.Datetime.now(),
                "disabled_by_id": self.env.user.id,
            },
            message=_("Disabled: %s", reason.strip()),
        )

    def action_enable(self):
        """disabled → active. The last reason stays in the chatter history."""
        self._check_validator()
        self._g2p_transition(
            "active",
            {"disabled"},
            {"disabled_reason": False, "disabled_date": False, "disabled_by_id": False},
            why=_("Only disabled registrants can be re-enabled."),
        )
        return True

    def _ensure_registrants(self):
        others = self.filtered(lambda p: not p.is_registrant)
        if others:
            raise UserError(
                _("These contacts are not registrants: %s.", ", ".join(others[:10].mapped("display_name")))
            )

    def action_open_disable_wizard(self):
        self._check_validator()
        return {
            "type": "ir.actions.act_window",
            "name": _("Disable Registrant"),
            "res_model": "g2p.registrant.disable.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_ids": self.ids},
        }

    def _merge_into(self, kept):
        """Merge this confirmed duplicate into ``kept``: its IDs, phones, payment accounts and
        household memberships move to ``kept`` (what ``kept`` already has stays once), then it is
        disabled with the reason and linked to ``kept``. Nothing is deleted: what it was paid
        stays on it (payroll lines, entries), and the chatter of both says what moved."""
        self.ensure_one()
        kept.ensure_one()
        self._check_validator()
        # Confirming the duplicate was the review: what moves is not proposed again.
        merging = self.with_context(**{CHANGE_REQUEST_APPLY: True})
        return merging._merge_moving(kept.with_env(merging.env))

    def _merge_moving(self, kept):
        if self == kept or self.is_group != kept.is_group:
            raise UserError(_("A registrant is merged only into another registrant of the same kind."))
        moved = {}
        moved[_("IDs")] = len(self.reg_id_ids)
        self.reg_id_ids.write({"partner_id": kept.id})
        known = set(kept.phone_number_ids.mapped("phone_number"))
        phones = self.phone_number_ids.filtered(lambda p: p.phone_number not in known)
        phones.write({"partner_id": kept.id, "is_primary": False})
        moved[_("phones")] = len(phones)
        accounts = self.payment_account_ids
        if kept.payment_account_ids.filtered("is_default"):
            accounts.filtered("is_default").write({"is_default": False})
        accounts.write({"partner_id": kept.id})
        moved[_("payment accounts")] = len(accounts)
        today = fields.Date.context_today(self)
        field = "group_id" if self.is_group else "individual_id"
        other = "individual_id" if self.is_group else "group_id"
        memberships = (
            self.group_membership_ids if self.is_group else self.individual_membership_ids
        ).filtered("is_current")
        kept_current = (
            kept.group_membership_ids if kept.is_group else kept.individual_membership_ids
        ).filtered("is_current")
        already = memberships.filtered(lambda m: m[other] in kept_current.mapped(other))
        already.write({"end_date": today})
        (memberships - already).write({field: kept.id})
        moved[_("memberships")] = len(memberships - already)
        self._merge_move_more(kept, moved)
        summary = ", ".join("%s %s" % (count, what) for what, count in moved.items() if count) or _("nothing")
        reason = _(
            "Duplicate of %(kept)s (%(number)s)", kept=kept.display_name, number=kept.registrant_number
        )
        self.duplicate_of_id = kept
        if self.registrant_state != "disabled":
            self._disable(reason)
        self.message_post(
            body=_("Merged into %(kept)s: moved %(summary)s.", kept=kept.display_name, summary=summary)
        )
        kept.message_post(
            body=_(
                "%(other)s merged into this registrant: moved %(summary)s.",
                other=self.display_name,
                summary=summary,
            )
        )
        return moved

    def _merge_move_more(self, kept, moved):
        """Hook: other addons move their own records (program memberships) and count them in
        ``moved``."""

    def _check_validator(self):
        if not self.env.su and not self.env.user.has_group(VALIDATOR_GROUP):
            raise AccessError(_("Only registry validators can approve, disable or re-enable registrants."))

    def _ensure_can_receive_benefits(self):
        """Guard for enrolment and payment: every registrant must be active."""
        blocked = self.filtered(lambda p: not p.is_registrant or p.registrant_state != "active")
        if blocked:
            raise UserError(
                _(
                    "These registrants are not active and cannot be enrolled or paid: %s.",
                    ", ".join(blocked.mapped("display_name")),
                )
            )

    @api.model
    def _active_registrant_domain(self):
        """Domain of registrants that may be enrolled or paid (used by programs in SQL)."""
        return [("is_registrant", "=", True), ("registrant_state", "=", "active")]

    # ------------------------------------------------------------------ PSPs

    @api.constrains("is_psp", "is_company")
    def _check_psp_is_company(self):
        for partner in self.filtered("is_psp"):
            if not partner.is_company:
                raise ValidationError(_("A payment service provider must be a company: %s.", partner.name))
            if partner.is_registrant:
                raise ValidationError(_("A registrant cannot also be a payment service provider."))

    @api.constrains("is_group", "is_registrant")
    def _check_group_flags(self):
        for partner in self:
            if partner.is_group and not partner.is_registrant:
                raise ValidationError(_("A household must be a registrant."))
