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

moto's SQS is made to cost the same however many messages wait, too. Under load it spent its time
recounting every message of a queue: each SendMessage reads the queue's attributes (which count
all its messages, three times, with a slow clock), and each ReceiveMessage reads them again for
every message it hands out (to check the retention period). Here the counts are made in one pass
with a fast clock and reused for a tenth of a second (SQS's counts are approximate anyway), and
the retention check reads the one attribute it needs.

Usage: python infra/local/moto_server.py [moto_server arguments, e.g. -H 127.0.0.1 -p 5000]
"""

import copy
import json
import logging
import sys
import threading
import time

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler, DynamoResult
import moto.backends as moto_backends
from moto.moto_server.werkzeug_app import MotoRequestHandler
from moto.server import main
from moto.sqs.models import Message as SqsMessage
from moto.sqs.models import Queue as SqsQueue
from moto.sqs.models import SQSBackend

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

_table_query = Table.query


def _query_one_partition(self, hash_key, *args, **kwargs):
    """A query on the table (not an index) reads its one partition. moto's lists and sorts every
    item of the table for each query and keeps those with the hash key; the result is the same."""
    # moto passes the index name as the eighth argument after the table.
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    if index_name or hash_key is None or self.range_key_attr is None:
        return _table_query(self, hash_key, *args, **kwargs)
    partition = list(self.items.get(hash_key, {}).values())
    self.all_items = lambda: partition
    try:
        return _table_query(self, hash_key, *args, **kwargs)
    finally:
        del self.all_items


Table.query = _query_one_partition

_dynamo_execute_result = DynamoResult.execute_result


def _as_json(self, context):
    """DynamoDB's results are already its wire format (attribute values as `{"S": ...}`): they are
    written as JSON at once. moto's generic serializer walks the API's shapes for every value and
    took nine tenths of a query's time; what JSON cannot write (dates) still goes through it."""
    try:
        body = json.dumps(self.result, separators=(",", ":"))
    except (TypeError, ValueError):
        return _dynamo_execute_result(self, context)
    return 200, {"Content-Type": "application/x-amz-json-1.0"}, body


DynamoResult.execute_result = _as_json

def _now_millis():
    return time.time() * 1000


SqsMessage.visible = property(lambda self: _now_millis() > self.visible_at)
SqsMessage.delayed = property(lambda self: _now_millis() < self.delayed_until)

_COUNTS_FOR_SECONDS = 0.1


def _counts(queue):
    """(visible, not visible, delayed), counted in one pass, reused for a tenth of a second."""
    cached = getattr(queue, "_colloquy_counts", None)
    now = time.monotonic()
    if cached is not None and now - cached[0] < _COUNTS_FOR_SECONDS:
        return cached[1]
    millis = _now_millis()
    visible = not_visible = delayed = 0
    for message in queue._messages:
        is_delayed = millis < message.delayed_until
        is_visible = millis > message.visible_at
        delayed += is_delayed
        not_visible += not is_visible
        visible += is_visible and not is_delayed
    counts = (visible, not_visible, delayed)
    queue._colloquy_counts = (now, counts)
    return counts


def _recount_after(method, queue_of):
    """Wraps something that changes a queue's messages so that its counts are made afresh."""

    def changed(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        finally:
            queue = queue_of(self, *args, **kwargs)
            if queue is not None:
                queue._colloquy_counts = None

    return changed


def _queue_named(backend, *args, **kwargs):
    queue_name = kwargs.get("queue_name", args[0] if args else None)
    return backend.queues.get(queue_name) if isinstance(queue_name, str) else None


SqsQueue.add_message = _recount_after(SqsQueue.add_message, lambda queue, *_, **__: queue)
SqsQueue.delete_message = _recount_after(SqsQueue.delete_message, lambda queue, *_, **__: queue)
for _name in ("receive_message", "change_message_visibility", "purge_queue", "delete_message"):
    if hasattr(SQSBackend, _name):
        setattr(SQSBackend, _name, _recount_after(getattr(SQSBackend, _name), _queue_named))

SqsQueue.approximate_number_of_messages = property(lambda self: _counts(self)[0])
SqsQueue.approximate_number_of_messages_not_visible = property(lambda self: _counts(self)[1])
SqsQueue.approximate_number_of_messages_delayed = property(lambda self: _counts(self)[2])


def _retained(self, queue_name, message):
    queue = self.get_queue(queue_name)
    retention = int(getattr(queue, "message_retention_period", None) or 345600)
    return retention + message.sent_timestamp / 1000 > time.time()


SQSBackend.is_message_valid_based_on_retention_period = _retained

# moto lists its own package's folders on disk for every request, to tell a service's name from
# a host name; they do not change while it runs.
_moto_modules = tuple(moto_backends.list_of_moto_modules())
moto_backends.list_of_moto_modules = lambda: _moto_modules
# HTTP/1.1 keeps connections open: the SDKs reuse them instead of a new connection, and a new
# thread, per request.
MotoRequestHandler.protocol_version = "HTTP/1.1"

if __name__ == "__main__":
    # A log line per request costs moto's one core more than some requests do.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    main(sys.argv[1:])
