import csv
import io

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font

from odoo import http
from odoo.http import request

from ..const import COLUMN_NAMES, COLUMNS, TEMPLATE_ROWS

REGISTRAR_GROUP = "g2p_registry.group_g2p_registrar"


def template_csv():
    """The CSV template: the columns and an example household, UTF-8 with a BOM so that
    spreadsheet programs read it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMN_NAMES)
    writer.writerows(TEMPLATE_ROWS)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode()


def template_xlsx():
    """The XLSX template: the columns (required ones in bold, a comment on each) and an example."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Members"
    sheet.append(COLUMN_NAMES)
    for row in TEMPLATE_ROWS:
        sheet.append(row)
    for index, (name, required, help_text) in enumerate(COLUMNS, 1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=required)
        cell.comment = Comment(help_text + (" (required)" if required else ""), "G2P")
        sheet.column_dimensions[cell.column_letter].width = max(14, len(name) + 4)
    # Phone and ID numbers as text, so a leading 0 is kept.
    for letter in ("I", "J", "L"):
        for cell in sheet[letter]:
            cell.number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class G2pIntakeFileController(http.Controller):
    @http.route("/g2p_intake_file/template.<string:fmt>", type="http", auth="user", methods=["GET"])
    def template(self, fmt):
        """The import template with the expected columns and an example household."""
        if not request.env.user.has_group(REGISTRAR_GROUP):
            raise request.not_found()
        if fmt == "csv":
            content = template_csv()
            mimetype = "text/csv; charset=utf-8"
        elif fmt == "xlsx":
            content = template_xlsx()
            mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            raise request.not_found()
        return request.make_response(
            content,
            headers=[
                ("Content-Type", mimetype),
                ("Content-Disposition", http.content_disposition("g2p_household_import.%s" % fmt)),
            ],
        )
