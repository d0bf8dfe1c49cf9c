import { registry } from "@web/core/registry";
import { currentState, openG2pMenu } from "./g2p_tour_steps";

// A G2P administrator opens a registrant's Privacy view (stored data, sources), requests the
// erasure of a registrant who was never paid and executes it.
registry.category("web_tour.tours").add("g2p_privacy_erasure_tour", {
    steps: () => [
        ...openG2pMenu("g2p_registry.menu_g2p_registry", "g2p_registry.menu_g2p_individuals"),
        { trigger: ".o_data_row:contains(Nafula Privacy) .o_data_cell[name=name]", run: "click" },
        { trigger: ".oe_stat_button[name=action_open_privacy]", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=reg_id_ids] .o_data_row:contains(55501234)" },
        { trigger: ".o_notebook .nav-link:contains(Sources)", run: "click" },
        { trigger: ".o_g2p_privacy_sources td:contains(Record created)" },
        { trigger: ".o_form_view button[name=action_request_erasure]", run: "click" },
        { trigger: ".modal .o_field_widget[name=reason] textarea", run: "edit Consent withdrawn by letter" },
        { trigger: ".modal button[name=action_submit]", run: "click" },
        currentState("Requested"),
        { trigger: ".o_form_view button[name=action_execute]", run: "click" },
        { trigger: ".modal-footer .btn-primary", run: "click" },
        { trigger: ".o_notification:contains(is erased)" },
        currentState("Erased"),
        { trigger: ".o_form_view .alert-success:contains(1 IDs)" },
    ],
});
