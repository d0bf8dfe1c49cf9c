import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

/*
 * A day in the back office of the registry roles, clicked through as a person would.
 * The Python side (tests/test_role_tours.py) prepares the data and checks what was stored.
 */

const MEMBERS = '.o_field_widget[name="group_membership_ids"]';
const DIALOG = ".modal:not(.o_inactive_modal)";

function openMenu(appXmlid, ...menuXmlids) {
    return [
        ...stepUtils.goToAppSteps(appXmlid, "open the app"),
        ...menuXmlids.map((xmlid) => ({
            trigger: `[data-menu-xmlid="${xmlid}"]`,
            run: "click",
        })),
    ];
}

const householdsMenu = () =>
    openMenu("g2p_registry.menu_g2p_root", "g2p_registry.menu_g2p_registry", "g2p_registry.menu_g2p_households");

function addOne2manyLine(root, field) {
    return {
        content: `add a line to ${field}`,
        trigger: `${root} .o_field_widget[name="${field}"] .o_field_x2many_list_row_add a`,
        run: "click",
    };
}

/** Pick ``label`` in a selection field (Odoo's select menu). */
function selectOption(fieldSelector, label) {
    return [
        { trigger: `${fieldSelector} .o_select_menu_toggler`, run: "click" },
        // :text is an exact match ("Male" must not pick "Female").
        { trigger: `.o-dropdown--menu .o_select_menu_item:text(${label})`, run: "click" },
        {
            trigger: `${fieldSelector} .o_select_menu_toggler:text(${label}), ${fieldSelector} input:value(${label})`,
        },
    ];
}

function pickMany2one(selector, text, option = text) {
    return [
        { trigger: `${selector} input`, run: `edit ${text}` },
        { trigger: `.o-autocomplete--dropdown-item:contains(${option})`, run: "click" },
        { trigger: `${selector} input:value(${option})` },
    ];
}

/**
 * One member added from the household's Members tab: typed in the member field, registered in
 * the individual form opened by "Create and edit…", with an ID, and optionally a phone and a
 * mobile wallet, then given a role.
 */
function registerMember({ name, gender, birthdate, idNumber, phone, wallet, role }) {
    const [given, family] = [name.split(" ")[0], name.split(" ").at(-1)];
    const ids = `${DIALOG} .o_field_widget[name="reg_id_ids"]`;
    const phones = `${DIALOG} .o_field_widget[name="phone_number_ids"]`;
    const accounts = `${DIALOG} .o_field_widget[name="payment_account_ids"]`;
    const steps = [
        addOne2manyLine(".o_form_view", "group_membership_ids"),
        {
            trigger: `${MEMBERS} .o_selected_row .o_field_widget[name="individual_id"] input`,
            run: `edit ${name}`,
        },
        {
            content: "register the person in the individual form, not a contact",
            trigger: ".o-autocomplete--dropdown-item:contains(Create and edit)",
            run: "click",
        },
        // The registrant form, with the typed name split into given and family names.
        { trigger: `${DIALOG} .o_form_view .o_field_widget[name="given_name"] input:value(${given})` },
        { trigger: `${DIALOG} .o_field_widget[name="family_name"] input:value(${family})` },
        ...selectOption(`${DIALOG} .o_field_widget[name="gender"]`, gender),
        { trigger: `${DIALOG} .o_field_widget[name="birthdate"] input`, run: `edit ${birthdate}` },
        addOne2manyLine(DIALOG, "reg_id_ids"),
        ...pickMany2one(`${ids} .o_selected_row [name="id_type_id"]`, "National", "National ID"),
        { trigger: `${ids} .o_selected_row .o_field_widget[name="value"] input`, run: `edit ${idNumber}` },
    ];
    if (phone) {
        steps.push(addOne2manyLine(DIALOG, "phone_number_ids"), {
            trigger: `${phones} .o_selected_row .o_field_widget[name="phone_number"] input`,
            run: `edit ${phone}`,
        });
    }
    if (wallet) {
        steps.push(
            { trigger: `${DIALOG} .o_notebook .nav-link:contains(Payment Accounts)`, run: "click" },
            addOne2manyLine(DIALOG, "payment_account_ids"),
            ...selectOption(`${accounts} .o_selected_row [name="account_type"]`, "Mobile Money Wallet"),
            ...pickMany2one(`${accounts} .o_selected_row .o_field_widget[name="provider_id"]`, wallet.psp),
            {
                trigger: `${accounts} .o_selected_row .o_field_widget[name="msisdn"] input`,
                run: `edit ${wallet.number}`,
            }
        );
    }
    steps.push(
        { trigger: `${DIALOG} .o_form_button_save`, run: "click" },
        { content: "the member form is closed", trigger: "body:not(:has(.modal))" },
        { trigger: `${MEMBERS} .o_selected_row .o_field_widget[name="individual_id"] input:value(${name})` },
        ...selectOption(`${MEMBERS} .o_selected_row .o_field_widget[name="role"]`, role)
    );
    return steps;
}

// Registrar: G2P → Registry → Households → New, three members from the Members tab.
registry.category("web_tour.tours").add("g2p_registrar_household_members_tour", {
    steps: () => [
        ...householdsMenu(),
        { trigger: ".o_list_view .o_list_button_add, .o_kanban_view .o-kanban-button-new", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=name] input", run: "edit Otieno Household" },
        { trigger: ".o_form_view .o_field_widget[name=city] input", run: "edit Kisumu" },
        { trigger: ".o_notebook .nav-link:contains(Members)", run: "click" },
        ...registerMember({
            name: "Achieng Otieno",
            gender: "Female",
            birthdate: "03/14/1984",
            idNumber: "2345 6781",
            phone: "0712 345 678",
            wallet: { psp: "Tour Wallet", number: "0712 345 678" },
            role: "Head",
        }),
        ...registerMember({
            name: "Ouma Otieno",
            gender: "Male",
            birthdate: "07/02/1981",
            idNumber: "23456782",
            role: "Spouse",
        }),
        ...registerMember({
            name: "Akinyi Otieno",
            gender: "Female",
            birthdate: "11/20/2012",
            idNumber: "23456783",
            role: "Child",
        }),
        { trigger: ".o_form_view .o_form_button_save", run: "click" },
        { trigger: ".o_form_view .o_form_saved" },
        { trigger: ".o_form_view .o_field_widget[name=registrant_number] span:contains(HH-)" },
        { trigger: ".o_form_view .o_field_widget[name=head_id]:contains(Achieng Otieno)" },
        { trigger: ".o_form_view .o_field_widget[name=household_size]:contains(3)" },
        { trigger: `${MEMBERS} .o_data_row:nth-child(3) .o_data_cell[name=individual_state]:contains(Draft)` },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Draft)" },
    ],
});

/** On a registrant's form: approve it and see it active. */
function approveHere() {
    return [
        { trigger: ".o_form_view .o_statusbar_buttons button[name=action_approve]", run: "click" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Active)" },
        { trigger: ".o_form_view:not(:has(.o_statusbar_buttons button[name=action_approve]))" },
    ];
}

const memberRow = (name) => `${MEMBERS} .o_data_row:has(.o_data_cell[name=individual_id]:contains(${name}))`;
const memberActive = (name) => ({
    trigger: `${memberRow(name)} .o_data_cell[name=individual_state]:contains(Active)`,
});

/** From the household's Members tab: open the member's own form, approve it there, come back. */
function approveMemberInItsForm(name) {
    return [
        { trigger: `${memberRow(name)} .o_data_cell[name=individual_id]`, run: "click" },
        {
            content: `open ${name}'s registrant form`,
            trigger: `${MEMBERS} .o_selected_row .o_field_widget[name=individual_id] .o_external_button`,
            run: "click",
        },
        { trigger: `.o_last_breadcrumb_item:contains(${name})` },
        { trigger: ".o_form_view .o_field_widget[name=given_name]" },
        ...approveHere(),
        { trigger: ".o_notification:contains(is approved)" },
        { trigger: ".o_breadcrumb .breadcrumb-item a:contains(Otieno Household)", run: "click" },
        { trigger: ".o_last_breadcrumb_item:contains(Otieno Household)" },
        memberActive(name),
    ];
}

/** From the household's Members tab: the member's Approve button. */
function approveMemberInList(name) {
    return [
        { trigger: `${memberRow(name)} button[name=action_approve_member]`, run: "click" },
        memberActive(name),
        { trigger: `${memberRow(name)}:not(:has(button[name=action_approve_member]))` },
    ];
}

// Registry validator: G2P → Registry → Households, filter To Approve, approve the household and
// each of its members.
registry.category("web_tour.tours").add("g2p_validator_approves_household_tour", {
    steps: () => [
        ...householdsMenu(),
        { trigger: ".o_last_breadcrumb_item:contains(Households)" },
        { trigger: ".o_list_view .o_data_row:contains(Otieno Household)" },
        { trigger: "body:not(:has(.o-dropdown--menu))" },
        { trigger: ".o_control_panel .o_searchview_dropdown_toggler", run: "click" },
        { trigger: ".o_filter_menu .o_menu_item:contains(To Approve)", run: "click" },
        { trigger: ".o_searchview_facet:contains(To Approve)" },
        { trigger: ".o_list_view:not(:has(.o_data_row:contains(Active)))" },
        {
            trigger: ".o_list_view .o_data_row:contains(Otieno Household) .o_data_cell[name=name]",
            run: "click",
        },
        { trigger: ".o_last_breadcrumb_item:contains(Otieno Household)" },
        ...approveHere(),
        { trigger: ".o_notification:contains(Members still to approve):contains(Ouma Otieno)" },
        { trigger: ".o_notebook .nav-link:contains(Members)", run: "click" },
        // The head is checked on its own form (IDs, phones, payment accounts), the others from
        // the list.
        ...approveMemberInItsForm("Achieng Otieno"),
        ...approveMemberInList("Ouma Otieno"),
        ...approveMemberInList("Akinyi Otieno"),
        { trigger: `${MEMBERS}:not(:has(button[name=action_approve_member]))` },
    ],
});

// The G2P Registry role in the Access Rights tab of a user.
const G2P_REGISTRY_ROLE =
    '.o_field_widget[name="group_ids"] .o_cell:has(label:contains("G2P Registry")) + .o_cell';

// G2P administrator (with Settings access rights, like the demo login): Settings → Users &
// Companies → Users → New, an internal user given the Registrar role.
registry.category("web_tour.tours").add("g2p_admin_creates_registrar_tour", {
    steps: () => [
        ...openMenu("base.menu_administration", "base.menu_users", "base.menu_action_res_users"),
        { trigger: ".o_list_view .o_list_button_add", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name=name] input", run: "edit Grace Njeri" },
        {
            trigger: ".o_form_view .o_field_widget[name=login] input",
            run: "edit grace.njeri@ministry.example.com",
        },
        { trigger: ".o_notebook .nav-link:contains(Access Rights)", run: "click" },
        {
            content: "give the G2P Registry role Registrar",
            trigger: `${G2P_REGISTRY_ROLE} .o_select_menu_toggler`,
            run: "click",
        },
        { trigger: ".o-dropdown--menu .o_select_menu_item:text(Registrar)", run: "click" },
        {
            trigger: `${G2P_REGISTRY_ROLE} .o_select_menu:has(input:value(Registrar))`,
        },
        { trigger: ".o_form_view .o_form_button_save", run: "click" },
        { trigger: ".o_form_view .o_form_saved" },
        { trigger: ".o_last_breadcrumb_item:contains(Grace Njeri)" },
        { trigger: `${G2P_REGISTRY_ROLE} .o_select_menu:has(input:value(Registrar))` },
    ],
});
