"""moto's server, with DynamoDB transactions that cost the same however large the table is.

moto runs each request on its own thread, and its TransactWriteItems restores a snapshot of the
whole table when a condition fails. Two transactions at once can then undo each other's committed
writes, which DynamoDB never does: DynamoDB requests are taken one at a time here, which gives the
local stack DynamoDB's guarantee that a transaction is all-or-nothing and isolated (SQS, long polls
included, stays concurrent).

That snapshot is also a deep copy of every table a transaction touches, made before each
transaction: about 24 ms per transaction with 650 items, growing with the table, and the copies
are what the local stack's memory grew with under load. Instead, each transaction keeps an undo
record of only the items it touches and restores those if it fails.

Usage: python infra/local/moto_server.py [moto_server arguments, e.g. -H 127.0.0.1 -p 5000]
"""

import copy
import sys
import threading

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_dynamodb_lock = threading.Lock()
_call_action = DynamoHandler.call_action


def _one_at_a_time(self):
    with _dynamodb_lock:
        return _call_action(self)


DynamoHandler.call_action = _one_at_a_time


class _TablesByReference:
    """`copy` for moto's DynamoDB models, except that a table is not copied: the undo record below
    restores what a failed transaction changed."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


dynamodb_models.copy = _TablesByReference()
_transact_write_items = DynamoDBBackend.transact_write_items


def _key_of(table, op_type, op):
    key = op.get("Item") if op_type == "Put" else op.get("Key")
    if not isinstance(key, dict) or table.hash_key_attr not in key:
        return None
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = None
    if table.range_key_attr is not None:
        if table.range_key_attr not in key:
            return None
        range_value = DynamoType(key[table.range_key_attr])
    return hash_value, range_value


def _restore(table, hash_value, range_value, before):
    if before is None:
        try:
            table.delete_item(hash_value, range_value)
        except KeyError:
            pass
    elif range_value is not None:
        table.items[hash_value][range_value] = before
    else:
        table.items[hash_value] = before


def _transact_with_undo(self, transact_items):
    undo = []
    for entry in transact_items if isinstance(transact_items, list) else []:
        if not isinstance(entry, dict) or len(entry) != 1:
            continue
        op_type, op = next(iter(entry.items()))
        table = self.tables.get(op.get("TableName")) if isinstance(op, dict) else None
        if table is None:
            continue
        key = _key_of(table, op_type, op)
        if key is None:
            continue
        before = table.get_item(*key)
        undo.append((table, key[0], key[1], copy.deepcopy(before)))
    try:
        return _transact_write_items(self, transact_items)
    except Exception:
        for table, hash_value, range_value, before in reversed(undo):
            _restore(table, hash_value, range_value, before)
        raise


DynamoDBBackend.transact_write_items = _transact_with_undo

if __name__ == "__main__":
    main(sys.argv[1:])
