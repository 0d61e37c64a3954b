"""Speed and memory benchmarks: each prints a Markdown table and writes JSON (never run by pytest)."""
