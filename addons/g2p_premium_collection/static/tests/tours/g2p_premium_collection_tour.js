import { registry } from "@web/core/registry";

const toCovers = [
    { trigger: ".o_navbar_apps_menu button", run: "click" },
    { trigger: ".o_app[data-menu-xmlid='g2p_registry.menu_g2p_root']", run: "click" },
    {
        trigger: ".o_menu_sections [data-menu-xmlid='g2p_insurance_accounting.menu_g2p_insurance']",
        run: "click",
    },
];

// An insurance finance officer asks the payer of a cover's premium to pay it from their mobile
// wallet: the wallet number and the amount due are proposed, the request goes to the processor.
registry.category("web_tour.tours").add("g2p_premium_collection_tour", {
    steps: () => [
        ...toCovers,
        {
            trigger: ".dropdown-item[data-menu-xmlid='g2p_insurance_accounting.menu_g2p_insurance_policies']",
            run: "click",
        },
        { trigger: ".o_data_row:contains(Kinoti Family) td.o_data_cell", run: "click" },
        { trigger: ".o_field_widget[name=premium_residual]:contains(30,000.00)" },
        { trigger: "button[name=action_open_collect_wizard]", run: "click" },
        { trigger: ".modal .o_field_widget[name=amount] input:value(30,000.00)" },
        { trigger: ".modal .o_field_widget[name=payer_msisdn] input:value(+254711000001)" },
        { trigger: ".modal .o_field_widget[name=connector_id] input:value(Collection)" },
        { trigger: ".modal button[name=action_request]", run: "click" },
        { trigger: ".o_notification:contains(Collection requested):contains(approve them on their phones)" },
        { trigger: ".alert-info:contains(waiting for the payer's approval)" },
        { trigger: ".o_form_view:not(:has(button[name=action_open_collect_wizard]))" },
        { trigger: "button[name=action_view_collections]:contains(1)" },
    ],
});

// Once the processor confirmed it: the request is paid in the list and the cover is paid.
registry.category("web_tour.tours").add("g2p_premium_collection_paid_tour", {
    steps: () => [
        ...toCovers,
        {
            trigger: ".dropdown-item[data-menu-xmlid='g2p_premium_collection.menu_g2p_insurance_collections']",
            run: "click",
        },
        { trigger: ".o_data_row:contains(Kinoti Family):contains(Paid):contains(30,000.00) td[name=name]", run: "click" },
        { trigger: ".o_field_widget[name=psp_reference]:not(:empty)" },
        { trigger: "button[name=action_open_entry]" },
        { trigger: ".o_field_widget[name=policy_id] a", run: "click" },
        { trigger: ".o_field_widget[name=premium_paid] input:checked" },
        { trigger: ".o_form_view:not(:has(button[name=action_open_collect_wizard]))" },
    ],
});
