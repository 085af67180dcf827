"""Wire schema: the single source of truth for what napari-telemetry sends.

Imports only pydantic, packaging and the standard library (never Qt, napari or the rest of the
package), so the collector can validate with exactly these models and judge plugin names by the
client's own rules.
"""

from __future__ import annotations

from ._base import RecordBase, WireModel
from ._batch import (
    BATCH_ID_PATTERN,
    BATCH_MODELS,
    MAX_BATCH_BYTES,
    MAX_RECORDS,
    RECORD_LEVEL,
    RECORD_MODELS,
    RECORD_TYPES,
    SCHEMA_VERSION,
    BasicBatch,
    Batch,
    BatchBase,
    FullBatch,
    InstallAge,
    MiddleBatch,
)
from ._catalogue import catalogue, catalogue_markdown, level_fields, level_hash
from ._index import PublicIndex, is_stable, parse_summary
from ._keys import CommandKey, LayerKey, PluginKey, SessionKey
from ._levels import LEVEL_WORDS, SENDING_LEVELS, Level, LevelWords
from ._names import (
    CORE,
    OTHER_DATA_TYPE,
    PUBLIC_ARRAY_LIBRARIES,
    IsPublic,
    command_owner,
    normalized_name,
    public_data_type,
)
from ._publication import PUBLICATION, Publication
from ._records import (
    DTYPE_PATTERN,
    LAYER_TYPE_PATTERN,
    OS_VERSION_PATTERN,
    CommandRecord,
    LayerRecord,
    PluginRecord,
    SessionRecord,
)
from ._terms import Terms, changes, level_terms
from ._weeks import (
    CLOCK_SKEW,
    RAW_RETENTION_DAYS,
    WEEK_PATTERN,
    WeekProblem,
    WeekRefused,
    check_week,
    iso_week,
    newest_week,
    oldest_week,
    shift_week,
    week_accepted,
    week_start,
)

__all__ = [
    "BATCH_ID_PATTERN",
    "BATCH_MODELS",
    "CLOCK_SKEW",
    "CORE",
    "DTYPE_PATTERN",
    "LAYER_TYPE_PATTERN",
    "LEVEL_WORDS",
    "MAX_BATCH_BYTES",
    "MAX_RECORDS",
    "OS_VERSION_PATTERN",
    "OTHER_DATA_TYPE",
    "PUBLICATION",
    "PUBLIC_ARRAY_LIBRARIES",
    "RAW_RETENTION_DAYS",
    "RECORD_LEVEL",
    "RECORD_MODELS",
    "RECORD_TYPES",
    "SCHEMA_VERSION",
    "SENDING_LEVELS",
    "WEEK_PATTERN",
    "BasicBatch",
    "Batch",
    "BatchBase",
    "CommandKey",
    "CommandRecord",
    "FullBatch",
    "InstallAge",
    "IsPublic",
    "LayerKey",
    "LayerRecord",
    "Level",
    "LevelWords",
    "MiddleBatch",
    "PluginKey",
    "PluginRecord",
    "PublicIndex",
    "Publication",
    "RecordBase",
    "SessionKey",
    "SessionRecord",
    "Terms",
    "WeekProblem",
    "WeekRefused",
    "WireModel",
    "catalogue",
    "catalogue_markdown",
    "changes",
    "check_week",
    "command_owner",
    "is_stable",
    "iso_week",
    "level_fields",
    "level_hash",
    "level_terms",
    "newest_week",
    "normalized_name",
    "oldest_week",
    "parse_summary",
    "public_data_type",
    "shift_week",
    "week_accepted",
    "week_start",
]
