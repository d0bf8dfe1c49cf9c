import { registry } from "@web/core/registry";

// A registrar's path: open Households, register one, see its registry number and draft status.
registry.category("web_tour.tours").add("g2p_registry_household_tour", {
    steps: () => [
        { trigger: ".o_list_view, .o_kanban_view" },
        { trigger: ".o_control_panel_main_buttons button.o-kanban-button-new, .o_list_button_add", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=name] input", run: "edit Tour Household" },
        { trigger: ".o_form_button_save", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=registrant_number] span:contains(HH-)" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Draft)" },
    ],
});
