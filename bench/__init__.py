"""Load benchmark for Barnraise: a fast bulk seeder (bench.seed) and an HTTP runner (bench.run)."""
