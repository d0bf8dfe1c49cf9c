RECORD_STATES = [
    ("new", "New"),
    ("imported", "Imported"),
    ("duplicate", "Duplicate"),
    ("error", "Error"),
    ("rejected", "Rejected"),
]

# States a record can be (re-)processed from; a rejected record stays rejected.
PROCESSABLE_STATES = {"new", "imported", "duplicate", "error"}
