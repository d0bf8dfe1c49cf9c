from odoo.exceptions import UserError


class IntakeError(UserError):
    """A value of an external record that cannot be taken into the registry. ``field`` names it the
    way the source does (``members[2]/phone``, a CSV column…), so the registrar can correct it."""

    def __init__(self, field, message):
        self.field = field
        self.reason = message
        super().__init__("%s: %s" % (field, message) if field else message)


class IntakeDuplicate(UserError):
    """The record matches several registrants, or one with conflicting data: not applied."""

    def __init__(self, field, message, candidates):
        self.field = field
        self.reason = message
        self.candidates = candidates
        super().__init__("%s: %s" % (field, message) if field else message)
