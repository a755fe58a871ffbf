// Placeholder until this module lands; see ../shared/DESIGN.md for what it owns.
