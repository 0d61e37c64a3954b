"""What this computer can run: CPU, GPUs, memory, and the backends llama.cpp and ONNX Runtime see on it."""
