from odoo.tests import TransactionCase, new_test_user


class TestPayrollRoles(TransactionCase):
    def test_finance_and_approval_are_separate_duties(self):
        finance = new_test_user(self.env, "fin_t", groups="g2p_payroll.group_g2p_finance_officer")
        approver = new_test_user(self.env, "appr_t", groups="g2p_payroll.group_g2p_payroll_approver")
        admin = new_test_user(self.env, "adm_t", groups="g2p_registry.group_g2p_admin")
        self.assertFalse(finance.has_group("g2p_payroll.group_g2p_payroll_approver"))
        self.assertFalse(approver.has_group("g2p_payroll.group_g2p_finance_officer"))
        self.assertFalse(
            approver.has_group("g2p_registry.group_g2p_registrar"), "approvers do not edit the registry"
        )
        self.assertTrue(admin.has_group("g2p_payroll.group_g2p_finance_officer"))
        self.assertTrue(admin.has_group("g2p_payroll.group_g2p_payroll_approver"))
        menu = self.env.ref("g2p_payroll.menu_g2p_payroll")
        self.assertEqual(
            menu.group_ids,
            self.env.ref("g2p_payroll.group_g2p_finance_officer")
            | self.env.ref("g2p_payroll.group_g2p_payroll_approver")
            | self.env.ref("g2p_program.group_g2p_program_manager"),
        )
