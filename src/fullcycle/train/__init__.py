"""fullcycle.train"""
