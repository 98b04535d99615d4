"""dip-sheets: the Daftar Informasi Publik (UU 14/2008) run from a shared spreadsheet.

Library use goes through :class:`Office`, one per ``[[register]]`` of the configuration::

    from pathlib import Path
    from dip_sheets import Office, load_configs

    office = Office(load_configs(Path("dip.toml"))[0])
    print(office.sync().summary())
"""

__version__ = "0.1.0"

# after __version__, which modules imported here read
from .config import Config, load_configs
from .errors import DipError
from .messages import Message
from .office import Office
from .offices import Outcome, Run, run_offices, select

__all__ = ["Config", "DipError", "Message", "Office", "Outcome", "Run", "__version__", "load_configs",
           "run_offices", "select"]
