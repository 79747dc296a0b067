"""Reading contract files: safe YAML with node positions, and path discovery."""
