"""Drop-in replacements for the functions of Python tools trawl replaces.

``trawl.compat.oscura``: Oscura's pattern matching, TLV parsing and stream
helpers, same names, arguments and result fields (docs/python-oscura-differences.md
lists every difference).
"""
