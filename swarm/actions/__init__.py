"""Every swarm state change is one function here (DESIGN.md rule 1)."""
