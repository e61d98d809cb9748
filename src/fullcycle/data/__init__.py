"""fullcycle.data"""
