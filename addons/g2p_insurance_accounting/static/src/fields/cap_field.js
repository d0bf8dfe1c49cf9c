import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { MonetaryField, monetaryField } from "@web/views/fields/monetary/monetary_field";
import { useEffect } from "@odoo/owl";

/**
 * A cap of an insurance benefit: 0 means "no cap". Read, it says "No cap" instead of 0.00;
 * edited, the input is empty with "No cap" as placeholder (an empty input saves 0).
 */
export class CapField extends MonetaryField {
    setup() {
        super.setup();
        useEffect(
            (el) => {
                if (el) {
                    el.placeholder = _t("No cap");
                }
            },
            () => [this.inputRef?.el]
        );
    }

    get formattedValue() {
        if (!this.value) {
            return this.props.readonly ? _t("No cap") : "";
        }
        return super.formattedValue;
    }
}

export const capField = {
    ...monetaryField,
    component: CapField,
    displayName: _t("Insurance cap"),
};

registry.category("fields").add("g2p_cap", capField);
