import { stepUtils } from "@web_tour/tour_utils";

// Steps the G2P role tours share (the registry is every G2P addon's base).

// Open a menu of the G2P app from the app switcher, as a person would.
export function openG2pMenu(section, item) {
    return [
        ...stepUtils.goToAppSteps("g2p_registry.menu_g2p_root", "Open the G2P app"),
        { trigger: `.o_menu_sections button[data-menu-xmlid="${section}"]`, run: "click" },
        { trigger: `.dropdown-item[data-menu-xmlid="${item}"]`, run: "click" },
    ];
}

// The form's status bar shows this state as the current one.
export function currentState(label) {
    return { trigger: `.o_form_view .o_statusbar_status button.o_arrow_button_current:contains(${label})` };
}
