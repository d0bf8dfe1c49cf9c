import { formatDate } from "@web/core/l10n/dates";
import { registry } from "@web/core/registry";

const { DateTime } = luxon;

// A claims officer's day: from the Claims menu, record a hospital's claim for a covered member,
// read what the cover would pay, receive it, approve it and read what the cover pays.
registry.category("web_tour.tours").add("g2p_claims_tour", {
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
            trigger: ".dropdown-item[data-menu-xmlid='g2p_insurance_accounting.menu_g2p_insurance_claims']",
            run: "click",
        },
        { trigger: ".o_breadcrumb:contains(Claims)" },
        { trigger: ".o_list_button_add", run: "click" },
        // The cover is found by its holder's name.
        { trigger: ".o_field_widget[name=policy_id] input", run: "edit Kinoti" },
        { trigger: ".o-autocomplete--dropdown-item:contains(Kinoti Family)", run: "click" },
        { trigger: ".o_field_widget[name=holder_id]:contains(Kinoti Family)" },
        { trigger: ".o_field_widget[name=member_id] input", run: "edit Brian" },
        { trigger: ".o-autocomplete--dropdown-item:contains(Brian Kinoti)", run: "click" },
        { trigger: ".o_field_widget[name=category_id] input", run: "edit Optical" },
        { trigger: ".o-autocomplete--dropdown-item:contains(Optical)", run: "click" },
        // The cover's terms for the category: a cap per claim, no cap per period.
        { trigger: ".o_field_widget[name=cap_instance]:contains(5,000.00)" },
        { trigger: ".o_field_widget[name=cap_period]:contains(No cap)" },
        { trigger: ".o_field_widget[name=category_left]:contains(No cap)" },
        // A claims officer cannot create contacts: the hospital is picked, never created here.
        { trigger: ".o_field_widget[name=provider_id] input", run: "edit Kikuyu" },
        {
            trigger:
                ".o-autocomplete--dropdown-menu:has(.o-autocomplete--dropdown-item:contains(Kikuyu Eye Hospital))" +
                ":not(:has(.o_m2o_dropdown_option_create)):not(:has(.o_m2o_dropdown_option_create_edit))",
        },
        { trigger: ".o-autocomplete--dropdown-item:contains(Kikuyu Eye Hospital)", run: "click" },
        { trigger: ".o_field_widget[name=provider_reference] input", run: "edit KEH-TOUR-1" },
        {
            trigger: ".o_field_widget[name=date_service] input",
            run: `edit ${formatDate(DateTime.now().minus({ days: 3 }))} && click .o_form_sheet h1`,
        },
        {
            trigger: ".o_field_widget[name=claimed_amount] input",
            run: "edit 8000 && click .o_form_sheet h1",
        },
        // Before it is received, the form says what the cover would pay and what the family would.
        { trigger: ".o_field_widget[name=expected_amount]:contains(5,000.00)" },
        { trigger: ".o_field_widget[name=expected_excess]:contains(3,000.00)" },
        { trigger: ".o_form_button_save", run: "click" },
        { trigger: ".o_form_saved" },
        { trigger: "button[name=action_receive]", run: "click" },
        { trigger: ".o_notification:contains(Claim received):contains(8,000.00)" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Received)" },
        { trigger: "button[name=action_approve]", run: "click" },
        { trigger: ".o_notification:contains(Claim approved):contains(5,000.00):contains(3,000.00)" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Approved)" },
        { trigger: ".o_field_widget[name=approved_amount]:contains(5,000.00)" },
        { trigger: ".o_field_widget[name=excess_amount]:contains(3,000.00)" },
        { trigger: ".o_form_view:not(:has(button[name=action_approve]))" },
    ],
});
