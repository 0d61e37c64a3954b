"""Guards that keep bytes on this computer and files where they belong: hub switches, the socket audit, safe names."""
