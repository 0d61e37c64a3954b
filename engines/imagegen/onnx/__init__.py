"""The ONNX Runtime image engine: a Stable Diffusion pipeline over an ONNX diffusers-layout folder."""
