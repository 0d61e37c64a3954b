"""The Create page: images from a prompt, and the gallery of images made."""
