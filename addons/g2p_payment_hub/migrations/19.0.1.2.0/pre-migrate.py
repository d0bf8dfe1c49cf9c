"""The connector types left the hub for addons of their own (g2p_payment_hub_phee, _gsma,
_fineract, _file). The models keep their names and tables; only the module that declares the
fields changes. Before the hub is loaded without them:

- the external ids of the moved fields and selection values are given to their new module, so the
  end of the update does not delete those fields (which would DROP their columns: every connector's
  settings and credentials) nor the type values (which would reset every connector's ``code``);
- the views that moved are given to their new module too, and the one that was split in three
  (GSMA, Fineract and bank file settings) is removed: each new addon creates its own;
- the four addons are marked to install, so the same ``-u`` run installs them after the hub
  (``odoo/modules/loading.py`` loops on modules marked 'to install' during an update). They are
  installed whether or not connectors of their type exist: a database that had the hub had all four
  types, and a user could have picked any of them the day before the update.
"""

from odoo.tools import SQL

HUB = "g2p_payment_hub"
# new module: (field prefixes on g2p.payment.connector, field prefixes on g2p.payment.batch, type)
MOVES = {
    "g2p_payment_hub_phee": (["phee_"], [], "phee"),
    "g2p_payment_hub_gsma": (["gsma_"], ["gsma_"], "gsma"),
    "g2p_payment_hub_fineract": (["fineract_"], [], "fineract"),
    "g2p_payment_hub_file": (["file_"], [], "file"),
}
MOVED_VIEWS = {
    "view_g2p_payment_connector_form_phee": "g2p_payment_hub_phee",
    "view_g2p_payment_batch_form_gsma": "g2p_payment_hub_gsma",
}
SPLIT_VIEWS = ["view_g2p_payment_connector_form_psp"]


def _like(prefix):
    return prefix.replace("_", r"\_") + "%"


def migrate(cr, version):
    if not version:
        return
    for module, (connector_prefixes, batch_prefixes, code) in MOVES.items():
        patterns = [_like("field_g2p_payment_connector__" + p) for p in connector_prefixes]
        patterns += [_like("field_g2p_payment_batch__" + p) for p in batch_prefixes]
        patterns += [_like("selection__g2p_payment_connector__" + p) for p in connector_prefixes]
        patterns += [_like("selection__g2p_payment_batch__" + p) for p in batch_prefixes]
        patterns.append("selection\\_\\_g2p\\_payment\\_connector\\_\\_code\\_\\_" + code)
        cr.execute(
            SQL(
                """UPDATE ir_model_data
                      SET module = %s
                    WHERE module = %s
                      AND model IN ('ir.model.fields', 'ir.model.fields.selection')
                      AND name LIKE ANY(%s)""",
                module,
                HUB,
                patterns,
            )
        )
    for name, module in MOVED_VIEWS.items():
        cr.execute(
            SQL(
                """UPDATE ir_model_data SET module = %s
                    WHERE module = %s AND name = %s AND model = 'ir.ui.view'""",
                module,
                HUB,
                name,
            )
        )
    cr.execute(
        SQL(
            """DELETE FROM ir_ui_view
                WHERE id IN (SELECT res_id FROM ir_model_data
                              WHERE module = %s AND model = 'ir.ui.view' AND name IN %s)""",
            HUB,
            tuple(SPLIT_VIEWS),
        )
    )
    cr.execute(
        SQL(
            "DELETE FROM ir_model_data WHERE module = %s AND model = 'ir.ui.view' AND name IN %s",
            HUB,
            tuple(SPLIT_VIEWS),
        )
    )
    for module in MOVES:
        # The update has already listed the addons folder (update_list): the row normally exists,
        # uninstalled. Inserted when it does not (an addons path listed late).
        cr.execute(
            SQL(
                """INSERT INTO ir_module_module (name, state, demo)
                   VALUES (%s, 'to install', FALSE)
                   ON CONFLICT (name) DO UPDATE SET state = 'to install'
                    WHERE ir_module_module.state = 'uninstalled'""",
                module,
            )
        )
