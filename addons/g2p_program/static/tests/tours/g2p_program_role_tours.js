import { registry } from "@web/core/registry";
import { currentState, openG2pMenu } from "@g2p_registry/../tests/tours/g2p_tour_steps";

// A program manager's day: open the program, preview who is eligible, activate it, enrol, open a
// cycle and submit it. The maker never sees the cycle's Approve button.
registry.category("web_tour.tours").add("g2p_program_manager_tour", {
    steps: () => [
        ...openG2pMenu("g2p_program.menu_g2p_programs", "g2p_program.menu_g2p_program_list"),
        { trigger: ".o_kanban_record:contains(Tourville Grant)", run: "click" },
        currentState("Draft"),
        { trigger: ".o_form_view .text-muted:contains(Not previewed yet)" },
        // Preview: the two approved Tourville households, in household columns; the draft one is not eligible.
        { trigger: ".o_form_view button[name=action_preview_eligibility]", run: "click" },
        { trigger: ".o_list_view .o_data_row:contains(Tourville Otieno)" },
        { trigger: ".o_list_view .o_data_row:contains(Tourville Wanjiru)" },
        { trigger: ".o_list_view thead th[data-name=household_size]" },
        { trigger: ".o_list_view:not(:has(.o_data_row:contains(Tourville Pending)))" },
        { trigger: ".o_breadcrumb .breadcrumb-item a:contains(Tourville Grant)", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=preview_count]:contains(2)" },
        // Activate, then enrol.
        { trigger: ".o_form_view button[name=action_activate]", run: "click" },
        { trigger: ".o_notification:contains(Tourville Grant is active)" },
        currentState("Active"),
        { trigger: ".o_form_view button[name=action_enrol_eligible]", run: "click" },
        { trigger: ".o_notification:contains(2 registrants newly enrolled)" },
        { trigger: ".o_form_view button[name=action_view_members] .o_stat_value:contains(2)" },
        // Open the first cycle and submit it.
        { trigger: ".o_form_view button[name=action_new_cycle]", run: "click" },
        { trigger: ".o_notification:contains(Cycle created)" },
        { trigger: ".o_form_view .o_field_widget[name=program_id]:contains(Tourville Grant)" },
        currentState("Draft"),
        { trigger: ".o_form_view button[name=action_submit]", run: "click" },
        { trigger: ".o_notification:contains(Submitted for approval)" },
        currentState("To Approve"),
        // Maker-checker: the maker sees no Approve button.
        {
            trigger: ".o_form_view .o_form_statusbar:not(:has(button[name=action_approve]))",
        },
        { trigger: ".o_form_view .o_field_widget[name=submitted_by_id]:contains(Tour Manager)" },
    ],
});

// A second program manager approves the cycle the first one submitted.
registry.category("web_tour.tours").add("g2p_program_checker_tour", {
    steps: () => [
        ...openG2pMenu("g2p_program.menu_g2p_programs", "g2p_program.menu_g2p_cycle"),
        { trigger: ".o_list_view .o_data_row:contains(Tourville Grant) td.o_data_cell", run: "click" },
        currentState("To Approve"),
        { trigger: ".o_form_view button[name=action_approve]", run: "click" },
        { trigger: ".o_notification:contains(Cycle approved)" },
        currentState("Approved"),
        { trigger: ".o_form_view .o_form_statusbar:not(:has(button[name=action_approve]))" },
        { trigger: ".o_form_view .o_field_widget[name=approved_by_id]:contains(Tour Checker)" },
    ],
});
