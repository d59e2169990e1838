"""Plant records: the documented format (:mod:`.schema`), reading and checking (:mod:`.read`) and
writing a simulated run in it (:mod:`.export`)."""

from plants.records.export import DEFAULT_START, export_records, export_replication, property_column, record_frames
from plants.records.read import Records, read_records
from plants.records.schema import TABLES, json_schema

__all__ = ["DEFAULT_START", "TABLES", "Records", "export_records", "export_replication", "json_schema", "property_column",
           "read_records", "record_frames"]
