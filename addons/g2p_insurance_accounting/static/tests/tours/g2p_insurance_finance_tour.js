import { formatDate } from "@web/core/l10n/dates";
import { registry } from "@web/core/registry";

const { DateTime } = luxon;

// An insurance finance officer's day: from the Covers menu, open a cover for a household on the
// scheme's product, activate it (the premium is invoiced) and register the premium received.
registry.category("web_tour.tours").add("g2p_insurance_finance_tour", {
    steps: () => [
        { trigger: ".o_navbar_apps_menu button", run: "click" },
        {
            trigger: ".o_app[data-menu-xmlid='g2p_registry.menu_g2p_root']",
            run: "click",
        },
        {
            trigger: ".o_menu_sections [data-menu-xmlid='g2p_insurance_accounting.menu_g2p_insurance']",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='g2p_insurance_accounting.menu_g2p_insurance_policies']",
            run: "click",
        },
        { trigger: ".o_list_button_add", run: "click" },
        { trigger: ".o_field_widget[name=holder_id] input", run: "edit Kinoti" },
        { trigger: ".o-autocomplete--dropdown-item:contains(Kinoti Family)", run: "click" },
        { trigger: ".o_field_widget[name=product_id] input", run: "edit Family" },
        { trigger: ".o-autocomplete--dropdown-item:contains(Family Cover)", run: "click" },
        {
            trigger: ".o_field_widget[name=date_start] input",
            run: `edit ${formatDate(DateTime.now().minus({ days: 10 }))} && click .o_form_sheet h1`,
        },
        // The product's premium is proposed.
        { trigger: ".o_field_widget[name=premium_amount] input:value(30,000.00)" },
        { trigger: ".o_form_button_save", run: "click" },
        { trigger: ".o_form_saved" },
        // The household's members are covered.
        { trigger: ".o_field_widget[name=member_ids] .o_data_row:contains(Brian Kinoti)" },
        { trigger: "button[name=action_activate]", run: "click" },
        { trigger: ".o_notification:contains(is active from):contains(30,000.00)" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Active)" },
        { trigger: ".o_field_widget[name=premium_residual]:contains(30,000.00)" },
        { trigger: "button[name=action_open_premium_payment_wizard]", run: "click" },
        { trigger: ".modal .o_field_widget[name=amount] input:value(30,000.00)" },
        { trigger: ".modal button[name=action_register]", run: "click" },
        { trigger: ".o_notification:contains(Premium payment registered):contains(30,000.00)" },
        { trigger: ".o_field_widget[name=premium_paid] input:checked" },
        { trigger: ".o_form_view:not(:has(button[name=action_open_premium_payment_wizard]))" },
    ],
});
