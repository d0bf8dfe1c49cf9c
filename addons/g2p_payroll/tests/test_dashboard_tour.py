from odoo.tests import HttpCase, tagged

from . import test_dashboard


@tagged("post_install", "-at_install")
class TestDashboardTours(HttpCase, test_dashboard.TestDashboards):
    """Each dashboard opens in the browser as a finance officer (Odoo saves a screenshot when a
    tour fails)."""

    # The figures themselves are tested in TestDashboards; only the tours run here.
    test_program_figures_match_the_payroll = None
    test_kanban_figures_queries_do_not_grow_with_programs = None
    test_analysis_has_no_empty_groups = None
    test_finance_figures_match_the_ledger = None
    test_finance_dashboard_is_for_finance = None
    test_finance_figures_keep_their_ids_when_others_appear = None

    def setUp(self):
        super().setUp()
        self._scenario()

    def test_program_dashboard_tour(self):
        self.start_tour(
            "/odoo/action-g2p_payroll.action_g2p_program_dashboard",
            "g2p_program_dashboard_tour",
            login="finance_officer",
        )

    def test_finance_dashboard_tour(self):
        self.start_tour(
            "/odoo/action-g2p_payroll.action_g2p_finance_dashboard",
            "g2p_finance_dashboard_tour",
            login="finance_officer",
        )

    def test_payroll_analysis_tour(self):
        self.start_tour(
            "/odoo/action-g2p_payroll.action_g2p_payroll_analysis",
            "g2p_payroll_analysis_tour",
            login="finance_officer",
        )
