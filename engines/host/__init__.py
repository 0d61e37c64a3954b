"""Engine host processes: every loaded llama.cpp model lives in a child process the app owns.

A crash, an out-of-memory kill or a hang in native code ends that process only; the client
(`client.py`) reports it as an EngineCrashedError and the app stays up. See docs/architecture.md.
"""
