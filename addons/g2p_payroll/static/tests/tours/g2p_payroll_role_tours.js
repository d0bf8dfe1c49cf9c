import { registry } from "@web/core/registry";
import { currentState, openG2pMenu } from "@g2p_registry/../tests/tours/g2p_tour_steps";

// The program manager generates the payroll of the approved cycle and submits it; the maker sees
// no Approve button on the payroll.
registry.category("web_tour.tours").add("g2p_payroll_maker_tour", {
    steps: () => [
        ...openG2pMenu("g2p_program.menu_g2p_programs", "g2p_program.menu_g2p_cycle"),
        { trigger: ".o_list_view .o_data_row:contains(Cash Plus) td.o_data_cell", run: "click" },
        currentState("Approved"),
        { trigger: ".o_form_view button[name=action_new_payroll]", run: "click" },
        { trigger: ".o_notification:contains(Payments generated):contains(2 payments)" },
        { trigger: ".o_form_view .o_field_widget[name=payroll_type]" },
        currentState("Draft"),
        { trigger: ".o_form_view button[name=action_view_lines] .o_stat_value:contains(2)" },
        { trigger: ".o_form_view button[name=action_submit]", run: "click" },
        { trigger: ".o_notification:contains(Submitted for approval)" },
        currentState("To Approve"),
        { trigger: ".o_form_view .o_form_statusbar:not(:has(button[name=action_approve]))" },
    ],
});

// The payroll approver opens the submitted payroll, reads its totals by PSP, then approves it.
registry.category("web_tour.tours").add("g2p_payroll_approver_tour", {
    steps: () => [
        ...openG2pMenu("g2p_payroll.menu_g2p_payroll", "g2p_payroll.menu_g2p_payroll_to_approve"),
        { trigger: ".o_searchview .o_facet_value:contains(To Approve)" },
        { trigger: ".o_list_view .o_data_row:contains(Cash Plus):contains(To Approve) td.o_data_cell", run: "click" },
        currentState("To Approve"),
        { trigger: ".o_notebook .nav-link:contains(Totals by PSP)", run: "click" },
        { trigger: ".o_field_widget[name=psp_summary_ids] .o_data_row:contains(Wallet Co):contains(1,500.00)" },
        { trigger: ".o_field_widget[name=psp_summary_ids] .o_data_row:contains(Bank Co):contains(1,750.00)" },
        { trigger: ".o_field_widget[name=psp_summary_ids] tfoot:contains(3,250.00)" },
        { trigger: ".o_form_view button[name=action_send_back]" },
        { trigger: ".o_form_view button[name=action_approve]", run: "click" },
        { trigger: ".modal-footer button.btn-primary", run: "click" },
        { trigger: ".o_notification:contains(Payroll approved):contains(2 payments)" },
        currentState("Approved"),
        { trigger: ".o_form_view .o_form_statusbar:not(:has(button[name=action_approve]))" },
    ],
});
