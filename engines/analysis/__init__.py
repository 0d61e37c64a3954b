"""Text analysis: sentiment, classification, zero-shot labels, entities and extractive answers."""
