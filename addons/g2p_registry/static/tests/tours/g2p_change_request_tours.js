import { registry } from "@web/core/registry";
import { currentState, openG2pMenu } from "./g2p_tour_steps";

// A registrar corrects an approved person's family name: saving proposes the change (the form
// says so and keeps the approved name) and the request shows under "Changes to Approve", where
// the registrar cannot approve it.
registry.category("web_tour.tours").add("g2p_change_request_propose_tour", {
    steps: () => [
        ...openG2pMenu("g2p_registry.menu_g2p_registry", "g2p_registry.menu_g2p_individuals"),
        { trigger: ".o_data_row:contains(Halima Wekesa) .o_data_cell[name=name]", run: "click" },
        { trigger: ".o_form_view .alert-info:contains(proposed when you save)" },
        { trigger: ".o_form_view .o_field_widget[name=family_name] input", run: "edit Wekesa-Barasa" },
        { trigger: ".o_form_button_save", run: "click" },
        { trigger: ".o_form_view .alert-warning:contains(await a registry validator)" },
        { trigger: ".o_form_view .o_field_widget[name=family_name] input:value(Wekesa)" },
        { trigger: ".oe_stat_button[name=action_open_change_requests]", run: "click" },
        { trigger: ".o_data_row:contains(Halima Wekesa) .o_data_cell[name=summary]:contains(Family Name)", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=line_ids] .o_data_row:contains(Wekesa-Barasa)" },
        { trigger: ".o_form_view .alert-info:contains(did not propose it)" },
        { trigger: ".o_form_view:not(:has(button[name=action_approve]))" },
        currentState("To Approve"),
    ],
});

// A registry validator opens the change requests to approve, reads old → new, and applies it.
registry.category("web_tour.tours").add("g2p_change_request_approve_tour", {
    steps: () => [
        ...openG2pMenu("g2p_registry.menu_g2p_registry", "g2p_registry.menu_g2p_change_requests"),
        { trigger: ".o_data_row:contains(Halima Wekesa) .o_data_cell[name=partner_id]", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=line_ids] .o_data_row:contains(Wekesa-Barasa)" },
        { trigger: ".o_form_view button[name=action_approve]", run: "click" },
        { trigger: ".modal-footer .btn-primary", run: "click" },
        { trigger: ".o_notification:contains(is applied to)" },
        currentState("Applied"),
    ],
});
