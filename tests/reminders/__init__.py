"""Gate reminders: tracking, the sweep, digests and their controls, against the emulators."""
