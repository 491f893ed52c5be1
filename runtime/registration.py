"""Registering our custom search attributes on whatever cluster we connect to ("already there" is fine)."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType
from temporalio.service import RPCError, RPCStatusCode

from runtime.search_attributes import ALL_KEYS

_INDEXED = {
    SearchAttributeIndexedValueType.KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    SearchAttributeIndexedValueType.DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    SearchAttributeIndexedValueType.BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    SearchAttributeIndexedValueType.INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
    SearchAttributeIndexedValueType.TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
}


async def register_search_attributes(client: Client) -> list[str]:
    """Add the attributes the server lacks; return the names added."""
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        known = set(existing.custom_attributes) | set(existing.system_attributes)
    except RPCError as err:  # the time-skipping test server cannot list, only add
        if err.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        known = set()
    missing = {k.name: _INDEXED[k.indexed_value_type] for k in ALL_KEYS if k.name not in known}
    if missing:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
            )
        except Exception as err:  # another worker registered them at the same moment
            if "already" not in str(err).lower():
                raise
    return sorted(missing)
