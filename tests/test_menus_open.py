"""Every G2P menu a role sees opens for that role: its views load, its list reads, and its records
open in the form, with the fields and display names the web client asks for. A menu shown to a role
that then answers with an Access Error is the kind of defect a browser walk finds; this test finds it
for every role and every menu at once."""

from lxml import etree

from odoo.tests import new_test_user
from odoo.tools.safe_eval import safe_eval

from odoo.addons.g2p_payroll.tests.common import PayrollCase

ROLES = [
    "g2p_registry.group_g2p_registrar",
    "g2p_registry.group_g2p_registry_validator",
    "g2p_program.group_g2p_program_manager",
    "g2p_payroll.group_g2p_payroll_approver",
    "g2p_payroll.group_g2p_finance_officer",
    "g2p_insurance_accounting.group_g2p_claims_officer",
    "g2p_insurance_accounting.group_g2p_insurance_finance",
    "g2p_registry.group_g2p_admin",
    "g2p_voucher.group_g2p_pay_point_agent",
]


class TestMenusOpen(PayrollCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._paid_household("MENU-HH", [34, 7], number="+254711000222")
        cls._fund(100_000)

    def _spec(self, arch, fields):
        """What the web client reads for a view: its own fields (not those of embedded x2many
        views), relational ones with their display names."""
        spec = {}
        for node in etree.fromstring(arch).iter("field"):
            name = node.get("name")
            if name not in fields or any(parent.tag == "field" for parent in node.iterancestors()):
                continue
            relational = fields[name]["type"] in ("many2one", "many2many", "one2many")
            spec[name] = {"fields": {"display_name": {}}} if relational else {}
        return spec

    def _open(self, user, menu):
        action = menu.action.sudo()
        if action._name != "ir.actions.act_window":
            return 0
        env = self.env(user=user)
        eval_context = {
            **env["ir.actions.actions"]._get_eval_context(action),
            "context": dict(env.context),
            "allowed_company_ids": user.company_ids.ids,
            "active_id": False,
            "active_ids": [],
        }
        context = safe_eval(action.context or "{}", eval_context)
        domain = safe_eval(action.domain or "[]", {**eval_context, "context": context})
        Model = env[action.res_model].with_context(**context)
        views = [(view.id, kind) for view, kind in ((v.view_id, v.view_mode) for v in action.view_ids)]
        modes = [kind for kind in action.view_mode.split(",") if kind not in dict(views).values()]
        views += [(False, kind) for kind in modes]
        result = Model.get_views(views + [(action.search_view_id.id or False, "search")])
        fields = result["models"][action.res_model]["fields"]
        arches = {kind: view["arch"] for kind, view in result["views"].items()}
        listing = next((kind for kind in ("list", "kanban") if kind in arches), None)
        if listing:
            listed = Model.web_search_read(domain, self._spec(arches[listing], fields), limit=3)
            ids = [record["id"] for record in listed["records"]]
        else:
            ids = Model.search(domain, limit=3).ids
        if "form" in arches:
            spec = self._spec(arches["form"], fields)
            if ids:
                Model.browse(ids).web_read(spec)
            elif Model.has_access("create"):
                Model.onchange({}, [], spec)
        return 1

    def test_every_visible_g2p_menu_opens_for_its_role(self):
        root = self.env.ref("g2p_registry.menu_g2p_root")
        menus = self.env["ir.ui.menu"].search([("id", "child_of", root.id), ("action", "!=", False)])
        self.assertGreater(len(menus), 10)
        refused = []
        for i, group in enumerate(ROLES):
            user = new_test_user(self.env, "menu_open_%s" % i, groups=group)
            visible = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
            opened = 0
            # The web client shows a menu when it and every menu above it are visible.
            shown = menus.filtered(
                lambda m, visible=visible: all(int(i) in visible for i in m.parent_path.strip("/").split("/"))
            )
            for menu in shown:
                try:
                    with self.env.cr.savepoint():
                        opened += self._open(user, menu)
                except Exception as error:  # noqa: BLE001 - every refusal is listed, then the test fails
                    refused.append("%s | %s: %s" % (group, menu.complete_name, str(error).splitlines()[0]))
            if not opened:
                refused.append("%s opens no G2P list at all" % group)
        self.assertFalse(refused, "\n".join(refused))
