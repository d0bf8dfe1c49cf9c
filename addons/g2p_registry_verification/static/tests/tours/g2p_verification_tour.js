import { registry } from "@web/core/registry";

import { openG2pMenu } from "@g2p_registry/../tests/tours/g2p_tour_steps";

// A registrar finds a person, asks the civil registry about their national ID from the ID's line,
// and reads the outcome: verified for one, a mismatch with the differing field for the other.
registry.category("web_tour.tours").add("g2p_verification_tour", {
    steps: () => [
        ...openG2pMenu("g2p_registry.menu_g2p_registry", "g2p_registry.menu_g2p_individuals"),
        { trigger: ".o_list_view .o_data_row:contains(Amina Tour) .o_data_cell[name=name]", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=given_name] input:value(Amina)" },
        { trigger: ".o_field_widget[name=reg_id_ids] .o_data_row:contains(12345678) button[name=action_verify]", run: "click" },
        { trigger: ".o_notification:contains(Verified: 1)" },
        { trigger: ".o_field_widget[name=reg_id_ids] .o_data_row:contains(12345678) .badge:contains(Verified)" },
        ...openG2pMenu("g2p_registry.menu_g2p_registry", "g2p_registry.menu_g2p_individuals"),
        { trigger: ".o_list_view .o_data_row:contains(Brian Tour) .o_data_cell[name=name]", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=given_name] input:value(Brian)" },
        { trigger: ".o_field_widget[name=reg_id_ids] .o_data_row:contains(23456789) button[name=action_verify]", run: "click" },
        { trigger: ".o_field_widget[name=reg_id_ids] .o_data_row:contains(23456789) .badge:contains(Mismatch)" },
        { trigger: ".o_field_widget[name=reg_id_ids] .o_data_row:contains(Family Name: registry)" },
    ],
});
