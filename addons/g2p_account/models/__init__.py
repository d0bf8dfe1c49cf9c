from . import account_chart_template
from . import account_move
from . import account_move_line
from . import res_company
from . import res_partner_privacy
