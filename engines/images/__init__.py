"""Image files the user hands the app: decoded safely (captioning's inputs, img2img's init images, the gallery)."""
