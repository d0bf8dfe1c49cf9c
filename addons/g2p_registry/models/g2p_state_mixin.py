import logging
from collections import defaultdict

from odoo import _, models
from odoo.exceptions import UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

LOGGED_IDS = 20  # record ids named in a no-op log line, at most


class G2pStateMixin(models.AbstractModel):
    """One way to change the state of G2P records: :meth:`_g2p_transition`.

    Records already in the target state are a logged no-op (so a repeated button, callback or job
    changes nothing), a record in a state outside the allowed sources refuses the whole call, and
    the others change in one ``write``. Set ``_g2p_state_field`` when the state is not ``state``
    and ``_g2p_state_label`` (a lazy translation) to name the records in messages; by default
    they are named by the model's description."""

    _name = "g2p.state.mixin"
    _description = "G2P State Transitions"

    _g2p_state_field = "state"
    _g2p_state_label = None

    def _g2p_state_labels(self):
        """{state: translated label} of the model's state selection."""
        field = self._fields[self._g2p_state_field]
        return dict(field._description_selection(self.env))

    def _g2p_record_label(self):
        if self._g2p_state_label:
            return str(self._g2p_state_label)
        return self.env["ir.model"]._get(self._name).name

    def _g2p_current_states(self):
        """{state: records of ``self`` in it}, read in one query whatever the size of ``self``
        (the ORM would read every prefetched column of the records in chunks)."""
        field = self._g2p_state_field
        self.flush_recordset([field])
        rows = self.env.execute_query(
            SQL(
                "SELECT %s, array_agg(id) FROM %s WHERE id = ANY(%s) GROUP BY 1",
                SQL.identifier(field),
                SQL.identifier(self._table),
                self.ids,
            )
        )
        by_state = defaultdict(lambda: self.browse())
        for state, ids in rows:
            by_state[state] = self.browse(ids)
        return by_state

    def _g2p_transition_todo(self, target, allowed_from, why=None):
        """The records of ``self`` that must change to ``target``, without changing them: those
        already there are logged and left out; if any is in a state outside ``allowed_from``,
        nothing is returned and :class:`UserError` names it, with ``why`` (or the allowed source
        states) as the explanation. For models whose state is written in SQL."""
        if not self:
            return self
        by_state = self._g2p_current_states()
        done = by_state.pop(target, self.browse())
        if done:
            # Ids, not names: names of beneficiaries have no place in the server log.
            _logger.info(
                "%s: %s record(s) already in state %s, nothing to do: ids %s%s",
                self._name,
                len(done),
                target,
                done.ids[:LOGGED_IDS],
                " …" if len(done) > LOGGED_IDS else "",
            )
        wrong = self & self.browse().union(
            *(records for state, records in by_state.items() if state not in allowed_from)
        )
        if wrong:
            labels = self._g2p_state_labels()
            record = wrong[:1]
            current = record[self._g2p_state_field]
            if why is None:
                why = _(
                    "Only from: %(states)s.",
                    states=", ".join(label for state, label in labels.items() if state in allowed_from),
                )
            message = _(
                "%(what)s %(record)s is %(current)s: it cannot become %(target)s. %(why)s",
                what=self._g2p_record_label(),
                record=record.display_name,
                current=labels.get(current, current),
                target=labels.get(target, target),
                why=why,
            )
            if len(wrong) > 1:
                message += " " + _("%s records of the selection cannot: none was changed.", len(wrong))
            raise UserError(message)
        return self & self.browse().union(*by_state.values())  # in the order of ``self``

    def _g2p_transition(self, target, allowed_from, vals=None, message=None, why=None):
        """Move ``self`` to ``target`` from one of ``allowed_from``, also writing ``vals``, in one
        ``write``; ``message`` is logged in the chatter of the records that changed (models with
        mail.thread). See :meth:`_g2p_transition_todo` for repeats and refusals. Returns the
        records that changed."""
        todo = self._g2p_transition_todo(target, allowed_from, why=why)
        if todo:
            vals = {self._g2p_state_field: target, **(vals or {})}
            todo._g2p_write_state(vals)
            # In the database at once: set-based SQL that reads states (crons, locks) must not see
            # an intermediate state flushed by the next transition's read.
            todo.flush_recordset(list(vals))
            if message and hasattr(todo, "_message_log_batch"):
                todo._message_log_batch(bodies=dict.fromkeys(todo.ids, message))
        return todo

    def _g2p_write_state(self, vals):
        """The one write of a transition; models that guard their workflow fields override it."""
        self.write(vals)
