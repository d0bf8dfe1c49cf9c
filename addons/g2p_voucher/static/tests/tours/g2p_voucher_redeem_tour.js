import { registry } from "@web/core/registry";

// The pay-point agent types the code printed on the voucher (the test puts it in the URL's
// fragment), checks the person shown, confirms, and is told to hand over the cash.
registry.category("web_tour.tours").add("g2p_voucher_redeem_tour", {
    steps: () => [
        {
            content: "type the voucher's code",
            trigger: ".o_g2p_voucher_form input[name=code]",
            run() {
                this.anchor.value = decodeURIComponent(window.location.hash.slice(1));
            },
        },
        { content: "check it", trigger: ".o_g2p_voucher_check", run: "click", expectUnloadPage: true },
        {
            content: "the person to check: name, registrant number, amount",
            trigger: ".o_g2p_voucher_person:has(.o_g2p_voucher_name:contains(VC)):has(.o_g2p_voucher_amount:contains(\"1,500\"))",
        },
        { content: "confirm", trigger: ".o_g2p_voucher_confirm", run: "click", expectUnloadPage: true },
        { content: "paid, once", trigger: ".o_g2p_voucher_paid:contains(Paid.)" },
        { content: "ready for the next one", trigger: ".o_g2p_voucher_next" },
    ],
});
