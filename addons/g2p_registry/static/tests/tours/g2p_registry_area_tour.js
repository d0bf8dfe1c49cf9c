import { registry } from "@web/core/registry";

// A registrar limited to Kisumu County: the households list shows Kisumu's households only; a
// household opens with its area; a new household is in Kisumu County without choosing it.
registry.category("web_tour.tours").add("g2p_registry_area_tour", {
    steps: () => [
        { trigger: ".o_list_view .o_data_row:contains(Odhiambo Household)" },
        { trigger: ".o_list_view .o_data_row:contains(Ouma Household)" },
        { trigger: ".o_list_view:not(:has(.o_data_row:contains(Kamau Household)))" },
        { trigger: ".o_list_view:not(:has(.o_data_row:contains(Nowhere Household)))" },
        { trigger: ".o_data_row:contains(Odhiambo Household) .o_data_cell[name=name]", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=area_id] input:value(Kisumu T)" },
        { trigger: ".o_form_view .o_field_widget[name=name] input:value(Odhiambo Household)" },
        { trigger: ".o_control_panel .o_form_button_create, .o_control_panel button:contains(New)", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=name] input:value()" },
        { trigger: ".o_form_view .o_field_widget[name=area_id] input:value(Kisumu T)" },
        { trigger: ".o_form_view .o_field_widget[name=name] input", run: "edit Tour Kisumu Household" },
        { trigger: ".o_form_button_save", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=registrant_number] span:contains(HH-)" },
        { trigger: ".o_form_view .o_field_widget[name=area_id] input:value(Kisumu T)" },
    ],
});
