"""fullcycle.serving"""
