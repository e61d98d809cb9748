"""``fullcycle demo``: the whole cycle on the voice-search example, with real components."""
