"""Attempts no longer copy their payment's progress and outcome (the batch and the payroll line
hold them): queued, sent and paid attempts become open, as do those failed by the processor one by
one; attempts refused with their whole batch stay failed. The columns attempts no longer have go,
with the index that named the old live states."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("DROP INDEX IF EXISTS g2p_payment_attempt_one_live_attempt")
    cr.execute(
        """UPDATE g2p_payment_attempt a
              SET state = 'open',
                  -- the processor's reason of a failed payment is on its payroll line; the attempt's
                  -- reason now only says why a whole batch was refused or cancelled
                  reason = CASE WHEN a.state = 'failed' THEN NULL ELSE a.reason END
             FROM g2p_payment_batch b
            WHERE b.id = a.batch_id
              AND (a.state IN ('queued', 'sent', 'paid')
                   OR (a.state = 'failed' AND b.state NOT IN ('draft', 'queued', 'sending', 'failed')))"""
    )
    cr.execute(
        """ALTER TABLE g2p_payment_attempt
               DROP COLUMN IF EXISTS company_id,
               DROP COLUMN IF EXISTS psp_reference,
               DROP COLUMN IF EXISTS create_uid,
               DROP COLUMN IF EXISTS create_date,
               DROP COLUMN IF EXISTS write_uid,
               DROP COLUMN IF EXISTS write_date"""
    )
