"""Translations: a template (``i18n/<addon>.pot``, from scripts/i18n_export.sh) for every addon, French
and Spanish for the addons with screens, and those load into Odoo. The suite itself runs in English:
these tests activate French and Spanish inside their own transaction only.

(a) Every addon has a template with its own terms.
(b) fr.po / es.po parse, are in step with the template (no term the template does not know, nothing
    fuzzy), keep the placeholders and markup of each source, and translate every menu.
(c) Loaded into a database, a menu, a field label, a selection value, a button, an e-mail and a message
    of the code read in French (and a menu and a label in Spanish).
"""

import re
from pathlib import Path

import polib

from odoo.exceptions import UserError
from odoo.tests import TransactionCase

REPO = Path(__file__).resolve().parent.parent
ADDONS = sorted(p.parent.name for p in (REPO / "addons").glob("*/__manifest__.py"))

#: The addons with the main screens: they must ship French and Spanish.
TRANSLATED = [
    "g2p_registry",
    "g2p_program",
    "g2p_payroll",
    "g2p_payment_hub",
    "g2p_insurance_accounting",
    "g2p_intake",
    "g2p_intake_file",
    "g2p_intake_odk",
    "g2p_intake_program",
    "g2p_intake_odk_program",
    "g2p_fhir",
    "g2p_sms_gateway",
    "g2p_notice",
    "g2p_notice_insurance",
    "g2p_voucher",
    "g2p_premium_collection",
    "g2p_provider_payment",
    "g2p_registry_verification",
    "g2p_program_verification",
]
LANGS = ["fr", "es"]

#: Python %-placeholders (%(name)s, %s, %r, %d) and XML/HTML tags must come through a translation as is.
PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdrf]|%[sdrf]")
TAG = re.compile(r"<[^>]+>")


def _pot(addon):
    return REPO / "addons" / addon / "i18n" / f"{addon}.pot"


def _po(addon, lang):
    return REPO / "addons" / addon / "i18n" / f"{lang}.po"


def translation_problems(pot, po):
    """What is wrong with ``po`` against its template ``pot`` (both polib files), as readable lines."""
    problems = []
    known = {entry.msgid for entry in pot}
    for entry in po:
        if entry.obsolete or not entry.msgid:
            continue
        where = f"{entry.msgid!r}"
        if entry.msgid not in known:
            problems.append(f"{where}: not in the template (run scripts/i18n_export.sh)")
        if "fuzzy" in entry.flags and entry.msgstr:
            problems.append(f"{where}: fuzzy (Odoo would load this guess as if it were right)")
        if not entry.msgstr:
            continue
        if sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(entry.msgstr)):
            problems.append(f"{where}: placeholders differ in {entry.msgstr!r}")
        if TAG.findall(entry.msgid) != TAG.findall(entry.msgstr):
            problems.append(f"{where}: markup differs in {entry.msgstr!r}")
    return problems


class TestTranslationFiles(TransactionCase):
    # Outside odoo.addons, Odoo does not tag test classes by itself.
    test_tags = {"standard", "at_install"}
    test_module = "g2p_suite"

    def test_every_addon_has_a_template(self):
        self.assertIn("g2p_registry", ADDONS)
        for addon in ADDONS:
            with self.subTest(addon=addon):
                path = _pot(addon)
                self.assertTrue(path.is_file(), f"no i18n/{addon}.pot: run scripts/i18n_export.sh")
                pot = polib.pofile(str(path))
                self.assertTrue(len(pot), f"{path} holds no term")
                modules = {
                    line.split(":", 1)[1].strip()
                    for entry in pot
                    for line in entry.comment.splitlines()
                    if line.startswith("module:")
                }
                self.assertEqual(modules, {addon}, f"{path} is not the template of {addon}")

    def test_main_addons_have_french_and_spanish(self):
        for addon in TRANSLATED:
            for lang in LANGS:
                with self.subTest(addon=addon, lang=lang):
                    path = _po(addon, lang)
                    self.assertTrue(path.is_file(), f"{addon} has no i18n/{lang}.po")
                    po = polib.pofile(str(path))
                    self.assertEqual(po.metadata.get("Language"), lang)
                    self.assertGreater(po.percent_translated(), 80, f"{path} is largely untranslated")

    def test_translations_follow_their_template(self):
        paths = sorted((REPO / "addons").glob("*/i18n/*.po"))
        self.assertGreaterEqual(len(paths), len(TRANSLATED) * len(LANGS))
        for path in paths:
            addon = path.parent.parent.name
            with self.subTest(addon=addon, lang=path.stem):
                pot = polib.pofile(str(_pot(addon)))
                problems = translation_problems(pot, polib.pofile(str(path)))
                self.assertFalse(problems, f"{path}:\n" + "\n".join(problems))

    def test_every_menu_is_translated(self):
        for addon in TRANSLATED:
            pot = polib.pofile(str(_pot(addon)))
            menus = {e.msgid for e in pot if any(o.startswith("model:ir.ui.menu,") for o, _ in e.occurrences)}
            for lang in LANGS:
                with self.subTest(addon=addon, lang=lang):
                    po = polib.pofile(str(_po(addon, lang)))
                    done = {e.msgid for e in po if e.msgstr and not e.obsolete}
                    self.assertFalse(sorted(menus - done), f"menus of {addon} without a {lang} translation")

    def test_the_checks_catch_broken_translations(self):
        """The checks above can fail: a lost placeholder, changed markup or an unknown term is reported."""
        pot = polib.POFile()
        pot.append(polib.POEntry(msgid="%(count)s payments", msgstr=""))
        pot.append(polib.POEntry(msgid="<b>Total</b>", msgstr=""))
        po = polib.POFile()
        po.append(polib.POEntry(msgid="%(count)s payments", msgstr="%(nombre)s paiements"))
        po.append(polib.POEntry(msgid="<b>Total</b>", msgstr="Total"))
        po.append(polib.POEntry(msgid="Gone", msgstr="Parti"))
        problems = translation_problems(pot, po)
        self.assertEqual(len(problems), 3, problems)
        good = polib.POFile()
        good.append(polib.POEntry(msgid="%(count)s payments", msgstr="%(count)s paiements"))
        self.assertFalse(translation_problems(pot, good))


class TestTranslatedBackOffice(TransactionCase):
    test_tags = {"standard", "at_install"}
    test_module = "g2p_suite"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Odoo's own addons carry no French here: only the suite's terms are loaded (rolled back at the end).
        for code in ("fr_FR", "es_ES"):
            cls.env["res.lang"]._activate_lang(code)
        cls.env["ir.module.module"]._load_module_terms(TRANSLATED, ["fr_FR", "es_ES"], overwrite=True)
        cls.fr = cls.env(context=dict(cls.env.context, lang="fr_FR"))

    def test_english_stays_the_default(self):
        self.assertEqual(self.env.ref("base.user_admin").lang, "en_US")
        self.assertEqual(self.env.ref("g2p_registry.menu_g2p_households").name, "Households")

    def test_menu_and_action(self):
        self.assertEqual(self.fr.ref("g2p_registry.menu_g2p_households").name, "Ménages")
        self.assertEqual(self.fr.ref("g2p_registry.action_households").name, "Ménages")

    def test_spanish_too(self):
        es = self.env(context=dict(self.env.context, lang="es_ES"))
        self.assertEqual(es.ref("g2p_registry.menu_g2p_households").name, "Hogares")
        self.assertEqual(
            es["res.partner"].fields_get(["household_size"])["household_size"]["string"], "Tamaño del hogar"
        )

    def test_field_label_and_selection(self):
        names = ["household_size", "registrant_state"]
        fields = self.fr["res.partner"].fields_get(names, ["string", "selection"])
        self.assertEqual(fields["household_size"]["string"], "Taille du ménage")
        self.assertEqual(fields["registrant_state"]["string"], "Statut dans le registre")
        self.assertIn("Brouillon", dict(fields["registrant_state"]["selection"]).values())

    def test_button_in_a_form(self):
        view = self.fr.ref("g2p_registry.view_household_form")
        arch = self.fr["res.partner"].get_view(view.id, "form")["arch"]
        self.assertIn('string="Approuver"', arch)
        self.assertNotIn('string="Approve"', arch)

    def test_mail_to_the_holder(self):
        template = self.fr.ref("g2p_insurance_accounting.mail_template_claim_rejected")
        self.assertEqual(template.subject, "Réclamation {{ object.name }} rejetée")
        self.assertIn("a été rejetée", template.body_html)

    def test_intake_screens(self):
        self.assertEqual(self.fr.ref("g2p_intake.menu_g2p_intake").name, "Collecte")
        es = self.env(context=dict(self.env.context, lang="es_ES"))
        self.assertEqual(es.ref("g2p_intake.menu_g2p_intake").name, "Captación")
        fields = self.fr["g2p.intake.record"].fields_get(["payload", "state"], ["string", "selection"])
        self.assertEqual(fields["payload"]["string"], "Données brutes")
        self.assertEqual(dict(fields["state"]["selection"])["rejected"], "Rejetée")
        code = self.fr["g2p.intake.source"].fields_get(["code"], ["selection"])["code"]
        self.assertEqual(dict(code["selection"])["file"], "Fichiers CSV / XLSX")
        # A paragraph of a form, written over several lines in the view, is replaced as a whole.
        view = self.fr.ref("g2p_intake.view_g2p_intake_run_form")
        arch = self.fr["g2p.intake.run"].get_view(view.id, "form")["arch"]
        self.assertIn("<b>Traiter maintenant les fiches en attente</b> applique le reste.", arch)
        self.assertNotIn("background jobs", arch)

    def test_fhir_screens_and_messages(self):
        self.assertEqual(self.fr.ref("g2p_fhir.menu_g2p_fhir_export").name, "Exports en masse")
        es = self.env(context=dict(self.env.context, lang="es_ES"))
        self.assertEqual(es.ref("g2p_fhir.menu_g2p_fhir_export").name, "Exportaciones masivas")
        state = self.fr["g2p.fhir.export"].fields_get(["state"], ["selection"])["state"]
        self.assertEqual(dict(state["selection"])["queued"], "En file d'attente")
        # A message of the code, sent to FHIR clients in the X-Progress header.
        export = self.fr["g2p.fhir.export"].new({"total_count": 20, "done_count": 5})
        self.assertEqual(export._fhir_progress_text(), "25 % (5 sur 20 ressources)")

    def test_notice_screens_and_sms_template(self):
        self.assertEqual(self.fr.ref("g2p_notice.menu_g2p_notice").name, "Avis")
        self.assertEqual(self.fr.ref("g2p_sms_gateway.menu_g2p_sms_gateway").name, "Passerelles SMS")
        es = self.env(context=dict(self.env.context, lang="es_ES"))
        self.assertEqual(es.ref("g2p_notice.menu_g2p_notice").name, "Avisos")
        kinds = dict(self.fr["g2p.notice"].fields_get(["kind"], ["selection"])["kind"]["selection"])
        self.assertEqual(kinds["claim_rejected"], "Demande rejetée")
        # The SMS text, with its placeholders, in the recipient's language.
        body = self.fr.ref("g2p_notice.sms_template_payment_paid").body
        self.assertIn("{{ object.payment_number }} de {{ format_amount(", body)

    def test_message_of_the_code(self):
        with self.assertRaisesRegex(UserError, "^Indiquez un motif pour désactiver un inscrit"):
            self.fr["res.partner"]._disable(" ")
        with self.assertRaisesRegex(UserError, "^Give a reason to disable a registrant"):
            self.env["res.partner"].with_context(lang="en_US")._disable(" ")
