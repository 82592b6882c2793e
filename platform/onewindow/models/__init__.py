"""Core models. Importing this package registers every core table on FAB's metadata."""

from onewindow.models.bundles import Bundle, BundleMember  # noqa: F401
from onewindow.models.items import (  # noqa: F401
    FormField,
    HandlingType,
    Item,
    ItemEvent,
    ItemFaq,
    ItemType,
    Material,
    RoutingStep,
)
from onewindow.models.org import (  # noqa: F401
    Department,
    Region,
    RegionLevel,
    ServiceCentre,
    Window,
    WindowKind,
    Zone,
    ZoneKind,
)
from onewindow.models.staff import Staff  # noqa: F401
