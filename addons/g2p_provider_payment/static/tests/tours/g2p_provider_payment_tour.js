import { registry } from "@web/core/registry";

const toRuns = [
    { trigger: ".o_navbar_apps_menu button", run: "click" },
    { trigger: ".o_app[data-menu-xmlid='g2p_registry.menu_g2p_root']", run: "click" },
    {
        trigger: ".o_menu_sections [data-menu-xmlid='g2p_insurance_accounting.menu_g2p_insurance']",
        run: "click",
    },
    {
        trigger: ".dropdown-item[data-menu-xmlid='g2p_provider_payment.menu_g2p_provider_payment_runs']",
        run: "click",
    },
];

// The maker: an insurance finance officer prepares a run of the approved claims and submits it.
registry.category("web_tour.tours").add("g2p_provider_payment_prepare_tour", {
    steps: () => [
        ...toRuns,
        { trigger: ".o_list_button_add", run: "click" },
        { trigger: ".o_field_widget[name=connector_id] input", run: "edit Provider payments" },
        { trigger: ".o-autocomplete--dropdown-item:contains(Provider payments)", run: "click" },
        { trigger: "button[name=action_load_claims]:contains(Load Claims)", run: "click" },
        { trigger: ".o_notification:contains(Claims loaded):contains(2 approved claims loaded for Gertrude Children's Hospital)" },
        { trigger: ".o_field_widget[name=line_ids] .o_data_row:contains(Gertrude Children's Hospital):contains(42,500.00)" },
        { trigger: "button[name=action_submit]", run: "click" },
        { trigger: ".o_notification:contains(Another finance officer approves it)" },
        { trigger: ".alert-info:contains(Waiting for approval by another finance officer)" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains(To Approve)" },
    ],
});

// The checker: another finance officer approves the run and sends the payments.
registry.category("web_tour.tours").add("g2p_provider_payment_approve_tour", {
    steps: () => [
        ...toRuns,
        { trigger: ".o_data_row:contains(To Approve) td[name=name]", run: "click" },
        { trigger: "button[name=action_approve]", run: "click" },
        { trigger: ".o_notification:contains(Payment run approved)" },
        { trigger: "button[name=action_send]", run: "click" },
        { trigger: ".o_notification:contains(1 payments sent to the processor)" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains(In Payment)" },
        { trigger: "button[name=action_view_transfers]:contains(1)" },
    ],
});
