"""Test-wide settings.

scapy builds packets for the tests and must never touch a network: an Ethernet layer without a destination would
make it send ARP or neighbour-discovery requests (and wait for answers that never come). With no resolvers it
uses the broadcast address instead, silently and at once.
"""

from __future__ import annotations

import logging

import scapy.all  # noqa: F401  (loads every layer, so every resolver is registered before it is removed)
from scapy.config import conf

conf.neighbor.resolvers.clear()
conf.neighbor.register_l3 = lambda *args, **kwargs: None  # a layer imported later cannot add one back
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)  # no "using broadcast" warning per packet
