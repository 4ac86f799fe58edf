"""The pipeline's stages as plain functions: load, clean, extract, store."""
