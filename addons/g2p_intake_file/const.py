# The columns of an import file, in the template's order: (column, required, help for the template).
COLUMNS = [
    ("household_key", True, "Same value on every row of one household (e.g. HH-001)"),
    ("household_name", False, "Name of the household (optional: '<family name of the head> household')"),
    ("village", False, "Village or town of the household"),
    ("head", True, "yes on the row of the head of the household, no on the other rows"),
    ("relationship", False, "Role of a member who is not the head: spouse, child, dependant, other"),
    ("given_name", True, "Given name of the member"),
    ("family_name", False, "Family name of the member"),
    ("gender", False, "female, male or other (also F / M)"),
    ("birthdate", False, "Date of birth: YYYY-MM-DD or DD/MM/YYYY"),
    ("phone", False, "Phone number, with its country prefix or a local number"),
    ("id_type", False, "Code of the ID type (e.g. NATIONAL_ID), with id_number"),
    ("id_number", False, "Number of the ID document, with id_type"),
]
COLUMN_NAMES = [c[0] for c in COLUMNS]
REQUIRED_COLUMNS = [c[0] for c in COLUMNS if c[1]]
# Example rows of the template (a household of two).
TEMPLATE_ROWS = [
    [
        "HH-001",
        "Otieno household",
        "Kisumu",
        "yes",
        "",
        "Achieng",
        "Otieno",
        "female",
        "1980-02-03",
        "+254712000001",
        "",
        "",
    ],
    ["HH-001", "", "", "no", "child", "Baraka", "Otieno", "male", "2012-05-06", "", "", ""],
]

YES = {"yes", "y", "1", "true", "x", "oui", "si", "sí"}
NO = {"no", "n", "0", "false", "", "non"}
GENDER_ALIASES = {"f": "female", "m": "male", "o": "other", "woman": "female", "man": "male"}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y")
# Encodings chardet may name that we trust for a registry file; others fall back to Windows-1252.
TRUSTED_ENCODINGS = {
    "utf-8",
    "ascii",
    "iso-8859-1",
    "windows-1252",
    "iso-8859-15",
    "utf-16",
    "utf-16le",
    "utf-16be",
}
