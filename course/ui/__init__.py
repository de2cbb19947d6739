"""Streamlit pages and glue: the only part of `course` that imports streamlit."""
