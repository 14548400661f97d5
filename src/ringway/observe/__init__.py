"""What ringway tells about itself: its log (``logs``), its metrics (``metrics``), the watch
over each API request (``watch``) and what each webhook attempt tells them (``webhooks``).

Here only the log's levels and formats, which the CLI offers without importing the log."""

from __future__ import annotations

import logging

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}  # fmt: skip
FORMATS = ("text", "json")
