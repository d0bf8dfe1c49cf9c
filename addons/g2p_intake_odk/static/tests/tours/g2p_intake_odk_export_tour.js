import { registry } from "@web/core/registry";
import { inputFiles } from "@web/../tests/utils";

// A G2P administrator of an offline site uploads the CSV export zip downloaded from ODK Central.
// The zip is the file the test saved as /web/content/g2p_intake_odk.tour_export_zip (what the
// person has on their disk).
registry.category("web_tour.tours").add("g2p_intake_odk_export_tour", {
    steps: () => [
        { trigger: ".o_list_view .o_data_row:contains(Household survey) td[name=name]", run: "click" },
        { trigger: ".o_form_view button[name=action_open_import_export]", run: "click" },
        { trigger: ".modal .o_form_view:contains(Submissions already received)" },
        {
            trigger: ".modal .o_field_widget[name=export_file] .o_select_file_button",
            async run() {
                const response = await fetch("/web/content/g2p_intake_odk.tour_export_zip?download=true");
                const zip = new File([await response.blob()], "household_survey.zip", {
                    type: "application/zip",
                });
                await inputFiles(".modal .o_field_widget[name=export_file] input[type=file]", [zip]);
            },
        },
        { trigger: ".modal .o_field_widget[name=export_file] .o_clear_file_button" },
        { trigger: ".modal-footer button[name=action_import]", run: "click" },
        { trigger: ".o_notification:contains(CSV export imported):contains(3 submission(s) read, 3 new)" },
        { trigger: ".o_form_view .oe_stat_button[name=action_open_records]:contains(Staged):contains(3)" },
        // A file that is not Central's export is refused with a message that says what to upload.
        { trigger: ".o_form_view button[name=action_open_import_export]", run: "click" },
        {
            trigger: ".modal .o_field_widget[name=export_file] .o_select_file_button",
            async run() {
                const bad = new File(["name,phone\nAmina,+254700000000\n"], "people.zip", {
                    type: "application/zip",
                });
                await inputFiles(".modal .o_field_widget[name=export_file] input[type=file]", [bad]);
            },
        },
        { trigger: ".modal .o_field_widget[name=export_file] .o_clear_file_button" },
        { trigger: ".modal-footer button[name=action_import]", run: "click" },
        { trigger: ".modal:contains(The file is not a zip):contains(Central's Download button)" },
    ],
});
