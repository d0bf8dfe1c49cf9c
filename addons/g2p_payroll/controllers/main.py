from werkzeug.exceptions import Forbidden, NotFound

from odoo import http
from odoo.exceptions import AccessError
from odoo.http import content_disposition, request

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class G2pPayrollController(http.Controller):
    @http.route(
        "/g2p_payroll/payroll/<int:payroll_id>/payments.xlsx", type="http", auth="user", methods=["GET"]
    )
    def payroll_payments_xlsx(self, payroll_id, **kwargs):
        """The payments of a payroll as XLSX, built on the fly (no attachment keeps a copy of
        beneficiary data). Read-only, so a replayed request is harmless."""
        payroll = request.env["g2p.payroll"].browse(payroll_id).exists()
        if not payroll:
            raise NotFound()
        try:
            content = payroll._export_xlsx()
        except AccessError as error:
            raise Forbidden() from error
        return request.make_response(
            content,
            headers=[
                ("Content-Type", XLSX_MIMETYPE),
                ("Content-Length", len(content)),
                ("Content-Disposition", content_disposition(payroll._export_xlsx_filename())),
                ("Cache-Control", "no-store"),
            ],
        )
