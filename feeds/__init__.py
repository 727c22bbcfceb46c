"""Publishing: Atom/JSON feeds (``atom``, ``jsonfeed``, ``publish``, ``web``) and digests.

Import the submodules you need (``feeds.atom``, ``feeds.publish`` ...); this package imports
nothing heavy on its own.
"""

from __future__ import annotations
