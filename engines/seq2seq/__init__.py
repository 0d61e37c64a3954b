"""One encoder-decoder runtime on ONNX Runtime: sessions, key/value cache with IO binding, generation
settings, and greedy, beam and speculative search, token for token as transformers' `generate()`.

Translation (engines/translate) and captioning (engines/caption) are thin adapters over it: they
find their files, tokenize or preprocess, run their encoder and hand its output to `DecodeState`.
"""
