"""Storage and spatial analysis of the gas network: PostGIS access, migrations, demo territory."""
