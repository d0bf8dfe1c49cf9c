from . import main
from . import gsma
