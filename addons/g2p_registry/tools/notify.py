"""The client action that tells the user what a button did (Odoo's ``display_notification``)."""

RELOAD = {"type": "ir.actions.client", "tag": "soft_reload"}


def notification(title, message, kind="success", next_action=None, sticky=None):
    """A ``display_notification`` client action; ``next_action`` runs after it (by default the
    current view is reloaded so the record shows its new state and buttons). A warning or a
    danger stays until closed unless ``sticky`` says otherwise."""
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {
            "title": title,
            "message": message,
            "type": kind,
            "sticky": kind in ("warning", "danger") if sticky is None else sticky,
            "next": RELOAD if next_action is None else next_action,
        },
    }
