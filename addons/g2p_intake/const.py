RECORD_STATES = [
    ("new", "New"),
    ("imported", "Imported"),
    ("duplicate", "Duplicate"),
    ("error", "Error"),
    ("rejected", "Rejected"),
]

# States a record can be (re-)processed from; a rejected record stays rejected.
PROCESSABLE_STATES = {"new", "imported", "duplicate", "error"}

# Records read, checked and (when new households) created together by one step of _process.
PROCESS_BATCH_SIZE = 500
# Large intakes are applied by queue jobs of this many records (see g2p.intake.run), in this
# channel (listed in odoo.conf's [queue_job] channels).
JOB_CHUNK_SIZE = 1000
JOB_CHANNEL = "root.g2p.intake"
# Up to this many records, an intake is applied at once (the registrar sees the outcome at once);
# more run in the background (g2p.intake.run).
INLINE_RECORDS = 500
