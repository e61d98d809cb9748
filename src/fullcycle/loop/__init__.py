"""fullcycle.loop"""
