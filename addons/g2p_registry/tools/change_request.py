"""What makes a change to a registrant go through a change request (maker-checker), shared by
the registrant and the records that belong to it (IDs, phones, payment accounts, memberships)."""

from odoo.exceptions import UserError

#: Context key set while an approved change request is applied (and by the flows that are their
#: own maker-checker: merging a confirmed duplicate, applying a reviewed intake record).
CHANGE_REQUEST_APPLY = "g2p_change_request_apply"

#: The registrant's key data: a change to these on a registrant that is no longer a draft is
#: proposed, not written.
KEY_FIELDS = (
    "name",
    "given_name",
    "family_name",
    "addl_name",
    "birthdate",
    "gender",
    "reg_id_ids",
    "phone_number_ids",
    "payment_account_ids",
    "group_membership_ids",
    "individual_membership_ids",
)


def needs_review(env):
    """Whether changes to key data made in ``env`` must go through a change request."""
    return not env.su and not env.context.get(CHANGE_REQUEST_APPLY)


def reviewed_partners(partners):
    """The registrants of ``partners`` whose key data changes need a validator: all but drafts (a
    disabled registrant can be re-enabled and paid)."""
    return partners.filtered(lambda p: p.is_registrant and p.registrant_state != "draft")


def refuse_direct_change(records, partners):
    """A record of an approved registrant (its ID, phone, payment account, membership) is not
    changed on its own: the change is made on the registrant's form, which proposes it."""
    if not needs_review(records.env):
        return
    approved = reviewed_partners(partners.sudo())
    if approved:
        raise UserError(
            records.env._(
                "%(what)s of %(who)s: the registrant is approved, so its key data changes through a "
                "change request. Make the change on the registrant's form and save: a registry "
                "validator applies it when approving it.",
                what=records._description,
                who=", ".join(approved[:5].mapped("display_name")),
            )
        )
