"""Licence badges and the one-time confirmation before downloading a non-commercial or gated model."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from engines.cards import ModelCard
from engines.cards.consent import needs_consent, record_consent


def licence_badge(card: ModelCard) -> str:
    """A short label: may the user build a business on it?"""
    labels = {
        "yes": QCoreApplication.translate("licence", "Commercial use allowed"),
        "no": QCoreApplication.translate("licence", "Non-commercial only"),
        "conditions": QCoreApplication.translate("licence", "Commercial use with conditions"),
    }
    text = labels[card.licence.commercial_use]
    if card.licence.gated:
        text += " · " + QCoreApplication.translate("licence", "Gated: needs a hub token")
    return text


def licence_html(card: ModelCard) -> str:
    terms = card.licence
    read = QCoreApplication.translate("licence", "Read the terms")
    link = f'<a href="{escape(terms.url)}">{escape(read)}</a>'
    parts = [f"<b>{escape(licence_badge(card))}</b>", escape(terms.id), link]
    if terms.attribution:
        credit = QCoreApplication.translate("licence", "Credit required: {text}")
        parts.append(escape(credit.format(text=terms.attribution)))
    return " · ".join(parts)


def confirm_download(parent: QWidget | None, card: ModelCard, language: str = "en") -> bool:
    """Ask once (per card and licence) before the first download; True when the download may go ahead."""
    if not needs_consent(card):
        return True
    terms = card.licence
    if terms.commercial_use == "no":
        what = QCoreApplication.translate("licence", "{name} may only be used for non-commercial purposes.")
    else:
        what = QCoreApplication.translate("licence", "{name} is distributed under terms you must accept.")
    lines = [escape(what.format(name=card.localized_name(language)))]
    if terms.gated:
        lines.append(escape(QCoreApplication.translate(
            "licence", "The hub also asks you to sign in with a token and accept the terms on its page.")))
    lines.append(f'{escape(terms.id)}: <a href="{escape(terms.url)}">{escape(terms.url)}</a>')
    lines.append(escape(QCoreApplication.translate("licence", "Do you accept these terms and want to download it?")))
    box = QMessageBox(parent)
    box.setObjectName("licencePrompt")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(QCoreApplication.translate("licence", "Licence terms"))
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    box.setText("<br><br>".join(lines))
    accept = box.addButton(QCoreApplication.translate("licence", "Accept and download"),
                           QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    if box.clickedButton() is not accept:
        return False
    record_consent(card)
    return True
