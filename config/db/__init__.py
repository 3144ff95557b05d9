"""PostgreSQL with a connection pool that recovers from a database restart within a second (ENGINE "config.db")."""
