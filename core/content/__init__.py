"""Content admins keep current: table specs, CSV import/export, sample content."""
