"""Image generation: text-to-image and image-to-image with Stable Diffusion-class models."""
