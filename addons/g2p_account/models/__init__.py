from . import account_move
from . import account_move_line
from . import res_company
from . import g2p_account_demo
