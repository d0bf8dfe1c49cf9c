import { registry } from "@web/core/registry";

// Two households: HH-1 is valid, HH-2 has a phone number that is not one.
const CSV = [
    "household_key,household_name,village,head,relationship,given_name,family_name,gender,birthdate,phone,id_type,id_number",
    "HH-1,Tour household,Kisumu,yes,,Amani,Tour,female,1985-04-01,+254712009001,,",
    "HH-1,,,no,child,Bahati,Tour,male,2015-09-12,,,",
    "HH-2,,,yes,,Chausiku,Wrong,female,1990-01-01,12,,",
].join("\n");

// What a person does when choosing a file in the browser's file dialog.
async function chooseFile(input, name, text) {
    const file = new File([text], name, { type: "text/csv" });
    const transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
}

// A registrar imports a file: template links, dry run with the row errors, import, staging records.
registry.category("web_tour.tours").add("g2p_intake_file_import_tour", {
    steps: () => [
        { trigger: ".o_main_navbar .o_menu_sections button:contains(Registry)", run: "click" },
        { trigger: ".o-dropdown-item:contains(Import a File)", run: "click" },
        { trigger: ".modal .alert-info:contains(household_key)" },
        { trigger: ".modal footer button:contains(XLSX Template)" },
        {
            // The file input itself is hidden behind the "Upload your file" button.
            trigger: ".modal .o_field_widget[name=file]:contains(Upload your file)",
            run: async ({ anchor }) =>
                chooseFile(anchor.querySelector("input[type=file]"), "households.csv", CSV),
        },
        { trigger: ".modal .o_field_widget[name=file]:not(:contains(Upload your file)) input[type=text]" },
        { trigger: ".modal footer button[name=action_check]", run: "click" },
        { trigger: ".o_notification:contains(Dry run):contains(3 rows, 2 households)" },
        { trigger: ".modal .o_data_row:contains(HH-2):contains(phone):contains(not a valid phone number)" },
        { trigger: ".modal .o_field_widget[name=valid_household_count]:contains(1)" },
        { trigger: ".modal footer button[name=action_import]", run: "click" },
        { trigger: ".modal:contains(Stage and apply) .modal-footer .btn-primary", run: "click" },
        { trigger: ".o_notification:contains(1 household(s) staged: 1 created.):contains(Left out: 1 household(s) with errors)" },
        { trigger: ".modal footer button[name=action_open_records]", run: "click" },
        { trigger: ".o_list_view .o_data_row:contains(households.csv: HH-1):contains(Imported)" },
    ],
});
