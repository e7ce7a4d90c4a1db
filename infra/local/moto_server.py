"""moto's server, with DynamoDB requests taken one at a time.

moto runs each request on its own thread, and its TransactWriteItems restores a snapshot of the
whole table when a condition fails. Two transactions at once can then undo each other's committed
writes, which DynamoDB never does. Serialising DynamoDB requests gives the local stack DynamoDB's
guarantee that a transaction is all-or-nothing and isolated; SQS (long polls included) stays
concurrent.

Usage: python infra/local/moto_server.py [moto_server arguments, e.g. -H 127.0.0.1 -p 5000]
"""

import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_dynamodb_lock = threading.Lock()
_call_action = DynamoHandler.call_action


def _one_at_a_time(self):
    with _dynamodb_lock:
        return _call_action(self)


DynamoHandler.call_action = _one_at_a_time

if __name__ == "__main__":
    main(sys.argv[1:])
