"""Reach napari's internals, each behind one function that degrades to None when it moved.

Everything napari-telemetry relies on that napari does not document is listed here (and in
docs/design.md); when one is missing, that part of the collection stops and a debug line says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("napari_telemetry")
PLUGIN = "napari-telemetry"  # this plugin's npe2 name


def app_model_commands() -> Any | None:
    """The command registry of napari's app-model application, or None."""
    try:
        from napari._app_model import get_app_model  # napari >= 0.5.5 (private module)

        return get_app_model().commands
    except (ImportError, AttributeError):
        log.debug("napari._app_model.get_app_model is unavailable", exc_info=True)
    try:
        from app_model import Application  # public, but names napari's application by string

        app = Application.get_app("napari")
        return app.commands if app is not None else None
    except (ImportError, AttributeError):
        log.debug("app_model.Application.get_app('napari') is unavailable", exc_info=True)
        return None


def action_manager() -> Any | None:
    """napari's action manager (viewer and layer key bindings, layer buttons), or None.

    Relied on (napari 0.4.19-0.9, ``napari/utils/action_manager.py``): ``_actions`` maps each
    action name to an ``Action`` whose cached ``injected`` is what shortcuts and buttons call
    (shortcuts hold it in their keymap), ``_update_shortcut_bindings(name)`` binds it again,
    and ``register_action`` is looked up on the instance.
    """
    try:
        from napari.utils.action_manager import action_manager as manager  # napari internal

        if isinstance(manager._actions, dict) and callable(manager._update_shortcut_bindings):
            return manager
    except (ImportError, AttributeError):
        pass
    log.debug("napari's action manager is unavailable", exc_info=True)
    return None


def npe2_commands() -> Any | None:
    """npe2's global command registry (resolves widgets, readers, writers, sample data)."""
    try:
        from npe2 import PluginManager  # napari internal: reached here only, degrades if moved

        return PluginManager.instance().commands
    except (ImportError, AttributeError):
        log.debug("npe2's PluginManager command registry is unavailable", exc_info=True)
        return None


def npe2_manifests() -> list[Any]:
    """Every registered npe2 manifest (enabled or not); empty when npe2 is unusable."""
    try:
        from npe2 import PluginManager  # napari internal: reached here only, degrades if moved

        return list(PluginManager.instance().iter_manifests())
    except Exception:
        log.debug("npe2's plugin list is unavailable", exc_info=True)
        return []


def reader_commands(plugin: str) -> frozenset[str]:
    """Command ids of *plugin*'s reader contributions."""
    try:
        from npe2 import PluginManager  # napari internal: reached here only, degrades if moved

        mf = PluginManager.instance().get_manifest(plugin)
        return frozenset(r.command for r in (mf.contributions.readers or ()))
    except Exception:
        return frozenset()


def napari_version() -> str:
    """napari's version string (``unknown`` if it cannot be read)."""
    try:
        import napari  # napari internal: reached here only, degrades if moved

        return str(napari.__version__)
    except Exception:
        return "unknown"


def current_viewer() -> Any | None:
    """The viewer whose window is active, or None."""
    try:
        import napari  # napari internal: reached here only, degrades if moved

        return napari.current_viewer()
    except Exception:
        log.debug("napari.current_viewer() failed", exc_info=True)
        return None


def main_window(viewer: Any) -> Any | None:
    """The viewer's Qt main window (to parent dialogs), or None."""
    try:
        return viewer.window.main_menu.window()
    except Exception:
        return None


def status_bar(viewer: Any) -> Any | None:
    """The window's status bar through ``viewer.window.main_menu``; None if unreachable."""
    try:
        bar = viewer.window.main_menu.window().statusBar()
    except Exception:  # napari changed: no indicator, never an error
        log.debug("no status bar reachable", exc_info=True)
        return None
    return bar if hasattr(bar, "addPermanentWidget") else None


def open_dock(viewer: Any, widget_name: str) -> None:
    """Show one of this plugin's docks in *viewer* (public ``add_plugin_dock_widget``)."""
    try:
        dock, _ = viewer.window.add_plugin_dock_widget(PLUGIN, widget_name)
        dock.show()
        dock.raise_()
    except Exception:
        log.debug("could not open %r", widget_name, exc_info=True)


def preferences_section(name: str) -> Any | None:
    """The *name* section of this plugin's napari settings (napari >= 0.9), or None."""
    try:
        from napari.settings import get_plugin_settings  # napari internal

        return getattr(get_plugin_settings(PLUGIN), name)
    except Exception:  # napari < 0.9, plugin not discovered, or settings unreadable
        log.debug("no napari Preferences entry for telemetry", exc_info=True)
        return None


def plugin_settings_built() -> bool:
    """Whether napari has built its plugin settings (``napari.settings._PLUGIN_SETTINGS``)."""
    try:
        import napari.settings as settings  # napari internal: the cache get_plugin_settings fills
    except ImportError:
        return False
    return bool(getattr(settings, "_PLUGIN_SETTINGS", None))


def after_plugin_settings(callback: Callable[[], object]) -> Callable[[], None] | None:
    """Call *callback* right after napari builds its plugin settings (its Preferences dialog
    does, when it opens); returns what undoes this, or None without plugin settings."""
    try:
        import napari.settings as settings  # napari >= 0.9: plugin Preferences

        original = settings.get_plugin_settings
    except (ImportError, AttributeError):
        log.debug("no napari plugin settings to follow", exc_info=True)
        return None

    def get_plugin_settings(*args: Any, **kwargs: Any) -> Any:
        building = not plugin_settings_built()
        result = original(*args, **kwargs)
        if building:
            try:
                callback()
            except Exception:  # inside napari's Preferences dialog: never raise there
                log.debug("following napari's plugin settings failed", exc_info=True)
        return result

    settings.get_plugin_settings = get_plugin_settings

    def undo() -> None:
        if settings.get_plugin_settings is get_plugin_settings:
            settings.get_plugin_settings = original

    return undo


def theme_colours(viewer: Any) -> dict[str, Any] | None:
    """The colours of *viewer*'s napari theme (public ``viewer.theme`` and ``get_theme``), as
    ``#rrggbb`` strings plus ``type`` (``dark`` or ``light``); None if unreadable."""
    try:
        from napari.utils.theme import get_theme  # public, but napari: reached here only

        theme = get_theme(viewer.theme)
        names = ("text", "background", "error", "current")
        return {"dark": theme.type == "dark"} | {n: getattr(theme, n).as_hex() for n in names}
    except Exception:
        log.debug("napari's theme is unreadable", exc_info=True)
        return None


def theme_changed(viewer: Any) -> Any | None:
    """The ``viewer.events.theme`` emitter (public), or None."""
    try:
        return viewer.events.theme
    except AttributeError:
        log.debug("viewer.events.theme is unavailable", exc_info=True)
        return None


def layer_inserted(viewer: Any) -> Any | None:
    """The ``viewer.layers.events.inserted`` emitter, or None."""
    try:
        return viewer.layers.events.inserted
    except AttributeError:
        log.debug("viewer.layers.events.inserted is unavailable", exc_info=True)
        return None
