"""UI language: English source strings, Portuguese (Brazil) from resources/i18n/candeia_pt_BR.qm.

The language follows the system unless the user picked one in Settings ("system", "en", "pt_BR").
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from engines.system.resources import resource_path

I18N_DIR = resource_path("desktop", "resources", "i18n")
LANGUAGES = ("en", "pt_BR")  # what we ship, besides the English source strings

_installed: list[QTranslator] = []


def language_names() -> dict[str, str]:
    """Choices for the Settings page; each language is named in itself."""
    return {
        "system": QCoreApplication.translate("i18n", "System language"),
        "en": "English",
        "pt_BR": "Português (Brasil)",
    }


def resolve(setting: str, system: QLocale | None = None) -> str:
    if setting in LANGUAGES:
        return setting
    name = (system or QLocale.system()).name()  # e.g. "pt_BR", "pt_PT", "en_US"
    if name.startswith("pt"):
        return "pt_BR"  # the closest we have for every Portuguese variant
    return "en"


def install(app: QCoreApplication, setting: str) -> str:
    """Load the translation for `setting` (replacing any earlier one). Returns the language used."""
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    language = resolve(setting)
    QLocale.setDefault(QLocale(language))
    if language == "en":
        return language
    ours = QTranslator(app)
    if ours.load(str(I18N_DIR / f"candeia_{language}.qm")):
        app.installTranslator(ours)
        _installed.append(ours)
    qt = QTranslator(app)  # Qt's own strings: standard buttons and dialogs
    if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        _installed.append(qt)
    return language
