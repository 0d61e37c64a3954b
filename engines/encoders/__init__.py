"""Text encoders without PyTorch: BERT-class ONNX models (tokenizer.json + ONNX Runtime) and GGUF
embedding models (llama.cpp in an engine host). `open_encoder(ref)` picks by the model's format."""
