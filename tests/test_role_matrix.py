"""The role matrix (#17): every G2P role against every G2P model and the main workflow actions,
through the ORM and through JSON-RPC over HTTP, and multi-company isolation.

The two tables below are the reviewed expectation: a new G2P model, a new role or a changed access
right fails this test until the table (and the README's copy, "Who may do what") says so."""

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, get_db_name, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from odoo.addons.g2p_payroll.tests.common import PayrollCase
from odoo.addons.queue_job.tests.common import trap_jobs

README = Path(__file__).resolve().parents[1] / "README.md"

#: column, role group (a user has that group and what it implies), name in the README
ROLES = (
    ("reg", "g2p_registry.group_g2p_registrar", "Registrar"),
    ("val", "g2p_registry.group_g2p_registry_validator", "Registry validator"),
    ("mgr", "g2p_program.group_g2p_program_manager", "Program manager"),
    ("appr", "g2p_payroll.group_g2p_payroll_approver", "Payroll approver"),
    ("fin", "g2p_payroll.group_g2p_finance_officer", "Finance officer"),
    ("claim", "g2p_insurance_accounting.group_g2p_claims_officer", "Claims officer"),
    ("insf", "g2p_insurance_accounting.group_g2p_insurance_finance", "Insurance finance"),
    ("agent", "g2p_voucher.group_g2p_pay_point_agent", "Pay-point agent"),
    ("api", "g2p_fhir.group_g2p_api_integration", "API integration"),
    ("admin", "g2p_registry.group_g2p_admin", "G2P administrator"),
    ("user", "base.group_user", "Internal user"),
    ("portal", "base.group_portal", "Portal user"),
)
COLUMNS = [column for column, _group, _name in ROLES]

# r read, c create, w write, u unlink, - nothing: allowed by the access rights of the model and,
# where the fixture holds a record of the model (in the user's company), by the record rules on it.
MATRIX = """
model                                reg   val   mgr   appr  fin   claim insf  agent api   admin user  portal
g2p.area                             r     r     r     r     r     r     r     r     r     rcwu  r     -
g2p.change.request                   rc    rc    -     -     -     -     -     -     -     rc    -     -
g2p.change.request.line              r     r     -     -     -     -     -     -     -     r     -     -
g2p.cycle                            r     r     rcw   r     r     -     -     -     -     rcw   -     -
g2p.duplicate                        rc    rcw   -     -     -     -     -     -     -     rcwu  -     -
g2p.erasure.request                  rcw   rcw   -     -     -     -     -     -     -     rcw   -     -
g2p.fhir.export                      r     r     r     r     r     r     r     r     r     ru    r     -
g2p.fhir.export.file                 r     r     r     r     r     r     r     r     r     ru    r     -
g2p.finance.figure                   -     -     -     -     r     -     -     -     -     r     -     -
g2p.group.membership                 rcw   rcwu  -     -     -     -     -     -     -     rcwu  -     -
g2p.id.type                          r     r     r     r     r     r     r     r     r     rcwu  r     -
g2p.insurance.category               -     -     -     -     -     r     rcw   -     -     rcw   -     -
g2p.insurance.claim                  -     -     -     -     -     rcw   rw    -     -     rcw   -     -
g2p.insurance.employer.payment       -     -     -     -     -     -     rcwu  -     -     rcwu  -     -
g2p.insurance.employer.payment.line  -     -     -     -     -     -     r     -     -     r     -     -
g2p.insurance.policy                 -     -     -     -     -     r     rcw   -     -     rcw   -     -
g2p.insurance.pool.report            -     -     -     -     -     -     r     -     -     r     -     -
g2p.insurance.product                -     -     -     -     -     r     rcw   -     -     rcw   -     -
g2p.insurance.product.category       -     -     -     -     -     r     rcwu  -     -     rcwu  -     -
g2p.intake.odk.mapping               -     -     -     -     -     -     -     -     -     rcwu  -     -
g2p.intake.odk.source                -     -     -     -     -     -     -     -     -     rcwu  -     -
g2p.intake.record                    rcw   rcw   -     -     -     -     -     -     -     rcw   -     -
g2p.intake.run                       rcw   rcw   -     -     -     -     -     -     -     rcw   -     -
g2p.intake.source                    r     r     -     -     -     -     -     -     -     rcwu  -     -
g2p.job.chunk                        -     -     r     r     r     -     -     -     -     r     -     -
g2p.job.run                          -     -     r     r     r     -     -     -     -     r     -     -
g2p.notice                           -     -     r     -     r     r     r     -     -     rw    -     -
g2p.pay.point                        r     r     r     r     r     r     r     r     r     rcwu  r     -
g2p.payment.account                  rcw   rcwu  -     -     -     -     -     -     -     rcwu  -     -
g2p.payment.attempt                  -     -     r     -     r     -     -     -     -     r     -     -
g2p.payment.batch                    -     -     r     -     rcwu  -     -     -     -     rcwu  -     -
g2p.payment.batch.log                -     -     -     -     r     -     -     -     -     r     -     -
g2p.payment.collection               -     -     -     -     rcw   -     rcw   -     -     rcw   -     -
g2p.payment.collection.log           -     -     -     -     r     -     r     -     -     r     -     -
g2p.payment.connector                -     -     -     -     r     -     r     -     -     rcwu  -     -
g2p.payment.failure.reason           r     r     r     r     rcw   r     r     r     r     rcw   r     -
g2p.payment.mechanism                r     r     r     r     r     r     r     r     r     rcwu  r     -
g2p.payment.outcome                  -     -     -     -     -     -     -     -     -     r     -     -
g2p.payment.transfer                 -     -     -     -     rcw   -     rcw   -     -     rcw   -     -
g2p.payment.transfer.log             -     -     -     -     r     -     r     -     -     r     -     -
g2p.payroll                          -     -     rcwu  rw    rcw   -     -     -     -     rcwu  -     -
g2p.payroll.analysis                 -     -     r     r     r     -     -     -     -     r     -     -
g2p.payroll.line                     -     -     r     r     rw    -     -     -     -     rw    -     -
g2p.payroll.psp.summary              -     -     r     r     r     -     -     -     -     r     -     -
g2p.payroll.reconciliation           -     -     -     -     rcw   -     -     -     -     rcw   -     -
g2p.payroll.reconciliation.row       -     -     -     -     rcwu  -     -     -     -     rcwu  -     -
g2p.payroll.skipped                  -     -     r     r     r     -     -     -     -     r     -     -
g2p.phone.number                     rcwu  rcwu  -     -     -     -     -     -     -     rcwu  -     -
g2p.program                          r     r     rcwu  r     r     -     -     -     -     rcwu  -     -
g2p.program.benefit.topup            r     r     rcwu  r     r     -     -     -     -     rcwu  -     -
g2p.program.eligibility.rule         r     r     rcwu  r     r     -     -     -     -     rcwu  -     -
g2p.program.fund                     -     -     r     r     rcwu  -     -     -     -     rcwu  -     -
g2p.program.membership               r     r     rcwu  r     r     -     -     -     -     rcwu  -     -
g2p.provider.payment.line            -     -     -     -     -     r     rcwu  -     -     rcwu  -     -
g2p.provider.payment.run             -     -     -     -     -     r     rcwu  -     -     rcwu  -     -
g2p.registrant.access.log            -     r     -     -     -     -     -     -     -     r     -     -
g2p.registrant.id                    rcw   rcwu  -     -     -     -     -     -     -     rcwu  -     -
g2p.sms.gateway                      -     -     -     -     -     -     -     -     -     rcwu  -     -
g2p.verification.field.map           r     r     -     -     -     -     -     -     -     rcwu  -     -
g2p.verification.service             r     r     -     -     -     -     -     -     -     rcwu  -     -
g2p.voucher                          -     -     r     r     r     -     -     r     -     r     -     -
"""

# The main step of each workflow, as the form's header button calls it on a record in the state
# the button shows in. Every other role is refused with an AccessError (never a silent no-op).
ACTIONS = """
model                   method                  allowed
res.partner             action_approve          val admin
g2p.duplicate           action_dismiss          val admin
g2p.change.request      action_approve          val admin
g2p.program             action_activate         mgr admin
g2p.cycle               action_submit           mgr admin
g2p.cycle               action_approve          mgr admin
g2p.payroll             action_submit           mgr fin admin
g2p.payroll             action_approve          appr admin
g2p.payroll             action_transfer_to_psp  fin admin
g2p.program.fund        action_post             fin admin
g2p.insurance.policy    action_activate         insf admin
g2p.insurance.claim     action_approve          claim admin
"""

#: Models whose record rules give each user its own records only (tested in their addons):
#: the fixture's record belongs to nobody of the matrix, so only the access rights are checked.
OWN_RECORDS = {"g2p.fhir.export", "g2p.fhir.export.file"}

#: Reference data shared by every company (no company of their own).
SHARED = {
    "g2p.area",
    "g2p.id.type",
    "g2p.insurance.category",
    "g2p.payment.failure.reason",
    "g2p.payment.mechanism",
    "g2p.sms.gateway",
}

OPERATIONS = (("r", "read"), ("c", "create"), ("w", "write"), ("u", "unlink"))


def parse_matrix(text=MATRIX):
    """{model: {column: "rcwu"}} from the table."""
    lines = [line.split() for line in text.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert header[1:] == COLUMNS, header
    return {row[0]: dict(zip(COLUMNS, [cell.strip("-") for cell in row[1:]], strict=True)) for row in rows}


def parse_actions(text=ACTIONS):
    """[(model, method, {allowed columns})] from the table."""
    rows = [line.split() for line in text.strip().splitlines()[1:]]
    return [(row[0], row[1], set(row[2:])) for row in rows]


def readme_tables():
    """The README's copy of both tables (Markdown), as generated from the test's."""
    names = [name for _column, _group, name in ROLES]
    out = ["| Model | %s |" % " | ".join(names), "|---|%s" % ("---|" * len(names))]
    for model, cells in parse_matrix().items():
        out.append("| `%s` | %s |" % (model, " | ".join(cells[c] or "-" for c in COLUMNS)))
    by_column = {column: name for column, _group, name in ROLES}
    out += ["", "| Model | Action | Allowed roles |", "|---|---|---|"]
    for model, method, allowed in parse_actions():
        roles = ", ".join(by_column[c] for c in COLUMNS if c in allowed)
        out.append("| `%s` | `%s` | %s |" % (model, method, roles))
    return "\n".join(out)


def readme_section():
    """The tables of "### Who may do what" in the README (between its markers)."""
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- role-matrix -->\n(.*?)\n<!-- /role-matrix -->", text, re.S)
    return found and found.group(1)


class RoleMatrixCase(PayrollCase, HttpCase):
    """One user per role (login = password = ``mx_<column>``), a funded program with an approved
    payroll of one household, and the records each role works on."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.role_users = {
            column: new_test_user(cls.env, "mx_%s" % column, password="mx_%s" % column, groups=group)
            for column, group, _name in ROLES
        }
        cls.pay_point.agent_user_ids = [Command.link(cls.role_users["agent"].id)]
        # Each action's fixture opens a cycle of its own next to the approved payroll's.
        cls.program.allow_overlapping_cycles = True
        cls.household = cls._paid_household("Matrix", [40, 8], number="+254711000017")
        cls.program.with_user(cls.manager)._enrol_eligible()
        cls._fund(1_000_000)
        cls.payroll = cls._payroll(cls, cls._approved_cycle(), user=cls.manager)
        cls.payroll.with_user(cls.manager).action_submit()
        cls.payroll.with_user(cls.approver).action_approve()
        cls.env["g2p.duplicate"].create(
            {
                "registrant_id": cls.household.id,
                "duplicate_id": cls._family("Matrix Twin", [41]).id,
                "reason": "manual",
                "score": 0.5,
            }
        )
        cls.env["g2p.change.request"].with_user(cls.role_users["reg"]).create(
            {"partner_id": cls.household.id, "changes": {"name": "Matrix Renamed"}}
        )
        # Configuration and finance records that only company rules keep within their company.
        cls.env["g2p.verification.service"].create(
            {
                "name": "Matrix Civil Registry",
                "wsdl_url": "http://127.0.0.1:9/matrix?wsdl",
                "field_map_ids": [
                    Command.create({"answer_path": "person.givenName", "registrant_field": "given_name"})
                ],
            }
        )
        cls.env["g2p.payroll.reconciliation"].create(
            {
                "payroll_id": cls.payroll.id,
                "file": b"cGF5bWVudCxzdGF0dXMK",
                "filename": "matrix.csv",
                "row_ids": [
                    Command.create({"row_number": 1, "line_id": cls.payroll.line_ids[:1].id, "result": "ok"})
                ],
            }
        )
        cls.product = cls.env["g2p.insurance.product"].create(
            {
                "name": "Matrix Cover",
                "code": "MXC",
                "limit_type": "family",
                "total_limit": 100_000,
                "premium": 1_000,
                "period_months": 12,
                "category_rule_ids": [
                    Command.create(
                        {"category_id": cls.env.ref("g2p_insurance_accounting.category_outpatient").id}
                    )
                ],
            }
        )

    @classmethod
    def _sample(cls, model):
        """A record of ``model`` in the fixture, the approved payroll's where it has one."""
        Model = cls.env[model]
        if model == "g2p.payroll":
            return cls.payroll
        domain = [("payroll_id", "=", cls.payroll.id)] if "payroll_id" in Model._fields else []
        return Model.search(domain, limit=1) or Model.search([], limit=1)

    def _rights(self, model, user):
        """The "rcwu" string ``user`` has on ``model`` (and on its sample record)."""
        Model = self.env[model].with_user(user)
        sample = self._sample(model) if model not in OWN_RECORDS else None
        rights = ""
        for letter, operation in OPERATIONS:
            allowed = Model.browse().has_access(operation)
            if allowed and sample:
                allowed = sample.with_user(user).has_access(operation)
            rights += letter if allowed else ""
        return rights


@tagged("post_install", "-at_install")
class TestRoleMatrix(RoleMatrixCase):
    def test_every_g2p_model_is_in_the_table(self):
        models = {
            name
            for name, model in self.env.registry.items()
            if name.startswith("g2p.") and not model._abstract and not model._transient
        }
        table = set(parse_matrix())
        self.assertFalse(models - table, "G2P models missing from MATRIX: decide their rights")
        self.assertFalse(table - models, "MATRIX lists models that no longer exist")

    def test_orm_rights_per_role_and_model(self):
        expected = parse_matrix()
        checked_on_records = 0
        for model, cells in expected.items():
            checked_on_records += bool(model not in OWN_RECORDS and self._sample(model))
            for column, user in self.role_users.items():
                with self.subTest(model=model, role=column):
                    self.assertEqual(self._rights(model, user), cells[column])
        # Most cells are also checked against record rules on a real record.
        self.assertGreaterEqual(checked_on_records, 20)

    def test_own_records_only(self):
        """Bulk FHIR exports: their requester's only (and the G2P administrators')."""
        export = self.env["g2p.fhir.export"].create(
            {
                "user_id": self.role_users["reg"].id,
                "level": "system",
                "resource_types": "Patient",
                "transaction_time": "2026-01-01 00:00:00",
            }
        )
        self.assertTrue(export.with_user(self.role_users["reg"]).has_access("read"))
        self.assertFalse(export.with_user(self.role_users["val"]).has_access("read"))
        self.assertTrue(export.with_user(self.role_users["admin"]).has_access("read"))

    def test_readme_has_the_same_tables(self):
        self.assertEqual(readme_section(), readme_tables(), "regenerate README's 'Who may do what'")


class _Rollback(Exception):
    """Leaves a savepoint, undoing what a call did."""


@tagged("post_install", "-at_install")
class TestRoleMatrixActions(RoleMatrixCase):
    def _build(self, model, method):
        """A fresh record on which ``method`` is the next step (made by the superuser)."""
        env = self.env
        if (model, method) == ("res.partner", "action_approve"):
            return self._person("Draft", 30, approve=False)
        if model == "g2p.duplicate":
            twin = self._person("Twin", 33)
            return env["g2p.duplicate"].create(
                {
                    "registrant_id": self.household.id,
                    "duplicate_id": twin.id,
                    "reason": "manual",
                    "score": 0.5,
                }
            )
        if model == "g2p.change.request":
            return (
                env["g2p.change.request"]
                .with_user(self.role_users["reg"])
                .create({"partner_id": self.household.id, "changes": {"name": "Renamed"}})
                .sudo()
            )
        if model == "g2p.program":
            return self._program(name="Draft Program")
        if model == "g2p.cycle":
            cycle = self.program._create_next_cycle()
            if method == "action_approve":
                cycle.action_submit()
            return cycle
        if (model, method) == ("g2p.payroll", "action_transfer_to_psp"):
            return self.payroll
        if model == "g2p.payroll":
            payroll = env["g2p.payroll"].create({"cycle_id": self._approved_cycle().id})
            payroll.action_generate()
            if method == "action_approve":
                payroll.action_submit()
            return payroll
        if model == "g2p.program.fund":
            return env["g2p.program.fund"].create({"program_id": self.program.id, "amount": 500})
        if model == "g2p.insurance.policy":
            return env["g2p.insurance.policy"].create(
                {"product_id": self.product.id, "holder_id": self.household.id, "date_start": self.today}
            )
        if model == "g2p.insurance.claim":
            policy = env["g2p.insurance.policy"].create(
                {"product_id": self.product.id, "holder_id": self.household.id, "date_start": self.today}
            )
            policy.action_activate()
            policy._register_premium_payment(date=self.today)
            claim = env["g2p.insurance.claim"].create(
                {
                    "policy_id": policy.id,
                    "provider_id": self.bank_psp.id,
                    "provider_reference": "MX-1",
                    "member_id": policy.member_ids[:1].id,
                    "category_id": self.env.ref("g2p_insurance_accounting.category_outpatient").id,
                    "date_service": self.today,
                    "date_received": self.today,
                    "claimed_amount": 100,
                }
            )
            claim.action_receive()
            return claim
        raise AssertionError("no fixture for %s.%s" % (model, method))

    def _call_as(self, model, method, user):
        """'ok' or the exception's class name, the call undone."""
        outcome = "ok"
        try:
            with self.env.cr.savepoint():
                record = self._build(model, method)
                try:
                    getattr(record.with_user(user), method)()
                except Exception as error:  # noqa: BLE001 - reported as the cell's answer
                    outcome = type(error).__name__
                raise _Rollback
        except _Rollback:
            pass
        self.env.invalidate_all()
        return outcome

    def test_actions_per_role(self):
        for model, method, allowed in parse_actions():
            for column, user in self.role_users.items():
                with self.subTest(model=model, method=method, role=column):
                    expected = "ok" if column in allowed else "AccessError"
                    self.assertEqual(self._call_as(model, method, user), expected)


@tagged("post_install", "-at_install")
class TestRoleMatrixRpc(RoleMatrixCase):
    """The same answers through the web client's JSON-RPC: a real login per role, then call_kw."""

    def _login(self, column):
        self.opener.cookies.clear()
        login = "mx_%s" % column
        result = self.make_jsonrpc_request(
            "/web/session/authenticate", {"db": get_db_name(), "login": login, "password": login}
        )
        self.assertEqual(result["uid"], self.role_users[column].id)

    def _call(self, model, method, *args):
        """'ok' or the error's exception name (as the web client receives it)."""
        try:
            self.make_jsonrpc_request(
                "/web/dataset/call_kw", {"model": model, "method": method, "args": list(args), "kwargs": {}}
            )
        except JsonRpcException as error:
            return str(error).rsplit(".", 1)[-1]
        return "ok"

    def test_rpc_per_role(self):
        matrix = parse_matrix()
        allowed = {(m, method): roles for m, method, roles in parse_actions()}
        # One read and one write per model family (the value written is the one it has).
        samples = {
            "g2p.id.type": (self.national_id, {"validation_hint": "eight digits"}),
            "g2p.pay.point": (self.pay_point, {"name": "Kisumu PO"}),
            "g2p.program": (self.program, {"name": "Cash Plus"}),
            "g2p.payroll": (self.payroll, {}),
            "g2p.insurance.product": (self.product, {"name": "Matrix Cover"}),
            "g2p.program.membership": (self._sample("g2p.program.membership"), {}),
        }
        actions = [
            ("res.partner", "action_approve"),
            ("g2p.program", "action_activate"),
            ("g2p.program.fund", "action_post"),
            ("g2p.insurance.policy", "action_activate"),
        ]
        builder = TestRoleMatrixActions._build
        calls = 0
        for column in COLUMNS:
            self._login(column)
            for model, (record, vals) in samples.items():
                with self.subTest(model=model, role=column, op="read"):
                    expected = "ok" if "r" in matrix[model][column] else "AccessError"
                    self.assertEqual(self._call(model, "read", record.ids, ["display_name"]), expected)
                    calls += 1
                if vals:
                    with self.subTest(model=model, role=column, op="write"):
                        expected = "ok" if "w" in matrix[model][column] else "AccessError"
                        self.assertEqual(self._call(model, "write", record.ids, vals), expected)
                        calls += 1
            for model, method in actions:
                record = builder(self, model, method)
                with self.subTest(model=model, method=method, role=column):
                    expected = "ok" if column in allowed[model, method] else "AccessError"
                    self.assertEqual(self._call(model, method, record.ids), expected)
                    calls += 1
        self.assertGreaterEqual(calls, 12 * 14)


@tagged("post_install", "-at_install")
class TestRoleMatrixCompanies(RoleMatrixCase):
    """A G2P administrator of company A only sees nothing of company B (the fixture's company)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env["res.company"].create({"name": "Matrix Company A"})
        cls.user_a = new_test_user(
            cls.env,
            "mx_company_a",
            groups="g2p_registry.group_g2p_admin,base.group_allow_export",
            company_id=cls.company_a.id,
            company_ids=[Command.set(cls.company_a.ids)],
        )
        # Company B's registrants are its own (a registrant without a company is everyone's).
        cls.env["res.partner"].search([("is_registrant", "=", True)]).company_id = cls.company
        cls.registrant_a = cls._individual("Alpha", "Company", company_id=cls.company_a.id)
        cls.program_a = cls.env["g2p.program"].create(
            {
                "name": "A Program",
                "target_type": "group",
                "start_date": cls.today,
                "company_id": cls.company_a.id,
            }
        )

    def test_lists_and_counts(self):
        leaks = []
        for model in parse_matrix():
            if model in SHARED:
                continue
            Model = self.env[model].with_user(self.user_a)
            visible = Model.search([])
            company = "company_id" in Model._fields and Model._fields["company_id"].store
            mine = (
                visible.sudo().filtered(lambda r: r.company_id == self.company_a)
                if company
                else visible.browse()
            )
            if visible - mine:
                leaks.append(model)
                continue
            self.assertEqual(Model.search_count([]), len(mine), model)
            counted = Model._read_group([], aggregates=["__count"])[0][0]
            self.assertEqual(counted, len(mine), model)
        self.assertEqual(leaks, [], "company B's records seen by a user of company A")
        Partner = self.env["res.partner"].with_user(self.user_a)
        self.assertEqual(Partner.search([("is_registrant", "=", True)]), self.registrant_a)
        self.assertEqual(self.env["g2p.program"].with_user(self.user_a).search([]), self.program_a)

    def test_exports(self):
        Partner = self.env["res.partner"].with_user(self.user_a)
        self.assertEqual(
            Partner.browse(self.registrant_a.id).export_data(["name"])["datas"], [["Alpha Company"]]
        )
        for record in (self.household, self.program, self.payroll, self.payroll.line_ids[:1]):
            with self.subTest(model=record._name), self.assertRaises(AccessError):
                record.with_user(self.user_a).export_data(["display_name"])

    def test_fhir_patient_search(self):
        key = (
            self.env["res.users.apikeys"]
            .with_user(self.user_a)
            ._generate(None, "matrix", datetime.now() + timedelta(hours=1))
        )
        headers = {"Authorization": "Bearer %s" % key, "Accept": "application/fhir+json"}
        response = self.url_open("/fhir/R4/Patient", headers=headers, timeout=60)
        self.assertEqual(response.status_code, 200, response.text)
        names = [
            name.get("family")
            for entry in response.json().get("entry", [])
            for name in entry["resource"].get("name", [])
        ]
        self.assertEqual(names, ["Company"])
        response = self.url_open("/fhir/R4/Patient?family=Test", headers=headers, timeout=60)
        self.assertEqual(response.json().get("entry"), [], response.text)

    def test_fhir_bulk_export(self):
        key = (
            self.env["res.users.apikeys"]
            .with_user(self.user_a)
            ._generate(None, "matrix", datetime.now() + timedelta(hours=1))
        )
        headers = {"Authorization": "Bearer %s" % key, "Accept": "application/fhir+json"}
        with trap_jobs() as trap:
            response = self.url_open(
                "/fhir/R4/$export", headers={**headers, "Prefer": "respond-async"}, timeout=60
            )
            self.assertEqual(response.status_code, 202, response.text)
            status_url = response.headers["Content-Location"]
            rounds = 0
            while trap.enqueued_jobs and rounds < 50:
                for job in trap.enqueued_jobs:
                    job.recordset = job.recordset.with_env(job.env(cr=self.env.cr))
                trap.perform_enqueued_jobs()
                rounds += 1
        response = self.url_open(status_url, headers=headers, timeout=60)
        self.assertEqual(response.status_code, 200, response.text)
        exported = set()
        for output in response.json()["output"]:
            lines = self.url_open(output["url"], headers=headers, timeout=60).content.decode().splitlines()
            exported |= {(output["type"], json.loads(line)["id"]) for line in lines}
        self.assertIn(("Patient", str(self.registrant_a.id)), exported)
        company_b = {
            str(i) for i in self.env["res.partner"].search([("company_id", "=", self.company.id)]).ids
        }
        self.assertFalse({i for _type, i in exported} & company_b, "company B's registrants exported")
