"""fullcycle.ui"""
