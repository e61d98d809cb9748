"""fullcycle.monitoring"""
