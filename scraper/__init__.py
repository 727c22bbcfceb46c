"""thinktank-digest: scrape think tanks into Atom feeds and weekly email digests."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
