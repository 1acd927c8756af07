"""Site concentration tables: schema, reconstruction from reported statistics, real-data slot."""
from .schema import (COLUMNS, METALS, UNITS, read_site_table, validate_site_table, load_sites,
                     site_table_path, site_table_source)

__all__ = ["COLUMNS", "METALS", "UNITS", "read_site_table", "validate_site_table", "load_sites",
           "site_table_path", "site_table_source"]
