"""The ONNX Runtime toolkit every ONNX task shares: sessions, providers, external weights, folder checks."""
