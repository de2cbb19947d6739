"""Relational Prescribing course engine (never imports streamlit outside course/ui/)."""
