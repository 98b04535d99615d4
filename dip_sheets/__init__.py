"""dip-sheets: the Daftar Informasi Publik (UU 14/2008) run from a shared spreadsheet."""

__version__ = "0.1.0"
