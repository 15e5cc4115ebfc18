"""RPA export: accepted applications as CP932 CSV files for the robot that keys them into the core systems."""
