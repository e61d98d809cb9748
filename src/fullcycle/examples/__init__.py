"""fullcycle.examples"""
