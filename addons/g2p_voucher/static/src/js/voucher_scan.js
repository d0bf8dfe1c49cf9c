/* Camera scan on the redemption page, where the browser offers BarcodeDetector (Chrome on
 * Android, among others; a secure context is needed for the camera). Elsewhere the agent types
 * the code. Plain script, no dependency: the page works without it. */
(function () {
    "use strict";

    function start() {
        const form = document.querySelector(".o_g2p_voucher_form");
        if (!form || !("BarcodeDetector" in window) || !navigator.mediaDevices) {
            return;
        }
        const box = form.querySelector(".o_g2p_voucher_camera");
        const video = box.querySelector("video");
        const input = form.querySelector("input[name=code]");
        box.classList.remove("d-none");
        box.querySelector(".o_g2p_voucher_scan").addEventListener("click", async () => {
            let stream;
            try {
                const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
                stream = await navigator.mediaDevices.getUserMedia({
                    video: { facingMode: "environment" },
                });
                video.srcObject = stream;
                await video.play();
                const tick = async () => {
                    const codes = await detector.detect(video).catch(() => []);
                    if (codes.length) {
                        stream.getTracks().forEach((track) => track.stop());
                        input.value = codes[0].rawValue;
                        form.submit();
                        return;
                    }
                    window.setTimeout(tick, 250);
                };
                tick();
            } catch {
                // No camera or permission refused: typing the code still works.
                if (stream) {
                    stream.getTracks().forEach((track) => track.stop());
                }
                box.classList.add("d-none");
                input.focus();
            }
        });
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();
