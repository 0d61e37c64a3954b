"""Turning a PyTorch checkpoint into the ONNX folders the app runs (the optional `convert` extra)."""
