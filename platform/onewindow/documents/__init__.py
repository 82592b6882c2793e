"""Documents (文书) of a case and the public progress lookup (进度查询).

- :mod:`.render` prints a case notice (``ow_case_notice``: kind + frozen content) as
  HTML and as an A4 PDF, each with the case number and a QR code to the progress page;
- :mod:`.views` lets staff download them, scoped to their department;
- :mod:`.progress` answers the public (no login) with a case's progress, never with
  personal data or internal opinions.
"""
