from odoo import api, models


class ReportG2pPayroll(models.AbstractModel):
    """Rendering values of the payroll PDF: the payments table is read in one query, and left out
    above the PDF line limit (the summary still prints)."""

    _name = "report.g2p_payroll.report_payroll"
    _description = "Payroll Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["g2p.payroll"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "g2p.payroll",
            "docs": docs,
            "payments": docs._report_payroll_values(),
            "state_labels": dict(
                self.env["g2p.payroll.line"]._fields["state"]._description_selection(self.env)
            ),
        }


class ReportG2pPayrollReconciliation(models.AbstractModel):
    _name = "report.g2p_payroll.report_payroll_reconciliation"
    _description = "Payroll Reconciliation Summary"

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["g2p.payroll"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "g2p.payroll",
            "docs": docs,
            "summary": docs._report_reconciliation_values(),
        }


class ReportG2pProgramFunds(models.AbstractModel):
    _name = "report.g2p_payroll.report_program_funds"
    _description = "Program Funds Statement"

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["g2p.program"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "g2p.program",
            "docs": docs,
            "statements": {program.id: program._report_funds_statement() for program in docs},
        }
