from odoo.tests import TransactionCase, new_test_user


class TestProgramSecurity(TransactionCase):
    def test_group_and_menu(self):
        group = self.env.ref("g2p_program.group_g2p_program_manager")
        menu = self.env.ref("g2p_program.menu_g2p_programs")
        registrar_group = self.env.ref("g2p_registry.group_g2p_registrar")
        finance = self.env.ref("g2p_payroll.group_g2p_finance_officer", raise_if_not_found=False)
        approver = self.env.ref("g2p_payroll.group_g2p_payroll_approver", raise_if_not_found=False)
        readers = (finance | approver) if finance else self.env["res.groups"]
        self.assertEqual(
            menu.group_ids,
            group | registrar_group | readers,
            "program managers, and registrars, finance officers and payroll approvers (read) see the menu",
        )
        self.assertEqual(menu.parent_id, self.env.ref("g2p_registry.menu_g2p_root"))
        admin = new_test_user(self.env, "g2p_admin_t", groups="g2p_registry.group_g2p_admin")
        plain = new_test_user(self.env, "plain_t", groups="base.group_user")
        self.assertTrue(
            admin.has_group("g2p_program.group_g2p_program_manager"), "G2P administrators hold every G2P role"
        )
        self.assertFalse(plain.has_group("g2p_program.group_g2p_program_manager"))
