import { registry } from "@web/core/registry";

// A G2P administrator pulls an ODK Central form and opens what was staged.
registry.category("web_tour.tours").add("g2p_intake_odk_pull_tour", {
    steps: () => [
        { trigger: ".o_list_view .o_data_row:contains(Household survey) td[name=name]", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=odk_form_id] input" },
        { trigger: ".o_form_view button[name=action_pull]", run: "click" },
        { trigger: ".o_notification:contains(Pull complete):contains(3 submission(s) read)" },
        { trigger: ".o_form_view .oe_stat_button[name=action_open_records]:contains(Staged):contains(3)", run: "click" },
        { trigger: ".o_list_view .o_data_row:contains(Error)" },
        { trigger: ".o_list_view .o_data_row:contains(not a valid phone number)" },
    ],
});

// A registrar reviews the staging list: an error names the field; re-processing it unchanged says
// why it still fails; a test submission is rejected with a reason.
registry.category("web_tour.tours").add("g2p_intake_odk_review_tour", {
    steps: () => [
        { trigger: ".o_list_view .o_data_row:contains(members[1]/phone) td[name=display_label]", run: "click" },
        { trigger: ".o_form_view .alert-danger:contains(members[1]/phone):contains(not a valid phone number)" },
        { trigger: ".o_form_view .o_statusbar_buttons button[name=action_reprocess]", run: "click" },
        { trigger: ".o_notification:contains(Not imported)" },
        { trigger: ".o_form_view .o_field_widget[name=reject_reason] textarea", run: "edit Training submission, not a real household" },
        { trigger: ".o_form_view .o_statusbar_buttons button[name=action_reject]", run: "click" },
        { trigger: ".modal-footer .btn-primary", run: "click" },
        { trigger: ".o_notification:contains(rejected)" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Rejected)" },
        { trigger: ".o_form_view .o_field_widget[name=rejected_by_id]:contains(Tour Registrar)" },
        { trigger: ".o_breadcrumb a:contains(Staging Records)", run: "click" },
        { trigger: ".o_searchview .o_facet_remove", run: "click" },
        { trigger: ".o_list_view .o_data_row:contains(Imported) td[name=display_label]", run: "click" },
        { trigger: ".o_form_view .oe_stat_button[name=action_open_registrants]", run: "click" },
        { trigger: ".o_form_view .oe_stat_button:contains(Intake)" },
        { trigger: ".o_form_view .o_field_widget[name=partner_latitude]" },
    ],
});
