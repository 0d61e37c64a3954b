"""This process and this computer's plumbing: memory release, priority, bundled resources, crash logs, streams."""
