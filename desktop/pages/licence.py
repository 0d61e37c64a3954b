"""Licence badges and the one-time confirmation before downloading a non-commercial or gated model."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from engines.cards import ModelCard
from engines.cards.consent import needs_consent, record_consent


def _tr(text: str) -> str:
    return QCoreApplication.translate("licence", text)


def licence_badge(card: ModelCard) -> str:
    """A short label: may the user build a business on it?"""
    labels = {
        "yes": _tr("Commercial use allowed"),
        "no": _tr("Non-commercial only"),
        "conditions": _tr("Commercial use with conditions"),
    }
    text = labels[card.licence.commercial_use]
    return f"{text} · {_tr('Gated: needs a hub token')}" if card.licence.gated else text


def licence_html(card: ModelCard) -> str:
    terms = card.licence
    parts = [f"<b>{escape(licence_badge(card))}</b>", escape(terms.id),
             f'<a href="{escape(terms.url)}">{escape(_tr("Read the terms"))}</a>']
    if terms.attribution:
        parts.append(escape(_tr("Credit required: {text}").format(text=terms.attribution)))
    return " · ".join(parts)


def confirm_download(parent: QWidget | None, card: ModelCard, language: str = "en") -> bool:
    """Ask once (per card and licence) before the first download; True when the download may go ahead."""
    if not needs_consent(card):
        return True
    terms = card.licence
    if terms.commercial_use == "no":
        what = _tr("{name} may only be used for non-commercial purposes.")
    else:
        what = _tr("{name} is distributed under terms you must accept.")
    lines = [escape(what.format(name=card.localized_name(language)))]
    if terms.gated:
        lines.append(escape(_tr("The hub also asks you to sign in with a token and accept the terms on its page.")))
    lines.append(f'{escape(terms.id)}: <a href="{escape(terms.url)}">{escape(terms.url)}</a>')
    lines.append(escape(_tr("Do you accept these terms and want to download it?")))
    box = QMessageBox(parent)
    box.setObjectName("licencePrompt")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(_tr("Licence terms"))
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    box.setText("<br><br>".join(lines))
    accept = box.addButton(_tr("Accept and download"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    if box.clickedButton() is not accept:
        return False
    record_consent(card)
    return True
