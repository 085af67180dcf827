"""Wire schema: the single source of truth for what napari-telemetry sends.

Imports only pydantic, packaging and the standard library (never Qt, napari or the rest of the
package), so the collector can validate with exactly these models and judge plugin names by the
client's own rules.

The plugin counters' review files and the collection manifest (``_collection``,
``_counter_lint``) and the collector's release policy (``_publication``) are imported on first
use (``__getattr__`` below): a napari launch below `full`, and one with no collection key to
trust, never uses them, so napari's memory does not carry them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from napari_telemetry import _lazy

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
from ._catalogue import (
    LEVEL_HASHES,
    catalogue,
    catalogue_markdown,
    computed_level_hash,
    level_fields,
    level_hash,
)
from ._counters import (
    DATA_CATEGORIES,
    DECLARATION_FILE,
    MAX_COUNTERS,
    MAX_LABELS,
    CounterDeclaration,
    Declaration,
)
from ._index import PublicIndex, is_stable, parse_summary
from ._keys import CommandKey, CounterKey, LayerKey, PluginKey, SessionKey
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
from ._records import (
    DTYPE_PATTERN,
    LAYER_TYPE_PATTERN,
    OS_VERSION_PATTERN,
    CommandRecord,
    CounterRecord,
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

if TYPE_CHECKING:
    from ._collection import (
        COLLECTION_TYPE,
        ApprovedCounter,
        ApprovedPlugin,
        CollectionManifest,
        CollectionSignature,
        DuplicateKey,
        ReviewedCollection,
        ReviewedPlugin,
        SignedCollection,
        canonical_json,
        loads_unique,
    )
    from ._counter_lint import (
        DeclarationError,
        Problem,
        lint_declaration,
        lint_reviewed,
        read_declaration,
        read_reviewed,
    )
    from ._publication import (
        PUBLICATION,
        Publication,
    )

__all__ = [
    "BATCH_ID_PATTERN",
    "BATCH_MODELS",
    "CLOCK_SKEW",
    "COLLECTION_TYPE",
    "CORE",
    "DATA_CATEGORIES",
    "DECLARATION_FILE",
    "DTYPE_PATTERN",
    "LAYER_TYPE_PATTERN",
    "LEVEL_HASHES",
    "LEVEL_WORDS",
    "MAX_BATCH_BYTES",
    "MAX_COUNTERS",
    "MAX_LABELS",
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
    "ApprovedCounter",
    "ApprovedPlugin",
    "BasicBatch",
    "Batch",
    "BatchBase",
    "CollectionManifest",
    "CollectionSignature",
    "CommandKey",
    "CommandRecord",
    "CounterDeclaration",
    "CounterKey",
    "CounterRecord",
    "Declaration",
    "DeclarationError",
    "DuplicateKey",
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
    "Problem",
    "PublicIndex",
    "Publication",
    "RecordBase",
    "ReviewedCollection",
    "ReviewedPlugin",
    "SessionKey",
    "SessionRecord",
    "SignedCollection",
    "Terms",
    "WeekProblem",
    "WeekRefused",
    "WireModel",
    "canonical_json",
    "catalogue",
    "catalogue_markdown",
    "changes",
    "check_week",
    "command_owner",
    "computed_level_hash",
    "is_stable",
    "iso_week",
    "level_fields",
    "level_hash",
    "level_terms",
    "lint_declaration",
    "lint_reviewed",
    "loads_unique",
    "newest_week",
    "normalized_name",
    "oldest_week",
    "parse_summary",
    "public_data_type",
    "read_declaration",
    "read_reviewed",
    "shift_week",
    "week_accepted",
    "week_start",
]

_LAZY = {
    "COLLECTION_TYPE": "._collection",
    "ApprovedCounter": "._collection",
    "ApprovedPlugin": "._collection",
    "CollectionManifest": "._collection",
    "CollectionSignature": "._collection",
    "DuplicateKey": "._collection",
    "ReviewedCollection": "._collection",
    "ReviewedPlugin": "._collection",
    "SignedCollection": "._collection",
    "canonical_json": "._collection",
    "loads_unique": "._collection",
    "DeclarationError": "._counter_lint",
    "Problem": "._counter_lint",
    "lint_declaration": "._counter_lint",
    "lint_reviewed": "._counter_lint",
    "read_declaration": "._counter_lint",
    "read_reviewed": "._counter_lint",
    "PUBLICATION": "._publication",
    "Publication": "._publication",
}


def __getattr__(name: str) -> object:
    """What a launch does not use, imported on first use."""
    return _lazy.load(__name__, _LAZY, globals(), name)
