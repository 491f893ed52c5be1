"""Side effects: policy look-ups, registry writes, notifications. Plain `def`s run on a thread pool."""
