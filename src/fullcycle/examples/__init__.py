"""fullcycle.examples: data the package generates itself, for the demo and the tests.

``voice`` is the voice-search case: spoken queries routed to a domain, in periods whose new
names make a period-0 model decay (see ``fullcycle.examples.voice``).
"""
