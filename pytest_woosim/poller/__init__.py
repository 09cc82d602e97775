"""The reference poller: windows on the shared clock, gap-free scans with content-based
dedupe, and the small REST client it (and the relay) read the store with."""
