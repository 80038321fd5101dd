"""The shared RPC client (scripts/hearsay_rpc.py), for tests that need many calls quickly."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "scripts"))
from hearsay_rpc import Client, RpcError  # noqa: E402,F401
