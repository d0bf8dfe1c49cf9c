#: The outcome of an ID's last verification against the civil registry.
VERIFICATION_STATES = [
    ("unverified", "Not Verified"),
    ("verified", "Verified"),
    ("not_found", "Not Found"),
    ("mismatch", "Mismatch"),
    ("error", "Error"),
]
AUTH_TYPES = [
    ("none", "None"),
    ("basic", "HTTP Basic"),
    ("wsse", "WS-Security Username Token"),
]
#: Registrant fields an answer can be compared with, and how each is compared by default.
REGISTRANT_FIELDS = [
    ("given_name", "Given Name"),
    ("family_name", "Family Name"),
    ("name", "Full Name"),
    ("birthdate", "Date of Birth"),
    ("gender", "Gender"),
]
COMPARISONS = [
    ("text", "Text (case and accents ignored)"),
    ("date", "Date"),
    ("initial", "First letter (codes such as M / F)"),
]
DEFAULT_COMPARISON = {"birthdate": "date", "gender": "initial"}
#: Bulk verification: IDs per job.
BULK_CHUNK = 200
