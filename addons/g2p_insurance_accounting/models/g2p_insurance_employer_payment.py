import base64
import contextlib
import csv
import io
import re
import zipfile
from collections import defaultdict

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, float_compare, format_amount

from .g2p_insurance_policy import FINANCE_GROUP
from odoo.addons.g2p_registry.tools.notify import notification

PAYMENT_STATES = [
    ("draft", "Draft"),
    ("validated", "Validated"),
    ("posted", "Posted"),
    ("cancelled", "Cancelled"),
]
# Accepted headers (lower case, spaces, dashes and underscores alike) -> row key.
COLUMNS = {
    "cover": "reference",
    "cover_reference": "reference",
    "cover_ref": "reference",
    "reference": "reference",
    "member": "reference",
    "member_id": "reference",
    "id_number": "reference",
    "id": "reference",
    "national_id": "reference",
    "amount": "amount",
    "amount_paid": "amount",
    "payer_reference": "payer_reference",
    "payer_ref": "payer_reference",
    "payer": "payer_reference",
    "employer_reference": "payer_reference",
}
OPEN_COVER_STATES = ("active", "suspended")
AMOUNT_RE = re.compile(r"^-?\d+(\.\d+)?$")


def _parse_amount(text):
    """The number written in ``text`` (``1,234.50``, ``1 234,50``, ``1234.5``), or None."""
    value = "".join(str(text).split()).replace("\u00a0", "").replace("'", "")
    if "," in value and "." in value:
        thousands = "," if value.rfind(",") < value.rfind(".") else "."
        value = value.replace(thousands, "").replace(",", ".")
    elif "," in value:
        head, _sep, tail = value.rpartition(",")
        value = value.replace(",", "") if len(tail) == 3 and "," not in head[-4:] else value.replace(",", ".")
    if not AMOUNT_RE.match(value):
        return None
    return float(value)


class G2PInsuranceEmployerPayment(models.Model):
    """One bank transfer from an employer (a third-party payer) paying the premiums of many covers,
    allocated from the statement or file the employer sends. The file is checked row by row before
    anything is posted; posting books one entry (Dr bank / Cr premium receivable per cover, and the
    unallocated rest as an advance of the employer) reconciled with each cover's premium."""

    _name = "g2p.insurance.employer.payment"
    _description = "Employer Premium Payment"
    _inherit = ["mail.thread", "g2p.state.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", readonly=True, copy=False, default="/")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True, readonly=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    payer_id = fields.Many2one(
        "res.partner",
        string="Employer",
        required=True,
        tracking=True,
        index=True,
        domain="[('is_registrant', '=', False)]",
        help="The third-party payer (employer) who made the transfer: every row must be one of its covers.",
    )
    journal_id = fields.Many2one(
        "account.journal",
        string="Bank Journal",
        required=True,
        check_company=True,
        domain="[('type', '=', 'bank')]",
        default=lambda self: self.env.company.sudo().g2p_ins_bank_journal_id,
        tracking=True,
        help="The bank account the transfer was received in.",
    )
    date = fields.Date(
        required=True,
        default=fields.Date.context_today,
        tracking=True,
        help="Date of the receipt on the bank statement: the date of the entry.",
    )
    amount_received = fields.Monetary(
        string="Received", required=True, tracking=True, help="The amount of the bank transfer."
    )
    bank_reference = fields.Char(
        required=True,
        tracking=True,
        copy=False,
        help="The transfer's reference on the bank statement. A statement (reference and employer) is "
        "applied once only.",
    )
    file = fields.Binary(string="Statement File", attachment=True, copy=False)
    filename = fields.Char()
    skip_errors = fields.Boolean(
        string="Leave Out Rows with Errors",
        tracking=True,
        help="Post the rows without errors only; the money of the rows left out stays with the employer "
        "as an advance. Without it, nothing is posted while a row has an error.",
    )
    state = fields.Selection(
        PAYMENT_STATES, default="draft", required=True, readonly=True, tracking=True, index=True, copy=False
    )
    line_ids = fields.One2many(
        "g2p.insurance.employer.payment.line", "payment_id", string="Rows", readonly=True, copy=False
    )
    row_count = fields.Integer(string="Rows in File", readonly=True, copy=False)
    error_count = fields.Integer(string="Rows with Errors", readonly=True, copy=False)
    file_total = fields.Monetary(
        readonly=True, copy=False, help="The sum of the amounts of every row of the file."
    )
    allocated_total = fields.Monetary(
        string="Allocated", readonly=True, copy=False, help="What the rows without errors pay of the covers."
    )
    remainder_amount = fields.Monetary(
        string="Advance (Unallocated)",
        compute="_compute_remainder_amount",
        store=True,
        help="Received but not allocated to a cover: kept on the employer's premium receivable as a credit "
        "(an advance for later premiums).",
    )
    checked = fields.Boolean(readonly=True, copy=False, help="The file was read and its rows checked.")
    move_id = fields.Many2one("account.move", string="Payment Entry", readonly=True, copy=False)
    reversal_move_id = fields.Many2one("account.move", string="Reversal Entry", readonly=True, copy=False)
    posted_by_id = fields.Many2one("res.users", string="Posted By", readonly=True, copy=False)
    posted_date = fields.Datetime(readonly=True, copy=False)

    _name_company_uniq = models.UniqueIndex(
        "(company_id, name) WHERE name != '/'", "Employer payment references must be unique per company."
    )
    _statement_once = models.UniqueIndex(
        "(company_id, payer_id, upper(bank_reference)) WHERE state IN ('validated', 'posted')",
        "This bank statement is already applied for this employer.",
    )
    _received_positive = models.Constraint(
        "CHECK (amount_received > 0)", "The amount received must be positive."
    )

    @api.depends("amount_received", "allocated_total")
    def _compute_remainder_amount(self):
        for payment in self:
            payment.remainder_amount = payment.currency_id.round(
                payment.amount_received - payment.allocated_total
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("bank_reference"):
                vals["bank_reference"] = vals["bank_reference"].strip()
            if vals.get("name", "/") == "/":
                vals["name"] = (
                    self.env["ir.sequence"]
                    .with_context(ir_sequence_date=vals.get("date"))  # the year of the payment
                    .next_by_code("g2p.insurance.employer.payment", sequence_date=vals.get("date"))
                    or "/"
                )
        return super().create(vals_list)

    def write(self, vals):
        terms = {"payer_id", "journal_id", "date", "amount_received", "bank_reference", "file", "skip_errors"}
        if terms.intersection(vals) and not self.env.context.get("g2p_insurance_internal"):
            if any(payment.state != "draft" for payment in self):
                raise UserError(
                    _("Only a draft employer payment can be changed; set it back to draft first.")
                )
            if {"payer_id", "file", "date"}.intersection(vals):
                vals = {**vals, "checked": False}
        if vals.get("bank_reference"):
            vals["bank_reference"] = vals["bank_reference"].strip()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(payment.state not in ("draft", "cancelled") or payment.move_id for payment in self):
            raise UserError(_("A validated or posted employer payment cannot be deleted; cancel it instead."))

    def _g2p_write_state(self, vals):
        self.with_context(g2p_insurance_internal=True).write(vals)

    def _check_finance(self):
        if not self.env.su and not self.env.user.has_group(FINANCE_GROUP):
            raise AccessError(_("Only insurance finance officers can apply employer payments."))

    def _amount(self, amount):
        return format_amount(self.env, amount, self.currency_id)

    # ------------------------------------------------------------------ reading the file

    def _read_table(self):
        """(header, rows) of the uploaded CSV or XLSX file, or a clear error."""
        self.ensure_one()
        data = base64.b64decode(self.file or b"")
        if not data:
            raise UserError(_("Upload the employer's statement file (CSV or XLSX) first."))
        if (self.filename or "").lower().endswith(".xlsx") or data[:2] == b"PK":
            rows = self._read_xlsx(data)
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise UserError(_("The file is neither a UTF-8 CSV nor an XLSX file.")) from exc
            dialect = csv.excel
            with contextlib.suppress(csv.Error):  # one column: not sniffable, plain CSV
                dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
            rows = list(csv.reader(io.StringIO(text), dialect))
        rows = [[str(cell).strip() for cell in row] for row in rows]
        rows = [row for row in rows if any(row)]
        if len(rows) < 2:
            raise UserError(_("The file has no rows: a header and one row per cover are expected."))
        return rows[0], rows[1:]

    def _read_xlsx(self, data):
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise UserError(_("The file is not a readable XLSX file.")) from exc
        return [
            ["" if cell is None else cell for cell in row]
            for row in book.worksheets[0].iter_rows(values_only=True)
        ]

    def _parse_rows(self):
        """One dict per row of the file: row number, reference, payer reference, amount text."""
        header, rows = self._read_table()
        keys = [COLUMNS.get(re.sub(r"[\s\-]+", "_", cell.lower())) for cell in header]
        if "reference" not in keys or "amount" not in keys:
            raise UserError(
                _(
                    "The file's header must name a cover column (cover reference or member ID number) and "
                    "an amount column, and may name a payer reference column; it has: %(header)s.",
                    header=", ".join(cell for cell in header if cell) or _("nothing"),
                )
            )
        index = {key: keys.index(key) for key in set(keys) - {None}}
        parsed = []
        for number, row in enumerate(rows, start=2):
            values = {key: row[i] if i < len(row) else "" for key, i in index.items()}
            parsed.append({"row_number": number, "payer_reference": "", **values})
        return parsed

    # ------------------------------------------------------------------ matching and checks

    def _policies_for(self, references):
        """{upper reference: covers} named in the file, by cover reference or a member's ID number,
        in one search for the references and one for the ID numbers (any company: the check says
        which rows name another company's cover)."""
        Policy = self.env["g2p.insurance.policy"].sudo()
        upper = {ref.upper() for ref in references if ref}
        found = defaultdict(lambda: Policy.browse())
        for policy in Policy.search([("name", "in", list(upper))]):
            found[policy.name.upper()] |= policy
        RegistrantId = self.env["g2p.registrant.id"].sudo()
        by_number = {RegistrantId._normalize_value(ref): ref for ref in upper - set(found)}
        if by_number:
            ids = RegistrantId.search([("value", "in", list(by_number))])
            people = ids.partner_id
            covers = Policy.search(["|", ("member_ids", "in", people.ids), ("holder_id", "in", people.ids)])
            for registrant_id in ids:
                person = registrant_id.partner_id
                found[by_number[registrant_id.value]] |= covers.filtered(
                    lambda c, p=person: p in c.member_ids or c.holder_id == p
                )
        return found

    def _premium_dues(self, policies):
        """{cover id: (premium still due, [open receivable items with a debit])}, in one query."""
        if not policies:
            return {}
        self.env["account.move.line"].flush_model(
            ["amount_residual", "parent_state", "account_id", "move_id"]
        )
        self.env["account.move"].flush_model(["g2p_policy_id"])
        rows = self.env.execute_query(
            SQL(
                """SELECT m.g2p_policy_id, COALESCE(sum(l.amount_residual), 0),
                          array_remove(array_agg(CASE WHEN l.amount_residual > 0 THEN l.id END), NULL)
                     FROM account_move_line l
                     JOIN account_move m ON m.id = l.move_id
                     JOIN account_account a ON a.id = l.account_id
                    WHERE m.g2p_policy_id = ANY(%s) AND l.parent_state = 'posted'
                      AND a.account_type = 'asset_receivable' AND NOT l.reconciled
                 GROUP BY 1""",
                policies.ids,
            )
        )
        return {policy_id: (float(due), items) for policy_id, due, items in rows}

    def _payer_matches(self, policy):
        return policy.premium_partner_id.commercial_partner_id == self.payer_id.commercial_partner_id

    def _payer_reference_matches(self, reference):
        payer = self.payer_id.commercial_partner_id
        names = {value.strip().upper() for value in (payer.ref, payer.vat, payer.name) if value}
        return reference.strip().upper() in names

    def _choose_cover(self, covers):
        """The one cover a row means among the covers of its reference, or (covers, error)."""
        own = covers.filtered(lambda c: c.company_id == self.company_id)
        if not own:
            return covers[:1], "other_company"
        paid_by_payer = own.filtered(self._payer_matches)
        if not paid_by_payer:
            return own[:1], "other_payer"
        in_force = paid_by_payer.filtered(lambda c: c.state in OPEN_COVER_STATES)
        if len(in_force) > 1:
            owing = in_force.filtered(lambda c: not c.premium_paid)
            if len(owing) != 1:
                return in_force, "ambiguous"
            in_force = owing
        return (in_force or paid_by_payer[:1]), None

    def _check_rows(self, rows):
        """Line vals for ``rows`` (from :meth:`_parse_rows`): the cover each names, its premium due,
        the amount allocated to it, or the row's error."""
        self.ensure_one()
        currency = self.currency_id
        found = self._policies_for([row["reference"] for row in rows])
        dues = self._premium_dues(self.env["g2p.insurance.policy"].sudo().union(*found.values()))
        seen = {}
        vals_list = []
        for row in rows:
            reference = row["reference"]
            amount = _parse_amount(row["amount"]) if row["amount"] != "" else None
            vals = {
                "payment_id": self.id,
                "row_number": row["row_number"],
                "reference": reference,
                "payer_reference": row["payer_reference"],
                "amount_text": str(row["amount"]),
                "amount": amount or 0.0,
                "allocated_amount": 0.0,
            }
            covers = found.get(reference.upper()) if reference else None
            cover, error, message = None, None, None
            if not covers:
                error = "unknown_cover"
                message = (
                    _("No cover or member with the reference or ID number %(ref)s.", ref=reference)
                    if reference
                    else _("The row names no cover.")
                )
            else:
                cover, error = self._choose_cover(covers)
                if error == "other_company":
                    message = _("Cover %(cover)s belongs to another company.", cover=cover.name)
                    cover = None
                elif error == "other_payer":
                    message = _(
                        "Cover %(cover)s is paid by %(payer)s, not by %(employer)s.",
                        cover=cover.name,
                        payer=cover.premium_partner_id.name,
                        employer=self.payer_id.name,
                    )
                elif error == "ambiguous":
                    message = _(
                        "%(ref)s is covered by several covers of this employer (%(covers)s): give the cover "
                        "reference.",
                        ref=reference,
                        covers=", ".join(cover.mapped("name")),
                    )
                    cover = None
            if cover:
                vals["policy_id"] = cover.id
                due = currency.round(dues.get(cover.id, (0.0, []))[0])
                vals["premium_due"] = due
            if error:
                pass  # the cover itself is refused: the row's other checks would say nothing more
            elif row["payer_reference"] and not self._payer_reference_matches(row["payer_reference"]):
                error = "other_payer"
                message = _(
                    "The row is for payer %(ref)s, not for %(employer)s.",
                    ref=row["payer_reference"],
                    employer=self.payer_id.name,
                )
            elif cover.state not in OPEN_COVER_STATES:
                error = "not_open"
                message = _(
                    "Cover %(cover)s is %(state)s: premiums are only paid on active or suspended covers.",
                    cover=cover.name,
                    state=dict(cover._fields["state"]._description_selection(self.env))[cover.state],
                )
            elif (
                amount is None
                or float_compare(amount, 0.0, precision_rounding=currency.rounding) <= 0
                or float_compare(amount, currency.round(amount), precision_digits=currency.decimal_places + 3)
            ):
                error = "bad_amount"
                message = _(
                    "The amount %(amount)s is not a positive amount in %(currency)s (at most %(digits)s "
                    "decimals).",
                    amount=row["amount"] or _("(empty)"),
                    currency=currency.name,
                    digits=currency.decimal_places,
                )
            elif cover.id in seen:
                error = "duplicate"
                message = _(
                    "Cover %(cover)s is already paid by row %(row)s of this file.",
                    cover=cover.name,
                    row=seen[cover.id],
                )
            elif float_compare(amount, vals["premium_due"], precision_rounding=currency.rounding) > 0:
                error = "over_due"
                message = _(
                    "The amount %(amount)s is more than the %(due)s due on cover %(cover)s.",
                    amount=self._amount(amount),
                    due=self._amount(vals["premium_due"]),
                    cover=cover.name,
                )
            if cover and not error:
                seen[cover.id] = row["row_number"]
                vals["allocated_amount"] = currency.round(amount)
            vals["residual_after"] = currency.round(vals.get("premium_due", 0.0) - vals["allocated_amount"])
            vals["error"] = error or False
            vals["message"] = message or False
            vals_list.append(vals)
        return vals_list

    def _check_file(self):
        """Read the file again and replace the rows with freshly checked ones (premiums due as of now)."""
        self.ensure_one()
        rows = self._parse_rows()
        vals_list = self._check_rows(rows)
        Line = self.env["g2p.insurance.employer.payment.line"].sudo()
        Line.search([("payment_id", "=", self.id)]).unlink()
        Line.create(vals_list)
        self.invalidate_recordset(["line_ids"])
        currency = self.currency_id
        file_total = currency.round(sum(vals["amount"] for vals in vals_list))
        allocated = currency.round(sum(vals["allocated_amount"] for vals in vals_list))
        self.with_context(g2p_insurance_internal=True).write(
            {
                "row_count": len(vals_list),
                "error_count": sum(1 for vals in vals_list if vals["error"]),
                "file_total": file_total,
                "allocated_total": allocated,
                "checked": True,
            }
        )
        return vals_list

    def _check_applicable(self):
        """Refuse what must not be posted: rows with errors (unless left out), nothing to allocate,
        more allocated than received, or the same statement already applied."""
        self.ensure_one()
        currency = self.currency_id
        if self.error_count and not self.skip_errors:
            raise UserError(
                _(
                    "%(count)s row(s) of the file have errors (see the rows). Correct the file, or tick "
                    "“Leave Out Rows with Errors” to post the other rows.",
                    count=self.error_count,
                )
            )
        if currency.is_zero(self.allocated_total):
            raise UserError(_("No row of the file can be allocated to a cover."))
        if currency.compare_amounts(self.allocated_total, self.amount_received) > 0:
            raise UserError(
                _(
                    "The rows allocate %(allocated)s, more than the %(received)s received.",
                    allocated=self._amount(self.allocated_total),
                    received=self._amount(self.amount_received),
                )
            )
        other = self.search(
            [
                ("id", "!=", self.id),
                ("company_id", "=", self.company_id.id),
                ("payer_id", "=", self.payer_id.id),
                ("bank_reference", "=ilike", self.bank_reference),
                ("state", "in", ("validated", "posted")),
            ],
            limit=1,
        )
        if other:
            raise UserError(
                _(
                    "The statement %(ref)s of %(employer)s is already applied by %(other)s: it cannot be "
                    "applied twice.",
                    ref=self.bank_reference,
                    employer=self.payer_id.name,
                    other=other.name,
                )
            )

    # ------------------------------------------------------------------ actions

    def action_check_file(self):
        """The Check File button: read the file and show each row with its cover and errors."""
        self._check_finance()
        self.ensure_one()
        if self.state != "draft":
            raise UserError(_("Only a draft employer payment can be checked again."))
        self._check_file()
        message = _(
            "%(rows)s rows: %(allocated)s allocated to covers, %(errors)s row(s) with errors; file total "
            "%(total)s for %(received)s received.",
            rows=self.row_count,
            allocated=self._amount(self.allocated_total),
            errors=self.error_count,
            total=self._amount(self.file_total),
            received=self._amount(self.amount_received),
        )
        return notification(_("File checked"), message, kind="warning" if self.error_count else "success")

    def action_validate(self):
        """Check the file again (premiums due as of now) and freeze the payment for posting."""
        self._check_finance()
        self.ensure_one()
        self._g2p_transition_todo("validated", {"draft"})
        self._check_file()
        self._check_applicable()
        self._g2p_transition("validated", {"draft"}, message=_("Validated: ready to post."))
        return notification(_("Employer payment validated"), self._summary())

    def action_draft(self):
        self._check_finance()
        self._g2p_transition("draft", {"validated"}, message=_("Set back to draft."))
        return notification(_("Back to draft"), _("The employer payment can be changed again."), kind="info")

    def action_post(self):
        """Post the payment entry and reconcile each cover's premium."""
        self._check_finance()
        self.ensure_one()
        if not self._g2p_transition_todo("posted", {"validated"}):
            return notification(
                _("Already posted"), _("This employer payment is already posted."), kind="info"
            )
        self._check_file()
        self._check_applicable()
        move = self._post_entry()
        self._g2p_transition(
            "posted",
            {"validated"},
            {"move_id": move.id, "posted_by_id": self.env.uid, "posted_date": fields.Datetime.now()},
        )
        message = self._summary()
        self.message_post(body=message)
        return notification(_("Employer payment posted"), message)

    def action_cancel(self):
        """Cancel: a posted payment is reversed (its entry is kept, with a reversal entry), the covers'
        premiums are due again and the advance is taken back."""
        self._check_finance()
        self.ensure_one()
        todo = self._g2p_transition_todo("cancelled", {"draft", "validated", "posted"})
        if not todo:
            return notification(_("Already cancelled"), _("This employer payment is cancelled."), kind="info")
        vals = {}
        if self.state == "posted":
            vals["reversal_move_id"] = self._reverse_entry().id
        self._g2p_transition("cancelled", {"draft", "validated", "posted"}, vals)
        if vals:
            message = _(
                "Cancelled: entry %(move)s reversed by %(reversal)s; the covers' premiums are due again.",
                move=self.move_id.sudo().name,
                reversal=self.reversal_move_id.sudo().name,
            )
        else:
            message = _("Cancelled before posting: nothing was booked.")
        self.message_post(body=message)
        return notification(_("Employer payment cancelled"), message, kind="info")

    def action_open_entries(self):
        self.ensure_one()
        return self.env["account.move"]._g2p_entries_action(
            [("g2p_employer_payment_id", "=", self.id)], _("Entries of %s", self.name)
        )

    def _summary(self):
        allocated = self.line_ids.filtered("allocated_amount")
        text = _(
            "%(received)s received from %(employer)s (%(ref)s): %(allocated)s allocated to %(count)s "
            "cover(s)",
            received=self._amount(self.amount_received),
            employer=self.payer_id.name,
            ref=self.bank_reference,
            allocated=self._amount(self.allocated_total),
            count=len(allocated),
        )
        if not self.currency_id.is_zero(self.remainder_amount):
            text = _(
                "%(text)s; %(rest)s kept as an advance of the employer",
                text=text,
                rest=self._amount(self.remainder_amount),
            )
        if self.error_count:
            text = _("%(text)s; %(count)s row(s) left out", text=text, count=self.error_count)
        return text + "."

    # ------------------------------------------------------------------ entries

    def _post_entry(self):
        """One entry: Dr bank (received) / Cr premium receivable per cover (the cover's payer) and the
        unallocated rest on the employer's receivable; each cover's item reconciled with its premium.
        The cover items are written in one statement (``_g2p_post_set_based``) when they share one
        receivable account, which also reconciles a premium paid in full at once."""
        self.ensure_one()
        currency = self.currency_id
        lines = self.line_ids.filtered(lambda line: line.allocated_amount and not line.error)
        policies = lines.policy_id.sudo()
        accounts_by_product = {product: product._get_accounts() for product in policies.product_id}
        company_accounts = self.company_id._g2p_insurance_accounts()
        remainder_account = company_accounts["g2p_ins_premium_receivable_account_id"]
        bank_account = self.journal_id.default_account_id
        if not bank_account:
            raise UserError(_("The journal %(journal)s has no bank account.", journal=self.journal_id.name))
        ref = _("Employer payment %(name)s · %(bank_ref)s", name=self.name, bank_ref=self.bank_reference)
        payer = self.payer_id
        vals = {
            "journal_id": self.journal_id.id,
            "date": self.date,
            "ref": ref,
            "g2p_event": "ins_employer_payment",
            "g2p_employer_payment_id": self.id,
            "line_ids": [
                Command.create(
                    {
                        "account_id": bank_account.id,
                        "partner_id": payer.id,
                        "debit": currency.round(self.amount_received),
                        "credit": 0.0,
                        "name": ref,
                    }
                )
            ],
        }
        if not currency.is_zero(self.remainder_amount):
            vals["line_ids"].append(
                Command.create(
                    {
                        "account_id": remainder_account.id,
                        "partner_id": payer.id,
                        "debit": 0.0,
                        "credit": self.remainder_amount,
                        "name": _("Advance of %(employer)s (%(name)s)", employer=payer.name, name=self.name),
                    }
                )
            )
        dues = self._premium_dues(policies)
        bulk_lines, reconcile_with = [], []
        for line in lines:
            policy = line.policy_id.sudo()
            bulk_lines.append(
                {
                    "account_id": accounts_by_product[policy.product_id]["receivable"].id,
                    "partner_id": policy.premium_partner_id.id,
                    "currency_id": currency.id,
                    "balance": -line.allocated_amount,
                    "amount_currency": -line.allocated_amount,
                    "name": _("Premium %(cover)s", cover=policy.name),
                    "g2p_policy_id": policy.id,
                }
            )
            items = dues.get(policy.id, (0.0, []))[1]
            reconcile_with.append(items[0] if len(items) == 1 else None)
        Move = self.env["account.move"]
        if len({line["account_id"] for line in bulk_lines}) == 1:
            move = Move._g2p_post_set_based(vals, bulk_lines, reconcile_with)
        else:
            vals["line_ids"] += [Command.create(line) for line in bulk_lines]
            move = Move._g2p_post([vals])
        self._reconcile_covers(move, policies)
        self._update_covers(policies, move)
        return move

    def _reconcile_covers(self, move, policies):
        """Reconcile each cover's item of ``move`` with the cover's open premium items (one plan)."""
        Line = self.env["account.move.line"].sudo()
        new_items = Line.search(
            [("move_id", "=", move.id), ("g2p_policy_id", "!=", False), ("reconciled", "=", False)]
        )
        if not new_items:
            return
        open_items = Line.search(
            [
                ("move_id.g2p_policy_id", "in", new_items.g2p_policy_id.ids),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
            ]
        )
        by_policy = defaultdict(lambda: Line.browse())
        for item in open_items:
            by_policy[item.move_id.g2p_policy_id.id] |= item
        plan = [
            item | by_policy[item.g2p_policy_id.id].filtered(lambda i, a=item.account_id: i.account_id == a)
            for item in new_items
        ]
        Line._reconcile_plan([items for items in plan if len(items) > 1])
        policies.invalidate_recordset(["premium_residual"])

    def _update_covers(self, policies, move=None, cancelled=False):
        """Premium paid flags (and a suspended cover paid in full active again) after ``move``, and
        one chatter note per cover, written in batches."""
        currency = self.currency_id
        dues = self._premium_dues(policies)
        paid = policies.filtered(lambda p: currency.is_zero(dues.get(p.id, (0.0, []))[0]))
        unpaid = policies - paid
        paid.filtered(lambda p: not p.premium_paid)._internal_write({"premium_paid": True})
        unpaid.filtered("premium_paid")._internal_write({"premium_paid": False})
        if not cancelled:
            paid.filtered(lambda p: p.state == "suspended")._set_active()
        amounts = {
            line.policy_id.id: line.allocated_amount for line in self.line_ids if line.allocated_amount
        }
        bodies = {}
        for policy in policies:
            values = {
                "amount": self._amount(amounts.get(policy.id, 0.0)),
                "name": self.name,
                "employer": self.payer_id.name,
                "due": self._amount(dues.get(policy.id, (0.0, []))[0]),
            }
            if cancelled:
                bodies[policy.id] = _(
                    "Employer payment %(name)s of %(amount)s cancelled; premium due: %(due)s.", **values
                )
            else:
                bodies[policy.id] = _(
                    "Premium payment of %(amount)s by %(employer)s (employer payment %(name)s); still due: "
                    "%(due)s.",
                    **values,
                )
        policies._message_log_batch(bodies=bodies)

    def _reverse_entry(self):
        """Reverse the payment entry (dated today, or the payment date if later): its items are
        unreconciled from the premiums and reconciled with the reversal."""
        self.ensure_one()
        move = self.move_id.sudo()
        date = max(fields.Date.context_today(self), self.date)
        vals = {
            "journal_id": move.journal_id.id,
            "date": date,
            "ref": _("Reversal of %(ref)s", ref=move.ref),
            "g2p_event": "ins_employer_payment_cancel",
            "g2p_employer_payment_id": self.id,
        }
        self.env["account.move"]._g2p_check_postable([vals])
        policies = move.line_ids.g2p_policy_id
        reversal = move._reverse_moves([dict(vals)], cancel=True)
        self._update_covers(policies.sudo(), cancelled=True)
        return reversal.sudo(False)
